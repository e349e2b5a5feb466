using System;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using FishLeg.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace FishLeg.Generators.Tests;

/// <summary>Compiles test sources against the real runtime and runs the generator on them.</summary>
internal static class GeneratorHarness
{
    private static readonly ImmutableArray<MetadataReference> References =
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(path => Path.GetFileName(path).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(path) is "netstandard.dll" or "mscorlib.dll")
            .Append(typeof(FishLegModelAttribute).Assembly.Location)
            .Distinct()
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToImmutableArray();

    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    public static CSharpCompilation Compile(params string[] sources) => CSharpCompilation.Create(
        "Models",
        sources.Select((source, i) => CSharpSyntaxTree.ParseText(source, ParseOptions, path: $"Model{i}.cs")),
        References,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver Driver() => CSharpGeneratorDriver.Create(
        [new FishLegGenerator().AsSourceGenerator()],
        parseOptions: ParseOptions,
        driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator; returns its result and the compiler's errors on the input plus the generated code.</summary>
    public static (GeneratorRunResult Run, ImmutableArray<Diagnostic> CompileErrors) Run(params string[] sources)
    {
        GeneratorDriver driver = Driver().RunGeneratorsAndUpdateCompilation(Compile(sources), out Compilation output, out _);
        GeneratorRunResult run = driver.GetRunResult().Results.Single();
        if (run.Exception is not null) throw new InvalidOperationException("The generator threw.", run.Exception);
        var errors = output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToImmutableArray();
        return (run, errors);
    }

    /// <summary>
    /// Runs the generator (a throw fails the caller) and returns what the generated code added: the errors of the input
    /// plus generated code that the input alone does not have, and every diagnostic located in generated code.
    /// </summary>
    public static (GeneratorRunResult Run, ImmutableArray<Diagnostic> NewErrors, ImmutableArray<Diagnostic> InGeneratedCode) RunAll(params string[] sources)
    {
        CSharpCompilation input = Compile(sources);
        GeneratorDriver driver = Driver().RunGeneratorsAndUpdateCompilation(input, out Compilation output, out _);
        GeneratorRunResult run = driver.GetRunResult().Results.Single();
        if (run.Exception is not null) throw new InvalidOperationException("The generator threw.", run.Exception);
        var inputErrors = input.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToHashSet();
        var generatedTrees = run.GeneratedSources.Select(s => s.SyntaxTree).ToHashSet();
        var all = output.GetDiagnostics();
        return (run, all.Where(d => d.Severity == DiagnosticSeverity.Error && !inputErrors.Contains(d.ToString())).ToImmutableArray(),
            all.Where(d => d.Location.SourceTree is { } tree && generatedTrees.Contains(tree)).ToImmutableArray());
    }
}
