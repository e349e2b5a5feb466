using System;

namespace FishLeg.Optimizers;

/// <summary>
/// A layer's gradient-shaped matrix in factored form, Eᵀ·Ā: <see cref="Batch"/> rows of deltas E (K × n_o) and of
/// inputs A (K × n_i without the bias column), Ā = [A | 1] when the layer has a bias. K is the examples times the
/// layer's output positions (a convolution has a row per example and position). A gradient and a Fisher product
/// block both come this way (<see cref="IFishLegModel{T}.GradientFactors"/>, <see cref="IFishLegModel{T}.CurvatureFactors"/>).
/// </summary>
internal readonly ref struct LayerFactors<T>(ReadOnlySpan<T> delta, ReadOnlySpan<T> input, int batch, bool hasBias)
{
    public ReadOnlySpan<T> Delta { get; } = delta;
    public ReadOnlySpan<T> Input { get; } = input;
    public int Batch { get; } = batch;
    public bool HasBias { get; } = hasBias;
}
