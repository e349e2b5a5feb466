using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace FishLeg.Kernels;

/// <summary>
/// The inverse of a symmetric positive-definite n×n matrix (row-major) through its Cholesky factor: A = L·Lᵀ by a
/// left-looking blocked factorization whose updates run through <see cref="Gemm"/>, X = L⁻¹ by blocked substitution,
/// then the lower triangle of A⁻¹ = Xᵀ·X, mirrored. About (5/6)·n³ multiply-adds, almost all in GEMM.
/// </summary>
public sealed class SymmetricInverse<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private const int Block = 64;
    // Wider column blocks for XᵀX: fewer, larger GEMM calls, at the price of a few more products of X's zeros.
    private const int ProductBlock = 128;
    private readonly int _n;
    private readonly T[] _factor, _lowerInverse, _panel;

    /// <param name="n">The order of the matrices this instance inverts; its buffers (3·n² values) are allocated here, once.</param>
    public SymmetricInverse(int n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        _n = n;
        _factor = new T[n * n];
        _lowerInverse = new T[n * n];
        _panel = new T[n * Block];
    }

    /// <summary>The order n.</summary>
    public int Order => _n;

    /// <summary>
    /// Writes A⁻¹ to <paramref name="inverse"/> for the symmetric positive-definite <paramref name="matrix"/> (only its
    /// lower triangle is read). Returns false, leaving <paramref name="inverse"/> unchanged, when a pivot is not positive
    /// (the matrix is not positive definite to working precision).
    /// </summary>
    public bool Invert(ReadOnlySpan<T> matrix, Span<T> inverse)
    {
        int n = _n;
        if (matrix.Length != n * n || inverse.Length != n * n)
            throw new ArgumentException($"Both matrices must hold {n}×{n} = {n * n} values (got {matrix.Length} and {inverse.Length}).");
        if (!Factor(matrix)) return false;
        InvertLower();
        MultiplyLowerTransposed(inverse);
        return true;
    }

    /// <summary>
    /// inverse ← XᵀX for the lower-triangular X = L⁻¹, block column by block column: (XᵀX)[r, c] sums X[k, r]·X[k, c] over
    /// k ≥ max(r, c), so the columns from j0 on need only X's rows and columns from j0 on; the upper triangle is mirrored.
    /// </summary>
    private void MultiplyLowerTransposed(Span<T> inverse)
    {
        int n = _n;
        ReadOnlySpan<T> x = _lowerInverse;
        for (int j0 = 0; j0 < n; j0 += ProductBlock)
        {
            int jb = Math.Min(ProductBlock, n - j0), corner = j0 * n + j0;
            Gemm.TN(n - j0, jb, n - j0, x[corner..], n, x[corner..], n, inverse[corner..], n);
        }
        for (int row = 1; row < n; row++)
            for (int column = 0; column < row; column++) inverse[column * n + row] = inverse[row * n + column];
    }

    /// <summary>_factor ← L with A = L·Lᵀ (upper triangle zero); false when a pivot is not positive.</summary>
    private bool Factor(ReadOnlySpan<T> matrix)
    {
        int n = _n;
        Span<T> l = _factor;
        for (int row = 0; row < n; row++)
            for (int column = 0; column < n; column++) l[row * n + column] = column <= row ? matrix[row * n + column] : T.Zero;

        for (int j0 = 0; j0 < n; j0 += Block)
        {
            int jb = Math.Min(Block, n - j0);
            // Columns j0..j0+jb of rows j0..n, less the contribution of the columns already factored: C −= L[j0:n, 0:j0]·L[j0:j0+jb, 0:j0]ᵀ.
            if (j0 > 0)
            {
                Span<T> update = _panel.AsSpan(0, (n - j0) * jb);
                Gemm.NT(n - j0, jb, j0, l[(j0 * n)..], n, l[(j0 * n)..], n, update, jb);
                for (int row = 0; row < n - j0; row++)
                {
                    Span<T> target = l.Slice((j0 + row) * n + j0, jb);
                    TensorPrimitives.Subtract(target, update.Slice(row * jb, jb), target);
                }
            }
            // The panel (columns j0..j0+jb, rows j0..n) transposed into _panel, so that each of its columns is contiguous,
            // then factored right-looking: scale column c by its pivot's root, subtract its multiples from the later
            // columns (long vectorized updates instead of one short dot product per entry).
            int m = n - j0;
            Span<T> panel = _panel.AsSpan(0, jb * m);
            for (int row = 0; row < m; row++)
                for (int c = 0; c < jb; c++) panel[c * m + row] = l[(j0 + row) * n + j0 + c];
            for (int c = 0; c < jb; c++)
            {
                Span<T> column = panel.Slice(c * m + c, m - c);
                T pivot = column[0];
                if (!(pivot > T.Zero)) return false;
                TensorPrimitives.Multiply(column, T.One / T.Sqrt(pivot), column);
                for (int later = c + 1; later < jb; later++)
                {
                    Span<T> target = panel.Slice(later * m + later, m - later);
                    TensorPrimitives.MultiplyAdd(column[(later - c)..], -column[later - c], target, target);
                }
            }
            for (int row = 0; row < m; row++)
                for (int c = 0; c < Math.Min(jb, row + 1); c++) l[(j0 + row) * n + j0 + c] = panel[c * m + row];
        }
        return true;
    }

    /// <summary>_lowerInverse ← L⁻¹ (lower-triangular), block row by block row: X_ii = L_ii⁻¹, X[i, 0:i] = −X_ii·(L[i, 0:i]·X[0:i, 0:i]).</summary>
    private void InvertLower()
    {
        int n = _n;
        ReadOnlySpan<T> l = _factor;
        Span<T> x = _lowerInverse;
        x.Clear();
        for (int i0 = 0; i0 < n; i0 += Block)
        {
            int ib = Math.Min(Block, n - i0);
            // X_ii by substitution, in double.
            for (int c = 0; c < ib; c++)
            {
                int col = i0 + c;
                x[col * n + col] = T.One / l[col * n + col];
                for (int r = c + 1; r < ib; r++)
                {
                    int row = i0 + r;
                    double sum = 0;
                    for (int t = col; t < row; t++) sum += double.CreateChecked(l[row * n + t]) * double.CreateChecked(x[t * n + col]);
                    x[row * n + col] = T.CreateChecked(-sum / double.CreateChecked(l[row * n + row]));
                }
            }
            if (i0 == 0) continue;
            // W = L[i, 0:i]·X[0:i, 0:i] (ib × i0), then X[i, 0:i] = −X_ii·W.
            Span<T> w = _panel.AsSpan(0, ib * i0);
            Gemm.NN(ib, i0, i0, l[(i0 * n)..], n, x, n, w, i0);
            for (int r = 0; r < ib; r++)
            {
                int row = i0 + r;
                Span<T> target = x.Slice(row * n, i0);
                TensorPrimitives.Multiply(w[..i0], -x[row * n + i0], target);
                for (int t = 1; t <= r; t++) TensorPrimitives.MultiplyAdd(w.Slice(t * i0, i0), -x[row * n + i0 + t], target, target);
            }
        }
    }
}
