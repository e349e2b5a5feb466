using System;
using System.Linq;
using BenchmarkDotNet.Attributes;
using FishLeg;
using FishLeg.Experiments;
using FishLeg.Kernels;
using FishLeg.Optimizers;

namespace FishLeg.Benchmarks;

/// <summary>
/// K-FAC and AdaFisher on the autoencoder at batch 100, two threads, beside SGD-momentum and FishLeg (its defaults, T = 10
/// after the early steps) in the same run: a K-FAC iteration with neither a factor nor an inverse update, and mean
/// iterations over a whole cycle of factor updates every 10 steps with inverses (or eigendecompositions) every 10 or 20,
/// with and without adaptive damping; AdaFisher's mean iteration with its diagonals updated every 10 steps. Allocated
/// bytes per operation must read 0.
/// </summary>
[MedianColumn]
[MemoryDiagnoser]
public class KfacBenchmarks
{
    private const int Batch = 100;
    private readonly float[] _inputs = new float[Batch * Autoencoder.InputCount];
    private Autoencoder _model = null!;
    private SgdMomentum<float> _sgd = null!;
    // Built once, so that the multi-step benchmarks allocate no delegate per call.
    private Action _fishLeg = null!, _adaFisher = null!, _withoutUpdates = null!, _everyTenth = null!, _inversesEveryTwentieth = null!,
        _eigenEveryTwentieth = null!, _adaptive = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new SeededRandom(2);
        for (int i = 0; i < _inputs.Length; i++) _inputs[i] = (float)random.NextDouble();
        WorkerPool.Shared.Parallelism = 2;
        _model = new Autoencoder(Batch, seed: 1);
        _sgd = new SgdMomentum<float>(Autoencoder.ParameterCount, learningRate: 0.01);
        var fishLeg = new FishLegOptimizer<float>(_model, new FishLegOptions { EarlyAuxiliarySteps = 0 });
        var adaFisher = new AdaFisherOptimizer<float>(_model, new AdaFisherOptions { CurvatureUpdateEvery = 10, Damping = 0.1 });
        _fishLeg = () => fishLeg.Step(_inputs);
        _adaFisher = adaFisher.Step;
        // Factors and inverses only at step 0, which the warm-up spends.
        _withoutUpdates = Kfac(new KfacOptions { FactorUpdateEvery = int.MaxValue, InverseUpdateEvery = int.MaxValue });
        _everyTenth = Kfac(new KfacOptions { FactorUpdateEvery = 10, InverseUpdateEvery = 10 });
        _inversesEveryTwentieth = Kfac(new KfacOptions { FactorUpdateEvery = 10, InverseUpdateEvery = 20 });
        _eigenEveryTwentieth = Kfac(new KfacOptions { FactorUpdateEvery = 10, InverseUpdateEvery = 20, Inverse = KfacInverse.Eigen });
        _adaptive = Kfac(new KfacOptions { FactorUpdateEvery = 10, InverseUpdateEvery = 20, AdaptiveDamping = true, Damping = 1 });
    }

    private Action Kfac(KfacOptions options)
    {
        var kfac = new KfacOptimizer<float>(_model, options);
        return () => kfac.Step(_inputs, _inputs);
    }

    [Benchmark(Baseline = true)]
    public void SgdMomentumIteration()
    {
        _model.LossAndGradient(_inputs, _inputs);
        _sgd.Step(_model.Parameters, _model.Gradient);
    }

    [Benchmark(OperationsPerInvoke = 10)]
    public void FishLegIterationAtTEqualsTen() => Repeat(10, _fishLeg);

    [Benchmark(OperationsPerInvoke = 10)]
    public void AdaFisherIterationDiagonalsEveryTenth() => Repeat(10, _adaFisher);

    [Benchmark]
    public void KfacIterationWithoutUpdates() => Repeat(1, _withoutUpdates);

    [Benchmark(OperationsPerInvoke = 10)]
    public void KfacIterationFactorsAndInversesEveryTenth() => Repeat(10, _everyTenth);

    [Benchmark(OperationsPerInvoke = 20)]
    public void KfacIterationFactorsEveryTenthInversesEveryTwentieth() => Repeat(20, _inversesEveryTwentieth);

    [Benchmark(OperationsPerInvoke = 20)]
    public void KfacEigenIterationFactorsEveryTenthDecompositionsEveryTwentieth() => Repeat(20, _eigenEveryTwentieth);

    [Benchmark(OperationsPerInvoke = 20)]
    public void KfacAdaptiveDampingIterationFactorsEveryTenthInversesEveryTwentieth() => Repeat(20, _adaptive);

    private void Repeat(int steps, Action step)
    {
        for (int k = 0; k < steps; k++)
        {
            _model.LossAndGradient(_inputs, _inputs);
            step();
        }
    }
}

/// <summary>
/// The damped-factor inverse K-FAC needs, n × n in float on two threads: ours (Cholesky through our GEMM, then L⁻¹ and
/// L⁻ᵀL⁻¹) beside LAPACK's spotrf + spotri from the system OpenBLAS (apt-get install libopenblas0), in the same run.
/// Run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset; the setup prints the kernel OpenBLAS chose.
/// </summary>
[MedianColumn]
public class SymmetricInverseBenchmarks
{
    [Params(250, 500, 1000)]
    public int N { get; set; }

    private float[] _matrix = [], _work = [], _inverse = [];
    private SymmetricInverse<float> _ours = null!;

    [GlobalSetup]
    public void Setup()
    {
        WorkerPool.Shared.Parallelism = 2;
        OpenBlas.SetThreads(2);
        Console.WriteLine($"// OpenBLAS kernel: {OpenBlas.CoreName}");
        _matrix = FactorLike(N);
        _work = new float[N * N];
        _inverse = new float[N * N];
        _ours = new SymmetricInverse<float>(N);
    }

    /// <summary>A = MᵀM/n + 0.1·I with a Gaussian M: a factor-like symmetric positive-definite n × n matrix.</summary>
    internal static float[] FactorLike(int n)
    {
        var random = new SeededRandom(3);
        float[] m = Enumerable.Range(0, n * n).Select(_ => (float)random.NextGaussian()).ToArray();
        var a = new float[n * n];
        Gemm.TN(n, n, n, m, n, m, n, a, n);
        for (int i = 0; i < n * n; i++) a[i] /= n;
        for (int i = 0; i < n; i++) a[i * n + i] += 0.1f;
        return a;
    }

    [Benchmark(Baseline = true)]
    public bool Lapack()
    {
        _matrix.CopyTo(_work, 0);
        return OpenBlas.CholeskyInverse(N, _work);
    }

    [Benchmark]
    public bool Ours() => _ours.Invert(_matrix, _inverse);
}

/// <summary>
/// The eigendecomposition K-FAC's eigen option needs, n × n in float: ours (Householder tridiagonalization and implicit
/// QL, in double) beside LAPACK's ssyevd (divide and conquer) from the system OpenBLAS on two threads, in the same run.
/// Run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset; the setup prints the kernel OpenBLAS chose.
/// </summary>
[MedianColumn]
public class SymmetricEigenBenchmarks
{
    [Params(250, 500, 1000)]
    public int N { get; set; }

    private float[] _matrix = [], _work = [], _values = [], _vectors = [], _lapackWork = [];
    private int[] _lapackIntegerWork = [];
    private SymmetricEigen<float> _ours = null!;

    [GlobalSetup]
    public void Setup()
    {
        OpenBlas.SetThreads(2);
        Console.WriteLine($"// OpenBLAS kernel: {OpenBlas.CoreName}");
        _matrix = SymmetricInverseBenchmarks.FactorLike(N);
        _work = new float[N * N];
        _values = new float[N];
        _vectors = new float[N * N];
        (int floats, int integers) = OpenBlas.EigenWorkspace(N);
        _lapackWork = new float[floats];
        _lapackIntegerWork = new int[integers];
        _ours = new SymmetricEigen<float>(N);
    }

    [Benchmark(Baseline = true)]
    public bool Lapack()
    {
        _matrix.CopyTo(_work, 0);
        return OpenBlas.Eigen(N, _work, _values, _lapackWork, _lapackIntegerWork);
    }

    [Benchmark]
    public bool Ours() => _ours.Decompose(_matrix, _values, _vectors);
}
