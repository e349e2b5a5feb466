using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using CsCheck;
using Microsoft.CodeAnalysis;
using Xunit;

namespace FishLeg.Generators.Tests;

/// <summary>
/// Random declarations, odd ones included, through the generator: it never throws, and each compilation either gets an
/// FLG error or generated code that adds no error, has no diagnostic of its own and no line over 160 characters. (A
/// declaration that is already a compiler error, such as a class named 'scoped', keeps exactly that error.)
/// </summary>
public class PropertyTests
{
    /// <summary>One layer as written in source: [Dense], a convolution, pooling or layer normalization (<paramref name="Kind"/>).</summary>
    public sealed record Layer(string Units, string Activation, string? Bias, string? QForm, string Kind = "Dense",
        string Kernel = "1", string Padding = "0", string? Stride = null, string? Epsilon = null, string? Function = null)
    {
        public override string ToString()
        {
            var arguments = Kind switch
            {
                "Dense" => new List<string> { Units, Activation },
                "Conv2d" => [Units, Kernel, Padding, Activation],
                "LayerNorm" => [Activation],
                _ => [Kernel],
            };
            if (Epsilon is not null) arguments.Add($"Epsilon = {Epsilon}");
            if (Function is not null && Kind is "Dense" or "Conv2d" or "LayerNorm") arguments.Add($"ActivationFunction = {Function}");
            if (Stride is not null) arguments.Add($"Stride = {Stride}");
            if (Kind is "Dense" or "Conv2d")
            {
                if (Bias is not null) arguments.Add($"Bias = {Bias}");
                if (QForm is not null) arguments.Add($"QForm = {QForm}");
            }
            return $"[{Kind}({string.Join(", ", arguments)})]";
        }
    }

    /// <summary>One [FishLegModel] class and what surrounds it.</summary>
    public sealed record Model(
        string Name, string Modifiers, string Kind, bool Generic, string? PrimaryConstructor, string? BaseClass,
        string Inputs, string Likelihood, string? Sigma, string? Precision, string? QForm, Layer[] Layers, string[] Members)
    {
        public string Render()
        {
            var named = new List<string>();
            if (Sigma is not null) named.Add($"Sigma = {Sigma}");
            if (Precision is not null) named.Add($"Precision = {Precision}");
            if (QForm is not null) named.Add($"QForm = {QForm}");
            var text = new StringBuilder();
            // Inputs is a size, or "(channels, height, width)" for an image.
            string shape = Inputs.StartsWith('(') ? Inputs[1..^1] : Inputs;
            text.AppendLine($"[FishLegModel({string.Join(", ", new[] { shape, Likelihood }.Concat(named))})]");
            foreach (Layer layer in Layers) text.AppendLine(layer.ToString());
            string bare = Name.TrimStart('@');
            text.Append($"{Modifiers} {Kind} {Name}{(Generic ? "<T>" : "")}{PrimaryConstructor}{(BaseClass is null ? "" : " : " + BaseClass)}");
            text.AppendLine(" {");
            foreach (string member in Members) text.AppendLine("    " + member.Replace("NAME", Name).Replace("BARE", bare));
            text.AppendLine("}");
            return text.ToString();
        }
    }

    /// <summary>A compilation: one or two models in namespaces, base classes they may derive from.</summary>
    public sealed record Case(string? Namespace, bool FileScoped, bool Nested, Model First, Model? Second, string? SecondNamespace)
    {
        public string[] Sources()
        {
            string Wrap(string? ns, string body, bool fileScoped, bool nested)
            {
                if (nested) body = "public partial class Outer\n{\n" + body + "}\n";
                string usings = "using FishLeg;\nusing System;\n";
                if (ns is null) return usings + body;
                return fileScoped ? $"{usings}namespace {ns};\n{body}" : $"{usings}namespace {ns}\n{{\n{body}}}\n";
            }
            const string bases = "public class Base { }\npublic class NeedsArgument { public NeedsArgument(int size) { } }\n";
            var sources = new List<string> { Wrap(Namespace, First.Render(), FileScoped, Nested), bases };
            if (Second is not null) sources.Add(Wrap(SecondNamespace, Second.Render(), fileScoped: false, nested: false));
            return sources.ToArray();
        }

        public override string ToString() => string.Join("\n// ---- next file ----\n", Sources());
    }

    private static readonly Gen<string> Identifier = Gen.Frequency(
        (6, Gen.OneOf("Net", "NET", "net", "Model", "Autoencoder", "Модель", "Réseau", "Ünïcode_2", "_Hidden", "N")),
        (3, Gen.OneOf("@class", "@int", "@internal", "@namespace", "var", "nameof", "dynamic", "async", "await", "value",
            "global", "unmanaged", "notnull", "when", "where", "partial", "record", "field", "scoped", "required", "file", "args")),
        (3, Gen.OneOf("Loss", "Sigma", "Description", "Forward", "Backward", "Predict", "ParameterCount", "InputCount",
            "Parameters", "Gradient", "__x", "__Forward", "T", "Span", "FishLeg", "Math", "System", "Outer", "Base", "SeededRandom")),
        (2, Gen.Select(Gen.Char['a', 'z'], Gen.String[Gen.Char["abcXYZ019_"], 0, 6], (c, rest) => c + rest)));

    private static readonly Gen<string> Namespace = Gen.OneOf(
        "Models", "Samples.Vision", "@internal.Models", "@class.@int", "Données.Modèles", "FishLeg.User", "System.Mine", "Net");

    private static readonly Gen<string> Size = Gen.Frequency(
        (8, Gen.Int[1, 40].Select(i => i.ToString())),
        (2, Gen.OneOf("0", "-1", "-5", "int.MaxValue", "int.MinValue", "100000", "50000", "784", "46341", "2147483647 / 2")));

    private static Gen<string> Enum(string type, params string[] names) => Gen.Frequency(
        (9, Gen.OneOf(names.Select(n => $"{type}.{n}").ToArray())),
        (1, Gen.Int[-3, 12].Select(i => $"({type})({i})")));

    private static readonly Gen<string> Activation = Enum("Activation", "Identity", "Relu", "Tanh", "Sigmoid", "Softplus", "GeluTanh");
    private static readonly Gen<string> Likelihood = Enum("Likelihood", "Gaussian", "Bernoulli", "Categorical");
    private static readonly Gen<string> Precision = Enum("Precision", "Single", "Double");
    private static readonly Gen<string> QForm = Enum("QForm", "KroneckerTriangular", "KroneckerFull", "Diagonal", "OfficialRescaled", "KroneckerRescaled", "KroneckerSum");

    private static Gen<T?> Sometimes<T>(Gen<T> gen, int percent) where T : class =>
        Gen.Int[0, 99].SelectMany(roll => roll < percent ? gen.Select(v => (T?)v) : Gen.Const((T?)null));

    // Names of the [Elementwise] members the models may declare (Members), and one they never do.
    private static readonly Gen<string> Function = Gen.OneOf("nameof(Swish)", "nameof(Elu)", "nameof(Wave)", "nameof(Loop)", "\"Missing\"");

    private static readonly Gen<Layer> LayerGen = Gen.Select(Size, Activation, Sometimes(Gen.OneOf("true", "false"), 30), Sometimes(QForm, 20),
            Sometimes(Function, 25),
        (units, activation, bias, qForm, function) => new Layer(units, activation, bias, qForm, Function: function));

    private static readonly Gen<string> SpatialSize = Gen.Frequency(
        (12, Gen.Int[1, 9].Select(i => i.ToString())),
        (1, Gen.OneOf("0", "-1", "int.MaxValue", "46341")));

    private static readonly Gen<Layer> SpatialLayerGen =
        from kind in Gen.OneOf("Conv2d", "MaxPool2d", "AvgPool2d")
        from channels in SpatialSize
        from kernel in SpatialSize
        from padding in Gen.Frequency((6, Gen.OneOf("0", "1", "2")), (1, Gen.OneOf("-1", "5")))
        from stride in Sometimes(Gen.OneOf("1", "2", "3", "0", "-2"), 30)
        from activation in Activation
        from bias in Sometimes(Gen.OneOf("true", "false"), 30)
        from qForm in Sometimes(QForm, 20)
        select new Layer(channels, activation, bias, qForm, kind, kernel, padding, stride);

    private static readonly Gen<Layer> LayerNormGen = Gen.Select(Activation,
        Sometimes(Gen.OneOf("1e-5", "0.5", "0", "-1", "1e-40", "1e300", "double.NaN", "double.PositiveInfinity", "float.Epsilon"), 40),
        (activation, epsilon) => new Layer("0", activation, null, null, "LayerNorm", Epsilon: epsilon));

    /// <summary>Dense layers, each followed by a layer normalization now and then.</summary>
    private static readonly Gen<Layer[]> NormalizedDense =
        Gen.Select(LayerGen, Gen.Int[0, 2], LayerNormGen, (dense, roll, norm) => roll == 0 ? new[] { dense, norm } : [dense])
            .Array[1, 4].Select(groups => groups.SelectMany(group => group).ToArray());

    private static readonly Gen<Layer[]> Layers = Gen.Frequency(
        // Layer normalizations, mostly right after a dense layer, sometimes anywhere.
        (4, Gen.Select(NormalizedDense, LayerGen, (layers, last) => layers.Append(last).ToArray())),
        (1, Gen.Select(LayerGen.Array[0, 3], LayerNormGen, Gen.Int[0, 3], (dense, norm, at) => (Layer[])[.. dense[..Math.Min(at, dense.Length)], norm, .. dense[Math.Min(at, dense.Length)..]])),
        (1, Gen.Select(SpatialLayerGen.Array[1, 3], LayerNormGen, NormalizedDense, (spatial, norm, dense) => spatial.Append(norm).Concat(dense).ToArray())),
        (12, LayerGen.Array[1, 4]),
        (2, LayerGen.Array[0, 12]),
        // Convolutions and pooling, mostly before the dense layers, sometimes anywhere.
        (6, Gen.Select(SpatialLayerGen.Array[1, 4], LayerGen.Array[1, 2], (spatial, dense) => spatial.Concat(dense).ToArray())),
        (1, Gen.Select(SpatialLayerGen.Array[0, 3], LayerGen.Array[0, 3], (spatial, dense) => dense.Concat(spatial).ToArray())),
        (1, Gen.Select(Gen.Int[1, 60], Activation, (count, activation) => Enumerable.Repeat(new Layer("3", activation, null, null), count).ToArray())));

    private static readonly Gen<string> Inputs = Gen.Frequency(
        (3, Size),
        (1, Gen.Select(SpatialSize, SpatialSize, SpatialSize, (c, h, w) => $"({c}, {h}, {w})")),
        (1, Gen.Select(Gen.Int[1, 3], Gen.Int[4, 16], Gen.Int[4, 16], (c, h, w) => $"({c}, {h}, {w})")));

    private static readonly Gen<string[]> Members = Gen.OneOf(
        "private int _x;", "public int Loss;", "private void Forward() { }", "public static int InputCount = 1;", "private int __z1;",
        "public double Helper() => 1;", "static BARE() { }", "public BARE(int maxBatchSize, ulong seed) { }", "public BARE() { }",
        "private int _parameters;", "public double Sigma => 1;", "public void Predict(int x) { }", "private class Description { }",
        "public override string ToString() => \"model\";", "public int ParameterCountTimesTwo => 2 * ParameterCount;",
        "private int __guard;", "public event Action? Changed;", "private int NAMEField;",
        "[Elementwise] static double Swish(double x) => x / (1 + Math.Exp(-x));", "[Elementwise] public static double Elu(double x) => x > 0 ? x : Math.Exp(x) - 1;",
        "[Elementwise] static double Wave(double x) => Math.Sin(x);", "[Elementwise] static double Loop(double x) => Loop(x) + 1;",
        "[Elementwise] double Swish(double x) => x;").Array[0, 4];

    private static readonly Gen<Model> ModelGen =
        from name in Identifier
        from modifiers in Gen.Frequency((10, Gen.OneOf("public partial", "internal partial", "partial", "public sealed partial")),
            (2, Gen.OneOf("public", "public static partial", "public abstract partial", "file partial", "public unsafe partial")))
        from kind in Gen.Frequency((12, Gen.Const("class")), (1, Gen.OneOf("struct", "record", "record class", "record struct", "interface")))
        from generic in Gen.Int[0, 19].Select(i => i == 0)
        from primary in Sometimes(Gen.OneOf("(int size)", "()"), 5)
        from baseClass in Sometimes(Gen.OneOf("Base", "NeedsArgument", "IDisposable", "Net"), 8)
        from inputs in Inputs
        from likelihood in Likelihood
        from sigma in Sometimes(Gen.OneOf("0.5", "1.0", "-1.0", "0.0", "1e-300", "1e300", "double.NaN", "double.PositiveInfinity", "1e-30", "1e30", "3e-20", "2e19", "1e-160"), 30)
        from precision in Sometimes(Precision, 40)
        from qForm in Sometimes(QForm, 20)
        from layers in Layers
        from members in Gen.Frequency((3, Gen.Const(Array.Empty<string>())), (1, Members))
        select new Model(name, modifiers, kind, generic, primary, baseClass, inputs, likelihood, sigma, precision, qForm, layers,
            baseClass == "IDisposable" ? [.. members, "public void Dispose() { }"] : members);

    private static readonly Gen<Case> CaseGen =
        from ns in Sometimes(Namespace, 70)
        from fileScoped in Gen.Bool
        from nested in Gen.Int[0, 19].Select(i => i == 0)
        from first in ModelGen
        from second in Sometimes(ModelGen, 25)
        from twin in Gen.Int[0, 2]
        from secondNamespace in Sometimes(Namespace, 50)
        select new Case(ns, fileScoped, nested, first,
            // A third of the second models are the first one's case twin in the same namespace.
            second is null ? null : twin == 0 ? second with { Name = Flip(first.Name) } : second,
            second is not null && twin == 0 ? (fileScoped ? null : ns) : secondNamespace);

    private static string Flip(string name) =>
        new(name.Select(c => char.IsUpper(c) ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c)).ToArray());

    private static void Check(Case declaration)
    {
        var (run, newErrors, generatedDiagnostics) = GeneratorHarness.RunAll(declaration.Sources());
        bool flagged = run.Diagnostics.Any(d => d.Id.StartsWith("FLG", StringComparison.Ordinal) && d.Severity == DiagnosticSeverity.Error);
        if (flagged) return;
        foreach (GeneratedSourceResult source in run.GeneratedSources)
        {
            string? longest = source.SourceText.Lines.Select(l => l.ToString()).MaxBy(l => l.Length);
            if (longest is { Length: > 160 }) throw new Exception($"{source.HintName} has a line of {longest.Length} characters: {longest}");
        }
        if (newErrors.Length > 0 || generatedDiagnostics.Length > 0)
            throw new Exception($"No FLG error (generator reported {run.Diagnostics.Length}: {string.Join("; ", run.Diagnostics)}), yet the generated code brought diagnostics:\n" +
                string.Join("\n", newErrors.Concat(generatedDiagnostics).Distinct().Take(5)));
    }

    [Fact]
    public void EveryDeclarationGetsAnFlgErrorOrCodeThatCompilesCleanly() =>
        CaseGen.Sample(Check, iter: 2000, print: c => c.ToString());

    /// <summary>Hand-picked corners of the random space, kept as fixed regressions.</summary>
    [Theory]
    [InlineData("var", "public partial", "Likelihood.Gaussian")]
    [InlineData("nameof", "public partial", "Likelihood.Categorical")]
    [InlineData("@class", "internal partial", "Likelihood.Bernoulli")]
    [InlineData("Модель", "partial", "Likelihood.Gaussian")]
    public void OddNamesCompile(string name, string modifiers, string likelihood)
    {
        var model = new Model(name, modifiers, "class", false, null, null, "4", likelihood, null, null, null,
            [new Layer("3", "Activation.Tanh", null, null), new Layer("2", "Activation.Identity", null, null)], []);
        var (run, errors, generated) = GeneratorHarness.RunAll(new Case("@internal.Models", true, false, model, null, null).Sources());
        Assert.Empty(run.Diagnostics);
        Assert.Empty(errors);
        Assert.Empty(generated);
        Assert.Single(run.GeneratedSources);
    }
}
