using System;
using System.Numerics;

namespace FishLeg.Optimizers;

/// <summary>
/// One layer of a FishLeg optimizer: its Q block, where its λ and its parameters sit, the paths its algebra takes (dense,
/// Q·g from the gradient's factors, the auxiliary gradient from factors) and the buffers those paths keep.
/// </summary>
internal sealed class FishLegLayer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly QBlock<T> _block;
    private readonly LayerDescription _layer;
    private readonly int _lambdaOffset;
    // With LowRank: copies of the gradient's factors (the auxiliary update's passes overwrite the model's), and the
    // products Q·g's factored form leaves, which the factored auxiliary gradient reuses.
    private readonly T[] _deltas, _inputs, _products;
    // On a replica with FactoredGradient: every replica's factors of the gradient and of the Fisher product, gathered
    // for the auxiliary update (its gradient is bilinear in them, so no replica can form it from its own shard's).
    private readonly T[] _gatheredDeltas, _gatheredInputs, _gatheredProductDeltas, _gatheredProductInputs;
    private int _rows, _gatheredRows;

    /// <summary>The layer's paths and buffers; <c>replicas</c> is how many replicas train together (1 for a model that is not replicated).</summary>
    public FishLegLayer(QBlock<T> block, LayerDescription layer, int lambdaOffset, int maxBatch, int replicas, bool lowRankAllowed, bool factoredGradientAllowed)
    {
        _block = block;
        _layer = layer;
        _lambdaOffset = lambdaOffset;
        // The factors have a row per example and output position (a convolution's rank grows with its positions). A
        // replica forms Q·g from its shard's rows, and the factored auxiliary gradient from every replica's.
        long maxRows = (long)maxBatch * layer.Positions, allRows = maxRows * replicas;
        bool fits = lowRankAllowed && allRows <= int.MaxValue / Math.Max(layer.Outputs, layer.Columns);
        LowRank = fits && block.FactoredPaths((int)maxRows, false).LowRank;
        FactoredGradient = LowRank && block.FactoredPaths((int)allRows, factoredGradientAllowed).FactoredGradient;
        _deltas = new T[LowRank ? maxRows * layer.Outputs : 0];
        _inputs = new T[LowRank ? maxRows * layer.Inputs : 0];
        _products = new T[LowRank ? block.FactorProductsLength((int)(FactoredGradient ? allRows : maxRows)) : 0];
        FactoredScratch = FactoredGradient ? block.FactoredGradientScratch((int)allRows, (int)allRows) : 0;
        bool gathers = FactoredGradient && replicas > 1;
        _gatheredDeltas = new T[gathers ? allRows * layer.Outputs : 0];
        _gatheredInputs = new T[gathers ? allRows * layer.Inputs : 0];
        _gatheredProductDeltas = new T[_gatheredDeltas.Length];
        _gatheredProductInputs = new T[_gatheredInputs.Length];
    }

    /// <summary>Q·g from the gradient's factors, in O(K·N²).</summary>
    public bool LowRank { get; }

    /// <summary>The auxiliary gradient from the factors of g and of the Fisher product, in O(K·N²).</summary>
    public bool FactoredGradient { get; }

    /// <summary>Scratch the factored auxiliary gradient needs (shared across layers by the optimizer).</summary>
    public int FactoredScratch { get; }

    public int LambdaCount => _block.LambdaCount;

    /// <summary>The matrices of this layer's λ, at their offsets in the whole λ.</summary>
    public System.Collections.Generic.IEnumerable<ParameterMatrix> Matrices => System.Linq.Enumerable.Select(_block.Segments, segment =>
        new ParameterMatrix(_lambdaOffset + segment.Offset, segment.Rows * segment.Columns,
            segment.LowerTriangular ? segment.Rows * (segment.Rows + 1) / 2 : segment.Rows * segment.Columns));

    public void Initialize(Span<T> lambda, double scale, ref SeededRandom random) => _block.Initialize(Lambda(lambda), scale, ref random);

    /// <summary>Sets this layer's λ so that Q's diagonal fits this layer's block of <paramref name="diagonal"/>.</summary>
    public void WarmStart(Span<T> lambda, ReadOnlySpan<T> diagonal) => _block.WarmStart(Lambda(lambda), Block(diagonal));

    /// <summary>Copies the model's gradient factors of this layer (layer <paramref name="index"/>), when Q·g uses them.</summary>
    public void KeepGradientFactors(IFishLegModel<T> model, int index)
    {
        if (!LowRank) return;
        model.GradientFactors(index, out ReadOnlySpan<T> delta, out ReadOnlySpan<T> input);
        delta.CopyTo(_deltas);
        input.CopyTo(_inputs);
        _rows = model.GradientBatchSize * _layer.Positions;
        _gatheredRows = 0;
    }

    /// <summary>Whether Q·g comes from every replica's gradient factors this step (so it is the global batch's already).</summary>
    public bool FactorsGathered => _gatheredRows > 0;

    /// <summary>
    /// Before an auxiliary update on a replica, when the auxiliary gradient is factored: gathers every replica's kept
    /// gradient factors, so that Q·g and the auxiliary gradient are the global batch's until the next step's factors.
    /// </summary>
    public void GatherGradientFactors(IReplicatedModel<T> replica)
    {
        if (_gatheredDeltas.Length == 0) return;
        _gatheredRows = Gather(replica, _deltas.AsSpan(0, _rows * _layer.Outputs), _inputs.AsSpan(0, _rows * _layer.Inputs),
            _gatheredDeltas, _gatheredInputs);
    }

    /// <summary>
    /// Every replica's factors of one layer stacked in replica order, into <paramref name="allDeltas"/> and
    /// <paramref name="allInputs"/>; returns their rows. A shard's deltas carry its mean's 1/K_r: each replica scales
    /// its own by K_r (in <see cref="_deltas"/>, which is free once the gradient's are gathered) and the gathered by 1/ΣK_r.
    /// </summary>
    private int Gather(IReplicatedModel<T> replica, ReadOnlySpan<T> deltas, ReadOnlySpan<T> inputs, Span<T> allDeltas, Span<T> allInputs)
    {
        int outputs = _layer.Outputs, positions = _layer.Positions;
        Span<T> sums = _deltas.AsSpan(0, deltas.Length);
        System.Numerics.Tensors.TensorPrimitives.Multiply(deltas, T.CreateChecked(deltas.Length / outputs / positions), sums);
        int length = replica.GatherOverReplicas(sums, allDeltas);
        replica.GatherOverReplicas(inputs, allInputs);
        int rows = length / outputs;
        Span<T> gathered = allDeltas[..length];
        System.Numerics.Tensors.TensorPrimitives.Multiply(gathered, T.One / T.CreateChecked(rows / positions), gathered);
        return rows;
    }

    /// <summary>
    /// This layer's block of output = Q(λ)·input. With <paramref name="fromGradientFactors"/> on a low-rank layer, input
    /// is <paramref name="scale"/> times the kept gradient, and its factors are used instead of its dense block.
    /// </summary>
    public void ApplyQ(ReadOnlySpan<T> lambda, ReadOnlySpan<T> input, Span<T> output, bool fromGradientFactors, T scale)
    {
        if (!(fromGradientFactors && LowRank))
        {
            _block.Apply(Lambda(lambda), Block(input), Block(output));
            return;
        }
        _block.ApplyToFactors(Lambda(lambda), GradientFactors, _products, Block(output));
        if (scale != T.One) System.Numerics.Tensors.TensorPrimitives.Multiply(Block(output), scale, Block(output));
    }

    /// <summary>
    /// This layer's block of λ̄ = (∂v/∂λ)ᵀΞ: dense from u and Ξ, or, on a factored layer with
    /// <paramref name="fromGradientFactors"/>, from the kept gradient factors (u = <paramref name="scale"/>·g) and the
    /// model's factors of the last Fisher product (layer <paramref name="index"/>) on <paramref name="productBatch"/> examples.
    /// </summary>
    public void LambdaGradient(ReadOnlySpan<T> lambda, ReadOnlySpan<T> u, ReadOnlySpan<T> xi, Span<T> gradient, bool fromGradientFactors,
        IFishLegModel<T> model, int index, int productBatch, T scale, T damping, Span<T> scratch)
    {
        if (!(fromGradientFactors && FactoredGradient))
        {
            _block.LambdaGradient(Lambda(lambda), Block(u), Block(xi), Lambda(gradient));
            return;
        }
        model.CurvatureFactors(index, out ReadOnlySpan<T> delta, out ReadOnlySpan<T> input);
        int rows = productBatch * _layer.Positions;
        if (FactorsGathered)
        {
            rows = Gather((IReplicatedModel<T>)model, delta, input, _gatheredProductDeltas, _gatheredProductInputs);
            delta = _gatheredProductDeltas.AsSpan(0, rows * _layer.Outputs);
            input = _gatheredProductInputs.AsSpan(0, rows * _layer.Inputs);
        }
        var curvature = new LayerFactors<T>(delta, input, rows, _layer.HasBias);
        _block.LambdaGradientFromFactors(Lambda(lambda), GradientFactors, scale, _products, curvature, damping, scratch, Lambda(gradient));
    }

    private LayerFactors<T> GradientFactors => FactorsGathered
        ? new(_gatheredDeltas.AsSpan(0, _gatheredRows * _layer.Outputs), _gatheredInputs.AsSpan(0, _gatheredRows * _layer.Inputs), _gatheredRows, _layer.HasBias)
        : new(_deltas.AsSpan(0, _rows * _layer.Outputs), _inputs.AsSpan(0, _rows * _layer.Inputs), _rows, _layer.HasBias);

    private Span<T> Lambda(Span<T> all) => all.Slice(_lambdaOffset, _block.LambdaCount);

    private ReadOnlySpan<T> Lambda(ReadOnlySpan<T> all) => all.Slice(_lambdaOffset, _block.LambdaCount);

    /// <summary>This layer's parameters in a parameter-shaped vector.</summary>
    public Span<T> Block(Span<T> all) => all.Slice(_layer.Offset, _layer.ParameterCount);

    private ReadOnlySpan<T> Block(ReadOnlySpan<T> all) => all.Slice(_layer.Offset, _layer.ParameterCount);
}
