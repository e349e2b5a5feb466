using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using FishLeg;
using FishLeg.Kernels;

namespace FishLeg.Benchmarks;

/// <summary>One GEMM shape of the MNIST autoencoder at batch 100: C[m×n] = op(A)·op(B).</summary>
public sealed record GemmShape(string Name, bool TransposeA, bool TransposeB, int M, int N, int K)
{
    public double MultiplyAdds => (double)M * N * K;
    public override string ToString() => Name;
}

/// <summary>
/// Our GEMM at the autoencoder's batch-100 shapes, on 1 and 2 threads, beside the system OpenBLAS's sgemm on the same
/// threads and a plain row-update baseline (C row i += A[i,p]·B row p with TensorPrimitives.MultiplyAdd) in the same
/// run. GFLOP/s = 2·m·n·k / median. The OpenBLAS rows need Debian's libopenblas0 (apt-get install libopenblas0).
/// </summary>
[Config(typeof(GflopsConfig))]
[MedianColumn]
public class GemmBenchmarks
{
    public static IEnumerable<GemmShape> Shapes =>
    [
        new("NT fwd 784>1000", false, true, 100, 1000, 784),
        new("NT fwd 1000>500", false, true, 100, 500, 1000),
        new("TN grad 1000x784", true, false, 1000, 784, 100),
        new("TN grad 500x1000", true, false, 500, 1000, 100),
        new("NN delta 1000>784", false, false, 100, 784, 1000),
        new("NN delta 500>1000", false, false, 100, 1000, 500),
    ];

    [ParamsSource(nameof(Shapes))]
    public GemmShape Shape { get; set; } = null!;

    [Params(1, 2)]
    public int Threads { get; set; }

    private float[] _a = [], _b = [], _c = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new SeededRandom(1);
        _a = Enumerable.Range(0, Shape.M * Shape.K).Select(_ => (float)random.NextDouble()).ToArray();
        _b = Enumerable.Range(0, Shape.K * Shape.N).Select(_ => (float)random.NextDouble()).ToArray();
        _c = new float[Shape.M * Shape.N];
        WorkerPool.Shared.Parallelism = Threads;
        OpenBlas.SetThreads(Threads);
        Console.WriteLine($"// OpenBLAS kernel: {OpenBlas.CoreName}");
    }

    [Benchmark]
    public void FishLegGemm()
    {
        int lda = Shape.TransposeA ? Shape.M : Shape.K, ldb = Shape.TransposeB ? Shape.K : Shape.N;
        Gemm.Multiply<float>(Shape.TransposeA, Shape.TransposeB, Shape.M, Shape.N, Shape.K, _a, lda, _b, ldb, _c, Shape.N);
    }

    /// <summary>The reference: OpenBLAS's sgemm (row-major, the same transpositions and leading dimensions).</summary>
    [Benchmark]
    public void OpenBlasSgemm()
    {
        int lda = Shape.TransposeA ? Shape.M : Shape.K, ldb = Shape.TransposeB ? Shape.K : Shape.N;
        OpenBlas.Sgemm(Shape.TransposeA, Shape.TransposeB, Shape.M, Shape.N, Shape.K, _a, lda, _b, ldb, _c, Shape.N);
    }

    /// <summary>The naive vectorized baseline, single-threaded, on the same data read as op(A)·B (B untransposed).</summary>
    [Benchmark(Baseline = true)]
    public void RowUpdateBaseline()
    {
        int m = Shape.M, n = Shape.N, k = Shape.K;
        Span<float> c = _c;
        c.Clear();
        for (int i = 0; i < m; i++)
        {
            Span<float> row = c.Slice(i * n, n);
            for (int p = 0; p < k; p++)
            {
                float x = Shape.TransposeA ? _a[p * m + i] : _a[i * k + p];
                TensorPrimitives.MultiplyAdd(_b.AsSpan(p * n, n), x, row, row);
            }
        }
    }

    private sealed class GflopsConfig : ManualConfig
    {
        public GflopsConfig() => AddColumn(new GflopsColumn("2·m·n·k / median time", c => ((GemmShape)c.Parameters["Shape"]).MultiplyAdds));
    }
}
