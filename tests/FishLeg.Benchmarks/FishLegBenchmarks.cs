using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using FishLeg;
using FishLeg.Experiments;
using FishLeg.Kernels;
using FishLeg.Optimizers;

namespace FishLeg.Benchmarks;

/// <summary>
/// FishLeg on the autoencoder at batch 100, two threads, beside one SGD-momentum iteration in the same run: an iteration
/// without the auxiliary update, one with it (T = 1), the mean iteration at T = 10, and the generated curvature
/// products alone. Allocated bytes per operation must read 0 (or "-"). With momentum on Q·g, GFLOP/s counts the
/// multiply-adds of <see cref="FlopModel"/>.
/// </summary>
[Config(typeof(FlopModelConfig))]
[MedianColumn]
[MemoryDiagnoser]
public class FishLegBenchmarks
{
    private const int Batch = 100;
    private readonly float[] _inputs = new float[Batch * Autoencoder.InputCount];
    private readonly float[] _direction = new float[Autoencoder.ParameterCount];
    private readonly float[] _product = new float[Autoencoder.ParameterCount];
    private Autoencoder _model = null!;
    private SgdMomentum<float> _sgd = null!;
    private FishLegOptimizer<float> _withoutAuxiliary = null!, _withAuxiliary = null!, _everyTenth = null!;

    [Params(MomentumTarget.Gradient, MomentumTarget.PreconditionedGradient)]
    public MomentumTarget Momentum { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new SeededRandom(2);
        for (int i = 0; i < _inputs.Length; i++) _inputs[i] = (float)random.NextDouble();
        for (int i = 0; i < _direction.Length; i++) _direction[i] = (float)random.NextGaussian();
        WorkerPool.Shared.Parallelism = 2;
        _model = new Autoencoder(Batch, seed: 1);
        _sgd = new SgdMomentum<float>(Autoencoder.ParameterCount, learningRate: 0.01);
        // Momentum on Q·g runs with decoupled weight decay, so that g stays Eᵀ·Ā and the low-rank Q·g applies.
        // No early auxiliary updates: T alone says which steps update λ; the element-wise auxiliary Adam the README's
        // table was measured with.
        var options = new FishLegOptions
        {
            EarlyAuxiliarySteps = 0, AuxiliaryScaling = AuxiliaryScaling.PerEntry, MomentumOn = Momentum,
            WeightDecayMode = Momentum == MomentumTarget.PreconditionedGradient ? WeightDecayMode.Decoupled : WeightDecayMode.Coupled,
        };
        // T so large that only step 0 (spent in warm-up) updates λ.
        _withoutAuxiliary = new FishLegOptimizer<float>(_model, options with { UpdateAuxEvery = int.MaxValue });
        _withAuxiliary = new FishLegOptimizer<float>(_model, options with { UpdateAuxEvery = 1 });
        _everyTenth = new FishLegOptimizer<float>(_model, options with { UpdateAuxEvery = 10 });
    }

    [Benchmark(Baseline = true)]
    public void SgdMomentumIteration()
    {
        _model.LossAndGradient(_inputs, _inputs);
        _sgd.Step(_model.Parameters, _model.Gradient);
    }

    [Benchmark]
    public void FishLegIterationWithoutAuxiliaryUpdate()
    {
        _model.LossAndGradient(_inputs, _inputs);
        _withoutAuxiliary.Step(_inputs);
    }

    [Benchmark]
    public void FishLegIterationWithAuxiliaryUpdate()
    {
        _model.LossAndGradient(_inputs, _inputs);
        _withAuxiliary.Step(_inputs);
    }

    /// <summary>Ten iterations with one auxiliary update among them (T = 10), reported per iteration.</summary>
    [Benchmark(OperationsPerInvoke = 10)]
    public void FishLegIterationAtTEqualsTen()
    {
        for (int k = 0; k < 10; k++)
        {
            _model.LossAndGradient(_inputs, _inputs);
            _everyTenth.Step(_inputs);
        }
    }

    [Benchmark]
    public void FisherVectorProduct() => _model.FisherVectorProduct(_inputs, _direction, _product);

    [Benchmark]
    public void HessianVectorProduct() => _model.HessianVectorProduct(_inputs, _inputs, _direction, _product);

    [Benchmark]
    public void OuterProductFisherVectorProduct() => _model.OuterProductFisherVectorProduct(_inputs, _inputs, _direction, _product);

    private sealed class FlopModelConfig : ManualConfig
    {
        public FlopModelConfig() => AddColumn(new GflopsColumn("2 × the FLOP model's multiply-adds / median time (momentum on Q·g)", MultiplyAdds));

        private static double? MultiplyAdds(BenchmarkCase benchmark)
        {
            if ((MomentumTarget)benchmark.Parameters["Momentum"] != MomentumTarget.PreconditionedGradient) return null;
            ModelDescription model = new Autoencoder(maxBatchSize: 1).Description;
            return benchmark.Descriptor.WorkloadMethod.Name switch
            {
                nameof(SgdMomentumIteration) => FlopModel.ForwardBackward(model, Batch),
                nameof(FishLegIterationWithoutAuxiliaryUpdate) => FlopModel.FishLegIteration(model, Batch, updateAuxEvery: 0),
                nameof(FishLegIterationWithAuxiliaryUpdate) => FlopModel.FishLegIteration(model, Batch, updateAuxEvery: 1),
                nameof(FishLegIterationAtTEqualsTen) => FlopModel.FishLegIteration(model, Batch, updateAuxEvery: 10),
                nameof(FisherVectorProduct) => FlopModel.FisherVectorProduct(model, Batch),
                _ => null,
            };
        }
    }
}
