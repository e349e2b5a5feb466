using System;
using System.Numerics;
using System.Numerics.Tensors;
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
    // The depth split: C of at most this many values, k at least this many times C's longer side.
    private const long DepthSplitMaxOutput = 1 << 16;
    private const int DepthSplitMinRatio = 16;

    /// <summary><c>C[m×n] (=|+=) A[m×k]·B[k×n]</c>.</summary>
    public static void NN<T>(int m, int n, int k, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc, bool accumulate = false,
        OnesColumn ones = OnesColumn.None, GemmEpilogue<T> epilogue = default)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Multiply(false, false, m, n, k, a, lda, b, ldb, c, ldc, accumulate, ones, epilogue);

    /// <summary><c>C[m×n] (=|+=) A[m×k]·B[n×k]ᵀ</c>.</summary>
    public static void NT<T>(int m, int n, int k, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc, bool accumulate = false,
        OnesColumn ones = OnesColumn.None, GemmEpilogue<T> epilogue = default)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Multiply(false, true, m, n, k, a, lda, b, ldb, c, ldc, accumulate, ones, epilogue);

    /// <summary><c>C[m×n] (=|+=) A[k×m]ᵀ·B[k×n]</c>.</summary>
    public static void TN<T>(int m, int n, int k, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc, bool accumulate = false,
        OnesColumn ones = OnesColumn.None, GemmEpilogue<T> epilogue = default)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Multiply(true, false, m, n, k, a, lda, b, ldb, c, ldc, accumulate, ones, epilogue);

    /// <summary>
    /// <c>C[m×n] (=|+=) op(A)·op(B)</c> where op(A) is m×k and op(B) is k×n. <paramref name="lda"/>, <paramref name="ldb"/>
    /// and <paramref name="ldc"/> are the row strides of the matrices as stored (A is stored k×m when transposed).
    /// <paramref name="ones"/> says whether an operand's last column is an implicit column of ones; <paramref name="epilogue"/>
    /// runs on each tile of C once it is final.
    /// </summary>
    public static void Multiply<T>(bool transposeA, bool transposeB, int m, int n, int k,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc, bool accumulate = false,
        OnesColumn ones = OnesColumn.None, GemmEpilogue<T> epilogue = default)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Multiply(Kernel, WorkerPool.Shared, transposeA, transposeB, m, n, k, a, lda, b, ldb, c, ldc, accumulate, ones, epilogue);

    internal static void Multiply<T>(GemmKernel kernel, WorkerPool pool, bool transposeA, bool transposeB, int m, int n, int k,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc, bool accumulate,
        OnesColumn ones = OnesColumn.None, GemmEpilogue<T> epilogue = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (ones == OnesColumn.A && k == 0 || ones == OnesColumn.B && n == 0)
            throw new ArgumentException($"An operand with an implicit column of ones ({ones}) needs at least that column.", nameof(ones));
        if (m == 0 || n == 0) return;
        CheckOperand(nameof(c), c.Length, m, n, ldc);
        CheckEpilogue(epilogue, m, n, ldc);
        int storedK = ones == OnesColumn.A ? k - 1 : k, storedN = ones == OnesColumn.B ? n - 1 : n;
        if (transposeA) CheckOperand(nameof(a), a.Length, storedK, m, lda); else CheckOperand(nameof(a), a.Length, m, storedK, lda);
        if (transposeB) CheckOperand(nameof(b), b.Length, storedN, k, ldb); else CheckOperand(nameof(b), b.Length, k, storedN, ldb);

        fixed (T* pa = a, pb = b, pc = c, pz = epilogue.Z, pActivated = epilogue.A, pOutput = epilogue.Output)
        {
            var args = new GemmArgs<T>(kernel, transposeA, transposeB, m, n, k, pa, lda, pb, ldb, pc, ldc, accumulate, ones,
                new EpilogueArgs<T>(epilogue.Kind, epilogue.Function, pz, pActivated, pOutput));
            if (k == 0)
            {
                if (!accumulate) for (int i = 0; i < m; i++) c.Slice(i * ldc, n).Clear();
                GemmBlocked<T>.Finish(in args, 0, m, 0, n);
                return;
            }
            var job = GemmJob<T>.ForThisThread;
            job.Args = args;
            long work = (long)m * n * k;
            // A small C over a long k (a convolution's weight gradient: Eᵀ·P over every patch row) is split along k in two
            // halves, the second summed into C afterwards; by shape alone, so that results do not depend on the threads.
            job.SplitDepth = work >= ParallelThreshold && epilogue.Kind == EpilogueKind.None &&
                (long)m * n <= DepthSplitMaxOutput && k >= DepthSplitMinRatio * Math.Max(m, n);
            if (job.SplitDepth) job.EnsurePartial(m * n);
            int parts = work < ParallelThreshold ? 1 : pool.Parallelism;
            pool.Run(job, job.SplitDepth ? Math.Min(parts, GemmJob<T>.DepthChunks) : parts);
            if (job.SplitDepth)
                for (int i = 0; i < m; i++)
                {
                    Span<T> row = c.Slice(i * ldc, n);
                    TensorPrimitives.Add(row, job.PartialRow(i, n), row);
                }
            job.Args = default;
        }
    }

    private static void CheckEpilogue<T>(in GemmEpilogue<T> epilogue, int m, int n, int ldc) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (epilogue.Kind == EpilogueKind.None) return;
        CheckOperand("epilogue output", epilogue.Output.Length, m, n, ldc);
        if (epilogue.Kind != EpilogueKind.Differentiate) return;
        CheckOperand("epilogue Z", epilogue.Z.Length, m, n, ldc);
        CheckOperand("epilogue A", epilogue.A.Length, m, n, ldc);
    }

    private static void CheckOperand(string name, int length, int rows, int columns, int stride)
    {
        if (rows == 0 || columns == 0) return;
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
    T* a, int lda, T* b, int ldb, T* c, int ldc, bool accumulate, OnesColumn ones, EpilogueArgs<T> epilogue) where T : unmanaged, IFloatingPointIeee754<T>
{
    public readonly GemmKernel Kernel = kernel;
    public readonly bool TransposeA = transposeA, TransposeB = transposeB, Accumulate = accumulate;
    public readonly int M = m, N = n, K = k, Lda = lda, Ldb = ldb, Ldc = ldc;
    /// <summary>Columns of op(A) and op(B) read from memory; any beyond are the implicit ones.</summary>
    public readonly int StoredK = ones == OnesColumn.A ? k - 1 : k, StoredN = ones == OnesColumn.B ? n - 1 : n;
    public readonly T* A = a, B = b, C = c;
    public readonly OnesColumn Ones = ones;
    public readonly EpilogueArgs<T> Epilogue = epilogue;

    /// <summary>The same product written to another C.</summary>
    public GemmArgs<T> WithOutput(T* output, int ldc, bool accumulate) =>
        new(Kernel, TransposeA, TransposeB, M, N, K, A, Lda, B, Ldb, output, ldc, accumulate, Ones, Epilogue);
}

/// <summary><see cref="GemmEpilogue{T}"/> with its spans pinned, for the worker threads.</summary>
internal readonly unsafe struct EpilogueArgs<T>(EpilogueKind kind, ElementwiseFunction<T>? function, T* z, T* a, T* output)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public readonly EpilogueKind Kind = kind;
    public readonly ElementwiseFunction<T>? Function = function;
    public readonly T* Z = z, A = a, Output = output;
}

/// <summary>
/// One GEMM call split over threads: each part takes a band of C's columns (or rows, when C is tall); or, with
/// <see cref="SplitDepth"/>, a half of k, the first into C and the second into a partial C the caller adds.
/// </summary>
internal sealed unsafe class GemmJob<T> : IParallelWork where T : unmanaged, IFloatingPointIeee754<T>
{
    public const int DepthChunks = 2;

    [ThreadStatic] private static GemmJob<T>? s_forThisThread;

    /// <summary>A job object per calling thread, so concurrent callers never share one.</summary>
    public static GemmJob<T> ForThisThread => s_forThisThread ??= new GemmJob<T>();

    public GemmArgs<T> Args;
    public bool SplitDepth;
    private T[] _partial = [];

    /// <summary>Grows the pinned partial C to <paramref name="length"/> values (once: later calls of that size allocate nothing).</summary>
    public void EnsurePartial(int length)
    {
        if (_partial.Length < length) _partial = GC.AllocateUninitializedArray<T>(length, pinned: true);
    }

    public ReadOnlySpan<T> PartialRow(int row, int n) => _partial.AsSpan(row * n, n);

    public void Execute(int part, int parts)
    {
        ref readonly GemmArgs<T> g = ref Args;
        if (SplitDepth)
        {
            // Chunks by index, not by thread: one thread or two compute the same sums in the same order.
            int middle = g.K / DepthChunks;
            for (int chunk = part; chunk < DepthChunks; chunk += parts)
                if (chunk == 0) GemmBlocked<T>.Run(in g, 0, g.M, 0, g.N, 0, middle);
                else
                    fixed (T* partial = _partial)
                    {
                        GemmArgs<T> rest = g.WithOutput(partial, g.N, accumulate: false);
                        GemmBlocked<T>.Run(in rest, 0, g.M, 0, g.N, middle, g.K);
                    }
            return;
        }
        var shape = MicroKernel<T>.Shape(g.Kernel);
        bool splitColumns = g.N / shape.Nr >= g.M / shape.Mr;
        int unit = splitColumns ? shape.Nr : shape.Mr;
        int extent = splitColumns ? g.N : g.M;
        int units = (extent + unit - 1) / unit;
        int first = (int)((long)units * part / parts) * unit;
        int last = Math.Min(extent, (int)((long)units * (part + 1) / parts) * unit);
        if (first >= last) return;
        if (splitColumns) GemmBlocked<T>.Run(in g, 0, g.M, first, last, 0, g.K);
        else GemmBlocked<T>.Run(in g, first, last, 0, g.N, 0, g.K);
    }
}
