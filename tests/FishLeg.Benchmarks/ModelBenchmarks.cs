using System;
using BenchmarkDotNet.Attributes;
using FishLeg;
using FishLeg.Experiments;
using FishLeg.Kernels;
using FishLeg.Optimizers;

namespace FishLeg.Benchmarks;

/// <summary>One forward+backward pass, and whole SGD-momentum and Adam iterations, on the autoencoder at batch 100.</summary>
[MedianColumn]
public class ModelBenchmarks
{
    private const int Batch = 100;
    private readonly Autoencoder _model = new(Batch, seed: 1);
    private readonly float[] _inputs = new float[Batch * Autoencoder.InputCount];
    private readonly SgdMomentum<float> _sgd = new(Autoencoder.ParameterCount, learningRate: 0.01);
    private readonly Adam<float> _adam = new(Autoencoder.ParameterCount);

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new SeededRandom(2);
        for (int i = 0; i < _inputs.Length; i++) _inputs[i] = (float)random.NextDouble();
        WorkerPool.Shared.Parallelism = Threads;
    }

    [Benchmark(Baseline = true)]
    public float ForwardBackward() => _model.LossAndGradient(_inputs, _inputs);

    [Benchmark]
    public void SgdMomentumIteration()
    {
        _model.LossAndGradient(_inputs, _inputs);
        _sgd.Step(_model.Parameters, _model.Gradient);
    }

    [Benchmark]
    public void AdamIteration()
    {
        _model.LossAndGradient(_inputs, _inputs);
        _adam.Step(_model.Parameters, _model.Gradient);
    }
}
