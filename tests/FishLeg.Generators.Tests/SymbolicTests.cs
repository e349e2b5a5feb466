using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using FishLeg.Generators.Symbolic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit;

namespace FishLeg.Generators.Tests;

/// <summary>
/// The symbolic engine (docs/activations.md): every derivative rule against central differences, a dozen activations'
/// f, f′ and f″ on a grid (piecewise ones on both sides of their kinks), the stable rewrites at ±1000, the simplifier's
/// identities, and the sharing of subexpressions between f, f′ and f″.
/// </summary>
public class SymbolicTests
{
    /// <summary>The [Elementwise] method <paramref name="name"/> of a class with the given members, parsed as the generator parses it.</summary>
    internal static (Expr? Definition, List<Diagnostic> Diagnostics) Parse(string members, string name = "F")
    {
        string source = $$"""
            using System;
            using FishLeg;
            [FishLegModel(2, Likelihood.Gaussian)]
            [Dense(1)]
            public partial class Net
            {
            {{members}}
            }
            """;
        var compilation = GeneratorHarness.Compile(source);
        SyntaxTree tree = compilation.SyntaxTrees.Single();
        var declaration = tree.GetRoot().DescendantNodes().OfType<ClassDeclarationSyntax>().Single();
        SemanticModel model = compilation.GetSemanticModel(tree);
        var type = (INamedTypeSymbol)model.GetDeclaredSymbol(declaration)!;
        var diagnostics = new List<Diagnostic>();
        var parser = new ElementwiseParser(type, declaration, model,
            (descriptor, location, args) => diagnostics.Add(Diagnostic.Create(descriptor, location, args)), CancellationToken.None);
        return (parser.Parse(name), diagnostics);
    }

    private static (Graph Graph, int F, int First, int Second) Build(string body)
    {
        var (definition, diagnostics) = Parse($"[Elementwise] static double F(double x) => {body};");
        Assert.Empty(diagnostics);
        var graph = new Graph();
        int f = graph.Import(definition!);
        int first = graph.Derivative(f);
        return (graph, f, first, graph.Derivative(first));
    }

    private static readonly double[] Grid = [-7.3, -3, -1.1, -0.4, -1e-3, 1e-3, 0.37, 1.2, 2.9, 6.1];

    /// <summary>A dozen activations: the C# body the user writes, and the same function as the test computes it.</summary>
    public static TheoryData<string, string> Activations => new()
    {
        { "swish", "x / (1 + Math.Exp(-x))" },
        { "mish", "x * Math.Tanh(Math.Log(1 + Math.Exp(x)))" },
        { "elu", "x > 0 ? x : 1.3 * (Math.Exp(x) - 1)" },
        { "selu", "1.0507009873554805 * (x > 0 ? x : 1.6732632423543772 * (Math.Exp(x) - 1))" },
        { "softsign", "x / (1 + Math.Abs(x))" },
        { "rational", "(Math.Pow(x, 3) + 0.5 * x) / (1 + x * x)" },
        { "composed", "Math.Tanh(x / (1 + Math.Abs(x))) * ElementwiseMath.Sigmoid(2 * x) + 0.1 * x" },
        { "leaky", "x <= 0 ? 0.01 * x : x" },
        { "clipped", "Math.Min(Math.Max(x, -1), 1) + 0.2 * x" },
        { "bent", "(Math.Sqrt(x * x + 1) - 1) / 2 + x" },
        { "softplus", "Math.Log(1 + Math.Exp(x))" },
        { "gelu-erf-free", "0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * Math.Pow(x, 3))))" },
        { "inverse-square-root", "x * Math.Pow(1 + x * x, -0.5) + Math.Log(2 + x * x) / 3" },
    };

    private static readonly Dictionary<string, Func<double, double>> References = new()
    {
        ["swish"] = x => x / (1 + Math.Exp(-x)),
        ["mish"] = x => x * Math.Tanh(Math.Log(1 + Math.Exp(x))),
        ["elu"] = x => x > 0 ? x : 1.3 * (Math.Exp(x) - 1),
        ["selu"] = x => 1.0507009873554805 * (x > 0 ? x : 1.6732632423543772 * (Math.Exp(x) - 1)),
        ["softsign"] = x => x / (1 + Math.Abs(x)),
        ["rational"] = x => (Math.Pow(x, 3) + 0.5 * x) / (1 + x * x),
        ["composed"] = x => Math.Tanh(x / (1 + Math.Abs(x))) / (1 + Math.Exp(-2 * x)) + 0.1 * x,
        ["leaky"] = x => x <= 0 ? 0.01 * x : x,
        ["clipped"] = x => Math.Min(Math.Max(x, -1), 1) + 0.2 * x,
        ["bent"] = x => (Math.Sqrt(x * x + 1) - 1) / 2 + x,
        ["softplus"] = x => Math.Log(1 + Math.Exp(x)),
        ["gelu-erf-free"] = x => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))),
        ["inverse-square-root"] = x => x / Math.Sqrt(1 + x * x) + Math.Log(2 + x * x) / 3,
    };

    [Theory]
    [MemberData(nameof(Activations))]
    public void DerivativesMatchCentralDifferencesOnAGrid(string name, string body)
    {
        var (graph, f, first, second) = Build(body);
        Func<double, double> reference = References[name];
        // The grid, and both sides of each kink (0, and ±1 for the clipped one).
        foreach (double x in Grid.Concat([-1 - 1e-3, -1 + 1e-3, 1 - 1e-3, 1 + 1e-3]))
        {
            const double h = 1e-5;
            Assert.Equal(reference(x), graph.Evaluate(f, x), 12);
            double slope = (reference(x + h) - reference(x - h)) / (2 * h);
            Assert.True(Math.Abs(graph.Evaluate(first, x) - slope) <= 1e-7 * Math.Max(1, Math.Abs(slope)), $"{name}: f′({x}) = {graph.Evaluate(first, x)}, differences give {slope}");
            double curvature = (graph.Evaluate(first, x + h) - graph.Evaluate(first, x - h)) / (2 * h);
            Assert.True(Math.Abs(graph.Evaluate(second, x) - curvature) <= 1e-6 * Math.Max(1, Math.Abs(curvature)), $"{name}: f″({x}) = {graph.Evaluate(second, x)}, differences give {curvature}");
        }
    }

    /// <summary>Each rule of d/dx, through the chain rule of an inner U(x) = 0.7x + 0.3, against central differences.</summary>
    [Theory]
    [InlineData("Math.Exp(U)")]
    [InlineData("Math.Log(U + 6)")]
    [InlineData("ElementwiseMath.Log1P(U * U)")]
    [InlineData("Math.Tanh(U)")]
    [InlineData("Math.Sqrt(U + 6)")]
    [InlineData("Math.Abs(U)")]
    [InlineData("ElementwiseMath.Sigmoid(U)")]
    [InlineData("ElementwiseMath.Softplus(U)")]
    [InlineData("Math.Pow(U + 6, 2.5)")]
    [InlineData("Math.Pow(U, 3)")]
    [InlineData("Math.Pow(U + 6, -2)")]
    [InlineData("Math.Max(U, 0.1)")]
    [InlineData("Math.Min(0.1, U)")]
    [InlineData("U / (U * U + 1)")]
    [InlineData("U * U * U")]
    [InlineData("-U - 2 * U + 4")]
    [InlineData("U < 0.2 ? U * U : -U")]
    [InlineData("U >= 0.2 ? U * U : -U")]
    [InlineData("0.2 > U ? Math.Exp(U) : U")]
    public void EveryRuleMatchesCentralDifferences(string expression)
    {
        var (graph, f, first, second) = Build(expression.Replace("U", "(0.7 * x + 0.3)"));
        foreach (double x in Grid)
        {
            const double h = 1e-5;
            double slope = (graph.Evaluate(f, x + h) - graph.Evaluate(f, x - h)) / (2 * h);
            Assert.True(Math.Abs(graph.Evaluate(first, x) - slope) <= 1e-7 * Math.Max(1, Math.Abs(slope)), $"{expression}: f′({x})");
            double curvature = (graph.Evaluate(first, x + h) - graph.Evaluate(first, x - h)) / (2 * h);
            Assert.True(Math.Abs(graph.Evaluate(second, x) - curvature) <= 1e-6 * Math.Max(1, Math.Abs(curvature)), $"{expression}: f″({x})");
        }
    }

    /// <summary>The logistic and softplus written naively overflow (∞/∞) in their derivatives; the rewrites keep every value finite.</summary>
    [Theory]
    [InlineData("1 / (1 + Math.Exp(-x))")]
    [InlineData("Math.Exp(x) / (1 + Math.Exp(x))")]
    [InlineData("x / (1 + Math.Exp(-x))")]
    [InlineData("Math.Log(1 + Math.Exp(x))")]
    [InlineData("x * Math.Tanh(Math.Log(Math.Exp(x) + 1))")]
    [InlineData("3 / (Math.Exp(2 * x) + 1)")]
    public void StableRewritesKeepValuesFiniteAtTheExtremes(string body)
    {
        var (graph, f, first, second) = Build(body);
        foreach (double x in new[] { -1000.0, -40, 40, 1000 })
            foreach (int node in new[] { f, first, second })
                Assert.True(double.IsFinite(graph.Evaluate(node, x)), $"{body} at {x}: {graph.Evaluate(node, x)}");
    }

    [Theory]
    [InlineData("1 / (1 + Math.Exp(-x))", "Sigmoid")]
    [InlineData("Math.Exp(x) / (Math.Exp(x) + 1)", "Sigmoid")]
    [InlineData("Math.Log(1 + Math.Exp(x))", "Softplus")]
    [InlineData("Math.Log(1 + x * x)", "Log1P")]
    [InlineData("Math.Log(Math.Exp(x)) * 2 + 0 * x", "Multiply")]
    public void UnstableFormsAreRewritten(string body, string expected)
    {
        var (graph, f, _, _) = Build(body);
        Assert.Equal(expected, graph[f].Op.ToString());
    }

    [Theory]
    [InlineData("x * 1")]
    [InlineData("1 * x + 0")]
    [InlineData("x + 2 * 3 - 6")]
    [InlineData("-(-x)")]
    [InlineData("0 * Math.Exp(x) + x")]
    [InlineData("Math.Pow(x, 1)")]
    [InlineData("x / 1")]
    [InlineData("x > 0 ? x : x")]
    [InlineData("Math.Exp(0) * x")]
    public void TheSimplifierRemovesIdentities(string body)
    {
        var (graph, f, first, second) = Build(body);
        Assert.Equal(graph.Argument, f);
        Assert.True(graph.IsConstant(first, 1) && graph.IsConstant(second, 0));
    }

    /// <summary>Swish's σ(x) is one node for f, f′ and f″, and x·σ(x)(1 − σ(x)) reuses f′'s σ(1 − σ) in f″.</summary>
    [Fact]
    public void SubexpressionsAreSharedBetweenTheFunctionAndItsDerivatives()
    {
        var (graph, f, first, second) = Build("x / (1 + Math.Exp(-x))");
        Assert.Equal(1, Enumerable.Range(0, graph.Count).Count(id => graph[id].Op == Op.Sigmoid));
        int before = graph.Count;
        Assert.Equal(first, graph.Derivative(f)); // memoized: nothing new
        Assert.Equal(second, graph.Derivative(first));
        Assert.Equal(before, graph.Count);
    }

    [Fact]
    public void CallsToOtherElementwiseMethodsAreInlined()
    {
        var (definition, diagnostics) = Parse("""
            [Elementwise] static double Inner(double x) => x * x;
            [Elementwise] static double F(double x) => Inner(x + 1) + Inner(2);
            """);
        Assert.Empty(diagnostics);
        var graph = new Graph();
        int f = graph.Import(definition!);
        Assert.Equal(13.0, graph.Evaluate(f, 2), 12); // (x + 1)² + 4 at 2
    }
}
