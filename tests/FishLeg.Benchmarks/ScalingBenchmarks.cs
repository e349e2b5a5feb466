using BenchmarkDotNet.Attributes;
using FishLeg;
using FishLeg.Kernels;
using FishLeg.Optimizers;

namespace FishLeg.Benchmarks;

/// <summary>
/// How a FishLeg iteration (momentum on Q·g, T = 10) grows with the width N of a 4-layer N-wide ReLU MLP at batch
/// K = 64, two threads: O(K·N²) per iteration is the goal (the dense auxiliary update would be O(N³)). Fit the
/// exponent from the medians: log(t₁₀₂₄/t₁₂₈)/log 8.
/// </summary>
[MedianColumn]
[MemoryDiagnoser]
public class ScalingBenchmarks
{
    private const int Batch = 64;
    private IFishLegModel<float> _model = null!;
    private FishLegOptimizer<float> _optimizer = null!;
    private float[] _inputs = null!;

    [Params(128, 256, 512, 1024)]
    public int Width { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        WorkerPool.Shared.Parallelism = 2;
        _model = Width switch
        {
            128 => new Mlp128(Batch, seed: 1),
            256 => new Mlp256(Batch, seed: 1),
            512 => new Mlp512(Batch, seed: 1),
            _ => new Mlp1024(Batch, seed: 1),
        };
        var random = new SeededRandom(2);
        _inputs = new float[Batch * Width];
        for (int i = 0; i < _inputs.Length; i++) _inputs[i] = (float)random.NextGaussian();
        _optimizer = new FishLegOptimizer<float>(_model, new FishLegOptions
        {
            MomentumOn = MomentumTarget.PreconditionedGradient, WeightDecayMode = WeightDecayMode.Decoupled, UpdateAuxEvery = 10, EarlyAuxiliarySteps = 0,
            AuxiliaryScaling = AuxiliaryScaling.PerEntry,
        });
    }

    /// <summary>Ten iterations with one auxiliary update among them, reported per iteration.</summary>
    [Benchmark(OperationsPerInvoke = 10)]
    public void FishLegIteration()
    {
        for (int k = 0; k < 10; k++)
        {
            _model.LossAndGradient(_inputs, _inputs);
            _optimizer.Step(_inputs);
        }
    }
}

[FishLegModel(128, Likelihood.Gaussian)]
[Dense(128, Activation.Relu)]
[Dense(128, Activation.Relu)]
[Dense(128, Activation.Relu)]
[Dense(128)]
public partial class Mlp128;

[FishLegModel(256, Likelihood.Gaussian)]
[Dense(256, Activation.Relu)]
[Dense(256, Activation.Relu)]
[Dense(256, Activation.Relu)]
[Dense(256)]
public partial class Mlp256;

[FishLegModel(512, Likelihood.Gaussian)]
[Dense(512, Activation.Relu)]
[Dense(512, Activation.Relu)]
[Dense(512, Activation.Relu)]
[Dense(512)]
public partial class Mlp512;

[FishLegModel(1024, Likelihood.Gaussian)]
[Dense(1024, Activation.Relu)]
[Dense(1024, Activation.Relu)]
[Dense(1024, Activation.Relu)]
[Dense(1024)]
public partial class Mlp1024;
