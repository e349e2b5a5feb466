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
/// The per-layer factors are this rank's shard's: K-FAC and AdaFisher combine their statistics of them through
/// <see cref="SumOverReplicas"/>, and FishLeg leaves its factored paths (<see cref="IReplicatedModel{T}"/>).
/// </remarks>
public sealed class DataParallelModel<T> : IReplicatedModel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly IFishLegModel<T> _model;
    private readonly MpiCommunicator _communicator;
    private readonly T[] _gradient, _scalars;
    private long _collectiveTicks;

    /// <summary>Wraps this rank's replica; every rank must create it (it broadcasts rank 0's parameters).</summary>
    public DataParallelModel(IFishLegModel<T> model, MpiCommunicator communicator)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(communicator);
        _model = model;
        _communicator = communicator;
        _gradient = new T[model.Description.ParameterCount];
        _scalars = new T[2];
        communicator.Broadcast(model.Parameters);
    }

    /// <summary>Time spent in this rank's all-reduces so far (waiting for the other ranks included): the communication's share of training.</summary>
    public TimeSpan TimeInCollectives => System.Diagnostics.Stopwatch.GetElapsedTime(0, _collectiveTicks);

    /// <inheritdoc/>
    public ModelDescription Description => _model.Description;

    /// <inheritdoc/>
    public int MaxBatchSize => _model.MaxBatchSize;

    /// <inheritdoc/>
    public Span<T> Parameters => _model.Parameters;

    /// <summary>The mean gradient over the last global batch.</summary>
    public ReadOnlySpan<T> Gradient => _gradient;

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
    public T Loss(ReadOnlySpan<T> inputs, ReadOnlySpan<T> targets) => GlobalMean(_model.Loss(inputs, targets), Rows(inputs));

    /// <summary>The mean loss over the global batch; <see cref="Gradient"/> becomes the global batch's mean gradient.</summary>
    public T LossAndGradient(ReadOnlySpan<T> inputs, ReadOnlySpan<T> targets)
    {
        T loss = _model.LossAndGradient(inputs, targets);
        int rows = Rows(inputs);
        _model.Gradient.CopyTo(_gradient);
        AverageOverReplicas(_gradient, rows);
        return GlobalMean(loss, rows);
    }

    /// <summary>The Fisher product over the global batch.</summary>
    public void FisherVectorProduct(ReadOnlySpan<T> inputs, ReadOnlySpan<T> direction, Span<T> product)
    {
        _model.FisherVectorProduct(inputs, direction, product);
        AverageOverReplicas(product, Rows(inputs));
    }

    /// <summary>The Hessian product over the global batch.</summary>
    public void HessianVectorProduct(ReadOnlySpan<T> inputs, ReadOnlySpan<T> targets, ReadOnlySpan<T> direction, Span<T> product)
    {
        _model.HessianVectorProduct(inputs, targets, direction, product);
        AverageOverReplicas(product, Rows(inputs));
    }

    /// <summary>The outer-product Fisher product over the global batch.</summary>
    public void OuterProductFisherVectorProduct(ReadOnlySpan<T> inputs, ReadOnlySpan<T> targets, ReadOnlySpan<T> direction, Span<T> product)
    {
        _model.OuterProductFisherVectorProduct(inputs, targets, direction, product);
        AverageOverReplicas(product, Rows(inputs));
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

    /// <summary>values ← the rows-weighted mean over the ranks of each one's values: per-shard means become the global batch's.</summary>
    private void AverageOverReplicas(Span<T> values, int rows)
    {
        T total = ReduceWeighted(values, rows);
        System.Numerics.Tensors.TensorPrimitives.Multiply(values, T.One / total, values);
    }

    private int Rows(ReadOnlySpan<T> inputs) => inputs.Length / Description.Inputs;


    /// <summary>values ← Σ_ranks rows·values; returns Σ rows (the global batch).</summary>
    private T ReduceWeighted(Span<T> values, int rows)
    {
        T w = T.CreateChecked(rows);
        System.Numerics.Tensors.TensorPrimitives.Multiply(values, w, values);
        SumOverReplicas(values);
        _scalars[0] = w;
        SumOverReplicas(_scalars.AsSpan(0, 1));
        return _scalars[0];
    }

    private T GlobalMean(T mean, int rows)
    {
        (_scalars[0], _scalars[1]) = (mean * T.CreateChecked(rows), T.CreateChecked(rows));
        SumOverReplicas(_scalars.AsSpan());
        return _scalars[0] / _scalars[1];
    }
}
