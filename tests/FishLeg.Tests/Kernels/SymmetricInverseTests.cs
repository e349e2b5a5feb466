using System;
using System.Linq;
using System.Numerics;
using FishLeg.Kernels;
using FishLeg.Tests.Models;
using Xunit;

namespace FishLeg.Tests.Kernels;

/// <summary>The Cholesky-based inverse against A·A⁻¹ = I, on sizes around the 64-wide blocks and on ill-conditioned matrices.</summary>
public class SymmetricInverseTests
{
    /// <summary>A = MᵀM/n + δI with a random M: symmetric positive definite with condition number about 1/δ.</summary>
    private static double[] Spd(int n, double delta, ulong seed)
    {
        double[] m = SmallNets.Gaussian(n * n, seed);
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int k = 0; k < n; k++) sum += m[k * n + i] * m[k * n + j];
                a[i * n + j] = sum / n + (i == j ? delta : 0);
            }
        return a;
    }

    /// <summary>max |A·X − I| over the entries, in double.</summary>
    private static double Residual(double[] a, double[] x, int n)
    {
        double worst = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int k = 0; k < n; k++) sum += a[i * n + k] * x[k * n + j];
                worst = Math.Max(worst, Math.Abs(sum - (i == j ? 1 : 0)));
            }
        return worst;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(130)]
    [InlineData(200)]
    [InlineData(257)]
    public void DoubleInverseTimesTheMatrixIsTheIdentity(int n)
    {
        double[] a = Spd(n, delta: 1e-3, seed: (ulong)n);
        var inverse = new double[n * n];
        Assert.True(new SymmetricInverse<double>(n).Invert(a, inverse));
        Assert.True(Residual(a, inverse, n) < 1e-9, $"n = {n}: |A·A⁻¹ − I| = {Residual(a, inverse, n)}");
        // Symmetric to rounding.
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++) Assert.Equal(inverse[i * n + j], inverse[j * n + i], 1e-9 * Math.Abs(inverse[i * n + i]) + 1e-12);
    }

    [Theory]
    [InlineData(65)]
    [InlineData(150)]
    public void FloatInverseIsAccurateToSinglePrecision(int n)
    {
        double[] a = Spd(n, delta: 1e-1, seed: 7);
        var inverse = new float[n * n];
        Assert.True(new SymmetricInverse<float>(n).Invert(a.Select(x => (float)x).ToArray(), inverse));
        double residual = Residual(a, inverse.Select(x => (double)x).ToArray(), n);
        Assert.True(residual < 1e-3, $"n = {n}: |A·A⁻¹ − I| = {residual}");
    }

    /// <summary>Only the lower triangle is read: garbage above the diagonal changes nothing.</summary>
    [Fact]
    public void OnlyTheLowerTriangleIsRead()
    {
        const int n = 70;
        double[] a = Spd(n, 1e-2, seed: 3), garbage = a.ToArray();
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++) garbage[i * n + j] = 1e6 * (i - j);
        var inverse = new double[n * n];
        var fromGarbage = new double[n * n];
        var inverter = new SymmetricInverse<double>(n);
        Assert.True(inverter.Invert(a, inverse));
        Assert.True(inverter.Invert(garbage, fromGarbage));
        Assert.Equal(inverse, fromGarbage);
    }

    /// <summary>An indefinite matrix (a negative pivot in the second block) is refused and the output left as it was.</summary>
    [Fact]
    public void AnIndefiniteMatrixIsRefused()
    {
        const int n = 100;
        double[] a = Spd(n, 1e-2, seed: 4);
        a[80 * n + 80] = -5;
        var inverse = Enumerable.Repeat(42.0, n * n).ToArray();
        Assert.False(new SymmetricInverse<double>(n).Invert(a, inverse));
        Assert.All(inverse, x => Assert.Equal(42.0, x));
    }

    [Fact]
    public void WrongSizesAreNamed()
    {
        var error = Assert.Throws<ArgumentException>(() => new SymmetricInverse<double>(3).Invert(new double[9], new double[8]));
        Assert.Contains("3×3 = 9 values", error.Message);
    }
}
