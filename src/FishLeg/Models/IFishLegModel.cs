using System;
using System.Numerics;

namespace FishLeg;

/// <summary>
/// A model generated from a <see cref="FishLegModelAttribute"/> declaration. The runtime drives training through
/// this interface alone: no reflection, so it works under trimming and Native AOT.
/// </summary>
/// <remarks>
/// Batches are row-major: row n of <c>inputs</c> is example n. The batch size is the number of input rows, from 1 up to
/// <see cref="MaxBatchSize"/>. The loss is the mean over the batch of the per-example negative log-likelihood,
/// summed over output units. Targets are checked against the likelihood's support before any pass runs.
/// A model instance is single-threaded (it owns one workspace): give each thread its own. A call that enters a model
/// busy on another thread throws <see cref="InvalidOperationException"/> instead of mixing the two passes.
/// </remarks>
public interface IFishLegModel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Sizes, likelihood and the flat parameter layout.</summary>
    ModelDescription Description { get; }

    /// <summary>Largest batch the workspace was sized for.</summary>
    int MaxBatchSize { get; }

    /// <summary>All trainable parameters, layer after layer; each layer's weights row-major with the bias as last column.</summary>
    Span<T> Parameters { get; }

    /// <summary>Gradient of the last <see cref="LossAndGradient"/> call, laid out like <see cref="Parameters"/>.</summary>
    ReadOnlySpan<T> Gradient { get; }

    /// <summary>
    /// Re-draws every parameter from <paramref name="seed"/>: weights and bias of a layer with fan-in n uniform in
    /// [−1/√n, 1/√n], as PyTorch's <c>nn.Linear</c> and <c>nn.Conv2d</c> do by default; a layer normalization's scale 1
    /// and shift 0, as <c>nn.LayerNorm</c>.
    /// </summary>
    void InitializeParameters(ulong seed);

    /// <summary>Writes the likelihood's mean for each example: the output itself (Gaussian), sigmoid (Bernoulli) or softmax (Categorical).</summary>
    void Predict(ReadOnlySpan<T> inputs, Span<T> predictions);

    /// <summary>Mean negative log-likelihood of <paramref name="targets"/> over the batch.</summary>
    T Loss(ReadOnlySpan<T> inputs, ReadOnlySpan<T> targets);

    /// <summary>Mean negative log-likelihood over the batch; stores its gradient in <see cref="Gradient"/>.</summary>
    T LossAndGradient(ReadOnlySpan<T> inputs, ReadOnlySpan<T> targets);

    /// <summary>
    /// The Fisher-vector product <c>F·v</c> on a batch, with <c>F = (1/K) Σₙ Jₙᵀ H(aₙ) Jₙ</c> the generalized Gauss–Newton
    /// matrix of the mean loss, equal to the Fisher for these likelihoods (docs/math.md §2.2). Exact, positive
    /// semi-definite, and needs no labels. <paramref name="direction"/> and <paramref name="product"/> are laid out like
    /// <see cref="Parameters"/> and must not overlap.
    /// </summary>
    void FisherVectorProduct(ReadOnlySpan<T> inputs, ReadOnlySpan<T> direction, Span<T> product);

    /// <summary>
    /// The exact Hessian-vector product <c>∇²ℒ·v</c> of the mean loss at (<paramref name="inputs"/>, <paramref name="targets"/>),
    /// by forward-over-reverse differentiation, second derivatives of the activations included (docs/math.md §2.3).
    /// With targets set to the model's own predictions it equals <see cref="FisherVectorProduct"/>.
    /// </summary>
    void HessianVectorProduct(ReadOnlySpan<T> inputs, ReadOnlySpan<T> targets, ReadOnlySpan<T> direction, Span<T> product);

    /// <summary>
    /// The outer-product Fisher product (1/K) Σₙ sₙ (sₙ·v), sₙ = ∇ℓ(aₙ, yₙ) the per-example gradient (docs/math.md §2.4):
    /// the Monte-Carlo Fisher when <paramref name="targets"/> are drawn from the model (<see cref="SampleTargets"/>), the
    /// empirical Fisher when they are the data's labels. Rank at most K.
    /// </summary>
    void OuterProductFisherVectorProduct(ReadOnlySpan<T> inputs, ReadOnlySpan<T> targets, ReadOnlySpan<T> direction, Span<T> product);

    /// <summary>Draws targets ŷ ~ p(·|x) from the model's own likelihood, one row per input row.</summary>
    void SampleTargets(ReadOnlySpan<T> inputs, ref SeededRandom random, Span<T> targets);

    /// <summary>Examples in the batch of the last <see cref="LossAndGradient"/> call.</summary>
    int GradientBatchSize { get; }

    /// <summary>
    /// The factors of layer <paramref name="layer"/>'s (0-based) gradient from the last <see cref="LossAndGradient"/>:
    /// G = Eᵀ·[A | 1] (Eᵀ·A without bias), with <paramref name="delta"/> = E (rows × outputs, the 1/K included) and
    /// <paramref name="input"/> = A (rows × inputs), a row per example (a convolution: per example and output position,
    /// A its patches). G has rank at most the number of rows, which FishLeg's low-rank Q·G exploits. Valid until the next
    /// call that runs the model.
    /// </summary>
    void GradientFactors(int layer, out ReadOnlySpan<T> delta, out ReadOnlySpan<T> input);

    /// <summary>
    /// The factors of layer <paramref name="layer"/>'s (0-based) block of the last <see cref="FisherVectorProduct"/> or
    /// <see cref="OuterProductFisherVectorProduct"/>: that block is Ėᵀ·[A | 1] (Ėᵀ·A without bias), with
    /// <paramref name="delta"/> = Ė (rows × outputs) and <paramref name="input"/> = A (rows × inputs) of the product's
    /// batch, rows as in <see cref="GradientFactors"/>. FishLeg's factored auxiliary gradient uses them. Throws when
    /// another pass has run since.
    /// </summary>
    void CurvatureFactors(int layer, out ReadOnlySpan<T> delta, out ReadOnlySpan<T> input);
}
