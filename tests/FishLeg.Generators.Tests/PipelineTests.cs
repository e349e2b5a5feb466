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

        foreach (string step in Steps)
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
        foreach (Type type in new[] { typeof(ModelSpec), typeof(LayerSpec), typeof(ParseResult), typeof(LocationInfo) })
            foreach (FieldInfo field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
                Assert.False(typeof(ISymbol).IsAssignableFrom(field.FieldType) || typeof(Compilation).IsAssignableFrom(field.FieldType)
                    || typeof(SyntaxNode).IsAssignableFrom(field.FieldType) || field.FieldType == typeof(Location),
                    $"{type.Name}.{field.Name} holds a {field.FieldType.Name}");
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
