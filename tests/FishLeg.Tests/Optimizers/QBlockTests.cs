using System;
using System.Linq;
using FishLeg.Optimizers;
using FishLeg.Tests.Models;
using Xunit;

namespace FishLeg.Tests.Optimizers;

/// <summary>Every Q form (math note §3, checks of §5) against explicit matrices and finite differences, in double precision.</summary>
public class QBlockTests
{
    public static TheoryData<QForm, int, int> Cases()
    {
        var cases = new TheoryData<QForm, int, int>();
        foreach (QForm form in Enum.GetValues<QForm>())
        {
            cases.Add(form, 3, 4);
            cases.Add(form, 4, 2);
        }
        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ProductMatchesTheExplicitMatrix(QForm form, int rows, int columns)
    {
        var q = QBlock<double>.Create(form, rows, columns);
        double[] lambda = RandomLambda(q, form, seed: 1);
        double[] u = Gaussian(rows * columns, seed: 2);
        var v = new double[u.Length];
        q.Apply(lambda, u, v);
        double[,] explicitQ = Explicit(form, rows, columns, lambda);
        double[] expected = Multiply(explicitQ, u);
        Assert.True(GradientTests.RelativeError(v, expected) < 1e-14, $"{form}: Q·U differs from the explicit matrix");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ExplicitQIsSymmetricPositiveDefinite(QForm form, int rows, int columns)
    {
        var q = QBlock<double>.Create(form, rows, columns);
        double[,] explicitQ = Explicit(form, rows, columns, RandomLambda(q, form, seed: 3));
        int n = rows * columns;
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++) Assert.Equal(explicitQ[a, b], explicitQ[b, a], 12);
        Assert.True(IsPositiveDefinite(explicitQ), $"{form}: Q is not positive definite");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void InitializationGivesScaledIdentity(QForm form, int rows, int columns)
    {
        const double c = 0.2;
        var q = QBlock<double>.Create(form, rows, columns);
        var lambda = new double[q.LambdaCount];
        q.Initialize(lambda, c);
        double[,] explicitQ = Explicit(form, rows, columns, lambda);
        for (int a = 0; a < rows * columns; a++)
            for (int b = 0; b < rows * columns; b++) Assert.Equal(a == b ? c : 0, explicitQ[a, b], 14);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void AuxiliaryGradientMatchesFiniteDifferences(QForm form, int rows, int columns)
    {
        // A(λ) = ½ vᵀ(F + γI)v − uᵀv with v = Q(λ)u and an explicit SPD F; its gradient is (∂v/∂λ)ᵀ Ξ, Ξ = (F + γI)v − u.
        const double gamma = 0.3;
        int n = rows * columns;
        var q = QBlock<double>.Create(form, rows, columns);
        double[] lambda = RandomLambda(q, form, seed: 4);
        double[] u = Gaussian(n, seed: 5);
        double[,] f = RandomSpd(n, seed: 6);
        var v = new double[n];

        double AuxiliaryLoss()
        {
            q.Apply(lambda, u, v);
            double[] fv = Multiply(f, v);
            double loss = 0;
            for (int a = 0; a < n; a++) loss += 0.5 * v[a] * (fv[a] + gamma * v[a]) - u[a] * v[a];
            return loss;
        }

        AuxiliaryLoss();
        double[] fv0 = Multiply(f, v);
        double[] xi = Enumerable.Range(0, n).Select(a => fv0[a] + gamma * v[a] - u[a]).ToArray();
        var analytic = new double[q.LambdaCount];
        q.LambdaGradient(lambda, u, xi, analytic);

        const double h = 1e-6;
        var numeric = new double[q.LambdaCount];
        for (int k = 0; k < lambda.Length; k++)
        {
            double saved = lambda[k];
            lambda[k] = saved + h;
            double up = AuxiliaryLoss();
            lambda[k] = saved - h;
            double down = AuxiliaryLoss();
            lambda[k] = saved;
            numeric[k] = (up - down) / (2 * h);
        }

        if (form == QForm.KroneckerTriangular)
        {
            // Only the lower triangles are parameters: the upper entries of the gradient are exactly zero.
            foreach (int k in UpperEntries(rows, columns))
            {
                Assert.Equal(0.0, analytic[k]);
                numeric[k] = 0;
            }
        }
        double error = GradientTests.RelativeError(analytic, numeric);
        Assert.True(error < 1e-7, $"{form}: ∂A/∂λ differs from finite differences by {error:E2}");
    }

    /// <summary>Random λ with a well-conditioned Q: factors near the identity (lower-triangular for that form).</summary>
    private static double[] RandomLambda(QBlock<double> q, QForm form, ulong seed)
    {
        double[] lambda = Gaussian(q.LambdaCount, seed).Select(x => 0.3 * x).ToArray();
        if (form == QForm.Diagonal)
        {
            for (int k = 0; k < lambda.Length; k++) lambda[k] += 1;
            return lambda;
        }
        int o = q.Rows, i = q.Columns;
        for (int a = 0; a < o; a++) lambda[a * o + a] += 1;
        for (int b = 0; b < i; b++) lambda[o * o + b * i + b] += 1;
        if (form == QForm.KroneckerTriangular)
            foreach (int k in UpperEntries(o, i)) lambda[k] = 0;
        return lambda;
    }

    private static int[] UpperEntries(int o, int i) =>
        Enumerable.Range(0, o * o).Where(k => k % o > k / o)
            .Concat(Enumerable.Range(0, i * i).Where(k => k % i > k / i).Select(k => o * o + k)).ToArray();

    /// <summary>The explicit (n_o·n_i)² matrix acting on vec_r(U): L Lᵀ ⊗ R Rᵀ, or diag(vec_r D²).</summary>
    private static double[,] Explicit(QForm form, int o, int i, double[] lambda)
    {
        int n = o * i;
        var q = new double[n, n];
        if (form == QForm.Diagonal)
        {
            for (int a = 0; a < n; a++) q[a, a] = lambda[a] * lambda[a];
            return q;
        }
        double[,] left = Gram(lambda, 0, o), right = Gram(lambda, o * o, i);
        for (int a = 0; a < o; a++)
            for (int b = 0; b < i; b++)
                for (int c = 0; c < o; c++)
                    for (int d = 0; d < i; d++) q[a * i + b, c * i + d] = left[a, c] * right[b, d];
        return q;
    }

    /// <summary>X Xᵀ for the n×n row-major matrix X at <paramref name="offset"/>.</summary>
    private static double[,] Gram(double[] lambda, int offset, int n)
    {
        var g = new double[n, n];
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++)
                for (int k = 0; k < n; k++) g[a, b] += lambda[offset + a * n + k] * lambda[offset + b * n + k];
        return g;
    }

    private static double[] Multiply(double[,] m, double[] x)
    {
        var y = new double[x.Length];
        for (int a = 0; a < x.Length; a++)
            for (int b = 0; b < x.Length; b++) y[a] += m[a, b] * x[b];
        return y;
    }

    private static double[,] RandomSpd(int n, ulong seed)
    {
        double[] g = Gaussian(n * n, seed);
        var f = new double[n, n];
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++)
                for (int k = 0; k < n; k++) f[a, b] += g[a * n + k] * g[b * n + k] / n;
        return f;
    }

    /// <summary>Cholesky factorization succeeds exactly when a symmetric matrix is positive definite.</summary>
    private static bool IsPositiveDefinite(double[,] m)
    {
        int n = m.GetLength(0);
        var l = new double[n, n];
        for (int j = 0; j < n; j++)
        {
            double diagonal = m[j, j];
            for (int k = 0; k < j; k++) diagonal -= l[j, k] * l[j, k];
            if (diagonal <= 0) return false;
            l[j, j] = Math.Sqrt(diagonal);
            for (int a = j + 1; a < n; a++)
            {
                double s = m[a, j];
                for (int k = 0; k < j; k++) s -= l[a, k] * l[j, k];
                l[a, j] = s / l[j, j];
            }
        }
        return true;
    }

    private static double[] Gaussian(int length, ulong seed)
    {
        var random = new SeededRandom(seed);
        return Enumerable.Range(0, length).Select(_ => random.NextGaussian()).ToArray();
    }
}
