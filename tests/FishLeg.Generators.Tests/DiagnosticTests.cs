using System;
using System.IO;
using System.Linq;
using System.Reflection;
using FishLeg.Generators.Diagnostics;
using Microsoft.CodeAnalysis;
using Xunit;

namespace FishLeg.Generators.Tests;

/// <summary>
/// Each diagnostic ID on a declaration that triggers it: the right ID, at the offending attribute or argument, no
/// generated code, and no compiler error beyond it (a bad declaration never yields code that fails to compile).
/// </summary>
public class DiagnosticTests
{
    private static void AssertSingle(string source, string id, string flaggedText, string messagePart)
    {
        var (run, errors) = GeneratorHarness.Run(source);
        Assert.Empty(errors);
        Assert.Empty(run.GeneratedSources);
        Diagnostic diagnostic = Assert.Single(run.Diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal("Model0.cs", diagnostic.Location.GetLineSpan().Path);
        Assert.Equal(flaggedText, source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length));
        Assert.Contains(messagePart, diagnostic.GetMessage());
        Assert.Equal($"{DiagnosticDescriptors.HelpPage}#{id.ToLowerInvariant()}", diagnostic.Descriptor.HelpLinkUri);
    }

    /// <summary>Every descriptor's help link lands on a heading of docs/diagnostics.md, and the README's table links there.</summary>
    [Fact]
    public void EveryDiagnosticHasAHelpPageHeading()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "FishLeg.Gen.sln"))) root = Path.GetDirectoryName(root)!;
        string[] headings = File.ReadAllLines(Path.Combine(root, "docs", "diagnostics.md")).Where(l => l.StartsWith("## ")).ToArray();
        string readme = File.ReadAllText(Path.Combine(root, "README.md"));
        var descriptors = typeof(DiagnosticDescriptors).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => f.GetValue(null)).OfType<DiagnosticDescriptor>().ToList();
        Assert.Equal(15, descriptors.Count);
        foreach (DiagnosticDescriptor descriptor in descriptors)
        {
            Assert.Equal($"{DiagnosticDescriptors.HelpPage}#{descriptor.Id.ToLowerInvariant()}", descriptor.HelpLinkUri);
            Assert.Contains("## " + descriptor.Id, headings);
            Assert.Contains($"| [{descriptor.Id}](docs/diagnostics.md#{descriptor.Id.ToLowerInvariant()}) |", readme);
        }
    }

    [Fact]
    public void FLG0001_ClassNotPartial() => AssertSingle("""
        using FishLeg;
        [FishLegModel(4, Likelihood.Gaussian)]
        [Dense(2)]
        public class Net { }
        """, "FLG0001", "Net", "add the 'partial' modifier");

    [Fact]
    public void FLG0002_NoLayers() => AssertSingle("""
        using FishLeg;
        [FishLegModel(4, Likelihood.Gaussian)]
        public partial class Net;
        """, "FLG0002", "FishLegModel(4, Likelihood.Gaussian)", "declares no layers");

    [Fact]
    public void FLG0003_NonPositiveInputs() => AssertSingle("""
        using FishLeg;
        [FishLegModel(0, Likelihood.Gaussian)]
        [Dense(2)]
        public partial class Net;
        """, "FLG0003", "0", "Inputs of model 'Net' is 0");

    [Fact]
    public void FLG0003_NonPositiveUnits() => AssertSingle("""
        using FishLeg;
        [FishLegModel(4, Likelihood.Gaussian)]
        [Dense(8, Activation.Relu)]
        [Dense(units: -3)]
        public partial class Net;
        """, "FLG0003", "units: -3", "Units of layer 2 of model 'Net' is -3");

    [Fact]
    public void FLG0004_CategoricalWithOneOutput() => AssertSingle("""
        using FishLeg;
        [FishLegModel(4, Likelihood.Categorical)]
        [Dense(8, Activation.Relu)]
        [Dense(1)]
        public partial class Net;
        """, "FLG0004", "Likelihood.Categorical", "needs at least 2 classes, but the last layer has 1 unit(s)");

    [Fact]
    public void FLG0005_GenericClass() => AssertSingle("""
        using FishLeg;
        [FishLegModel(4, Likelihood.Gaussian)]
        [Dense(2)]
        public partial class Net<T>;
        """, "FLG0005", "Net", "generic classes are not supported");

    [Fact]
    public void FLG0005_NestedClass() => AssertSingle("""
        using FishLeg;
        public partial class Outer
        {
            [FishLegModel(4, Likelihood.Gaussian)]
            [Dense(2)]
            public partial class Net;
        }
        """, "FLG0005", "Net", "nested classes are not supported");

    [Fact]
    public void FLG0005_LayersOnAnotherPartialDeclaration()
    {
        var (run, errors) = GeneratorHarness.Run("""
            using FishLeg;
            [FishLegModel(4, Likelihood.Gaussian)]
            [Dense(3)]
            public partial class Net;
            """, """
            using FishLeg;
            [Dense(2)]
            public partial class Net;
            """);
        Assert.Empty(errors);
        Assert.Empty(run.GeneratedSources);
        Diagnostic diagnostic = Assert.Single(run.Diagnostics);
        Assert.Equal("FLG0005", diagnostic.Id);
        Assert.Equal("Model1.cs", diagnostic.Location.GetLineSpan().Path);
        Assert.Contains("must be on the same declaration as [FishLegModel]", diagnostic.GetMessage());
    }

    [Fact]
    public void FLG0005_TooManyParameters() => AssertSingle("""
        using FishLeg;
        [FishLegModel(100000, Likelihood.Gaussian)]
        [Dense(100000)]
        public partial class Net;
        """, "FLG0005", "FishLegModel(100000, Likelihood.Gaussian)", "it has 10000100000 parameters");

    [Fact]
    public void FLG0005_InputsAtTheIntegerLimit() => AssertSingle("""
        using FishLeg;
        [FishLegModel(int.MaxValue, Likelihood.Gaussian)]
        [Dense(1)]
        public partial class Net;
        """, "FLG0005", "FishLegModel(int.MaxValue, Likelihood.Gaussian)", "it has 2147483648 parameters, more than the 2147483591");

    [Fact]
    public void FLG0005_ParameterCountBeyondALong() => AssertSingle("""
        using FishLeg;
        [FishLegModel(20, Likelihood.Categorical)]
        [Dense(int.MaxValue)]
        [Dense(int.MaxValue)]
        [Dense(int.MaxValue)]
        public partial class Net;
        """, "FLG0005", "FishLegModel(20, Likelihood.Categorical)", "it has 9223372077656965099 parameters");

    /// <summary>A type named FishLeg in the global namespace, in another file, would break the generated code: reported instead.</summary>
    [Fact]
    public void FLG0005_AGlobalTypeHidesTheFishLegNamespace()
    {
        var (run, _, generated) = GeneratorHarness.RunAll("""
            namespace FishLeg.Models
            {
                [FishLegModel(4, Likelihood.Gaussian)]
                [Dense(2)]
                public partial class Net;
            }
            """, "public class FishLeg { }");
        Assert.Empty(run.GeneratedSources);
        Assert.Empty(generated);
        Diagnostic diagnostic = Assert.Single(run.Diagnostics);
        Assert.Equal("FLG0005", diagnostic.Id);
        Assert.Contains("a type named 'FishLeg' in the global namespace hides the namespace the generated code uses", diagnostic.GetMessage());
    }

    [Fact]
    public void FLG0006_NonPositiveSigma() => AssertSingle("""
        using FishLeg;
        [FishLegModel(4, Likelihood.Gaussian, Sigma = -0.5)]
        [Dense(2)]
        public partial class Net;
        """, "FLG0006", "Sigma = -0.5", "Sigma of model 'Net' is -0.5");

    [Fact]
    public void FLG0007_UndefinedActivation() => AssertSingle("""
        using FishLeg;
        [FishLegModel(4, Likelihood.Gaussian)]
        [Dense(2, (Activation)42)]
        public partial class Net;
        """, "FLG0007", "(Activation)42", "Activation of layer 1 of model 'Net' is 42");

    [Fact]
    public void FLG0007_UndefinedLayerQForm() => AssertSingle("""
        using FishLeg;
        [FishLegModel(4, Likelihood.Gaussian)]
        [Dense(2, QForm = (QForm)9)]
        public partial class Net;
        """, "FLG0007", "QForm = (QForm)9", "QForm of layer 1 of model 'Net' is 9");

    [Theory]
    [InlineData("[Conv2d(0, kernel: 3)]", "0", "Channels of layer 1 ([Conv2d]) of model 'Net' is 0; it must be at least 1")]
    [InlineData("[Conv2d(4, kernel: -1)]", "kernel: -1", "Kernel of layer 1 ([Conv2d]) of model 'Net' is -1")]
    [InlineData("[Conv2d(4, 3, padding: -2)]", "padding: -2", "Padding of layer 1 ([Conv2d]) of model 'Net' is -2; it must be at least 0")]
    [InlineData("[Conv2d(4, 3, Stride = 0)]", "Stride = 0", "Stride of layer 1 ([Conv2d]) of model 'Net' is 0")]
    [InlineData("[MaxPool2d(0)]", "0", "Size of layer 1 ([MaxPool2d]) of model 'Net' is 0")]
    [InlineData("[AvgPool2d(2, Stride = -1)]", "Stride = -1", "Stride of layer 1 ([AvgPool2d]) of model 'Net' is -1")]
    public void FLG0003_SpatialSizeOutOfRange(string layer, string flagged, string messagePart) => AssertSingle($$"""
        using FishLeg;
        [FishLegModel(1, 8, 8, Likelihood.Gaussian)]
        {{layer}}
        [Dense(2)]
        public partial class Net;
        """, "FLG0003", flagged, messagePart);

    [Fact]
    public void FLG0003_InputShape() => AssertSingle("""
        using FishLeg;
        [FishLegModel(3, height: 0, 8, Likelihood.Gaussian)]
        [Dense(2)]
        public partial class Net;
        """, "FLG0003", "height: 0", "Input height of model 'Net' is 0");

    [Fact]
    public void FLG0010_SpatialLayerAfterDense() => AssertSingle("""
        using FishLeg;
        [FishLegModel(1, 8, 8, Likelihood.Gaussian)]
        [Dense(16, Activation.Relu)]
        [Conv2d(4, kernel: 3)]
        [Dense(2)]
        public partial class Net;
        """, "FLG0010", "Conv2d(4, kernel: 3)", "Layer 2 ([Conv2d]) of model 'Net' follows a dense layer");

    [Fact]
    public void FLG0010_LastLayerNotDense() => AssertSingle("""
        using FishLeg;
        [FishLegModel(1, 8, 8, Likelihood.Gaussian)]
        [Conv2d(4, kernel: 3)]
        [MaxPool2d(2)]
        public partial class Net;
        """, "FLG0010", "MaxPool2d(2)", "The last layer of model 'Net' is a convolution or pooling layer");

    [Theory]
    [InlineData("[LayerNorm]\n[Dense(4)]", "LayerNorm", "Layer 1 ([LayerNorm]) of model 'Net' comes first; it normalizes the features of a dense layer")]
    [InlineData("[Dense(4)]\n[LayerNorm]\n[LayerNorm(Activation.Tanh)]\n[Dense(2)]", "LayerNorm(Activation.Tanh)", "follows a [LayerNorm] layer")]
    [InlineData("[Dense(4)]\n[LayerNorm]", "LayerNorm", "The last layer of model 'Net' is a layer normalization; end the model with a [Dense] layer")]
    public void FLG0010_LayerNormOutOfPlace(string layers, string flagged, string messagePart) => AssertSingle($$"""
        using FishLeg;
        [FishLegModel(4, Likelihood.Gaussian)]
        {{layers}}
        public partial class Net;
        """, "FLG0010", flagged, messagePart);

    [Fact]
    public void FLG0010_LayerNormAfterAConvolution() => AssertSingle("""
        using FishLeg;
        [FishLegModel(1, 8, 8, Likelihood.Gaussian)]
        [Conv2d(4, kernel: 3)]
        [LayerNorm]
        [Dense(2)]
        public partial class Net;
        """, "FLG0010", "LayerNorm", "Layer 2 ([LayerNorm]) of model 'Net' follows a [Conv2d] layer");

    [Theory]
    [InlineData("0", "Single", "Epsilon = 0", "is 0; it is added to a variance in float, so it must be a normal float number, from 1.18E-38 to 3.4E+38")]
    [InlineData("-1e-5", "Single", "Epsilon = -1e-5", "is -1E-05")]
    [InlineData("double.NaN", "Double", "Epsilon = double.NaN", "is NaN; it is added to a variance in double")]
    [InlineData("double.PositiveInfinity", "Double", "Epsilon = double.PositiveInfinity", "is Infinity")]
    [InlineData("1e-40", "Single", "Epsilon = 1e-40", "a normal float number")]
    [InlineData("1e39", "Single", "Epsilon = 1e39", "from 1.18E-38 to 3.4E+38")]
    public void FLG0012_EpsilonOutOfRange(string epsilon, string precision, string flagged, string messagePart) => AssertSingle($$"""
        using FishLeg;
        [FishLegModel(4, Likelihood.Gaussian, Precision = Precision.{{precision}})]
        [Dense(3)]
        [LayerNorm(Epsilon = {{epsilon}})]
        [Dense(2)]
        public partial class Net;
        """, "FLG0012", flagged, messagePart);

    [Theory]
    [InlineData("[Dense(3, ActivationFunction = \"Swish\")]", "ActivationFunction = \"Swish\"", "is 'Swish', but the class has no [Elementwise] method of that name")]
    [InlineData("[Dense(3, ActivationFunction = nameof(Helper))]", "ActivationFunction = nameof(Helper)", "is 'Helper', but the class has no [Elementwise] method of that name")]
    [InlineData("[Dense(3, Activation.Tanh, ActivationFunction = nameof(F))]", "ActivationFunction = nameof(F)", "the layer also sets Activation = Tanh; give one or the other")]
    [InlineData("[Conv2d(2, kernel: 1, ActivationFunction = \"G\")]", "ActivationFunction = \"G\"", "is 'G', but the class has no [Elementwise] method")]
    public void FLG0013_UnknownActivationFunction(string layer, string flagged, string messagePart) => AssertSingle($$"""
        using System;
        using FishLeg;
        [FishLegModel(1, 2, 2, Likelihood.Gaussian)]
        {{layer}}
        [Dense(2)]
        public partial class Net
        {
            [Elementwise] static double F(double x) => x * x;
            static double Helper(double x) => x;
        }
        """, "FLG0013", flagged, messagePart);

    [Theory]
    [InlineData("[Elementwise] double F(double x) => x;", "must be 'static double Name(double x)'")]
    [InlineData("[Elementwise] static float F(float x) => x;", "must be 'static double Name(double x)'")]
    [InlineData("[Elementwise] static double F(double x, double y) => x;", "must be 'static double Name(double x)'")]
    [InlineData("[Elementwise] static double F(ref double x) => x;", "must be 'static double Name(double x)'")]
    [InlineData("[Elementwise] static double F(double x) { double y = x; return y; }", "must have one expression as its body")]
    [InlineData("[Elementwise] static double F(double x) { if (x > 0) return x; return 0; }", "must have one expression as its body")]
    public void FLG0014_UnsupportedElementwiseMethod(string method, string messagePart) => AssertSingle($$"""
        using System;
        using FishLeg;
        [FishLegModel(4, Likelihood.Gaussian)]
        [Dense(3, ActivationFunction = nameof(F))]
        [Dense(2)]
        public partial class Net
        {
            {{method}}
        }
        """, "FLG0014", "F", messagePart);

    [Fact]
    public void FLG0014_ElementwiseMethodInAnotherDeclaration()
    {
        var (run, errors) = GeneratorHarness.Run("""
            using FishLeg;
            [FishLegModel(4, Likelihood.Gaussian)]
            [Dense(3, ActivationFunction = nameof(F))]
            [Dense(2)]
            public partial class Net;
            """, """
            using FishLeg;
            public partial class Net
            {
                [Elementwise] static double F(double x) => x * x;
            }
            """);
        Assert.Empty(errors);
        Assert.Empty(run.GeneratedSources);
        Diagnostic diagnostic = Assert.Single(run.Diagnostics);
        Assert.Equal("FLG0014", diagnostic.Id);
        Assert.Equal("Model1.cs", diagnostic.Location.GetLineSpan().Path);
        Assert.Contains("must be declared in the class declaration that carries [FishLegModel]", diagnostic.GetMessage());
    }

    [Theory]
    [InlineData("x * Scale", "Scale", "it reads a variable, field or property")]
    [InlineData("x * Field", "Field", "it reads a variable, field or property")]
    [InlineData("Math.Sin(x)", "Math.Sin(x)", "only Math.Exp, Log, Tanh, Sqrt, Abs, Pow (constant exponent)")]
    [InlineData("Helper(x)", "Helper(x)", "the class's other [Elementwise] methods can be called")]
    [InlineData("Math.Pow(x, x)", "x", "Math.Pow needs a constant exponent")]
    [InlineData("Math.Max(x, x * x)", "Math.Max(x, x * x)", "Math.Max needs one constant argument")]
    [InlineData("x == 0 ? 1 : x", "x == 0", "a condition must compare an expression of the argument with a constant")]
    [InlineData("x < x * x ? 1 : x", "x < x * x", "a condition must compare an expression of the argument with a constant")]
    [InlineData("(float)x", "(float)x", "an activation is one expression of its argument and constants")]
    [InlineData("x % 2", "x % 2", "an activation is one expression of its argument and constants")]
    [InlineData("F(x) + 1", "F(x)", "'F' calls itself (through F)")]
    [InlineData("G(x)", "F(x)", "'F' calls itself (through F → G)")]
    public void FLG0015_UnsupportedElementwiseSyntax(string body, string flagged, string messagePart) => AssertSingle($$"""
        using System;
        using FishLeg;
        [FishLegModel(4, Likelihood.Gaussian)]
        [Dense(3, ActivationFunction = nameof(F))]
        [Dense(2)]
        public partial class Net
        {
            private static readonly double Scale = 2;
            private static double Field = 1;
            static double Helper(double x) => x;
            [Elementwise] static double F(double x) => {{body}};
            [Elementwise] static double G(double x) => 1 + F(x);
        }
        """, "FLG0015", flagged, messagePart);

    [Theory]
    [InlineData("[Conv2d(4, kernel: 8, padding: 1)]", "kernel: 8", "the 8×8 window is larger than its padded input (its input is 1×5×6, 7×8 padded)")]
    [InlineData("[MaxPool2d(6)]", "6", "the 6×6 window is larger than its input (its input is 1×5×6)")]
    [InlineData("[AvgPool2d(2)]", "AvgPool2d(2)", "windows of 2 every 2 do not tile the input (its input is 1×5×6)")]
    [InlineData("[MaxPool2d(3, Stride = 2)]", "MaxPool2d(3, Stride = 2)", "windows of 3 every 2 do not tile the input")]
    public void FLG0011_WindowDoesNotFit(string layer, string flagged, string messagePart) => AssertSingle($$"""
        using FishLeg;
        [FishLegModel(1, 5, 6, Likelihood.Gaussian)]
        {{layer}}
        [Dense(2)]
        public partial class Net;
        """, "FLG0011", flagged, messagePart);

    [Theory]
    [InlineData("public int Loss;", "Loss", "a name the generator gives to its own method")]
    [InlineData("public static void Predict() { }", "Predict", "its own method")]
    [InlineData("private double ParameterCount => 1;", "ParameterCount", "its own constant")]
    [InlineData("public const double Sigma = 2;", "Sigma", "its own constant")]
    [InlineData("private int __x;", "__x", "names starting with '__' are reserved")]
    [InlineData("private class Description { }", "Description", "its own property")]
    public void FLG0008_MemberWithAGeneratedName(string member, string flagged, string messagePart) => AssertSingle($$"""
        using FishLeg;
        [FishLegModel(4, Likelihood.Gaussian)]
        [Dense(2)]
        public partial class Net
        {
            {{member}}
        }
        """, "FLG0008", flagged, messagePart);

    [Fact]
    public void UserMembersWithOtherNamesAreFine()
    {
        var (run, errors) = GeneratorHarness.Run("""
            using FishLeg;
            [FishLegModel(4, Likelihood.Bernoulli)]
            [Dense(2)]
            public partial class Net
            {
                private int _x, _parameters;
                private void Forward() { }
                public double Sigma => 1; // no Sigma is generated for a Bernoulli model
                static Net() { }
            }
            """);
        Assert.Empty(errors);
        Assert.Empty(run.Diagnostics);
        Assert.Single(run.GeneratedSources);
    }

    [Theory]
    [InlineData("public partial class Loss;", "Loss", "its name is the name of a member the generator adds")]
    [InlineData("public partial class Net(int size);", "(int size)", "primary constructors are not supported")]
    [InlineData("public partial class Net { public Net(int maxBatchSize, ulong seed) { } }", "Net", "it declares a constructor")]
    [InlineData("public partial class Net : Base; public class Base { }", "Base", "it derives from 'Base'")]
    [InlineData("file partial class Net;", "Net", "file-local classes are not supported")]
    public void FLG0005_ShapesTheGeneratorCannotServe(string declaration, string flagged, string messagePart)
    {
        string source = $$"""
            using FishLeg;
            [FishLegModel(4, Likelihood.Gaussian)]
            [Dense(2)]
            {{declaration}}
            """;
        var (run, errors) = GeneratorHarness.Run(source);
        Assert.Empty(run.GeneratedSources);
        Diagnostic diagnostic = Assert.Single(run.Diagnostics);
        Assert.Equal("FLG0005", diagnostic.Id);
        Assert.Equal(flagged, source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length));
        Assert.Contains(messagePart, diagnostic.GetMessage());
        Assert.All(errors, e => Assert.Equal("CS7036", e.Id)); // a base class without a parameterless constructor is the user's own error too
    }

    [Theory]
    [InlineData("Sigma = 1e-300", "Single", "Sigma of model 'Net' is 1E-300, but a float model computes with σ², which float holds only for σ from 1.08E-19 to 1.84E+19")]
    [InlineData("Sigma = 1e300", "Single", "Sigma of model 'Net' is 1E+300, but a float model")]
    [InlineData("Sigma = 1e-160", "Double", "a double model computes with σ², which double holds only for σ from 1.49E-154")]
    public void FLG0009_SigmaOutsideTheElementType(string sigma, string precision, string messagePart) => AssertSingle($$"""
        using FishLeg;
        [FishLegModel(4, Likelihood.Gaussian, Precision = Precision.{{precision}}, {{sigma}})]
        [Dense(2)]
        public partial class Net;
        """, "FLG0009", sigma, messagePart);

    [Fact]
    public void KeywordNamesCaseTwinsAndEscapedNamespacesAllGenerate()
    {
        var (run, errors) = GeneratorHarness.Run("""
            using FishLeg;
            namespace @internal.@class
            {
                [FishLegModel(4, Likelihood.Gaussian)]
                [Dense(2)]
                public partial class @class;

                [FishLegModel(4, Likelihood.Gaussian)]
                [Dense(2)]
                public partial class Net;

                [FishLegModel(4, Likelihood.Gaussian)]
                [Dense(2)]
                public partial class NET;
            }
            """, """
            using FishLeg;
            [FishLegModel(3, Likelihood.Categorical)]
            [Dense(2)]
            partial class var;
            """);
        Assert.Empty(errors);
        Assert.Empty(run.Diagnostics);
        Assert.Equal(4, run.GeneratedSources.Length);
        Assert.Equal(4, run.GeneratedSources.Select(s => s.HintName.ToUpperInvariant()).Distinct().Count());
    }

    [Fact]
    public void SeveralProblemsAreAllReported()
    {
        var (run, _) = GeneratorHarness.Run("""
            using FishLeg;
            [FishLegModel(0, Likelihood.Categorical, Sigma = 0)]
            [Dense(0)]
            public class Net { }
            """);
        Assert.Empty(run.GeneratedSources);
        Assert.Equal(new[] { "FLG0001", "FLG0003", "FLG0003", "FLG0006" }, run.Diagnostics.Select(d => d.Id).OrderBy(id => id));
    }

    [Fact]
    public void ValidModelBesideAnInvalidOneIsStillGenerated()
    {
        var (run, errors) = GeneratorHarness.Run("""
            using FishLeg;
            [FishLegModel(4, Likelihood.Gaussian)]
            [Dense(2)]
            public partial class Good;

            [FishLegModel(4, Likelihood.Gaussian)]
            public partial class Bad;
            """);
        Assert.Empty(errors);
        Assert.Matches(@"^Good\.[0-9a-f]{8}\.g\.cs$", Assert.Single(run.GeneratedSources).HintName);
        Assert.Equal("FLG0002", Assert.Single(run.Diagnostics).Id);
    }

    [Fact]
    public void UnboundAttributeArgumentsLeaveOnlyTheCompilerError()
    {
        var (run, errors) = GeneratorHarness.Run("""
            using FishLeg;
            [FishLegModel(4, Likelihood.Gaussian)]
            [Dense("wide")]
            public partial class Net;
            """);
        Assert.NotEmpty(errors);
        Assert.Empty(run.Diagnostics);
        Assert.Empty(run.GeneratedSources);
    }
}
