using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FishLeg.Kernels;

/// <summary>
/// The GEMM loop nest for one thread's band of C: B is packed into KC×NR column panels, A into MR×KC row panels
/// (both zero-padded, and transposition handled here, by reading with the other stride), and the micro-kernel
/// computes one MR×NR tile of C from a pair of panels.
/// </summary>
internal static unsafe class GemmBlocked<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private const int KC = 256;   // depth of a packed panel
    private const int MC = 96;    // rows of A packed at once (a multiple of every MR)
    private const int NC = 1024;  // columns of B packed at once (a multiple of every NR)
    private const int MaxTile = 16 * 64; // MR×NR bound for the edge-tile scratch

    [ThreadStatic] private static T[]? s_packA;
    [ThreadStatic] private static T[]? s_packB;

    /// <summary>C's block [rowStart, rowEnd) × [colStart, colEnd) from the depths [kStart, kEnd) of the product.</summary>
    public static void Run(in GemmArgs<T> g, int rowStart, int rowEnd, int colStart, int colEnd, int kStart, int kEnd)
    {
        (int mr, int nr) = MicroKernel<T>.Shape(g.Kernel);
        T* packA = Pinned(ref s_packA, MC * KC);
        T* packB = Pinned(ref s_packB, KC * NC);
        T* edge = stackalloc T[MaxTile];

        for (int jc = colStart; jc < colEnd; jc += NC)
        {
            int nc = Math.Min(NC, colEnd - jc);
            for (int pc = kStart; pc < kEnd; pc += KC)
            {
                int kc = Math.Min(KC, kEnd - pc);
                bool accumulate = g.Accumulate || pc > kStart, last = pc + kc == g.K && g.Epilogue.Kind != EpilogueKind.None;
                PackB(in g, pc, kc, jc, nc, nr, packB);
                for (int ic = rowStart; ic < rowEnd; ic += MC)
                {
                    int mc = Math.Min(MC, rowEnd - ic);
                    PackA(in g, ic, mc, pc, kc, mr, packA);
                    for (int jr = 0; jr < nc; jr += nr)
                    {
                        int nrValid = Math.Min(nr, nc - jr);
                        T* bPanel = packB + jr * kc;
                        for (int ir = 0; ir < mc; ir += mr)
                        {
                            int mrValid = Math.Min(mr, mc - ir);
                            T* aPanel = packA + ir * kc;
                            T* cTile = g.C + (long)(ic + ir) * g.Ldc + jc + jr;
                            if (mrValid == mr && nrValid == nr)
                            {
                                MicroKernel<T>.Run(g.Kernel, kc, aPanel, bPanel, cTile, g.Ldc, accumulate);
                            }
                            else
                            {
                                MicroKernel<T>.Run(g.Kernel, kc, aPanel, bPanel, edge, nr, accumulate: false);
                                StoreEdge(edge, nr, cTile, g.Ldc, mrValid, nrValid, accumulate);
                            }
                            if (last) Finish(in g, ic + ir, mrValid, jc + jr, nrValid);
                        }
                    }
                }
            }
        }
    }

    private static T* Pinned(ref T[]? buffer, int length)
    {
        buffer ??= GC.AllocateUninitializedArray<T>(length, pinned: true);
        return (T*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
    }

    /// <summary>op(B)[pc..pc+kc, jc..jc+nc] → panels of NR columns, each kc rows of NR contiguous values.</summary>
    private static void PackB(in GemmArgs<T> g, int pc, int kc, int jc, int nc, int nr, T* dst)
    {
        for (int j0 = 0; j0 < nc; j0 += nr)
        {
            int valid = Math.Min(nr, nc - j0);
            int width = Math.Min(valid, g.StoredN - jc - j0); // stored columns; the rest of the valid ones are ones
            T* panel = dst + j0 * kc;
            if (g.TransposeB)
            {
                // op(B)(p, j) = B[j, p]: walk each stored row of B once. In float with AVX, 8×8 blocks are transposed in
                // registers first: the scalar strided writes cost 15–20% of an NT product at the autoencoder's shapes.
                int j = 0;
                if (typeof(T) == typeof(float) && Avx.IsSupported && nr % 8 == 0)
                    for (; j + 8 <= width; j += 8)
                    {
                        float* src = (float*)(g.B + (long)(jc + j0 + j) * g.Ldb + pc);
                        float* to = (float*)(panel + j);
                        int p = 0;
                        for (; p + 8 <= kc; p += 8) Transpose8x8(src + p, g.Ldb, to + p * nr, nr);
                        for (; p < kc; p++)
                            for (int r = 0; r < 8; r++) to[p * nr + r] = src[(long)r * g.Ldb + p];
                    }
                for (; j < width; j++)
                {
                    T* src = g.B + (long)(jc + j0 + j) * g.Ldb + pc;
                    for (int p = 0; p < kc; p++) panel[p * nr + j] = src[p];
                }
                for (; j < nr; j++)
                {
                    T fill = j < valid ? T.One : T.Zero;
                    for (int p = 0; p < kc; p++) panel[p * nr + j] = fill;
                }
            }
            else
            {
                T* src = g.B + (long)pc * g.Ldb + jc + j0;
                for (int p = 0; p < kc; p++, src += g.Ldb) CopyPadded(src, width, valid, panel + p * nr, nr);
            }
        }
    }

    /// <summary>Writes the transpose of the 8×8 block at <paramref name="src"/> (row stride <paramref name="ld"/>) to <paramref name="dst"/> (row stride <paramref name="dstStride"/>).</summary>
    private static void Transpose8x8(float* src, int ld, float* dst, int dstStride)
    {
        Vector256<float> r0 = Avx.LoadVector256(src), r1 = Avx.LoadVector256(src + ld), r2 = Avx.LoadVector256(src + 2L * ld),
            r3 = Avx.LoadVector256(src + 3L * ld), r4 = Avx.LoadVector256(src + 4L * ld), r5 = Avx.LoadVector256(src + 5L * ld),
            r6 = Avx.LoadVector256(src + 6L * ld), r7 = Avx.LoadVector256(src + 7L * ld);
        // Interleave pairs of rows, then pairs of pairs (within 128-bit lanes), then swap lane halves.
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE), u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE), u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(dst + dstStride, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(dst + 2 * dstStride, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(dst + 3 * dstStride, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(dst + 4 * dstStride, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(dst + 5 * dstStride, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(dst + 6 * dstStride, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(dst + 7 * dstStride, Avx.Permute2x128(u3, u7, 0x31));
    }

    /// <summary>op(A)[ic..ic+mc, pc..pc+kc] → panels of MR rows, each kc columns of MR contiguous values.</summary>
    private static void PackA(in GemmArgs<T> g, int ic, int mc, int pc, int kc, int mr, T* dst)
    {
        int stored = Math.Min(kc, g.StoredK - pc); // columns read from A; any after are the implicit ones
        if (g.TransposeA)
        {
            // op(A)(i, p) = A[p, i]: row p of the block is contiguous in A. Reading it once and dealing it out to the
            // panels streams A in memory order, which keeps a tall A (a convolution's patches) at memory speed.
            for (int p = 0; p < stored; p++)
            {
                T* src = g.A + (long)(pc + p) * g.Lda + ic;
                for (int i0 = 0; i0 < mc; i0 += mr)
                {
                    int height = Math.Min(mr, mc - i0);
                    CopyPadded(src + i0, height, height, dst + i0 * kc + p * mr, mr);
                }
            }
            for (int i0 = 0; i0 < mc; i0 += mr)
                for (int p = stored; p < kc; p++)
                    for (int i = 0; i < mr; i++) dst[i0 * kc + p * mr + i] = i < mc - i0 ? T.One : T.Zero;
            return;
        }
        for (int i0 = 0; i0 < mc; i0 += mr)
        {
            int height = Math.Min(mr, mc - i0);
            T* panel = dst + i0 * kc;
            // op(A)(i, p) = A[i, p]: a full 8-row float panel is transposed 8×8 in registers, like PackB's.
            T* src = g.A + (long)(ic + i0) * g.Lda + pc;
            int p = 0;
            if (typeof(T) == typeof(float) && Avx.IsSupported && mr == 8 && height == 8)
                for (; p + 8 <= stored; p += 8) Transpose8x8((float*)(src + p), g.Lda, (float*)(panel + p * mr), mr);
            for (; p < stored; p++)
            {
                int i = 0;
                for (; i < height; i++) panel[p * mr + i] = src[(long)i * g.Lda + p];
                for (; i < mr; i++) panel[p * mr + i] = T.Zero;
            }
            for (p = stored; p < kc; p++)
                for (int i = 0; i < mr; i++) panel[p * mr + i] = i < height ? T.One : T.Zero;
        }
    }

    /// <summary>
    /// One panel row: copies <paramref name="count"/> stored values, writes ones up to <paramref name="valid"/> (an implicit
    /// ones column) and zeros up to <paramref name="width"/>. Full rows move as vectors: a Memmove call per 8–32 values cost
    /// more than the copy.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyPadded(T* src, int count, int valid, T* dst, int width)
    {
        if (count == width && width % Vector256<T>.Count == 0)
        {
            for (int q = 0; q < width; q += Vector256<T>.Count) Vector256.Store(Vector256.Load(src + q), dst + q);
            return;
        }
        int j = 0;
        for (; j < count; j++) dst[j] = src[j];
        for (; j < valid; j++) dst[j] = T.One;
        for (; j < width; j++) dst[j] = T.Zero;
    }

    /// <summary>Runs the epilogue on the final rows × columns block of C at (<paramref name="row"/>, <paramref name="column"/>).</summary>
    public static void Finish(in GemmArgs<T> g, int row, int rows, int column, int columns)
    {
        ref readonly EpilogueArgs<T> e = ref g.Epilogue;
        if (e.Kind == EpilogueKind.None) return;
        ElementwiseFunction<T> function = e.Function!;
        for (int i = 0; i < rows; i++)
        {
            long at = (long)(row + i) * g.Ldc + column;
            var c = new ReadOnlySpan<T>(g.C + at, columns);
            var output = new Span<T>(e.Output + at, columns);
            // Z and A exist only for the derivative (Activate leaves their pointers null).
            if (e.Kind == EpilogueKind.Activate) function.Activate(c, output);
            else function.Differentiate(new ReadOnlySpan<T>(e.Z + at, columns), new ReadOnlySpan<T>(e.A + at, columns), c, output);
        }
    }

    private static void StoreEdge(T* tile, int nr, T* c, int ldc, int rows, int columns, bool accumulate)
    {
        for (int i = 0; i < rows; i++)
        {
            var src = new ReadOnlySpan<T>(tile + i * nr, columns);
            var dst = new Span<T>(c + (long)i * ldc, columns);
            if (accumulate) System.Numerics.Tensors.TensorPrimitives.Add(dst, src, dst);
            else src.CopyTo(dst);
        }
    }
}
