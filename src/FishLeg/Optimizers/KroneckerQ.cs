using System;
using System.Numerics;
using System.Numerics.Tensors;
using FishLeg.Kernels;

namespace FishLeg.Optimizers;

/// <summary>
/// Q(λ)U = L Lᵀ U R Rᵀ with λ = [L (n_o×n_o), R (n_i×n_i)], row-major (docs/math.md §3b). With M = U R Rᵀ and N = L Lᵀ U:
/// ∂A/∂L = S_L·L, S_L = Ξ Mᵀ + M Ξᵀ and ∂A/∂R = S_R·R, S_R = Nᵀ Ξ + Ξᵀ N, each taken lower-triangular when the
/// factors are. L₀ = R₀ = c^¼·I.
/// </summary>
internal sealed class KroneckerQ<T> : QBlock<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly bool _triangular;
    private readonly T[] _m, _n, _sl, _sr;

    public KroneckerQ(int rows, int columns, bool triangular) : base(rows, columns)
    {
        _triangular = triangular;
        Segments = [new("L", 0, rows, rows, triangular), new("R", rows * rows, columns, columns, triangular)];
        _m = new T[rows * columns];
        _n = new T[rows * columns];
        _sl = new T[rows * rows];
        _sr = new T[columns * columns];
    }

    public override LambdaSegment[] Segments { get; }

    private ReadOnlySpan<T> L(ReadOnlySpan<T> lambda) => lambda[..(Rows * Rows)];

    private ReadOnlySpan<T> R(ReadOnlySpan<T> lambda) => lambda.Slice(Rows * Rows, Columns * Columns);

    public override void Initialize(Span<T> lambda, double scale, ref SeededRandom random)
    {
        T diagonal = T.CreateChecked(Math.Pow(scale, 0.25));
        ScaledIdentity(lambda[..(Rows * Rows)], Rows, diagonal);
        ScaledIdentity(lambda.Slice(Rows * Rows, Columns * Columns), Columns, diagonal);
    }

    /// <summary>
    /// L = diag(l), R = diag(r) with log(l_o²·r_i²) = a_o + b_i the least-squares fit of log d_oi: a_o and b_i are the row
    /// and column means of log d less half its grand mean.
    /// </summary>
    public override void WarmStart(Span<T> lambda, ReadOnlySpan<T> diagonal)
    {
        int o = Rows, i = Columns;
        var rowSums = new double[o];
        var columnSums = new double[i];
        double total = 0;
        for (int row = 0; row < o; row++)
            for (int column = 0; column < i; column++)
            {
                double x = Math.Log(double.CreateChecked(diagonal[row * i + column]));
                rowSums[row] += x;
                columnSums[column] += x;
                total += x;
            }
        double half = total / ((double)o * i) / 2;
        Span<T> l = lambda[..(o * o)], r = lambda.Slice(o * o, i * i);
        l.Clear();
        r.Clear();
        for (int row = 0; row < o; row++) l[row * o + row] = T.CreateChecked(Math.Exp((rowSums[row] / i - half) / 2));
        for (int column = 0; column < i; column++) r[column * i + column] = T.CreateChecked(Math.Exp((columnSums[column] / o - half) / 2));
    }

    public override void Apply(ReadOnlySpan<T> lambda, ReadOnlySpan<T> u, Span<T> v)
    {
        int o = Rows, i = Columns;
        // v = L·(Lᵀ·((U·R)·Rᵀ)), through the scratch M and N.
        TimesLower(o, i, u, i, R(lambda), _n, i);
        TimesLowerTransposed(o, i, _n, i, R(lambda), _m, i);
        LowerTransposedTimes(o, i, L(lambda), _m, i, _n, i);
        LowerTimes(o, i, L(lambda), _n, i, v, i);
    }

    public override void LambdaGradient(ReadOnlySpan<T> lambda, ReadOnlySpan<T> u, ReadOnlySpan<T> xi, Span<T> gradient)
    {
        int o = Rows, i = Columns;
        ReadOnlySpan<T> l = L(lambda), r = R(lambda);
        Span<T> gradientL = gradient[..(o * o)], gradientR = gradient.Slice(o * o, i * i);

        // M = U R Rᵀ (N is scratch here), then S_L = Ξ Mᵀ + M Ξᵀ and ∂L = S_L·L.
        TimesLower(o, i, u, i, r, _n, i);
        TimesLowerTransposed(o, i, _n, i, r, _m, i);
        Gemm.NT(o, o, i, xi, i, _m, i, _sl, o);
        Gemm.NT(o, o, i, _m, i, xi, i, _sl, o, accumulate: true);
        Gemm.NN(o, o, o, _sl, o, l, o, gradientL, o);

        // N = L Lᵀ U (M is scratch here), then S_R = Nᵀ Ξ + Ξᵀ N and ∂R = S_R·R.
        LowerTransposedTimes(o, i, l, u, i, _m, i);
        LowerTimes(o, i, l, _m, i, _n, i);
        Gemm.TN(i, i, o, _n, i, xi, i, _sr, i);
        Gemm.TN(i, i, o, xi, i, _n, i, _sr, i, accumulate: true);
        Gemm.NN(i, i, i, _sr, i, r, i, gradientR, i);

        if (_triangular)
        {
            ZeroUpperTriangle(gradientL, o);
            ZeroUpperTriangle(gradientR, i);
        }
    }

    /// <summary>Multiply-adds of Q·U for a dense U.</summary>
    private long DenseCost => 2L * Rows * Columns * (Rows + Columns);

    /// <summary>Multiply-adds of Q·G for G = Eᵀ·Ā of rank ≤ <paramref name="batch"/> (<see cref="ApplyToFactors"/>).</summary>
    private long OuterProductCost(int batch) => (long)batch * (2L * Rows * Rows + 2L * Columns * Columns + (long)Rows * Columns);

    /// <inheritdoc/>
    public override int FactorProductsLength(int batch) => 2 * batch * (Rows + Columns);

    /// <inheritdoc/>
    public override (bool LowRank, bool FactoredGradient) FactoredPaths(int batch, bool factoredGradientAllowed)
    {
        bool lowRank = OuterProductCost(batch) < DenseCost;
        // Priced at the largest auxiliary batch: v from the factors plus the factored gradient, against both dense.
        return (lowRank, lowRank && factoredGradientAllowed && OuterProductCost(batch) + FactoredGradientCost(batch, batch) < DenseCost + DenseGradientCost);
    }

    /// <summary>
    /// V = Q·G for a gradient G = Eᵀ·Ā given by its factors (paper A.7, docs/math.md §3b): V = (L (Lᵀ Eᵀ))·((Ā R) Rᵀ), in
    /// O(K·N²) instead of O(N³). The factors are E (batch × n_o) and A (batch × inputs), Ā = [A | 1] when the layer has a
    /// bias. Leaves P = E·L and X = P·Lᵀ (K × n_o), Y = Ā·R and Z = Y·Rᵀ
    /// (K × n_i) in <paramref name="products"/>, which <see cref="LambdaGradientFromFactors"/> reuses.
    /// </summary>
    public override void ApplyToFactors(ReadOnlySpan<T> lambda, in LayerFactors<T> gradient, Span<T> products, Span<T> v)
    {
        ReadOnlySpan<T> delta = gradient.Delta, input = gradient.Input;
        int batch = gradient.Batch, o = Rows, i = Columns;
        bool hasBias = gradient.HasBias;
        int inputs = hasBias ? i - 1 : i;
        ReadOnlySpan<T> l = L(lambda), r = R(lambda);
        Span<T> p = products[..(batch * o)], x = products.Slice(batch * o, batch * o);
        Span<T> y = products.Slice(2 * batch * o, batch * i), z = products.Slice(2 * batch * o + batch * i, batch * i);

        // X = (E·L)·Lᵀ, whose transpose is L Lᵀ Eᵀ.
        TimesLower(batch, o, delta, o, l, p, o);
        TimesLowerTransposed(batch, o, p, o, l, x, o);
        // Z = (Ā·R)·Rᵀ, Ā's column of ones implicit in the GEMM.
        TimesLower(batch, i, input, inputs, r, y, i, hasBias ? OnesColumn.A : OnesColumn.None);
        TimesLowerTransposed(batch, i, y, i, r, z, i);
        // V = Xᵀ·Z.
        Gemm.TN(o, i, batch, x, o, z, i, v, i);
    }

    /// <summary>Multiply-adds of <see cref="LambdaGradient"/> for a dense U and Ξ.</summary>
    private long DenseGradientCost => (long)Rows * Rows * Rows + (long)Columns * Columns * Columns + 4L * Rows * Columns * (Rows + Columns);

    /// <summary>Multiply-adds of <see cref="LambdaGradientFromFactors"/> for a gradient of rank ≤ <paramref name="batch"/> and a Fisher product of rank ≤ <paramref name="productBatch"/>, counted for full factors (triangular ones skip about half the N² terms of both methods).</summary>
    private long FactoredGradientCost(int batch, int productBatch)
    {
        long k = batch, kc = productBatch + 2L * batch, o = Rows, i = Columns;
        return (o * o + i * i) * 2 * kc + 3 * kc * k * (o + i);
    }

    /// <inheritdoc/>
    public override int FactoredGradientScratch(int batch, int productBatch)
    {
        int kc = productBatch + 2 * batch, o = Rows, i = Columns;
        return 3 * kc * (o + i) + 2 * batch * o + 2 * kc * batch;
    }

    /// <summary>
    /// ∂A/∂λ without an n×n×n product, for U = s·Eᵀ·Ā (the normalized raw gradient, rank ≤ K) and a Fisher product
    /// block Ėᵀ·Ā′ (rank ≤ K′): with X = P L Lᵀ and Y = Ā R Rᵀ (P = s·E), every term of Ξ = Ėᵀ·Ā′ + γ·XᵀY − PᵀĀ is an
    /// outer product, so Ξ = CᵀD with C = [Ė; γX; −P] and D = [Ā′; Y; Ā] (K_c = K′ + 2K rows). Then, with W = D Yᵀ and
    /// Z = X Cᵀ, S_L·L = Cᵀ(W(PL)) + Pᵀ(Wᵀ(CL)) and S_R·R = Āᵀ(Z(DR)) + Dᵀ(Zᵀ(ĀR)): O(K_c·N²) in all (docs/math.md §3b).
    /// Inputs come without the bias column; Ā = [A | 1] when the layer has a bias. <paramref name="products"/> is what
    /// <see cref="ApplyToFactors"/> left for the same λ and unscaled factors: E·L, E·L·Lᵀ, Ā·R and Ā·R·Rᵀ.
    /// </summary>
    public override void LambdaGradientFromFactors(ReadOnlySpan<T> lambda, in LayerFactors<T> factors, T scale, ReadOnlySpan<T> products,
        in LayerFactors<T> curvature, T damping, Span<T> scratch, Span<T> gradient)
    {
        ReadOnlySpan<T> delta = factors.Delta, input = factors.Input, productDelta = curvature.Delta, productInput = curvature.Input;
        bool hasBias = factors.HasBias;
        int o = Rows, i = Columns, inputs = hasBias ? i - 1 : i, k = factors.Batch, kp = curvature.Batch, kc = kp + 2 * k;
        ReadOnlySpan<T> l = L(lambda), r = R(lambda);
        Span<T> gradientL = gradient[..(o * o)], gradientR = gradient.Slice(o * o, i * i);
        Span<T> rest = scratch;
        Span<T> c = Take(ref rest, kc * o), d = Take(ref rest, kc * i), x = Take(ref rest, k * o), pl = Take(ref rest, k * o);
        Span<T> w = Take(ref rest, kc * k), z = Take(ref rest, k * kc);
        Span<T> wide = Take(ref rest, kc * o), wide2 = Take(ref rest, kc * o), tall = Take(ref rest, kc * i), tall2 = Take(ref rest, kc * i);
        ReadOnlySpan<T> br = products.Slice(2 * k * o, k * i); // Ā·R

        // C = [Ė; γX; −P] and D = [Ā′; Y; Ā], with P = s·E, X = P L Lᵀ, Y = Ā R Rᵀ.
        Span<T> cF = c[..(kp * o)], cX = c.Slice(kp * o, k * o), cP = c.Slice((kp + k) * o, k * o);
        Span<T> dF = d[..(kp * i)], dY = d.Slice(kp * i, k * i), dB = d.Slice((kp + k) * i, k * i);
        productDelta[..(kp * o)].CopyTo(cF);
        WithBias(productInput, kp, inputs, hasBias, dF);
        WithBias(input, k, inputs, hasBias, dB);
        TensorPrimitives.Multiply(delta[..(k * o)], scale, cP);
        TensorPrimitives.Multiply(products[..(k * o)], scale, pl);
        TensorPrimitives.Multiply(products.Slice(k * o, k * o), scale, x);
        products.Slice(2 * k * o + k * i, k * i).CopyTo(dY);
        TensorPrimitives.Multiply(x, damping, cX);
        TensorPrimitives.Negate(cP, cP);

        // ∂L = Cᵀ(W(PL)) + Pᵀ(Wᵀ(CL)), W = D Yᵀ.
        Gemm.NT(kc, k, i, d, i, dY, i, w, k);
        Gemm.NN(kc, o, k, w, k, pl, o, wide, o);
        LowerOfTransposedTimes(o, kc, c, wide, gradientL, accumulate: false);
        // C·L = [Ė·L; γX·L; −P·L], and P·L is known.
        TimesLower(kp + k, o, c, o, l, wide, o);
        TensorPrimitives.Negate(pl, wide.Slice((kp + k) * o, k * o));
        Gemm.TN(k, o, kc, w, k, wide, o, wide2, o);
        // Pᵀ·(WᵀCL) = Eᵀ·(s·WᵀCL): scale the thin factor rather than flip C's −P block and back.
        TensorPrimitives.Multiply(wide2[..(k * o)], scale, wide2);
        LowerOfTransposedTimes(o, k, delta, wide2, gradientL, accumulate: true);

        // ∂R = Āᵀ(Z(DR)) + Dᵀ(Zᵀ(ĀR)), Z = X Cᵀ.
        Gemm.NT(k, kc, o, x, o, c, o, z, kc);
        // D·R = [Ā′·R; Y·R; Ā·R], and Ā·R is known.
        TimesLower(kp + k, i, d, i, r, tall, i);
        br.CopyTo(tall.Slice((kp + k) * i, k * i));
        Gemm.NN(k, i, kc, z, kc, tall, i, tall2, i);
        LowerOfTransposedTimes(i, k, dB, tall2, gradientR, accumulate: false);
        Gemm.TN(kc, i, k, z, kc, br, i, tall, i);
        LowerOfTransposedTimes(i, kc, d, tall, gradientR, accumulate: true);

        if (_triangular)
        {
            ZeroUpperTriangle(gradientL, o);
            ZeroUpperTriangle(gradientR, i);
        }
    }

    private static Span<T> Take(ref Span<T> rest, int length)
    {
        Span<T> taken = rest[..length];
        rest = rest[length..];
        return taken;
    }

    /// <summary>Copies the rows × inputs matrix A into Ā (rows × (inputs + 1 when hasBias)), ones in the bias column.</summary>
    private static void WithBias(ReadOnlySpan<T> a, int rows, int inputs, bool hasBias, Span<T> destination)
    {
        if (!hasBias)
        {
            a[..(rows * inputs)].CopyTo(destination);
            return;
        }
        for (int n = 0; n < rows; n++)
        {
            a.Slice(n * inputs, inputs).CopyTo(destination.Slice(n * (inputs + 1), inputs));
            destination[n * (inputs + 1) + inputs] = T.One;
        }
    }

    // Products with a square factor F (n×n). Triangular factors skip their zero upper triangle: the product is taken in
    // up to eight column (or row) blocks, each against only the part of F below (or left of) the diagonal, about 56% of
    // the dense work. Blocks are at least MinimumBlock wide (narrower GEMM calls cost more than they save: on 20×20
    // factors eight blocks doubled the step time); full factors take one block, one GEMM.

    internal const int MinimumBlock = 32;

    private int Block(int n) => _triangular ? Math.Max(MinimumBlock, (n + 7) / 8) : n;

    /// <summary>
    /// C (m×n) = A·F for A m×n (stride lda); with <paramref name="ones"/> A's last column is an implicit column of ones
    /// (A holds n − 1).
    /// </summary>
    private void TimesLower(int m, int n, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> f, Span<T> c, int ldc, OnesColumn ones = OnesColumn.None)
    {
        // Column block J of C only needs rows j0.. of F (F[k, j] = 0 for k < j).
        for (int j0 = 0, block = Block(n); j0 < n; j0 += block)
            Gemm.NN(m, Math.Min(block, n - j0), n - j0, a[j0..], lda, f[(j0 * n + j0)..], n, c[j0..], ldc, ones: ones);
    }

    /// <summary>C (m×n) = A·Fᵀ for A m×n (stride lda).</summary>
    private void TimesLowerTransposed(int m, int n, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> f, Span<T> c, int ldc)
    {
        // Column block J of C = A·F[J, :]ᵀ, and row j of F ends at column j.
        for (int j0 = 0, block = Block(n); j0 < n; j0 += block)
        {
            int width = Math.Min(block, n - j0);
            Gemm.NT(m, width, j0 + width, a, lda, f[(j0 * n)..], n, c[j0..], ldc);
        }
    }

    /// <summary>C (n×m) = F·B for B n×m (stride ldb).</summary>
    private void LowerTimes(int n, int m, ReadOnlySpan<T> f, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc)
    {
        // Row block I of C = F[I, 0..i1]·B[0..i1, :].
        for (int i0 = 0, block = Block(n); i0 < n; i0 += block)
        {
            int height = Math.Min(block, n - i0);
            Gemm.NN(height, m, i0 + height, f[(i0 * n)..], n, b, ldb, c[(i0 * ldc)..], ldc);
        }
    }

    /// <summary>
    /// The part of C (n×n) a triangular factor's gradient keeps, C (=|+=) Aᵀ·B for A and B depth×n: blocks above the
    /// diagonal are skipped, blocks on it computed whole (the caller zeroes their upper part). Full factors take all of C.
    /// </summary>
    private void LowerOfTransposedTimes(int n, int depth, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, bool accumulate)
    {
        // Row block I of C up to its diagonal = A[:, I]ᵀ·B[:, 0..i1].
        for (int i0 = 0, block = Block(n); i0 < n; i0 += block)
        {
            int height = Math.Min(block, n - i0);
            Gemm.TN(height, i0 + height, depth, a[i0..], n, b, n, c[(i0 * n)..], n, accumulate);
        }
    }

    /// <summary>C (n×m) = Fᵀ·B for B n×m (stride ldb).</summary>
    private void LowerTransposedTimes(int n, int m, ReadOnlySpan<T> f, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc)
    {
        // Row block I of C = (F[i0.., I])ᵀ·B[i0.., :]: column i of F starts at row i.
        for (int i0 = 0, block = Block(n); i0 < n; i0 += block)
        {
            int height = Math.Min(block, n - i0);
            Gemm.TN(height, m, n - i0, f[(i0 * n + i0)..], n, b[(i0 * ldb)..], ldb, c[(i0 * ldc)..], ldc);
        }
    }
}
