using System;
using System.Globalization;
using System.Linq;
using System.Reflection;
using FishLeg.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace FishLeg.Generators.Tests;

/// <summary>Incremental caching, deterministic output, and the spec's independence from Roslyn objects.</summary>
public class PipelineTests
{
    private const string Model = """
        using FishLeg;
        namespace Demo;
        [FishLegModel(6, Likelihood.Gaussian, Sigma = 0.5)]
        [Dense(5, Activation.Tanh)]
        [Dense(2)]
        public partial class Net;
        """;

    private const string Unrelated = """
        namespace Demo;
        public static class Helpers { public static int Twice(int x) => 2 * x; }
        """;

    private static readonly string[] Steps =
        [FishLegGenerator.Steps.Parse, FishLegGenerator.Steps.Models, FishLegGenerator.Steps.Diagnostics];

    [Fact]
    public void UnrelatedEditLeavesEveryStepCachedOrUnchanged()
    {
        CSharpCompilation first = GeneratorHarness.Compile(Model, Unrelated);
        GeneratorDriver driver = GeneratorHarness.Driver().RunGenerators(first);

        SyntaxTree old = first.SyntaxTrees.Single(t => t.FilePath == "Model1.cs");
        SyntaxTree edited = CSharpSyntaxTree.ParseText(Unrelated.Replace("2 * x", "x + x"), GeneratorHarness.ParseOptions, path: "Model1.cs");
        CSharpCompilation second = first.ReplaceSyntaxTree(old, edited)
            .AddSyntaxTrees(CSharpSyntaxTree.ParseText("class Extra { }", GeneratorHarness.ParseOptions, path: "Extra.cs"));
        GeneratorRunResult run = driver.RunGenerators(second).GetRunResult().Results.Single();

        // The check for types that hide FishLeg's namespaces re-runs on every edit and must come out unchanged.
        foreach (string step in Steps.Append(FishLegGenerator.Steps.HidingTypes))
        {
            Assert.True(run.TrackedSteps.ContainsKey(step), $"step {step} was not tracked");
            foreach (IncrementalGeneratorRunStep runStep in run.TrackedSteps[step])
                foreach (var (_, reason) in runStep.Outputs)
                    Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {reason}");
        }
        foreach (var (_, reason) in run.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs))
            Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"output: {reason}");
    }

    [Fact]
    public void EditToTheModelRegeneratesIt()
    {
        CSharpCompilation first = GeneratorHarness.Compile(Model, Unrelated);
        GeneratorDriver driver = GeneratorHarness.Driver().RunGenerators(first);
        SyntaxTree old = first.SyntaxTrees.Single(t => t.FilePath == "Model0.cs");
        CSharpCompilation second = first.ReplaceSyntaxTree(old,
            CSharpSyntaxTree.ParseText(Model.Replace("Dense(5", "Dense(7"), GeneratorHarness.ParseOptions, path: "Model0.cs"));
        GeneratorRunResult run = driver.RunGenerators(second).GetRunResult().Results.Single();
        Assert.Contains(run.TrackedSteps[FishLegGenerator.Steps.Models].SelectMany(s => s.Outputs),
            output => output.Reason == IncrementalStepRunReason.Modified);
    }

    [Fact]
    public void SameInputGivesByteIdenticalOutputUnderAnyCulture()
    {
        string Generate()
        {
            var (run, _) = GeneratorHarness.Run(Model);
            return string.Concat(run.GeneratedSources.Select(s => s.HintName + "\n" + s.SourceText));
        }

        string reference = Generate();
        CultureInfo saved = CultureInfo.CurrentCulture;
        try
        {
            // A culture that writes 0.5 as "0,5" would break an emitter that formats numbers with the current culture.
            var comma = (CultureInfo)CultureInfo.InvariantCulture.Clone();
            comma.NumberFormat.NumberDecimalSeparator = ",";
            comma.NumberFormat.NumberGroupSeparator = ".";
            CultureInfo.CurrentCulture = comma;
            Assert.Equal(reference, Generate());
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }
        Assert.Contains("Sigma = (float)0.5d", reference);
    }

    [Fact]
    public void SpecsHoldNoRoslynObjects()
    {
        foreach (Type type in new[] { typeof(ModelSpec), typeof(LayerSpec) })
            foreach (FieldInfo field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
                Assert.False(typeof(ISymbol).IsAssignableFrom(field.FieldType) || typeof(Compilation).IsAssignableFrom(field.FieldType)
                    || typeof(SyntaxNode).IsAssignableFrom(field.FieldType) || field.FieldType == typeof(Location),
                    $"{type.Name}.{field.Name} holds a {field.FieldType.Name}");
    }

    /// <summary>
    /// A diagnostic points into the compilation's own syntax tree (a source location), which is what lets
    /// <c>#pragma warning disable</c> and the IDE find it; a location rebuilt from a path and a span would not.
    /// </summary>
    [Fact]
    public void DiagnosticsKeepTheirSourceLocation()
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(Model.Replace("public partial class", "public class"));
        GeneratorRunResult run = GeneratorHarness.Driver().RunGenerators(compilation).GetRunResult().Results.Single();
        Diagnostic diagnostic = Assert.Single(run.Diagnostics);
        Assert.True(diagnostic.Location.IsInSource);
        Assert.Same(compilation.SyntaxTrees.Single(), diagnostic.Location.SourceTree);
    }

    /// <summary>The reason every tracked step reports for each output, in a scenario, as "step: reasons" lines.</summary>
    private static string[] Reasons(GeneratorRunResult run) =>
        Steps.Select(step => $"{step}: " + string.Join(",", run.TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason))).ToArray();

    private const string Second = """
        using FishLeg;
        namespace Demo;
        [FishLegModel(3, Likelihood.Bernoulli)]
        [Dense(4)]
        public partial class Other;
        """;

    public static TheoryData<string, string[]> Scenarios => new()
    {
        // The transform re-runs on the edited tree and yields an equal result, so nothing downstream runs.
        { "comment added to the model's file", [$"{FishLegGenerator.Steps.Parse}: Unchanged", $"{FishLegGenerator.Steps.Models}: Cached", $"{FishLegGenerator.Steps.Diagnostics}: Cached"] },
        { "a layer changed", [$"{FishLegGenerator.Steps.Parse}: Modified", $"{FishLegGenerator.Steps.Models}: Modified", $"{FishLegGenerator.Steps.Diagnostics}: Unchanged"] },
        // The first model's transform runs again (the compilation changed) and finds it unchanged; only the new one is emitted.
        { "a second model added", [$"{FishLegGenerator.Steps.Parse}: Unchanged,New", $"{FishLegGenerator.Steps.Models}: Cached,New", $"{FishLegGenerator.Steps.Diagnostics}: Cached,New"] },
        { "the model made invalid", [$"{FishLegGenerator.Steps.Parse}: Modified", $"{FishLegGenerator.Steps.Models}: Removed", $"{FishLegGenerator.Steps.Diagnostics}: Modified"] },
    };

    /// <summary>Each scenario's run reasons, step by step (the practice of Mapperly's incremental tests).</summary>
    [Theory]
    [MemberData(nameof(Scenarios))]
    public void EachEditRerunsExactlyTheStepsItShould(string scenario, string[] expected)
    {
        CSharpCompilation first = GeneratorHarness.Compile(Model, Unrelated);
        GeneratorDriver driver = GeneratorHarness.Driver().RunGenerators(first);
        SyntaxTree model = first.SyntaxTrees.Single(t => t.FilePath == "Model0.cs");
        SyntaxTree Edited(string text) => CSharpSyntaxTree.ParseText(text, GeneratorHarness.ParseOptions, path: "Model0.cs");
        CSharpCompilation second = scenario switch
        {
            "comment added to the model's file" => first.ReplaceSyntaxTree(model, Edited(Model + "\n// a note\n")),
            "a layer changed" => first.ReplaceSyntaxTree(model, Edited(Model.Replace("Dense(5", "Dense(7"))),
            "a second model added" => first.AddSyntaxTrees(CSharpSyntaxTree.ParseText(Second, GeneratorHarness.ParseOptions, path: "Model2.cs")),
            _ => first.ReplaceSyntaxTree(model, Edited(Model.Replace("Dense(5", "Dense(0"))),
        };
        GeneratorRunResult run = driver.RunGenerators(second).GetRunResult().Results.Single();
        Assert.Equal(expected, Reasons(run));
    }

    [Theory]
    [InlineData(typeof(Activation), typeof(ActivationKind))]
    [InlineData(typeof(Likelihood), typeof(LikelihoodKind))]
    [InlineData(typeof(Precision), typeof(PrecisionKind))]
    [InlineData(typeof(QForm), typeof(QFormKind))]
    public void GeneratorEnumsMirrorTheRuntimeEnums(Type runtime, Type mirror)
    {
        Assert.Equal(Enum.GetNames(runtime), Enum.GetNames(mirror));
        Assert.Equal(Enum.GetValuesAsUnderlyingType(runtime).Cast<int>().ToArray(), Enum.GetValuesAsUnderlyingType(mirror).Cast<int>().ToArray());
    }
}
