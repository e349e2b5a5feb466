using System;
using System.Numerics;
using System.Runtime.InteropServices;

namespace FishLeg.Kernels;

/// <summary>
/// General matrix multiply on row-major buffers: <c>C (=|+=) op(A)·op(B)</c> with <c>op</c> the identity or the transpose.
/// Packed panels, a register-blocked SIMD micro-kernel (Vector512, else Vector256, else scalar) and the shared
/// <see cref="WorkerPool"/>; no allocation per call.
/// </summary>
public static unsafe class Gemm
{
    /// <summary>The micro-kernel this machine uses.</summary>
    public static GemmKernel Kernel { get; } =
        System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? GemmKernel.Vector512
        : System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated ? GemmKernel.Vector256
        : GemmKernel.Scalar;

    /// <summary>Below this many multiply-adds a product runs on one thread: waking a worker costs more.</summary>
    private const long ParallelThreshold = 1 << 17;

    /// <summary><c>C[m×n] (=|+=) A[m×k]·B[k×n]</c>.</summary>
    public static void NN<T>(int m, int n, int k, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Multiply(false, false, m, n, k, a, lda, b, ldb, c, ldc, accumulate);

    /// <summary><c>C[m×n] (=|+=) A[m×k]·B[n×k]ᵀ</c>.</summary>
    public static void NT<T>(int m, int n, int k, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Multiply(false, true, m, n, k, a, lda, b, ldb, c, ldc, accumulate);

    /// <summary><c>C[m×n] (=|+=) A[k×m]ᵀ·B[k×n]</c>.</summary>
    public static void TN<T>(int m, int n, int k, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Multiply(true, false, m, n, k, a, lda, b, ldb, c, ldc, accumulate);

    /// <summary>
    /// <c>C[m×n] (=|+=) op(A)·op(B)</c> where op(A) is m×k and op(B) is k×n. <paramref name="lda"/>, <paramref name="ldb"/>
    /// and <paramref name="ldc"/> are the row strides of the matrices as stored (A is stored k×m when transposed).
    /// </summary>
    public static void Multiply<T>(bool transposeA, bool transposeB, int m, int n, int k,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Multiply(Kernel, WorkerPool.Shared, transposeA, transposeB, m, n, k, a, lda, b, ldb, c, ldc, accumulate);

    internal static void Multiply<T>(GemmKernel kernel, WorkerPool pool, bool transposeA, bool transposeB, int m, int n, int k,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (m == 0 || n == 0) return;
        CheckOperand(nameof(c), c.Length, m, n, ldc);
        if (k == 0)
        {
            if (!accumulate) for (int i = 0; i < m; i++) c.Slice(i * ldc, n).Clear();
            return;
        }
        if (transposeA) CheckOperand(nameof(a), a.Length, k, m, lda); else CheckOperand(nameof(a), a.Length, m, k, lda);
        if (transposeB) CheckOperand(nameof(b), b.Length, n, k, ldb); else CheckOperand(nameof(b), b.Length, k, n, ldb);

        fixed (T* pa = a, pb = b, pc = c)
        {
            var job = GemmJob<T>.ForThisThread;
            job.Args = new GemmArgs<T>(kernel, transposeA, transposeB, m, n, k, pa, lda, pb, ldb, pc, ldc, accumulate);
            long work = (long)m * n * k;
            int parts = work < ParallelThreshold ? 1 : pool.Parallelism;
            pool.Run(job, parts);
            job.Args = default;
        }
    }

    private static void CheckOperand(string name, int length, int rows, int columns, int stride)
    {
        if (stride < columns)
            throw new ArgumentException($"Row stride {stride} of matrix '{name}' is smaller than its {columns} columns.", name);
        long needed = (long)(rows - 1) * stride + columns;
        if (length < needed)
            throw new ArgumentException($"Matrix '{name}' ({rows}×{columns}, row stride {stride}) needs {needed} elements but the span holds {length}.", name);
    }
}

/// <summary>Which micro-kernel a GEMM runs.</summary>
public enum GemmKernel
{
    /// <summary>Portable scalar code.</summary>
    Scalar,
    /// <summary>256-bit vectors (AVX2 or equivalent).</summary>
    Vector256,
    /// <summary>512-bit vectors (AVX-512).</summary>
    Vector512,
}

internal readonly unsafe struct GemmArgs<T>(GemmKernel kernel, bool transposeA, bool transposeB, int m, int n, int k,
    T* a, int lda, T* b, int ldb, T* c, int ldc, bool accumulate) where T : unmanaged
{
    public readonly GemmKernel Kernel = kernel;
    public readonly bool TransposeA = transposeA, TransposeB = transposeB, Accumulate = accumulate;
    public readonly int M = m, N = n, K = k, Lda = lda, Ldb = ldb, Ldc = ldc;
    public readonly T* A = a, B = b, C = c;
}

/// <summary>One GEMM call split over threads: each part takes a band of C's columns (or rows, when C is tall).</summary>
internal sealed unsafe class GemmJob<T> : IParallelWork where T : unmanaged, IFloatingPointIeee754<T>
{
    [ThreadStatic] private static GemmJob<T>? s_forThisThread;

    /// <summary>A job object per calling thread, so concurrent callers never share one.</summary>
    public static GemmJob<T> ForThisThread => s_forThisThread ??= new GemmJob<T>();

    public GemmArgs<T> Args;

    public void Execute(int part, int parts)
    {
        ref readonly GemmArgs<T> g = ref Args;
        var shape = MicroKernel<T>.Shape(g.Kernel);
        bool splitColumns = g.N / shape.Nr >= g.M / shape.Mr;
        int unit = splitColumns ? shape.Nr : shape.Mr;
        int extent = splitColumns ? g.N : g.M;
        int units = (extent + unit - 1) / unit;
        int first = (int)((long)units * part / parts) * unit;
        int last = Math.Min(extent, (int)((long)units * (part + 1) / parts) * unit);
        if (first >= last) return;
        if (splitColumns) GemmBlocked<T>.Run(in g, 0, g.M, first, last);
        else GemmBlocked<T>.Run(in g, first, last, 0, g.N);
    }
}
