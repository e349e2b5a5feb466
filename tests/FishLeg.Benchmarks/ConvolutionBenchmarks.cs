using System;
using BenchmarkDotNet.Attributes;
using FishLeg;
using FishLeg.Experiments;
using FishLeg.Kernels;
using FishLeg.Optimizers;

namespace FishLeg.Benchmarks;

/// <summary>
/// The sample CNN (docs/math.md §9) at batch 100 on two threads: a training iteration with each optimizer (FishLeg at
/// its defaults, T = 10 after the early steps; K-FAC with factors every 10 steps and inverses every 20; AdaFisher with
/// its diagonals every 10), beside the passes they are made of. Allocated bytes per operation must read 0.
/// </summary>
[MedianColumn]
[MemoryDiagnoser]
public class ConvolutionBenchmarks
{
    private const int Batch = 100;
    private readonly float[] _inputs = new float[Batch * FashionCnn.InputCount];
    private readonly float[] _targets = new float[Batch * FashionCnn.OutputCount];
    private readonly float[] _direction = new float[FashionCnn.ParameterCount], _product = new float[FashionCnn.ParameterCount];
    private FashionCnn _model = null!;
    private SgdMomentum<float> _sgd = null!;
    private Adam<float> _adam = null!;
    private Action _fishLeg = null!, _kfac = null!, _adaFisher = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new SeededRandom(2);
        for (int i = 0; i < _inputs.Length; i++) _inputs[i] = (float)random.NextDouble();
        for (int n = 0; n < Batch; n++) _targets[n * FashionCnn.OutputCount + random.NextInt(FashionCnn.OutputCount)] = 1;
        for (int i = 0; i < _direction.Length; i++) _direction[i] = (float)random.NextGaussian();
        WorkerPool.Shared.Parallelism = 2;
        _model = new FashionCnn(Batch, seed: 1);
        _sgd = new SgdMomentum<float>(FashionCnn.ParameterCount, learningRate: 0.01, momentum: 0.9);
        _adam = new Adam<float>(FashionCnn.ParameterCount);
        var fishLeg = new FishLegOptimizer<float>(_model, new FishLegOptions { EarlyAuxiliarySteps = 0 });
        var kfac = new KfacOptimizer<float>(_model, new KfacOptions { FactorUpdateEvery = 10, InverseUpdateEvery = 20 });
        var adaFisher = new AdaFisherOptimizer<float>(_model, new AdaFisherOptions { CurvatureUpdateEvery = 10 });
        _fishLeg = () => fishLeg.Step(_inputs);
        _kfac = () => kfac.Step(_inputs, _targets);
        _adaFisher = adaFisher.Step;
    }

    [Benchmark]
    public void Forward() => _model.Loss(_inputs, _targets);

    [Benchmark]
    public void ForwardAndBackward() => _model.LossAndGradient(_inputs, _targets);

    [Benchmark]
    public void FisherVectorProduct() => _model.FisherVectorProduct(_inputs, _direction, _product);

    [Benchmark(Baseline = true)]
    public void SgdMomentumIteration()
    {
        _model.LossAndGradient(_inputs, _targets);
        _sgd.Step(_model.Parameters, _model.Gradient);
    }

    [Benchmark]
    public void AdamIteration()
    {
        _model.LossAndGradient(_inputs, _targets);
        _adam.Step(_model.Parameters, _model.Gradient);
    }

    [Benchmark(OperationsPerInvoke = 10)]
    public void FishLegIterationAtTEqualsTen() => Repeat(10, _fishLeg);

    [Benchmark(OperationsPerInvoke = 20)]
    public void KfacIterationFactorsEveryTenthInversesEveryTwentieth() => Repeat(20, _kfac);

    [Benchmark(OperationsPerInvoke = 10)]
    public void AdaFisherIterationDiagonalsEveryTenth() => Repeat(10, _adaFisher);

    private void Repeat(int steps, Action step)
    {
        for (int k = 0; k < steps; k++)
        {
            _model.LossAndGradient(_inputs, _targets);
            step();
        }
    }
}
