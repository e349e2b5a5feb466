using System;
using System.ComponentModel;
using System.Numerics;
using FishLeg.Likelihoods;

namespace FishLeg.CompilerServices;

/// <summary>
/// For use by generated code: a likelihood head as a type, so that a generated model names its head and the compiler
/// checks the call (as <c>TensorPrimitives</c> takes its operators). σ is the Gaussian's; the other heads ignore it.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface ILikelihoodHead<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The mean loss over the batch; <paramref name="scratch"/> is overwritten.</summary>
    static abstract T MeanLoss(ReadOnlySpan<T> output, ReadOnlySpan<T> targets, int units, T sigma, Span<T> scratch);

    /// <summary>The mean loss, and ∂loss/∂output into <paramref name="residual"/>.</summary>
    static abstract T MeanLossAndResidual(ReadOnlySpan<T> output, ReadOnlySpan<T> targets, int units, T sigma, Span<T> residual);

    /// <summary>The output Hessian's product with <paramref name="outputDot"/>, divided by the batch size.</summary>
    static abstract void HessianProduct(ReadOnlySpan<T> output, ReadOnlySpan<T> outputDot, int units, T sigma, Span<T> product);

    /// <summary>Targets drawn from the model's own likelihood.</summary>
    static abstract void Sample(ReadOnlySpan<T> output, int units, T sigma, ref SeededRandom random, Span<T> targets);

    /// <summary>The likelihood's mean.</summary>
    static abstract void Mean(ReadOnlySpan<T> output, int units, Span<T> mean);

    /// <summary>Throws unless every target lies in the likelihood's support.</summary>
    static abstract void RequireTargets(ReadOnlySpan<T> targets, int units, string name);
}

/// <summary>For use by generated code: the Gaussian head (<see cref="GaussianLikelihood"/>).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct GaussianHead<T> : ILikelihoodHead<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public static T MeanLoss(ReadOnlySpan<T> output, ReadOnlySpan<T> targets, int units, T sigma, Span<T> scratch) =>
        GaussianLikelihood.MeanLoss(output, targets, units, sigma, scratch);

    /// <inheritdoc/>
    public static T MeanLossAndResidual(ReadOnlySpan<T> output, ReadOnlySpan<T> targets, int units, T sigma, Span<T> residual) =>
        GaussianLikelihood.MeanLossAndResidual(output, targets, units, sigma, residual);

    /// <inheritdoc/>
    public static void HessianProduct(ReadOnlySpan<T> output, ReadOnlySpan<T> outputDot, int units, T sigma, Span<T> product) =>
        GaussianLikelihood.HessianProduct(output, outputDot, units, sigma, product);

    /// <inheritdoc/>
    public static void Sample(ReadOnlySpan<T> output, int units, T sigma, ref SeededRandom random, Span<T> targets) =>
        GaussianLikelihood.Sample(output, units, sigma, ref random, targets);

    /// <inheritdoc/>
    public static void Mean(ReadOnlySpan<T> output, int units, Span<T> mean) => GaussianLikelihood.Mean(output, units, mean);

    /// <inheritdoc/>
    public static void RequireTargets(ReadOnlySpan<T> targets, int units, string name) => GaussianLikelihood.RequireTargets(targets, units, name);
}

/// <summary>For use by generated code: the Bernoulli head (<see cref="BernoulliLikelihood"/>).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct BernoulliHead<T> : ILikelihoodHead<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public static T MeanLoss(ReadOnlySpan<T> output, ReadOnlySpan<T> targets, int units, T sigma, Span<T> scratch) =>
        BernoulliLikelihood.MeanLoss(output, targets, units, scratch);

    /// <inheritdoc/>
    public static T MeanLossAndResidual(ReadOnlySpan<T> output, ReadOnlySpan<T> targets, int units, T sigma, Span<T> residual) =>
        BernoulliLikelihood.MeanLossAndResidual(output, targets, units, residual);

    /// <inheritdoc/>
    public static void HessianProduct(ReadOnlySpan<T> output, ReadOnlySpan<T> outputDot, int units, T sigma, Span<T> product) =>
        BernoulliLikelihood.HessianProduct(output, outputDot, units, product);

    /// <inheritdoc/>
    public static void Sample(ReadOnlySpan<T> output, int units, T sigma, ref SeededRandom random, Span<T> targets) =>
        BernoulliLikelihood.Sample(output, units, ref random, targets);

    /// <inheritdoc/>
    public static void Mean(ReadOnlySpan<T> output, int units, Span<T> mean) => BernoulliLikelihood.Mean(output, units, mean);

    /// <inheritdoc/>
    public static void RequireTargets(ReadOnlySpan<T> targets, int units, string name) => BernoulliLikelihood.RequireTargets(targets, units, name);
}

/// <summary>For use by generated code: the Categorical head (<see cref="CategoricalLikelihood"/>).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct CategoricalHead<T> : ILikelihoodHead<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public static T MeanLoss(ReadOnlySpan<T> output, ReadOnlySpan<T> targets, int units, T sigma, Span<T> scratch) =>
        CategoricalLikelihood.MeanLoss(output, targets, units, scratch);

    /// <inheritdoc/>
    public static T MeanLossAndResidual(ReadOnlySpan<T> output, ReadOnlySpan<T> targets, int units, T sigma, Span<T> residual) =>
        CategoricalLikelihood.MeanLossAndResidual(output, targets, units, residual);

    /// <inheritdoc/>
    public static void HessianProduct(ReadOnlySpan<T> output, ReadOnlySpan<T> outputDot, int units, T sigma, Span<T> product) =>
        CategoricalLikelihood.HessianProduct(output, outputDot, units, product);

    /// <inheritdoc/>
    public static void Sample(ReadOnlySpan<T> output, int units, T sigma, ref SeededRandom random, Span<T> targets) =>
        CategoricalLikelihood.Sample(output, units, ref random, targets);

    /// <inheritdoc/>
    public static void Mean(ReadOnlySpan<T> output, int units, Span<T> mean) => CategoricalLikelihood.Mean(output, units, mean);

    /// <inheritdoc/>
    public static void RequireTargets(ReadOnlySpan<T> targets, int units, string name) => CategoricalLikelihood.RequireTargets(targets, units, name);
}
