using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.CodeAnalysis;
using Xunit.Sdk;

namespace FishLeg.Generators.Tests.Snapshots;

/// <summary>
/// Snapshot assertions with Verify.SourceGenerators' file conventions, so switching to Verify later is a rename:
/// <c>{TestClass}.{TestMethod}#{HintName}.verified.cs</c> starting with <c>//HintName: {hintName}</c>, and the
/// diagnostics in <c>{TestClass}.{TestMethod}.verified.txt</c>. A mismatch writes <c>*.received.*</c> beside the
/// snapshot and fails with a diff; set FISHLEG_ACCEPT_SNAPSHOTS=1 to accept what was received.
/// </summary>
internal static class Snapshot
{
    private static bool Accept => Environment.GetEnvironmentVariable("FISHLEG_ACCEPT_SNAPSHOTS") == "1";

    public static void Verify(GeneratorRunResult run, [CallerFilePath] string testFile = "", [CallerMemberName] string testMethod = "")
    {
        string directory = Path.Combine(Path.GetDirectoryName(testFile)!, "Snapshots");
        string prefix = $"{Path.GetFileNameWithoutExtension(testFile)}.{testMethod}";
        var failures = new List<string>();

        var expectedFiles = new HashSet<string>(StringComparer.Ordinal);
        foreach (GeneratedSourceResult source in run.GeneratedSources.OrderBy(s => s.HintName, StringComparer.Ordinal))
        {
            string name = $"{prefix}#{Path.GetFileNameWithoutExtension(source.HintName)}.verified.cs";
            expectedFiles.Add(name);
            Compare(Path.Combine(directory, name), $"//HintName: {source.HintName}\n{source.SourceText}", failures);
        }

        string diagnosticsName = $"{prefix}.verified.txt";
        expectedFiles.Add(diagnosticsName);
        Compare(Path.Combine(directory, diagnosticsName), FormatDiagnostics(run.Diagnostics), failures);

        foreach (string stale in Directory.EnumerateFiles(directory, $"{prefix}#*.verified.cs").Select(f => Path.GetFileName(f)).Where(f => !expectedFiles.Contains(f)))
        {
            if (Accept) File.Delete(Path.Combine(directory, stale));
            else failures.Add($"{stale} has no generated source any more; delete it if that is intended.");
        }

        if (failures.Count > 0) throw new XunitException(string.Join("\n\n", failures));
    }

    private static void Compare(string verifiedPath, string actual, List<string> failures)
    {
        actual = actual.Replace("\r\n", "\n");
        string receivedPath = verifiedPath.Replace(".verified.", ".received.");
        string? expected = File.Exists(verifiedPath) ? File.ReadAllText(verifiedPath).Replace("\r\n", "\n") : null;
        if (expected == actual)
        {
            File.Delete(receivedPath);
            return;
        }
        if (Accept)
        {
            File.WriteAllText(verifiedPath, actual, new UTF8Encoding(false));
            File.Delete(receivedPath);
            return;
        }
        File.WriteAllText(receivedPath, actual, new UTF8Encoding(false));
        failures.Add(expected is null
            ? $"No snapshot {Path.GetFileName(verifiedPath)}; review {Path.GetFileName(receivedPath)} and accept it."
            : $"{Path.GetFileName(verifiedPath)} differs from {Path.GetFileName(receivedPath)}:\n{Diff(expected, actual)}");
    }

    private static string FormatDiagnostics(IEnumerable<Diagnostic> diagnostics)
    {
        var lines = diagnostics
            .OrderBy(d => d.Location.SourceSpan.Start).ThenBy(d => d.Id, StringComparer.Ordinal)
            .Select(d => $"{d.Id} {d.Severity} {d.Location.GetLineSpan().Span}: {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}")
            .ToList();
        return lines.Count == 0 ? "Diagnostics: none\n" : "Diagnostics:\n" + string.Concat(lines.Select(l => $"  {l}\n"));
    }

    /// <summary>The first differing lines with a little context; enough to see what changed.</summary>
    private static string Diff(string expected, string actual)
    {
        string[] a = expected.Split('\n'), b = actual.Split('\n');
        int first = 0;
        while (first < a.Length && first < b.Length && a[first] == b[first]) first++;
        var text = new StringBuilder();
        for (int i = Math.Max(0, first - 2); i < Math.Min(Math.Max(a.Length, b.Length), first + 6); i++)
        {
            string? left = i < a.Length ? a[i] : null, right = i < b.Length ? b[i] : null;
            if (left == right) text.Append($"  {i + 1,5}   {left}\n");
            else
            {
                if (left is not null) text.Append($"- {i + 1,5}   {left}\n");
                if (right is not null) text.Append($"+ {i + 1,5}   {right}\n");
            }
        }
        return text.ToString();
    }
}
