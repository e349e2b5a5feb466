using System;
using System.Linq;
using FishLeg.Optimizers;
using FishLeg.Tests.Models;
using Xunit;

namespace FishLeg.Tests.Optimizers;

/// <summary>Every Q form (docs/math.md §3, checks of §5) against explicit matrices and finite differences, in double precision.</summary>
public class QBlockTests
{
    /// <summary>Every Q form, so that a theory over "every form" covers a form added later.</summary>
    public static TheoryData<QForm> Forms => new(Enum.GetValues<QForm>());

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
        double[] u = SmallNets.Gaussian(rows * columns, seed: 2);
        var v = new double[u.Length];
        q.Apply(lambda, u, v);
        double[,] explicitQ = Explicit(q, lambda);
        double[] expected = Multiply(explicitQ, u);
        Assert.True(GradientTests.RelativeError(v, expected) < 1e-14, $"{form}: Q·U differs from the explicit matrix");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ExplicitQIsSymmetricPositiveDefinite(QForm form, int rows, int columns)
    {
        var q = QBlock<double>.Create(form, rows, columns);
        double[,] explicitQ = Explicit(q, RandomLambda(q, form, seed: 3));
        int n = rows * columns;
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++) Assert.Equal(explicitQ[a, b], explicitQ[b, a], 12);
        Assert.True(IsPositiveDefinite(explicitQ), $"{form}: Q is not positive definite");
    }

    /// <summary>
    /// A warm start sets Q's diagonal to d: exactly for the element-wise forms; for the Kronecker forms Q is then
    /// diagonal with entries exp(a_o + b_i), the two-way least-squares fit of log d computed here by solving the normal
    /// equations by iteration (KroneckerSum: that fit plus its unchanged second term).
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void WarmStartSetsTheDiagonal(QForm form, int rows, int columns)
    {
        var q = QBlock<double>.Create(form, rows, columns);
        var random = new SeededRandom(4);
        var lambda = new double[q.LambdaCount];
        q.Initialize(lambda, 0.2, ref random);
        double[] before = lambda.ToArray();
        double[] d = SmallNets.Gaussian(rows * columns, seed: 5).Select(x => Math.Exp(2 * x)).ToArray(); // spans decades
        q.WarmStart(lambda, d);
        double[,] explicitQ = Explicit(q, lambda);

        bool kronecker = form is QForm.KroneckerTriangular or QForm.KroneckerFull or QForm.KroneckerSum;
        double[] expected = kronecker ? AdditiveLogFit(d, rows, columns) : d;
        if (form == QForm.KroneckerSum)
        {
            // The second term keeps its λ; its contribution is the difference of the explicit matrices.
            var secondOnly = before.ToArray();
            int half = q.LambdaCount / 2;
            Array.Clear(secondOnly, 0, half);
            double[,] second = Explicit(q, secondOnly);
            Assert.Equal(before.Skip(half), lambda.Skip(half));
            for (int a = 0; a < rows * columns; a++)
                for (int b = 0; b < rows * columns; b++) explicitQ[a, b] -= second[a, b];
        }
        for (int a = 0; a < rows * columns; a++)
            for (int b = 0; b < rows * columns; b++)
                Assert.True(Math.Abs(explicitQ[a, b] - (a == b ? expected[a] : 0)) <= 1e-12 * expected.Max(), $"{form}: Q[{a},{b}] = {explicitQ[a, b]}");
    }

    /// <summary>exp(a_o + b_i) minimizing Σ(a_o + b_i − log d_oi)², by alternating exact row and column updates.</summary>
    private static double[] AdditiveLogFit(double[] d, int rows, int columns)
    {
        double[] x = d.Select(value => Math.Log(value)).ToArray();
        var a = new double[rows];
        var b = new double[columns];
        for (int sweep = 0; sweep < 200; sweep++)
        {
            for (int o = 0; o < rows; o++) a[o] = Enumerable.Range(0, columns).Average(i => x[o * columns + i] - b[i]);
            for (int i = 0; i < columns; i++) b[i] = Enumerable.Range(0, rows).Average(o => x[o * columns + i] - a[o]);
        }
        return Enumerable.Range(0, rows * columns).Select(k => Math.Exp(a[k / columns] + b[k % columns])).ToArray();
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void InitializationGivesScaledIdentity(QForm form, int rows, int columns)
    {
        const double c = 0.2;
        var q = QBlock<double>.Create(form, rows, columns);
        var lambda = new double[q.LambdaCount];
        var random = new SeededRandom(9);
        q.Initialize(lambda, c, ref random);
        double[,] explicitQ = Explicit(q, lambda);
        // The sum of two Kronecker terms starts from c·I plus its small random second term, by design.
        double tolerance = form == QForm.KroneckerSum ? 0.05 * c : 1e-14;
        for (int a = 0; a < rows * columns; a++)
            for (int b = 0; b < rows * columns; b++)
                Assert.True(Math.Abs((a == b ? c : 0) - explicitQ[a, b]) <= tolerance, $"{form}: Q₀[{a},{b}] = {explicitQ[a, b]}");
        Assert.DoesNotContain(UpperEntries(q), k => lambda[k] != 0);
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
        double[] u = SmallNets.Gaussian(n, seed: 5);
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

        {
            // Only the lower triangles of triangular factors are parameters: the upper entries of the gradient are exactly zero.
            foreach (int k in UpperEntries(q))
            {
                Assert.Equal(0.0, analytic[k]);
                numeric[k] = 0;
            }
        }
        double error = GradientTests.RelativeError(analytic, numeric);
        Assert.True(error < 1e-7, $"{form}: ∂A/∂λ differs from finite differences by {error:E2}");
    }

    /// <summary>Random λ with a well-conditioned Q: element-wise matrices near 1, factors near I (lower-triangular where declared).</summary>
    /// <summary>
    /// The factored auxiliary gradient (U = s·EᵀĀ, Fisher block ĖᵀĀ′) equals the dense one with U and
    /// Ξ = ĖᵀĀ′ + γ·Q(λ)U − U formed explicitly: triangular and full factors, with and without bias, gradient rank K
    /// below, equal to and above the layer sizes.
    /// </summary>
    [Theory]
    [InlineData(true, true, 2, 3)]
    [InlineData(true, false, 3, 2)]
    [InlineData(false, true, 7, 5)]
    [InlineData(false, false, 1, 9)]
    public void FactoredAuxiliaryGradientEqualsTheDenseOne(bool triangular, bool hasBias, int batch, int productBatch)
    {
        const int rows = 5, inputs = 4;
        int columns = inputs + (hasBias ? 1 : 0);
        var q = new KroneckerQ<double>(rows, columns, triangular);
        double[] lambda = RandomLambda(q, triangular ? QForm.KroneckerTriangular : QForm.KroneckerFull, seed: 31);
        double[] e = SmallNets.Gaussian(batch * rows, 32), a = SmallNets.Gaussian(batch * inputs, 33);
        double[] eDot = SmallNets.Gaussian(productBatch * rows, 34), aDot = SmallNets.Gaussian(productBatch * inputs, 35);
        const double scale = 0.37, damping = 0.21;

        double[] OuterProduct(double[] left, double[] right, int k, double factor)
        {
            var m = new double[rows * columns];
            for (int n = 0; n < k; n++)
                for (int r = 0; r < rows; r++)
                    for (int c = 0; c < columns; c++)
                        m[r * columns + c] += factor * left[n * rows + r] * (c < inputs ? right[n * inputs + c] : 1);
            return m;
        }
        double[] u = OuterProduct(e, a, batch, scale), fv = OuterProduct(eDot, aDot, productBatch, 1);
        var v = new double[u.Length];
        q.Apply(lambda, u, v);
        double[] xi = fv.Select((f, k) => f + damping * v[k] - u[k]).ToArray();
        var expected = new double[q.LambdaCount];
        q.LambdaGradient(lambda, u, xi, expected);

        // The factored gradient reuses the products Q·EᵀĀ leaves (from the unscaled factors, as the optimizer does).
        var products = new double[q.FactorProductsLength(batch)];
        q.ApplyToFactors(lambda, new LayerFactors<double>(e, a, batch, hasBias), products, new double[u.Length]);
        var actual = new double[q.LambdaCount];
        q.LambdaGradientFromFactors(lambda, new LayerFactors<double>(e, a, batch, hasBias), scale, products,
            new LayerFactors<double>(eDot, aDot, productBatch, hasBias), damping, new double[q.FactoredGradientScratch(batch, productBatch)], actual);
        double error = GradientTests.RelativeError(actual, expected);
        Assert.True(error < 1e-13, $"the factored gradient differs from the dense one by {error:E2}");
    }

    /// <summary>
    /// Triangular factors take their products in blocks that skip the zero upper triangle: every product equals the one
    /// with the same factors held as full matrices (zeros above the diagonal), at sizes of several blocks.
    /// </summary>
    [Theory]
    [InlineData(3 * KroneckerQ<double>.MinimumBlock + 5, 2 * KroneckerQ<double>.MinimumBlock - 3, true)]
    [InlineData(2 * KroneckerQ<double>.MinimumBlock + 1, 3 * KroneckerQ<double>.MinimumBlock, false)]
    public void BlockedTriangularProductsEqualTheFullOnes(int rows, int inputs, bool hasBias)
    {
        int columns = inputs + (hasBias ? 1 : 0);
        var triangular = new KroneckerQ<double>(rows, columns, triangular: true);
        var full = new KroneckerQ<double>(rows, columns, triangular: false);
        double[] lambda = RandomLambda(triangular, QForm.KroneckerTriangular, seed: 41);
        double[] u = SmallNets.Gaussian(rows * columns, 42), xi = SmallNets.Gaussian(rows * columns, 43);
        const int batch = 3, productBatch = 4;
        double[] e = SmallNets.Gaussian(batch * rows, 44), a = SmallNets.Gaussian(batch * inputs, 45);
        double[] eDot = SmallNets.Gaussian(productBatch * rows, 46), aDot = SmallNets.Gaussian(productBatch * inputs, 47);

        double[] Apply(KroneckerQ<double> q) { var v = new double[u.Length]; q.Apply(lambda, u, v); return v; }
        double[] Gradient(KroneckerQ<double> q) { var g = new double[q.LambdaCount]; q.LambdaGradient(lambda, u, xi, g); return Lower(q, g); }
        double[] OuterProduct(KroneckerQ<double> q)
        {
            var v = new double[u.Length];
            q.ApplyToFactors(lambda, new LayerFactors<double>(e, a, batch, hasBias), new double[q.FactorProductsLength(batch)], v);
            return v;
        }
        double[] Factored(KroneckerQ<double> q)
        {
            var products = new double[q.FactorProductsLength(batch)];
            q.ApplyToFactors(lambda, new LayerFactors<double>(e, a, batch, hasBias), products, new double[u.Length]);
            var g = new double[q.LambdaCount];
            q.LambdaGradientFromFactors(lambda, new LayerFactors<double>(e, a, batch, hasBias), 0.5, products,
                new LayerFactors<double>(eDot, aDot, productBatch, hasBias), 0.1, new double[q.FactoredGradientScratch(batch, productBatch)], g);
            return Lower(q, g);
        }
        foreach (var (name, product) in new (string, Func<KroneckerQ<double>, double[]>)[]
                 { ("Q·U", Apply), ("∂A/∂λ", Gradient), ("Q·EᵀĀ", OuterProduct), ("factored ∂A/∂λ", Factored) })
        {
            double error = GradientTests.RelativeError(product(triangular), product(full));
            Assert.True(error < 1e-13, $"{name}: blocked triangular and full products differ by {error:E2}");
        }
    }

    /// <summary>The gradient with its upper triangles cleared: what a triangular factor's gradient keeps.</summary>
    private static double[] Lower(KroneckerQ<double> q, double[] gradient)
    {
        double[] lower = (double[])gradient.Clone();
        foreach (LambdaSegment segment in q.Segments)
            for (int r = 0; r < segment.Rows; r++)
                for (int c = r + 1; c < segment.Columns; c++) lower[segment.Offset + r * segment.Columns + c] = 0;
        return lower;
    }

    private static double[] RandomLambda(QBlock<double> q, QForm form, ulong seed)
    {
        double[] lambda = SmallNets.Gaussian(q.LambdaCount, seed).Select(x => 0.3 * x).ToArray();
        foreach (LambdaSegment segment in q.Segments)
            for (int r = 0; r < segment.Rows; r++)
                for (int c = 0; c < segment.Columns; c++)
                {
                    int k = segment.Offset + r * segment.Columns + c;
                    if (segment.Rows != segment.Columns || segment.Name == "A" || segment.Name == "B" || segment.Name == "D") lambda[k] += 1;
                    else if (r == c) lambda[k] += 1;
                    else if (segment.LowerTriangular && c > r) lambda[k] = 0;
                }
        return lambda;
    }

    private static int[] UpperEntries(QBlock<double> q) =>
        q.Segments.Where(s => s.LowerTriangular)
            .SelectMany(s => Enumerable.Range(0, s.Rows * s.Columns).Where(k => k % s.Columns > k / s.Columns).Select(k => s.Offset + k))
            .ToArray();

    /// <summary>The explicit (n_o·n_i)² matrix acting on vec_r(U), built from the Kronecker identities of docs/math.md §0.</summary>
    private static double[,] Explicit(QBlock<double> q, double[] lambda)
    {
        int o = q.Rows, i = q.Columns, n = o * i;
        double[] Segment(string name)
        {
            LambdaSegment s = q.Segments.Single(x => x.Name == name);
            return lambda.Skip(s.Offset).Take(s.Rows * s.Columns).ToArray();
        }
        double[,] Kron(double[,] left, double[,] right)
        {
            var k = new double[n, n];
            for (int a = 0; a < o; a++)
                for (int b = 0; b < i; b++)
                    for (int c = 0; c < o; c++)
                        for (int d = 0; d < i; d++) k[a * i + b, c * i + d] = left[a, c] * right[b, d];
            return k;
        }
        switch (q)
        {
            case DiagonalQ<double>:
            {
                var m = new double[n, n];
                double[] d = Segment("D");
                for (int a = 0; a < n; a++) m[a, a] = d[a] * d[a];
                return m;
            }
            case KroneckerQ<double>:
                return Kron(Gram(Segment("L"), o), Gram(Segment("R"), i));
            case KroneckerSumQ<double>:
                return Add(Kron(Gram(Segment("L1"), o), Gram(Segment("R1"), i)), Kron(Gram(Segment("L2"), o), Gram(Segment("R2"), i)));
            case OfficialRescaledQ<double>:
                // diag(A) (RᵀR ⊗ L Lᵀ) diag(A)
                return ScaleBoth(Kron(Gram(Transpose(Segment("R"), o), o), Gram(Segment("L"), i)), Segment("A"));
            default:
            {
                // diag(A) (L ⊗ R) diag(B²) (L ⊗ R)ᵀ diag(A)
                double[,] k = Kron(Square(Segment("L"), o), Square(Segment("R"), i));
                double[] b = Segment("B");
                var m = new double[n, n];
                for (int x = 0; x < n; x++)
                    for (int y = 0; y < n; y++)
                        for (int z = 0; z < n; z++) m[x, y] += k[x, z] * b[z] * b[z] * k[y, z];
                return ScaleBoth(m, Segment("A"));
            }
        }
    }

    private static double[,] Square(double[] values, int n)
    {
        var m = new double[n, n];
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++) m[a, b] = values[a * n + b];
        return m;
    }

    private static double[] Transpose(double[] values, int n) =>
        Enumerable.Range(0, n * n).Select(k => values[(k % n) * n + k / n]).ToArray();

    private static double[,] Add(double[,] x, double[,] y)
    {
        var m = (double[,])x.Clone();
        for (int a = 0; a < m.GetLength(0); a++)
            for (int b = 0; b < m.GetLength(1); b++) m[a, b] += y[a, b];
        return m;
    }

    private static double[,] ScaleBoth(double[,] m, double[] d)
    {
        for (int a = 0; a < d.Length; a++)
            for (int b = 0; b < d.Length; b++) m[a, b] *= d[a] * d[b];
        return m;
    }

    /// <summary>X Xᵀ for an n×n row-major X.</summary>
    private static double[,] Gram(double[] x, int n)
    {
        var g = new double[n, n];
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++)
                for (int k = 0; k < n; k++) g[a, b] += x[a * n + k] * x[b * n + k];
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
        double[] g = SmallNets.Gaussian(n * n, seed);
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
}
