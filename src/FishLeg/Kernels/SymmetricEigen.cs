using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FishLeg.Kernels;

/// <summary>
/// The eigendecomposition A = Z·diag(d)·Zᵀ of a symmetric n×n matrix (row-major), in double whatever T is: Householder
/// reduction to a tridiagonal matrix (level-2, about (4/3)·n³ flops), the reflections accumulated into Q in blocks
/// through our GEMM, then implicit QL iterations with Wilkinson shifts whose plane rotations combine rows of Zᵀ (3–6·n³
/// flops). The QL iteration on (d, e) never reads Z, so its rotations are logged and applied in batches, sweep by sweep
/// down blocks of columns, split between the <see cref="WorkerPool"/>'s threads. Eigenvalues come out ascending, the
/// eigenvectors as the columns of Z. The right tool for factors up to a few thousand, not LAPACK's speed (the README's
/// "Performance" has the ratio).
/// </summary>
public sealed class SymmetricEigen<T> : IParallelWork where T : unmanaged, IFloatingPointIeee754<T>
{
    // Below this many rotated entries in a batch, waking a worker costs more than it saves.
    private const int ParallelThreshold = 1 << 16;
    private const int MaxIterationsPerEigenvalue = 60;
    // The unit roundoff of double: a coupling below Precision times the norm seen so far is negligible.
    private const double Precision = 1.0 / (1L << 52);
    private readonly int _n;
    // _z: the matrix being reduced (each reflection's v kept in its row), then Zᵀ; _q: Q while it is accumulated; _d, _e:
    // the tridiagonal's diagonal and sub-diagonal; _beta: each reflection's scale; _w: one vector of scratch; _order:
    // the ascending permutation.
    private readonly double[] _z, _q, _d, _e, _beta, _w;
    // The compact WY form of a block of reflectors: Vᵀ, T, and the products Vᵀ·M and −T·Vᵀ·M.
    private const int Reflectors = 32;
    private readonly double[] _vt, _t, _product, _scaled;
    private readonly int[] _order;
    // The logged sweeps: sweep j turned rows (i, i + 1) of Zᵀ for i = high − 1 down to low, by (cos, sin) from _cos[first].
    private readonly int[] _sweepLow, _sweepHigh, _sweepFirst;
    private readonly double[] _cos, _sin;
    private int _sweeps, _rotations;

    /// <param name="n">The order of the matrices; the buffers (2·n² doubles, a few n-vectors and a log of 16·n rotations) are allocated here, once.</param>
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
        _vt = new double[Reflectors * n];
        _t = new double[Reflectors * Reflectors];
        _product = new double[Reflectors * n];
        _scaled = new double[Reflectors * n];
        _order = new int[n];
        int log = Math.Max(4096, 16 * n);
        _cos = new double[log];
        _sin = new double[log];
        _sweepLow = new int[log];
        _sweepHigh = new int[log];
        _sweepFirst = new int[log];
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

            // p = β·A₂₂·v (A₂₂ symmetric and stored whole), then w = p − (β/2)(pᵀv)·v, then A₂₂ −= v·wᵀ + w·vᵀ.
            Span<double> w = _w.AsSpan(0, m);
            for (int r = 0; r < m; r++) w[r] = beta * TensorPrimitives.Dot<double>(z.Slice((k + 1 + r) * n + k + 1, m), v);
            TensorPrimitives.MultiplyAdd<double>(v, -0.5 * beta * TensorPrimitives.Dot<double>(w, v), w, w);
            for (int r = 0; r < m; r++) SubtractRankTwo(z.Slice((k + 1 + r) * n + k + 1, m), v[r], w, w[r], v);
        }
    }

    /// <summary>
    /// _z ← Qᵀ, Q = H₀·H₁·…: built backwards in _q, a block of reflectors at a time as I − V·T·Vᵀ (the compact WY form,
    /// T upper triangular) so that the work runs in GEMM: M ← M − V·(T·(Vᵀ·M)) over the trailing block the block's
    /// reflectors touch. Then transposed, so that the QL rotations, which combine columns of Q, combine contiguous rows.
    /// </summary>
    private void AccumulateTransposedReflections()
    {
        // Reflectors 0 … n − 3 (the last column has nothing below its sub-diagonal to zero).
        int n = _n, reflectors = Math.Max(0, n - 2);
        Span<double> q = _q, t = _t;
        q.Clear();
        for (int k = 0; k < n; k++) q[k * n + k] = 1;
        for (int k0 = reflectors == 0 ? -1 : (reflectors - 1) / Reflectors * Reflectors; k0 >= 0; k0 -= Reflectors)
        {
            int b = Math.Min(Reflectors, reflectors - k0), m = n - k0 - 1;
            // Vᵀ's rows over the block's columns k0 + 1 …: reflector k0 + j is zero before its column j and 1 there.
            Span<double> vt = _vt.AsSpan(0, b * m);
            vt.Clear();
            for (int j = 0; j < b; j++)
            {
                int k = k0 + j;
                if (_beta[k] == 0) continue;
                vt[j * m + j] = 1;
                _z.AsSpan(k * n + k + 2, n - k - 2).CopyTo(vt.Slice(j * m + j + 1));
            }
            // T[j, j] = β_j, T[0:j, j] = −β_j·T[0:j, 0:j]·(V[:, 0:j]ᵀ·v_j).
            t.Clear();
            for (int j = 0; j < b; j++)
            {
                double beta = _beta[k0 + j];
                t[j * b + j] = beta;
                Span<double> y = _w.AsSpan(0, j);
                for (int i = 0; i < j; i++) y[i] = TensorPrimitives.Dot<double>(vt.Slice(i * m, m), vt.Slice(j * m, m));
                for (int i = 0; i < j; i++) t[i * b + j] = -beta * TensorPrimitives.Dot<double>(t.Slice(i * b + i, j - i), y[i..]);
            }
            Span<double> block = q[((k0 + 1) * n + k0 + 1)..], product = _product.AsSpan(0, b * m), scaled = _scaled.AsSpan(0, b * m);
            Gemm.NN(b, m, m, vt, m, block, n, product, m);
            Gemm.NN(b, m, b, t[..(b * b)], b, product, m, scaled, m);
            TensorPrimitives.Negate<double>(scaled, scaled);
            Gemm.TN(m, m, b, vt, m, scaled, m, block, n, accumulate: true);
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
                if (++iterations > MaxIterationsPerEigenvalue) { _sweeps = _rotations = 0; return false; }
                // The shift: the eigenvalue of the leading 2×2 block nearer d[l].
                double g = d[l], p = (d[l + 1] - g) / (2 * e[l]), r = double.Hypot(p, 1);
                if (p < 0) r = -r;
                d[l] = e[l] / (p + r);
                d[l + 1] = e[l] * (p + r);
                double next = d[l + 1], h = g - d[l];
                for (int i = l + 2; i < n; i++) d[i] -= h;
                shift += h;

                // The sweep from m − 1 up to l; its rotations go to the log, flushed first if they might not fit.
                if (_rotations + (m - l) > _cos.Length) ApplyRotations();
                (_sweepLow[_sweeps], _sweepHigh[_sweeps], _sweepFirst[_sweeps]) = (l, m, _rotations);
                _sweeps++;
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
                    (_cos[_rotations], _sin[_rotations]) = (c, s);
                    _rotations++;
                }
                p = -s * s2 * c3 * coupling * e[l] / next;
                e[l] = s * p;
                d[l] = c * p;
                if (Math.Abs(e[l]) <= Precision * scale) break;
            }
            d[l] += shift;
            e[l] = 0;
        }
        ApplyRotations();
        return true;
    }

    /// <summary>Applies the logged rotations to Zᵀ in order, its columns split between threads, and empties the log.</summary>
    private void ApplyRotations()
    {
        long work = (long)_rotations * _n;
        WorkerPool.Shared.Run(this, work >= ParallelThreshold ? WorkerPool.Shared.Parallelism : 1);
        _sweeps = _rotations = 0;
    }

    /// <summary>Every logged sweep, on this part's columns (whole vectors per part), block by block.</summary>
    void IParallelWork.Execute(int part, int parts)
    {
        int n = _n, width = Vector256<double>.Count * Chains, perPart = (n / width + parts - 1) / parts * width;
        int start = Math.Min(part * perPart, n), end = part == parts - 1 ? n : Math.Min(start + perPart, n);
        // A block's slice of every row stays in cache across the whole log.
        for (int block = start; block < end; block += Block)
            for (int sweep = 0; sweep < _sweeps; sweep++)
                Chase(sweep, block, Math.Min(block + Block, end));
    }

    private const int Chains = 4, Block = 64;

    /// <summary>
    /// One sweep on columns [start, end): down the rows, each rotation (i, i + 1) writes row i + 1 for good and carries
    /// row i to the next, so each rotation loads and stores one row instead of two; four independent column vectors at a
    /// time hide the carry's latency.
    /// </summary>
    private void Chase(int sweep, int start, int end)
    {
        int n = _n, low = _sweepLow[sweep], high = _sweepHigh[sweep], first = _sweepFirst[sweep];
        ref double z = ref MemoryMarshal.GetArrayDataReference(_z);
        ref double cos = ref MemoryMarshal.GetArrayDataReference(_cos), sin = ref MemoryMarshal.GetArrayDataReference(_sin);
        int column = start, step = Vector256<double>.Count;
        if (Vector256.IsHardwareAccelerated)
            for (; column + Chains * step <= end; column += Chains * step)
            {
                nuint top = (nuint)(high * n + column);
                Vector256<double> c0 = Vector256.LoadUnsafe(ref z, top), c1 = Vector256.LoadUnsafe(ref z, top + 4),
                    c2 = Vector256.LoadUnsafe(ref z, top + 8), c3 = Vector256.LoadUnsafe(ref z, top + 12);
                for (int i = high - 1, t = first; i >= low; i--, t++)
                {
                    Vector256<double> c = Vector256.Create(Unsafe.Add(ref cos, t)), s = Vector256.Create(Unsafe.Add(ref sin, t));
                    nuint row = (nuint)(i * n + column), below = row + (nuint)n;
                    Vector256<double> x0 = Vector256.LoadUnsafe(ref z, row), x1 = Vector256.LoadUnsafe(ref z, row + 4),
                        x2 = Vector256.LoadUnsafe(ref z, row + 8), x3 = Vector256.LoadUnsafe(ref z, row + 12);
                    (s * x0 + c * c0).StoreUnsafe(ref z, below);
                    (s * x1 + c * c1).StoreUnsafe(ref z, below + 4);
                    (s * x2 + c * c2).StoreUnsafe(ref z, below + 8);
                    (s * x3 + c * c3).StoreUnsafe(ref z, below + 12);
                    c0 = c * x0 - s * c0;
                    c1 = c * x1 - s * c1;
                    c2 = c * x2 - s * c2;
                    c3 = c * x3 - s * c3;
                }
                nuint bottom = (nuint)(low * n + column);
                c0.StoreUnsafe(ref z, bottom);
                c1.StoreUnsafe(ref z, bottom + 4);
                c2.StoreUnsafe(ref z, bottom + 8);
                c3.StoreUnsafe(ref z, bottom + 12);
            }
        for (; column < end; column++)
        {
            double carry = Unsafe.Add(ref z, high * n + column);
            for (int i = high - 1, t = first; i >= low; i--, t++)
            {
                double c = Unsafe.Add(ref cos, t), s = Unsafe.Add(ref sin, t), x = Unsafe.Add(ref z, i * n + column);
                Unsafe.Add(ref z, (i + 1) * n + column) = s * x + c * carry;
                carry = c * x - s * carry;
            }
            Unsafe.Add(ref z, low * n + column) = carry;
        }
    }

    /// <summary>row ← row − (a·x + b·y), in one pass.</summary>
    private static void SubtractRankTwo(Span<double> row, double a, ReadOnlySpan<double> x, double b, ReadOnlySpan<double> y)
    {
        int k = 0;
        ref double r = ref MemoryMarshal.GetReference(row);
        ref double rx = ref MemoryMarshal.GetReference(x), ry = ref MemoryMarshal.GetReference(y);
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<double> va = Vector512.Create(a), vb = Vector512.Create(b);
            for (; k <= row.Length - Vector512<double>.Count; k += Vector512<double>.Count)
                (Vector512.LoadUnsafe(ref r, (nuint)k) - (va * Vector512.LoadUnsafe(ref rx, (nuint)k) + vb * Vector512.LoadUnsafe(ref ry, (nuint)k)))
                    .StoreUnsafe(ref r, (nuint)k);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Vector256<double> va = Vector256.Create(a), vb = Vector256.Create(b);
            for (; k <= row.Length - Vector256<double>.Count; k += Vector256<double>.Count)
                (Vector256.LoadUnsafe(ref r, (nuint)k) - (va * Vector256.LoadUnsafe(ref rx, (nuint)k) + vb * Vector256.LoadUnsafe(ref ry, (nuint)k)))
                    .StoreUnsafe(ref r, (nuint)k);
        }
        for (; k < row.Length; k++) row[k] -= a * x[k] + b * y[k];
    }
}
