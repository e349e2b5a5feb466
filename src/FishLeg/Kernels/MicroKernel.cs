using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FishLeg.Kernels;

/// <summary>
/// Register-blocked MR×NR micro-kernels: <c>C_tile (=|+=) Σ_p a_p b_pᵀ</c> over a packed A panel (MR values per p)
/// and a packed B panel (NR values per p). NR is two vectors wide; MR fills the register file
/// (8×2 accumulators of 32 zmm registers, 6×2 of 16 ymm registers).
/// </summary>
internal static unsafe class MicroKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private static readonly int W512 = Vector512<T>.Count;
    private static readonly int W256 = Vector256<T>.Count;

    public static (int Mr, int Nr) Shape(GemmKernel kernel) => kernel switch
    {
        GemmKernel.Vector512 => (8, 2 * W512),
        GemmKernel.Vector256 => (6, 2 * W256),
        _ => (4, 4),
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run(GemmKernel kernel, int kc, T* a, T* b, T* c, int ldc, bool accumulate)
    {
        switch (kernel)
        {
            case GemmKernel.Vector512: Kernel8x2V512(kc, a, b, c, ldc, accumulate); break;
            case GemmKernel.Vector256: Kernel6x2V256(kc, a, b, c, ldc, accumulate); break;
            default: Kernel4x4Scalar(kc, a, b, c, ldc, accumulate); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Fma(Vector512<T> x, Vector512<T> y, Vector512<T> acc)
    {
        if (typeof(T) == typeof(float)) return Vector512.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), acc.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector512.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), acc.AsDouble()).As<double, T>();
        return x * y + acc;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Fma(Vector256<T> x, Vector256<T> y, Vector256<T> acc)
    {
        if (typeof(T) == typeof(float)) return Vector256.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), acc.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector256.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), acc.AsDouble()).As<double, T>();
        return x * y + acc;
    }

    private static void Kernel8x2V512(int kc, T* a, T* b, T* c, int ldc, bool accumulate)
    {
        int w = W512;
        Vector512<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<T> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < kc; p++, a += 8, b += 2 * w)
        {
            Vector512<T> b0 = Vector512.Load(b), b1 = Vector512.Load(b + w);
            Vector512<T> x = Vector512.Create(a[0]); c00 = Fma(x, b0, c00); c01 = Fma(x, b1, c01);
            x = Vector512.Create(a[1]); c10 = Fma(x, b0, c10); c11 = Fma(x, b1, c11);
            x = Vector512.Create(a[2]); c20 = Fma(x, b0, c20); c21 = Fma(x, b1, c21);
            x = Vector512.Create(a[3]); c30 = Fma(x, b0, c30); c31 = Fma(x, b1, c31);
            x = Vector512.Create(a[4]); c40 = Fma(x, b0, c40); c41 = Fma(x, b1, c41);
            x = Vector512.Create(a[5]); c50 = Fma(x, b0, c50); c51 = Fma(x, b1, c51);
            x = Vector512.Create(a[6]); c60 = Fma(x, b0, c60); c61 = Fma(x, b1, c61);
            x = Vector512.Create(a[7]); c70 = Fma(x, b0, c70); c71 = Fma(x, b1, c71);
        }
        StoreRow(c, w, c00, c01, accumulate); c += ldc;
        StoreRow(c, w, c10, c11, accumulate); c += ldc;
        StoreRow(c, w, c20, c21, accumulate); c += ldc;
        StoreRow(c, w, c30, c31, accumulate); c += ldc;
        StoreRow(c, w, c40, c41, accumulate); c += ldc;
        StoreRow(c, w, c50, c51, accumulate); c += ldc;
        StoreRow(c, w, c60, c61, accumulate); c += ldc;
        StoreRow(c, w, c70, c71, accumulate);
    }

    private static void Kernel6x2V256(int kc, T* a, T* b, T* c, int ldc, bool accumulate)
    {
        int w = W256;
        Vector256<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<T> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++, a += 6, b += 2 * w)
        {
            Vector256<T> b0 = Vector256.Load(b), b1 = Vector256.Load(b + w);
            Vector256<T> x = Vector256.Create(a[0]); c00 = Fma(x, b0, c00); c01 = Fma(x, b1, c01);
            x = Vector256.Create(a[1]); c10 = Fma(x, b0, c10); c11 = Fma(x, b1, c11);
            x = Vector256.Create(a[2]); c20 = Fma(x, b0, c20); c21 = Fma(x, b1, c21);
            x = Vector256.Create(a[3]); c30 = Fma(x, b0, c30); c31 = Fma(x, b1, c31);
            x = Vector256.Create(a[4]); c40 = Fma(x, b0, c40); c41 = Fma(x, b1, c41);
            x = Vector256.Create(a[5]); c50 = Fma(x, b0, c50); c51 = Fma(x, b1, c51);
        }
        StoreRow(c, w, c00, c01, accumulate); c += ldc;
        StoreRow(c, w, c10, c11, accumulate); c += ldc;
        StoreRow(c, w, c20, c21, accumulate); c += ldc;
        StoreRow(c, w, c30, c31, accumulate); c += ldc;
        StoreRow(c, w, c40, c41, accumulate); c += ldc;
        StoreRow(c, w, c50, c51, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(T* c, int w, Vector512<T> left, Vector512<T> right, bool accumulate)
    {
        if (accumulate)
        {
            left += Vector512.Load(c);
            right += Vector512.Load(c + w);
        }
        left.Store(c);
        right.Store(c + w);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(T* c, int w, Vector256<T> left, Vector256<T> right, bool accumulate)
    {
        if (accumulate)
        {
            left += Vector256.Load(c);
            right += Vector256.Load(c + w);
        }
        left.Store(c);
        right.Store(c + w);
    }

    private static void Kernel4x4Scalar(int kc, T* a, T* b, T* c, int ldc, bool accumulate)
    {
        Span<T> acc = stackalloc T[16];
        acc.Clear();
        for (int p = 0; p < kc; p++, a += 4, b += 4)
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++)
                    acc[i * 4 + j] = T.FusedMultiplyAdd(a[i], b[j], acc[i * 4 + j]);
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
                c[(long)i * ldc + j] = accumulate ? c[(long)i * ldc + j] + acc[i * 4 + j] : acc[i * 4 + j];
    }
}
