using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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

    public static void Run(in GemmArgs<T> g, int rowStart, int rowEnd, int colStart, int colEnd)
    {
        (int mr, int nr) = MicroKernel<T>.Shape(g.Kernel);
        T* packA = Pinned(ref s_packA, MC * KC);
        T* packB = Pinned(ref s_packB, KC * NC);
        T* edge = stackalloc T[MaxTile];

        for (int jc = colStart; jc < colEnd; jc += NC)
        {
            int nc = Math.Min(NC, colEnd - jc);
            for (int pc = 0; pc < g.K; pc += KC)
            {
                int kc = Math.Min(KC, g.K - pc);
                bool accumulate = g.Accumulate || pc > 0;
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
            int width = Math.Min(nr, nc - j0);
            T* panel = dst + j0 * kc;
            if (g.TransposeB)
            {
                // op(B)(p, j) = B[j, p]: walk each stored row of B once.
                for (int j = 0; j < width; j++)
                {
                    T* src = g.B + (long)(jc + j0 + j) * g.Ldb + pc;
                    for (int p = 0; p < kc; p++) panel[p * nr + j] = src[p];
                }
                for (int j = width; j < nr; j++)
                    for (int p = 0; p < kc; p++) panel[p * nr + j] = T.Zero;
            }
            else
            {
                for (int p = 0; p < kc; p++)
                {
                    T* src = g.B + (long)(pc + p) * g.Ldb + jc + j0;
                    new ReadOnlySpan<T>(src, width).CopyTo(new Span<T>(panel + p * nr, width));
                    new Span<T>(panel + p * nr + width, nr - width).Clear();
                }
            }
        }
    }

    /// <summary>op(A)[ic..ic+mc, pc..pc+kc] → panels of MR rows, each kc columns of MR contiguous values.</summary>
    private static void PackA(in GemmArgs<T> g, int ic, int mc, int pc, int kc, int mr, T* dst)
    {
        for (int i0 = 0; i0 < mc; i0 += mr)
        {
            int height = Math.Min(mr, mc - i0);
            T* panel = dst + i0 * kc;
            if (g.TransposeA)
            {
                // op(A)(i, p) = A[p, i]: the MR values of one column of the panel are contiguous in A.
                for (int p = 0; p < kc; p++)
                {
                    T* src = g.A + (long)(pc + p) * g.Lda + ic + i0;
                    new ReadOnlySpan<T>(src, height).CopyTo(new Span<T>(panel + p * mr, height));
                    new Span<T>(panel + p * mr + height, mr - height).Clear();
                }
            }
            else
            {
                for (int i = 0; i < height; i++)
                {
                    T* src = g.A + (long)(ic + i0 + i) * g.Lda + pc;
                    for (int p = 0; p < kc; p++) panel[p * mr + i] = src[p];
                }
                for (int i = height; i < mr; i++)
                    for (int p = 0; p < kc; p++) panel[p * mr + i] = T.Zero;
            }
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
