using System;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Xunit;

namespace FishLeg.Tests.Docs;

/// <summary>Every section of docs/math.md that the code, the generator's output and the README cite is one of its headings.</summary>
public partial class CitationTests
{
    [GeneratedRegex(@"docs/math\.md (?:§[0-9a-z.]*[0-9a-z](?:,? (?:and )?§[0-9a-z.]*[0-9a-z])*)")]
    private static partial Regex Citation();

    [GeneratedRegex(@"§([0-9a-z.]*[0-9a-z])")]
    private static partial Regex Section();

    private static string Root()
    {
        for (string? directory = AppContext.BaseDirectory; directory is not null; directory = Path.GetDirectoryName(directory))
            if (File.Exists(Path.Combine(directory, "FishLeg.Gen.sln"))) return directory;
        throw new InvalidOperationException("The repository root (FishLeg.Gen.sln) is not above the test's folder.");
    }

    [Fact]
    public void EverySectionCitedExists()
    {
        string root = Root();
        string[] headings = File.ReadAllLines(Path.Combine(root, "docs", "math.md")).Where(l => l.StartsWith('#'))
            .Select(l => l.TrimStart('#', ' ').Split(' ')[0].TrimEnd('.')).ToArray();
        var sources = new[] { "src", "generators", "samples", "tests" }
            .SelectMany(folder => Directory.EnumerateFiles(Path.Combine(root, folder), "*.cs", SearchOption.AllDirectories))
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .Append(Path.Combine(root, "README.md"));
        int cited = 0;
        foreach (string path in sources)
        {
            string text = File.ReadAllText(path);
            Assert.DoesNotContain("math" + " note", text); // the old name of docs/math.md
            foreach (Match citation in Citation().Matches(text))
                foreach (Match section in Section().Matches(citation.Value))
                {
                    cited++;
                    Assert.True(headings.Contains(section.Groups[1].Value), $"{Path.GetRelativePath(root, path)} cites docs/math.md §{section.Groups[1].Value}, which has no heading");
                }
        }
        Assert.True(cited > 20, $"only {cited} citations found: the pattern has stopped matching them");
    }
}
