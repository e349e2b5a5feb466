using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace FishLeg.Kernels;

/// <summary>
/// The eigendecomposition A = Z·diag(d)·Zᵀ of a symmetric n×n matrix (row-major), in double whatever T is: Householder
/// reduction to a tridiagonal matrix, the reflections accumulated into Qᵀ, then implicit QL iterations with Wilkinson
/// shifts whose plane rotations combine rows of Zᵀ (contiguous, so they vectorize). Eigenvalues come out ascending, the
/// eigenvectors as the columns of Z. About (8/3)·n³ flops for the reduction and accumulation and 3–6·n³ for the
/// rotations, all level-1/level-2 work: the right tool for factors up to a few thousand, not for speed (see
/// docs/benchmarks.md for the ratio to LAPACK).
/// </summary>
public sealed class SymmetricEigen<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private const int MaxIterationsPerEigenvalue = 60;
    // The unit roundoff of double: a coupling below Precision times the norm seen so far is negligible.
    private const double Precision = 1.0 / (1L << 52);
    private readonly int _n;
    // _z: the matrix being reduced (each reflection's v kept in its row), then Zᵀ; _q: Q while it is accumulated; _d, _e:
    // the tridiagonal's diagonal and sub-diagonal; _beta: each reflection's scale; _w: one vector of scratch; _order:
    // the ascending permutation.
    private readonly double[] _z, _q, _d, _e, _beta, _w;
    private readonly int[] _order;

    /// <param name="n">The order of the matrices; the buffers (2·n² doubles and five n-vectors) are allocated here, once.</param>
    public SymmetricEigen(int n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        _n = n;
        _z = new double[n * n];
        _d = new double[n];
        _e = new double[n];
        _beta = new double[n];
        _q = new double[n * n];
        _w = new double[n];
        _order = new int[n];
    }

    /// <summary>The order n.</summary>
    public int Order => _n;

    /// <summary>
    /// Writes the eigenvalues of the symmetric <paramref name="matrix"/> (only its lower triangle is read) in ascending
    /// order to <paramref name="values"/>, and the matching unit eigenvectors as the columns of <paramref name="vectors"/>
    /// (A = Z·diag(d)·Zᵀ, Z row-major).
    /// Returns false, leaving both outputs unchanged, when the matrix holds a non-finite value or the QL iteration does
    /// not converge.
    /// </summary>
    public bool Decompose(ReadOnlySpan<T> matrix, Span<T> values, Span<T> vectors)
    {
        int n = _n;
        if (matrix.Length != n * n || vectors.Length != n * n || values.Length != n)
            throw new ArgumentException($"The matrices must hold {n}×{n} = {n * n} values and the eigenvalues {n} (got {matrix.Length}, {vectors.Length} and {values.Length}).");
        for (int r = 0; r < n; r++)
            for (int c = 0; c <= r; c++)
            {
                double value = double.CreateChecked(matrix[r * n + c]);
                if (!double.IsFinite(value)) return false;
                _z[r * n + c] = _z[c * n + r] = value;
            }
        Tridiagonalize();
        AccumulateTransposedReflections();
        if (!DiagonalizeTridiagonal()) return false;

        for (int k = 0; k < n; k++) _order[k] = k;
        Array.Sort(_d, _order);
        for (int k = 0; k < n; k++)
        {
            values[k] = T.CreateChecked(_d[k]);
            ReadOnlySpan<double> source = _z.AsSpan(_order[k] * n, n);
            for (int r = 0; r < n; r++) vectors[r * n + k] = T.CreateChecked(source[r]);
        }
        return true;
    }

    /// <summary>
    /// For k = 0 … n−3, the reflection H_k = I − β·v·vᵀ that zeroes column k below its sub-diagonal is applied on both
    /// sides of the trailing block: p = β·A·v, w = p − (β/2)(pᵀv)·v, A ← A − v·wᵀ − w·vᵀ. v is kept in row k (right of
    /// the diagonal, where the symmetric matrix's column k is), β in _beta; d and e receive the tridiagonal.
    /// </summary>
    private void Tridiagonalize()
    {
        int n = _n;
        Span<double> z = _z;
        for (int k = 0; k < n; k++)
        {
            _d[k] = z[k * n + k];
            _beta[k] = 0;
            int m = n - k - 1;
            if (m == 0) { _e[k] = 0; continue; }
            Span<double> v = z.Slice(k * n + k + 1, m);
            double alpha = v[0], tail = m > 1 ? TensorPrimitives.SumOfSquares<double>(v[1..]) : 0;
            if (tail == 0) { _e[k] = alpha; continue; }
            // v = x − s·e₁ with s = −sign(x₀)·‖x‖ (no cancellation), scaled so that v₀ = 1; β = 2/‖v‖².
            double norm = Math.Sqrt(alpha * alpha + tail), s = alpha > 0 ? -norm : norm;
            double v0 = alpha - s;
            TensorPrimitives.Multiply(v, 1 / v0, v);
            v[0] = 1;
            double beta = 2 / (1 + tail / (v0 * v0));
            _e[k] = s;
            _beta[k] = beta;

            // p = β·A₂₂·v (A₂₂ symmetric and stored whole), then w = p − (β/2)(pᵀv)·v.
            Span<double> w = _w.AsSpan(0, m);
            for (int r = 0; r < m; r++) w[r] = beta * TensorPrimitives.Dot<double>(z.Slice((k + 1 + r) * n + k + 1, m), v);
            TensorPrimitives.MultiplyAdd<double>(v, -0.5 * beta * TensorPrimitives.Dot<double>(w, v), w, w);
            for (int r = 0; r < m; r++)
            {
                Span<double> row = z.Slice((k + 1 + r) * n + k + 1, m);
                TensorPrimitives.MultiplyAdd<double>(w, -v[r], row, row);
                TensorPrimitives.MultiplyAdd<double>(v, -w[r], row, row);
            }
        }
    }

    /// <summary>
    /// _z ← Qᵀ, Q = H₀·H₁·…: built backwards in _q (M ← H_k·M touches only rows and columns after k), then transposed
    /// so that the QL rotations, which combine columns of Q, combine contiguous rows.
    /// </summary>
    private void AccumulateTransposedReflections()
    {
        int n = _n;
        Span<double> q = _q;
        q.Clear();
        for (int k = 0; k < n; k++) q[k * n + k] = 1;
        for (int k = n - 2; k >= 0; k--)
        {
            double beta = _beta[k];
            if (beta == 0) continue;
            int m = n - k - 1;
            ReadOnlySpan<double> v = _z.AsSpan(k * n + k + 1, m);
            // uᵀ = vᵀ·M over the trailing block, then M ← M − β·v·uᵀ.
            Span<double> u = _w.AsSpan(0, m);
            u.Clear();
            for (int r = 0; r < m; r++) TensorPrimitives.MultiplyAdd(q.Slice((k + 1 + r) * n + k + 1, m), v[r], u, u);
            for (int r = 0; r < m; r++)
            {
                Span<double> row = q.Slice((k + 1 + r) * n + k + 1, m);
                TensorPrimitives.MultiplyAdd<double>(u, -beta * v[r], row, row);
            }
        }
        for (int r = 0; r < n; r++)
            for (int c = 0; c < n; c++) _z[c * n + r] = q[r * n + c];
    }

    /// <summary>
    /// Implicit QL with Wilkinson shifts on the tridiagonal (d, e): each sweep from the bottom of an unreduced block up
    /// to l chases the bulge with plane rotations, which are applied to rows i, i+1 of Zᵀ. On return d holds the
    /// eigenvalues and Zᵀ the eigenvectors as rows (unsorted).
    /// </summary>
    private bool DiagonalizeTridiagonal()
    {
        int n = _n;
        Span<double> d = _d, e = _e;
        // e[i] couples d[i] and d[i+1]; e[n−1] = 0 ends every search for a negligible coupling.
        double shift = 0, scale = 0;
        for (int l = 0; l < n; l++)
        {
            scale = Math.Max(scale, Math.Abs(d[l]) + Math.Abs(e[l]));
            int m = l;
            while (m < n - 1 && Math.Abs(e[m]) > Precision * scale) m++;
            int iterations = 0;
            while (m > l)
            {
                if (++iterations > MaxIterationsPerEigenvalue) return false;
                // The shift: the eigenvalue of the leading 2×2 block nearer d[l].
                double g = d[l], p = (d[l + 1] - g) / (2 * e[l]), r = double.Hypot(p, 1);
                if (p < 0) r = -r;
                d[l] = e[l] / (p + r);
                d[l + 1] = e[l] * (p + r);
                double next = d[l + 1], h = g - d[l];
                for (int i = l + 2; i < n; i++) d[i] -= h;
                shift += h;

                // The sweep from m − 1 up to l.
                p = d[m];
                double c = 1, c2 = 1, c3 = 1, s = 0, s2 = 0, coupling = e[l + 1];
                for (int i = m - 1; i >= l; i--)
                {
                    c3 = c2; c2 = c; s2 = s;
                    g = c * e[i];
                    h = c * p;
                    r = double.Hypot(p, e[i]);
                    e[i + 1] = s * r;
                    s = e[i] / r;
                    c = p / r;
                    p = c * d[i] - s * g;
                    d[i + 1] = h + s * (c * g + s * d[i]);
                    Rotate(_z.AsSpan(i * n, n), _z.AsSpan((i + 1) * n, n), c, s);
                }
                p = -s * s2 * c3 * coupling * e[l] / next;
                e[l] = s * p;
                d[l] = c * p;
                if (Math.Abs(e[l]) <= Precision * scale) break;
            }
            d[l] += shift;
            e[l] = 0;
        }
        return true;
    }

    /// <summary>(a, b) ← (c·a − s·b, s·a + c·b), vectorized.</summary>
    private static void Rotate(Span<double> a, Span<double> b, double c, double s)
    {
        int k = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vc = new Vector<double>(c);
            var vs = new Vector<double>(s);
            for (; k <= a.Length - Vector<double>.Count; k += Vector<double>.Count)
            {
                var x = new Vector<double>(a[k..]);
                var y = new Vector<double>(b[k..]);
                (vc * x - vs * y).CopyTo(a[k..]);
                (vs * x + vc * y).CopyTo(b[k..]);
            }
        }
        for (; k < a.Length; k++)
        {
            double x = a[k], y = b[k];
            a[k] = c * x - s * y;
            b[k] = s * x + c * y;
        }
    }
}
