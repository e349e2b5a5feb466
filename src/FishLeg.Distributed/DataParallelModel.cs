using System;
using System.Numerics;

namespace FishLeg.Distributed;

/// <summary>
/// A model whose every rank holds a replica and a shard of each global batch: the gradient, the loss and the curvature
/// products are the means over the whole global batch, by one all-reduce of the vector each (each rank's mean weighted
/// by its rows, with a second of the row counts, so shards of unequal size still give the global mean). An optimizer
/// stepping on it sees the global gradient, and FishLeg's auxiliary update the global Fisher product, so every rank keeps
/// the same parameters (docs/distributed.md). The parameters are broadcast from rank 0 when it is created and when they
/// are initialized.
/// </summary>
/// <remarks>
/// The per-layer factors are this rank's shard's: K-FAC and AdaFisher combine their statistics of them, and FishLeg its
/// low-rank Q·g, through <see cref="SumOverReplicas"/>; FishLeg's factored auxiliary gradient gathers them
/// (<see cref="GatherOverReplicas"/>; <see cref="IReplicatedModel{T}"/>).
/// </remarks>
public sealed class DataParallelModel<T> : IReplicatedModel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly IFishLegModel<T> _model;
    private readonly MpiCommunicator _communicator;
    // The mean gradient, and the mean loss after it, so that one all-reduce carries both.
    private readonly T[] _gradientAndLoss, _loss;
    private long _collectiveTicks;

    /// <summary>Wraps this rank's replica; every rank must create it (it broadcasts rank 0's parameters).</summary>
    public DataParallelModel(IFishLegModel<T> model, MpiCommunicator communicator)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(communicator);
        _model = model;
        _communicator = communicator;
        _gradientAndLoss = new T[model.Description.ParameterCount + 1];
        _loss = new T[1];
        communicator.Broadcast(model.Parameters);
    }

    /// <summary>Time spent in this rank's collectives (all-reduces and gathers) so far, waiting for the other ranks included: the communication's share of training.</summary>
    public TimeSpan TimeInCollectives => System.Diagnostics.Stopwatch.GetElapsedTime(0, _collectiveTicks);

    /// <inheritdoc/>
    public ModelDescription Description => _model.Description;

    /// <inheritdoc/>
    public int MaxBatchSize => _model.MaxBatchSize;

    /// <inheritdoc/>
    public Span<T> Parameters => _model.Parameters;

    /// <summary>The mean gradient over the last global batch.</summary>
    public ReadOnlySpan<T> Gradient => _gradientAndLoss.AsSpan(0, Description.ParameterCount);

    /// <summary>The rows of this rank's shard of the last gradient.</summary>
    public int GradientBatchSize => _model.GradientBatchSize;

    /// <inheritdoc/>
    public void InitializeParameters(ulong seed)
    {
        _model.InitializeParameters(seed);
        _communicator.Broadcast(_model.Parameters);
    }

    /// <summary>This rank's own predictions (no communication).</summary>
    public void Predict(ReadOnlySpan<T> inputs, Span<T> predictions) => _model.Predict(inputs, predictions);

    /// <summary>The mean loss over the global batch.</summary>
    public T Loss(ReadOnlySpan<T> inputs, ReadOnlySpan<T> targets)
    {
        _loss[0] = _model.Loss(inputs, targets);
        Mean(_loss, Rows(inputs));
        return _loss[0];
    }

    /// <summary>The mean loss over the global batch; <see cref="Gradient"/> becomes the global batch's mean gradient.</summary>
    public T LossAndGradient(ReadOnlySpan<T> inputs, ReadOnlySpan<T> targets)
    {
        T loss = _model.LossAndGradient(inputs, targets);
        _model.Gradient.CopyTo(_gradientAndLoss);
        _gradientAndLoss[^1] = loss;
        Mean(_gradientAndLoss, Rows(inputs));
        return _gradientAndLoss[^1];
    }

    /// <summary>The Fisher product over the global batch.</summary>
    public void FisherVectorProduct(ReadOnlySpan<T> inputs, ReadOnlySpan<T> direction, Span<T> product)
    {
        _model.FisherVectorProduct(inputs, direction, product);
        Mean(product, Rows(inputs));
    }

    /// <summary>The Hessian product over the global batch.</summary>
    public void HessianVectorProduct(ReadOnlySpan<T> inputs, ReadOnlySpan<T> targets, ReadOnlySpan<T> direction, Span<T> product)
    {
        _model.HessianVectorProduct(inputs, targets, direction, product);
        Mean(product, Rows(inputs));
    }

    /// <summary>The outer-product Fisher product over the global batch.</summary>
    public void OuterProductFisherVectorProduct(ReadOnlySpan<T> inputs, ReadOnlySpan<T> targets, ReadOnlySpan<T> direction, Span<T> product)
    {
        _model.OuterProductFisherVectorProduct(inputs, targets, direction, product);
        Mean(product, Rows(inputs));
    }

    /// <summary>Targets for this rank's shard, from this rank's generator.</summary>
    public void SampleTargets(ReadOnlySpan<T> inputs, ref SeededRandom random, Span<T> targets) => _model.SampleTargets(inputs, ref random, targets);

    /// <summary>This rank's shard's factors of the last gradient (its deltas carry the shard's 1/rows, not the global batch's).</summary>
    public void GradientFactors(int layer, out ReadOnlySpan<T> delta, out ReadOnlySpan<T> input) => _model.GradientFactors(layer, out delta, out input);

    /// <summary>This rank's shard's factors of the last Fisher product.</summary>
    public void CurvatureFactors(int layer, out ReadOnlySpan<T> delta, out ReadOnlySpan<T> input) => _model.CurvatureFactors(layer, out delta, out input);

    /// <inheritdoc/>
    public void SumOverReplicas(Span<T> values)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        _communicator.AllReduceSum(values);
        _collectiveTicks += System.Diagnostics.Stopwatch.GetTimestamp() - start;
    }

    /// <inheritdoc/>
    public int ReplicaCount => _communicator.Size;

    /// <inheritdoc/>
    public int GatherOverReplicas(ReadOnlySpan<T> values, Span<T> gathered)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        int length = _communicator.AllGather(values, gathered);
        _collectiveTicks += System.Diagnostics.Stopwatch.GetTimestamp() - start;
        return length;
    }

    /// <summary>Per-shard means → the global batch's (<see cref="IReplicatedModel{T}.MeanOverReplicas"/>).</summary>
    private void Mean(Span<T> values, int rows) => ((IReplicatedModel<T>)this).MeanOverReplicas(values, rows);

    private int Rows(ReadOnlySpan<T> inputs) => inputs.Length / Description.Inputs;
}
