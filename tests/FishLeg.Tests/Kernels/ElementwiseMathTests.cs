using System;
using System.Linq;
using System.Runtime.Intrinsics;
using Xunit;

namespace FishLeg.Tests.Kernels;

/// <summary>
/// The vector forms of ElementwiseMath's functions, which every generated activation uses, lane by lane against
/// double-precision references: close to the correctly rounded value everywhere (tanh near 0 included), exact limits at
/// the extremes, NaN kept.
/// </summary>
public class ElementwiseMathTests
{
    private static readonly double[] Points =
        [.. Enumerable.Range(-400, 801).Select(i => i / 20.0), 1e-30, -1e-30, 1e-7, -1e-7, 3e-4, 88, -88, 100, -100, 700, -700, 1e300, -1e300];

    /// <summary>log(1 + x) = 2·atanh(x/(2 + x)) by its series for |x| ≤ ½, where 1 + x would round; else 1 + x is exact (or its rounding harmless) and the BCL's log serves.</summary>
    private static double Log1P(double x)
    {
        if (Math.Abs(x) > 0.5) return Math.Log(1 + x);
        double u = x / (2 + x), term = u, sum = 0;
        for (int k = 1; k < 80; k += 2, term *= u * u) sum += term / k;
        return 2 * sum;
    }

    public static TheoryData<string> Functions => new() { "Tanh", "Sigmoid", "Softplus", "Log1P" };

    private static double Reference(string name, double x) => name switch
    {
        "Tanh" => Math.Tanh(x),
        "Sigmoid" => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x)),
        "Softplus" => Math.Max(x, 0) + Log1P(Math.Exp(-Math.Abs(x))),
        _ => Log1P(x),
    };

    [Theory]
    [MemberData(nameof(Functions))]
    public void VectorFormsAreAccurateInFloatAndDouble(string name)
    {
        foreach (double x in Points.Where(x => name != "Log1P" || x > -1))
        {
            double expected = Reference(name, x);
            float xf = (float)x;
            double expectedF = Reference(name, xf);
            double f512 = Lane(name, Vector512.Create(xf)), f256 = Lane(name, Vector256.Create(xf));
            double d512 = Lane(name, Vector512.Create(x)), d256 = Lane(name, Vector256.Create(x));
            // A few units in the last place of each type, relative to the value (absolute near zero crossings of softplus: none).
            Assert.True(Close(f512, expectedF, 4e-7) && Close(f256, expectedF, 4e-7), $"{name}({xf}f) = {f512} / {f256}, expected {expectedF}");
            Assert.True(Close(d512, expected, 1e-15) && Close(d256, expected, 1e-15), $"{name}({x}) = {d512} / {d256}, expected {expected}");
        }
        Assert.True(double.IsNaN(Lane(name, Vector512.Create(float.NaN))) && double.IsNaN(Lane(name, Vector256.Create(double.NaN))));
    }

    /// <summary>Within <paramref name="relative"/> of the value, or both below float's smallest normal number (σ(−100) underflows).</summary>
    private static bool Close(double actual, double expected, double relative) =>
        actual == expected || Math.Abs(actual - expected) <= relative * Math.Abs(expected) || Math.Abs(actual - expected) < 1.2e-38;

    private static double Lane(string name, Vector512<float> x) => name switch
    {
        "Tanh" => ElementwiseMath.Tanh(x)[3], "Sigmoid" => ElementwiseMath.Sigmoid(x)[3], "Softplus" => ElementwiseMath.Softplus(x)[3], _ => ElementwiseMath.Log1P(x)[3],
    };

    private static double Lane(string name, Vector256<float> x) => name switch
    {
        "Tanh" => ElementwiseMath.Tanh(x)[5], "Sigmoid" => ElementwiseMath.Sigmoid(x)[5], "Softplus" => ElementwiseMath.Softplus(x)[5], _ => ElementwiseMath.Log1P(x)[5],
    };

    private static double Lane(string name, Vector512<double> x) => name switch
    {
        "Tanh" => ElementwiseMath.Tanh(x)[1], "Sigmoid" => ElementwiseMath.Sigmoid(x)[1], "Softplus" => ElementwiseMath.Softplus(x)[1], _ => ElementwiseMath.Log1P(x)[1],
    };

    private static double Lane(string name, Vector256<double> x) => name switch
    {
        "Tanh" => ElementwiseMath.Tanh(x)[2], "Sigmoid" => ElementwiseMath.Sigmoid(x)[2], "Softplus" => ElementwiseMath.Softplus(x)[2], _ => ElementwiseMath.Log1P(x)[2],
    };
}
