using System;
using System.Numerics;

namespace FishLeg;

/// <summary>
/// A model trained as one of several replicas, each on its shard of every global batch (FishLeg.Distributed's
/// <c>DataParallelModel</c>): its gradient and curvature products are already the global batch's, but the per-layer
/// factors are its own shard's. The curvature optimizers combine what they compute from them into the global batch's
/// through <see cref="MeanOverReplicas"/> and <see cref="SumOverReplicas"/>: K-FAC's and AdaFisher's factor statistics,
/// FishLeg's low-rank Q·g (linear in the gradient); FishLeg's factored auxiliary gradient, bilinear in the factors,
/// gathers every replica's through <see cref="GatherOverReplicas"/>.
/// </summary>
public interface IReplicatedModel<T> : IFishLegModel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>How many replicas train together.</summary>
    int ReplicaCount { get; }

    /// <summary>values ← the sum over the replicas of each one's values. Every replica must call it, in the same order.</summary>
    void SumOverReplicas(Span<T> values);

    /// <summary>
    /// <paramref name="gathered"/> ← every replica's <paramref name="values"/> (of any length), concatenated in replica
    /// order; returns their total length. Every replica must call it, in the same order.
    /// </summary>
    int GatherOverReplicas(ReadOnlySpan<T> values, Span<T> gathered);

    /// <summary>
    /// A shard's mean over <paramref name="rows"/> rows → the global batch's: values ← Σ_r rows_r·values_r / Σ_r rows_r
    /// (so shards of unequal size still give the global mean). Every replica must call it, in the same order.
    /// </summary>
    void MeanOverReplicas(Span<T> values, int rows)
    {
        T weight = T.CreateChecked(rows);
        System.Numerics.Tensors.TensorPrimitives.Multiply(values, weight, values);
        SumOverReplicas(values);
        Span<T> total = [weight];
        SumOverReplicas(total);
        System.Numerics.Tensors.TensorPrimitives.Multiply(values, T.One / total[0], values);
    }
}
