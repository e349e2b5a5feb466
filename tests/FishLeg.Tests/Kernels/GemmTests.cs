using System;
using System.Collections.Generic;
using System.Numerics;
using System.Runtime.Intrinsics;
using FishLeg.Kernels;
using Xunit;

namespace FishLeg.Tests.Kernels;

public class GemmTests
{
    private static readonly int[] Sizes = [1, 3, 17, 64, 100];

    public static IEnumerable<object[]> Configurations()
    {
        foreach (GemmKernel kernel in Enum.GetValues<GemmKernel>())
        {
            if (kernel == GemmKernel.Vector512 && !Vector512.IsHardwareAccelerated) continue;
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                    if (!(ta && tb)) yield return [kernel, ta, tb];
        }
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void FloatMatchesNaiveLoopOnEveryShape(GemmKernel kernel, bool transposeA, bool transposeB)
    {
        foreach (int m in Sizes)
            foreach (int n in Sizes)
                foreach (int k in Sizes)
                    Check<float>(kernel, transposeA, transposeB, m, n, k, tolerance: 1e-5);
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void DoubleMatchesNaiveLoopOnEveryShape(GemmKernel kernel, bool transposeA, bool transposeB)
    {
        foreach (int m in Sizes)
            foreach (int n in Sizes)
                foreach (int k in Sizes)
                    Check<double>(kernel, transposeA, transposeB, m, n, k, tolerance: 1e-13);
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void LargeAndOddShapesSpanSeveralBlocks(GemmKernel kernel, bool transposeA, bool transposeB)
    {
        // 785 = 784 inputs + bias; 1100 > one 1024-wide B block; 300 > one 256-deep panel.
        Check<float>(kernel, transposeA, transposeB, 100, 785, 300, tolerance: 1e-5);
        Check<float>(kernel, transposeA, transposeB, 785, 100, 17, tolerance: 1e-5);
        Check<double>(kernel, transposeA, transposeB, 17, 1100, 785, tolerance: 1e-13);
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void ImplicitOnesColumnEqualsAStoredOne(GemmKernel kernel, bool transposeA, bool transposeB)
    {
        // Odd sizes put the ones column in an edge tile, a second KC block (k = 300) and a second NC block (n = 1100).
        foreach ((int m, int n, int k) in new[] { (1, 1, 1), (17, 3, 64), (100, 785, 300), (9, 1100, 17) })
        {
            CheckOnes<double>(kernel, transposeA, transposeB, m, n, k, OnesColumn.A);
            CheckOnes<double>(kernel, transposeA, transposeB, m, n, k, OnesColumn.B);
            CheckOnes<float>(kernel, transposeA, transposeB, m, n, k, OnesColumn.A);
            CheckOnes<float>(kernel, transposeA, transposeB, m, n, k, OnesColumn.B);
        }
    }

    /// <summary>An activation for the epilogue tests: tanh with its derivative 1 − a², written plainly.</summary>
    private sealed class TanhFunction : ElementwiseFunction<float>
    {
        public static readonly TanhFunction Instance = new();

        public override void Activate(ReadOnlySpan<float> z, Span<float> a)
        {
            for (int i = 0; i < a.Length; i++) a[i] = MathF.Tanh(z[i]);
        }

        public override void Differentiate(ReadOnlySpan<float> z, ReadOnlySpan<float> a, ReadOnlySpan<float> d, Span<float> e)
        {
            for (int i = 0; i < e.Length; i++) e[i] = d[i] * (1 - a[i] * a[i]);
        }

        public override void Curvature(ReadOnlySpan<float> z, ReadOnlySpan<float> a, ReadOnlySpan<float> d, ReadOnlySpan<float> zDot, Span<float> eDot) =>
            throw new NotSupportedException("The epilogue never runs the curvature term.");
    }

    [Fact]
    public void EpilogueEqualsASeparatePassBitForBit()
    {
        ElementwiseFunction<float> activation = TanhFunction.Instance;
        // Sizes with edge tiles, two KC blocks and a parallel split; C has padded rows the epilogue must not touch.
        foreach ((int m, int n, int k) in new[] { (3, 5, 2), (100, 785, 300), (785, 100, 17) })
        {
            int ldc = n + 3;
            float[] a = Random(m * k, 21), b = Random(n * k, 22), z = Random(m * ldc, 23);
            foreach (bool accumulate in new[] { false, true })
            {
                // Activate: C = A·Bᵀ, then σ(C) in the epilogue vs in a pass of its own.
                var c = (float[])z.Clone();
                var fused = Random(m * ldc, 24);
                var separate = (float[])fused.Clone();
                Gemm.NT<float>(m, n, k, a, k, b, k, c, ldc, accumulate, epilogue: GemmEpilogue<float>.Activate(activation, fused));
                var reference = (float[])z.Clone();
                Gemm.NT<float>(m, n, k, a, k, b, k, reference, ldc, accumulate);
                Assert.Equal(reference, c);
                for (int i = 0; i < m; i++)
                    activation.Activate(reference.AsSpan(i * ldc, n), separate.AsSpan(i * ldc, n));
                Assert.Equal(separate, fused);

                // Differentiate in place: C ⊙ σ'(Z) with A = σ(Z) written over C.
                var activated = new float[z.Length];
                activation.Activate(z, activated);
                c = Random(m * ldc, 25);
                Gemm.NT<float>(m, n, k, a, k, b, k, c, ldc, accumulate, epilogue: GemmEpilogue<float>.Differentiate(activation, z, activated, c));
                reference = Random(m * ldc, 25);
                Gemm.NT<float>(m, n, k, a, k, b, k, reference, ldc, accumulate);
                for (int i = 0; i < m; i++)
                {
                    Span<float> row = reference.AsSpan(i * ldc, n);
                    activation.Differentiate(z.AsSpan(i * ldc, n), activated.AsSpan(i * ldc, n), row, row);
                }
                Assert.Equal(reference, c);
            }
        }
    }

    [Fact]
    public void EpilogueRunsWhenDepthIsZero()
    {
        var c = new float[] { -1, 2, -3, 4 };
        var a = new float[4];
        Gemm.NN<float>(2, 2, 0, [], 1, [], 2, c, 2, accumulate: true, epilogue: GemmEpilogue<float>.Activate(TanhFunction.Instance, a));
        Assert.Equal(new[] { MathF.Tanh(-1), MathF.Tanh(2), MathF.Tanh(-3), MathF.Tanh(4) }, a);
    }

    [Fact]
    public void ShortEpilogueOperandIsNamed()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            Gemm.NN<float>(2, 2, 2, new float[4], 2, new float[4], 2, new float[4], 2, epilogue: GemmEpilogue<float>.Activate(TanhFunction.Instance, new float[3])));
        Assert.Contains("Matrix 'epilogue output' (2×2, row stride 2) needs 4 elements but the span holds 3", error.Message);
        error = Assert.Throws<ArgumentException>(() =>
            Gemm.NN<float>(2, 2, 2, new float[4], 2, new float[4], 2, new float[4], 2, epilogue: GemmEpilogue<float>.Differentiate(TanhFunction.Instance, new float[4], new float[1], new float[4])));
        Assert.Contains("Matrix 'epilogue A'", error.Message);
    }

    [Fact]
    public void ParallelSplitMatchesSerialBitForBit()
    {
        using var pool = new WorkerPool(2);
        foreach ((int m, int n, int k) in new[] { (100, 1000, 784), (1000, 785, 100), (100, 784, 1000), (7, 3000, 50), (3000, 7, 50) })
        {
            var (a, b) = (Random(m * k, 1), Random(k * n, 2));
            var serial = new float[m * n];
            var parallel = new float[m * n];
            pool.Parallelism = 1;
            Gemm.Multiply<float>(Gemm.Kernel, pool, false, false, m, n, k, a, k, b, n, serial, n, false);
            pool.Parallelism = 2;
            Gemm.Multiply<float>(Gemm.Kernel, pool, false, false, m, n, k, a, k, b, n, parallel, n, false);
            Assert.Equal(serial, parallel);
        }
    }

    /// <summary>
    /// A small C over a long k (a convolution's weight gradient) is computed in two halves of k: against the naive loop,
    /// with either implicit ones column and with C accumulated, and the same to the bit on one thread or two.
    /// </summary>
    [Theory]
    [MemberData(nameof(Configurations))]
    public void DepthSplitMatchesNaiveLoopAndIgnoresTheThreadCount(GemmKernel kernel, bool transposeA, bool transposeB)
    {
        const int m = 5, n = 9, k = 4001; // m·n·k over the parallel threshold, k ≥ 16·max(m, n)
        Check<double>(kernel, transposeA, transposeB, m, n, k, tolerance: 1e-12);
        Check<float>(kernel, transposeA, transposeB, m, n, k, tolerance: 1e-5);
        CheckOnes<double>(kernel, transposeA, transposeB, m, n, k, OnesColumn.A);
        CheckOnes<double>(kernel, transposeA, transposeB, m, n, k, OnesColumn.B);

        using var pool = new WorkerPool(2);
        var (a, b) = (Random(m * k, 3), Random(k * n, 4));
        var one = new float[m * n];
        var two = new float[m * n];
        pool.Parallelism = 1;
        Gemm.Multiply<float>(kernel, pool, transposeA, transposeB, m, n, k, a, transposeA ? m : k, b, transposeB ? k : n, one, n, false);
        pool.Parallelism = 2;
        Gemm.Multiply<float>(kernel, pool, transposeA, transposeB, m, n, k, a, transposeA ? m : k, b, transposeB ? k : n, two, n, false);
        Assert.Equal(one, two);
    }

    [Fact]
    public void ZeroDepthClearsOrKeepsC()
    {
        var c = new float[] { 1, 2, 3, 4 };
        Gemm.NN<float>(2, 2, 0, [], 1, [], 2, c, 2, accumulate: true);
        Assert.Equal(new float[] { 1, 2, 3, 4 }, c);
        Gemm.NN<float>(2, 2, 0, [], 1, [], 2, c, 2);
        Assert.Equal(new float[4], c);
    }

    [Fact]
    public void TooShortOperandIsNamed()
    {
        var error = Assert.Throws<ArgumentException>(() => Gemm.NN<float>(2, 3, 4, new float[7], 4, new float[12], 3, new float[6], 3));
        Assert.Contains("Matrix 'a' (2×4, row stride 4) needs 8 elements but the span holds 7", error.Message);
        error = Assert.Throws<ArgumentException>(() => Gemm.NT<float>(2, 3, 4, new float[8], 4, new float[12], 3, new float[6], 3));
        Assert.Contains("Row stride 3 of matrix 'b' is smaller than its 4 columns", error.Message);
    }

    private static void Check<T>(GemmKernel kernel, bool transposeA, bool transposeB, int m, int n, int k, double tolerance)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Padded strides catch code that assumes rows are contiguous.
        int lda = (transposeA ? m : k) + 3, ldb = (transposeB ? k : n) + 2, ldc = n + 5;
        T[] a = Random<T>((transposeA ? k : m) * lda, 11), b = Random<T>((transposeB ? n : k) * ldb, 12);
        T[] c0 = Random<T>(m * ldc, 13);
        foreach (bool accumulate in new[] { false, true })
        {
            var c = (T[])c0.Clone();
            Gemm.Multiply<T>(kernel, WorkerPool.Shared, transposeA, transposeB, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    double expected = accumulate ? double.CreateChecked(c0[i * ldc + j]) : 0;
                    for (int p = 0; p < k; p++)
                    {
                        double x = double.CreateChecked(transposeA ? a[p * lda + i] : a[i * lda + p]);
                        double y = double.CreateChecked(transposeB ? b[j * ldb + p] : b[p * ldb + j]);
                        expected += x * y;
                    }
                    double actual = double.CreateChecked(c[i * ldc + j]);
                    Assert.True(Math.Abs(actual - expected) <= tolerance * (1 + Math.Sqrt(k)),
                        $"{kernel} {(transposeA ? 'T' : 'N')}{(transposeB ? 'T' : 'N')} {m}×{n}×{k} accumulate={accumulate}: C[{i},{j}] = {actual}, expected {expected}");
                }
                // Padding between rows of C is never written.
                for (int j = n; j < ldc && i * ldc + j < c.Length; j++) Assert.Equal(c0[i * ldc + j], c[i * ldc + j]);
            }
        }
    }

    /// <summary>The product with an implicit ones column equals the one with the ones stored (padded strides again).</summary>
    private static void CheckOnes<T>(GemmKernel kernel, bool transposeA, bool transposeB, int m, int n, int k, OnesColumn ones)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int lda = (transposeA ? m : k) + 3, ldb = (transposeB ? k : n) + 2;
        T[] a = Random<T>((transposeA ? k : m) * lda, 31), b = Random<T>((transposeB ? n : k) * ldb, 32);
        // The explicit operands: the last column of op(A) (or op(B)) set to ones.
        T[] explicitA = (T[])a.Clone(), explicitB = (T[])b.Clone();
        if (ones == OnesColumn.A)
            for (int i = 0; i < m; i++) explicitA[transposeA ? (k - 1) * lda + i : i * lda + k - 1] = T.One;
        else
            for (int p = 0; p < k; p++) explicitB[transposeB ? (n - 1) * ldb + p : p * ldb + n - 1] = T.One;
        // The implicit operands hold garbage where the ones would be: it must never be read.
        T[] storedA = (T[])a.Clone(), storedB = (T[])b.Clone();
        if (ones == OnesColumn.A)
            for (int i = 0; i < m; i++) storedA[transposeA ? (k - 1) * lda + i : i * lda + k - 1] = T.CreateChecked(1e6);
        else
            for (int p = 0; p < k; p++) storedB[transposeB ? (n - 1) * ldb + p : p * ldb + n - 1] = T.CreateChecked(1e6);
        var expected = new T[m * n];
        var actual = new T[m * n];
        Gemm.Multiply<T>(kernel, WorkerPool.Shared, transposeA, transposeB, m, n, k, explicitA, lda, explicitB, ldb, expected, n, false);
        Gemm.Multiply<T>(kernel, WorkerPool.Shared, transposeA, transposeB, m, n, k, storedA, lda, storedB, ldb, actual, n, false, ones);
        Assert.Equal(expected, actual);
    }

    private static float[] Random(int length, ulong seed) => Random<float>(length, seed);

    private static T[] Random<T>(int length, ulong seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new SeededRandom(seed);
        var values = new T[length];
        for (int i = 0; i < length; i++) values[i] = T.CreateChecked(random.NextDouble() * 2 - 1);
        return values;
    }
}
