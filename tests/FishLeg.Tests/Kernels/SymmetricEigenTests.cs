using System;
using System.Linq;
using FishLeg.Kernels;
using FishLeg.Tests.Models;
using Xunit;

namespace FishLeg.Tests.Kernels;

/// <summary>
/// The symmetric eigensolver against its definition (A·z = λz with orthonormal z, A = Z·diag(d)·Zᵀ) and against matrices
/// built from known eigenvalues: indefinite, clustered, rank-deficient, graded over fourteen decades.
/// </summary>
public class SymmetricEigenTests
{
    /// <summary>A symmetric matrix with standard normal entries.</summary>
    private static double[] Symmetric(int n, ulong seed)
    {
        double[] m = SmallNets.Gaussian(n * n, seed);
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = m[i * n + j];
        return a;
    }

    /// <summary>Q·diag(values)·Qᵀ with Q the Householder reflection I − 2uuᵀ/‖u‖² of a random u: known eigenvalues.</summary>
    private static double[] WithEigenvalues(double[] values, ulong seed)
    {
        int n = values.Length;
        double[] u = SmallNets.Gaussian(n, seed);
        double norm2 = u.Sum(x => x * x);
        var q = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) q[i * n + j] = (i == j ? 1 : 0) - 2 * u[i] * u[j] / norm2;
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int k = 0; k < n; k++) sum += q[i * n + k] * values[k] * q[j * n + k];
                a[i * n + j] = sum;
            }
        return a;
    }

    private static (double[] Values, double[] Vectors) Decompose(double[] a)
    {
        int n = (int)Math.Round(Math.Sqrt(a.Length));
        var values = new double[n];
        var vectors = new double[n * n];
        Assert.True(new SymmetricEigen<double>(n).Decompose(a, values, vectors));
        return (values, vectors);
    }

    /// <summary>max |A·z_k − d_k·z_k| and max |ZᵀZ − I| (z_k the columns of Z), both in double.</summary>
    private static (double Residual, double Orthogonality) Errors(double[] a, double[] values, double[] vectors)
    {
        int n = values.Length;
        double residual = 0, orthogonality = 0;
        for (int k = 0; k < n; k++)
        {
            for (int i = 0; i < n; i++)
            {
                double sum = 0;
                for (int j = 0; j < n; j++) sum += a[i * n + j] * vectors[j * n + k];
                residual = Math.Max(residual, Math.Abs(sum - values[k] * vectors[i * n + k]));
            }
            for (int l = 0; l < n; l++)
            {
                double dot = 0;
                for (int j = 0; j < n; j++) dot += vectors[j * n + k] * vectors[j * n + l];
                orthogonality = Math.Max(orthogonality, Math.Abs(dot - (k == l ? 1 : 0)));
            }
        }
        return (residual, orthogonality);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(130)]
    [InlineData(257)]
    public void RandomSymmetricMatricesAreDiagonalized(int n)
    {
        double[] a = Symmetric(n, seed: (ulong)(n + 10));
        (double[] values, double[] vectors) = Decompose(a);
        (double residual, double orthogonality) = Errors(a, values, vectors);
        double scale = Math.Max(Math.Abs(values[0]), Math.Abs(values[^1]));
        Assert.True(residual < 1e-13 * n * scale, $"n = {n}: |Az − λz| = {residual}");
        Assert.True(orthogonality < 1e-13 * n, $"n = {n}: |ZZᵀ − I| = {orthogonality}");
        for (int k = 1; k < n; k++) Assert.True(values[k - 1] <= values[k]);
        // The trace is the sum of the eigenvalues.
        double trace = Enumerable.Range(0, n).Sum(i => a[i * n + i]);
        Assert.Equal(trace, values.Sum(), 1e-11 * n * scale);
    }

    /// <summary>Repeated, negative and zero eigenvalues, recovered to 1e-13 of the largest.</summary>
    [Fact]
    public void KnownClusteredEigenvaluesAreRecovered()
    {
        double[] expected = [-4, -4, 0, 0, 0, 1, 1, 1, 1e-9, 2, 3, 3, 7.5];
        (double[] values, double[] vectors) = Decompose(WithEigenvalues(expected, seed: 5));
        double[] sorted = [.. expected.Order()];
        for (int k = 0; k < sorted.Length; k++) Assert.Equal(sorted[k], values[k], 1e-13 * 7.5);
        (_, double orthogonality) = Errors(WithEigenvalues(expected, seed: 5), values, vectors);
        Assert.True(orthogonality < 1e-13, $"|ZZᵀ − I| = {orthogonality}");
    }

    /// <summary>
    /// A K-FAC-like factor: eigenvalues from 1e4 down to 1e-10 (and a rank-deficient tail of zeros). Each eigenvalue is
    /// recovered to n·1e-15·‖A‖ absolute, as backward stability promises (so relative accuracy degrades as ‖A‖/λ: the
    /// eigenvalues within two decades of the norm are checked to 1e-13 relative).
    /// </summary>
    [Fact]
    public void GradedSpectrumIsRecoveredToTheNormsPrecision()
    {
        const int n = 90;
        double[] expected = [.. Enumerable.Range(0, n).Select(k => k < 75 ? Math.Pow(10, 4 - 14.0 * k / 74) : 0.0)];
        double[] a = WithEigenvalues(expected, seed: 6);
        (double[] values, _) = Decompose(a);
        double[] sorted = [.. expected.Order()];
        for (int k = 0; k < n; k++)
        {
            Assert.True(Math.Abs(values[k] - sorted[k]) < 1e-15 * 1e4 * n, $"λ_{k}: {values[k]} against {sorted[k]}");
            if (sorted[k] >= 1e2) Assert.Equal(1, values[k] / sorted[k], 1e-13);
        }
    }

    [Fact]
    public void DiagonalAndZeroMatricesNeedNoIteration()
    {
        double[] diagonal = new double[4 * 4];
        double[] entries = [3, -1, 2, 0];
        for (int i = 0; i < 4; i++) diagonal[i * 4 + i] = entries[i];
        (double[] values, double[] vectors) = Decompose(diagonal);
        Assert.Equal([-1.0, 0, 2, 3], values);
        // Each eigenvector is a unit axis (up to sign): the one of the entry it came from.
        int[] axes = [1, 3, 2, 0];
        for (int k = 0; k < 4; k++) Assert.Equal(1, Math.Abs(vectors[axes[k] * 4 + k]), 1e-15);

        (double[] zeros, double[] basis) = Decompose(new double[5 * 5]);
        Assert.All(zeros, v => Assert.Equal(0, v));
        Assert.Equal(0, Errors(new double[5 * 5], zeros, basis).Orthogonality, 1e-15);
    }

    [Fact]
    public void FloatDecompositionIsAccurateToSinglePrecision()
    {
        const int n = 100;
        double[] a = Symmetric(n, seed: 9);
        var values = new float[n];
        var vectors = new float[n * n];
        Assert.True(new SymmetricEigen<float>(n).Decompose(a.Select(x => (float)x).ToArray(), values, vectors));
        (double residual, double orthogonality) = Errors(a, values.Select(x => (double)x).ToArray(), vectors.Select(x => (double)x).ToArray());
        Assert.True(residual < 1e-4 * Math.Abs(values[^1]), $"|Az − λz| = {residual}");
        Assert.True(orthogonality < 1e-5, $"|ZZᵀ − I| = {orthogonality}");
    }

    /// <summary>Only the lower triangle is read; a NaN in it is refused with the outputs untouched.</summary>
    [Fact]
    public void OnlyTheLowerTriangleIsReadAndNaNIsRefused()
    {
        const int n = 20;
        double[] a = Symmetric(n, seed: 2), garbage = a.ToArray();
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++) garbage[i * n + j] = double.NaN;
        var solver = new SymmetricEigen<double>(n);
        var values = new double[n];
        var vectors = new double[n * n];
        var fromGarbage = new double[n];
        var vectorsFromGarbage = new double[n * n];
        Assert.True(solver.Decompose(a, values, vectors));
        Assert.True(solver.Decompose(garbage, fromGarbage, vectorsFromGarbage));
        Assert.Equal(values, fromGarbage);
        Assert.Equal(vectors, vectorsFromGarbage);

        garbage[15 * n + 3] = double.NaN;
        Array.Fill(values, 42);
        Assert.False(solver.Decompose(garbage, values, vectors));
        Assert.All(values, v => Assert.Equal(42, v));
    }

    [Fact]
    public void WrongSizesAreNamed()
    {
        var error = Assert.Throws<ArgumentException>(() => new SymmetricEigen<double>(3).Decompose(new double[9], new double[2], new double[9]));
        Assert.Contains("3×3 = 9 values", error.Message);
    }
}
