using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace FishLeg.Likelihoods;

// Every head reads the last layer's output A (batch × units, row-major) and uses the mean-over-batch loss convention:
// loss = (1/K) Σ_n ℓ(a_n, y_n). MeanLossAndResidual writes ∂loss/∂A = r(A, Y)/K, the start of the backward pass;
// HessianProduct writes H(A)[Ȧ]/K, the start of the curvature passes (H = ∇²_a ℓ, the same for every target).

/// <summary>Gaussian with fixed σ: ℓ = ½‖y − a‖²/σ², residual (a − y)/σ², mean a.</summary>
public static class GaussianLikelihood
{
    /// <summary>Mean loss over the batch; <paramref name="scratch"/> (same length as the output) is overwritten.</summary>
    public static T MeanLoss<T>(ReadOnlySpan<T> output, ReadOnlySpan<T> targets, int units, T sigma, Span<T> scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int batch = output.Length / units;
        TensorPrimitives.Subtract(output, targets, scratch);
        return TensorPrimitives.SumOfSquares<T>(scratch) / (T.CreateChecked(2 * batch) * sigma * sigma);
    }

    /// <summary>Mean loss over the batch; writes (A − Y)/(σ²K) into <paramref name="residual"/>.</summary>
    public static T MeanLossAndResidual<T>(ReadOnlySpan<T> output, ReadOnlySpan<T> targets, int units, T sigma, Span<T> residual)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int batch = output.Length / units;
        T loss = MeanLoss(output, targets, units, sigma, residual);
        TensorPrimitives.Multiply(residual, T.One / (T.CreateChecked(batch) * sigma * sigma), residual);
        return loss;
    }

    /// <summary>Writes Ȧ/(σ²K).</summary>
    public static void HessianProduct<T>(ReadOnlySpan<T> output, ReadOnlySpan<T> outputDot, int units, T sigma, Span<T> product)
        where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Multiply(outputDot, T.One / (T.CreateChecked(output.Length / units) * sigma * sigma), product);

    /// <summary>The mean of y given the output: the output itself.</summary>
    public static void Mean<T>(ReadOnlySpan<T> output, int units, Span<T> mean) where T : unmanaged, IFloatingPointIeee754<T>
        => output.CopyTo(mean);
}

/// <summary>Independent Bernoulli per unit with logits a: ℓ = Σ_j softplus(a_j) − y_j a_j, residual sigmoid(a) − y.</summary>
public static class BernoulliLikelihood
{
    /// <summary>Mean loss over the batch; <paramref name="scratch"/> (same length as the output) is overwritten.</summary>
    public static T MeanLoss<T>(ReadOnlySpan<T> output, ReadOnlySpan<T> targets, int units, Span<T> scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int batch = output.Length / units;
        // softplus(a) = max(a, 0) + log(1 + e^−|a|), vectorized in the scratch buffer.
        TensorPrimitives.Abs(output, scratch);
        TensorPrimitives.Negate<T>(scratch, scratch);
        TensorPrimitives.Exp<T>(scratch, scratch);
        TensorPrimitives.LogP1<T>(scratch, scratch);
        T sum = TensorPrimitives.Sum<T>(scratch);
        TensorPrimitives.Max(output, T.Zero, scratch);
        sum += TensorPrimitives.Sum<T>(scratch) - TensorPrimitives.Dot(output, targets);
        return sum / T.CreateChecked(batch);
    }

    /// <summary>Mean loss over the batch; writes (sigmoid(A) − Y)/K into <paramref name="residual"/>.</summary>
    public static T MeanLossAndResidual<T>(ReadOnlySpan<T> output, ReadOnlySpan<T> targets, int units, Span<T> residual)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int batch = output.Length / units;
        T loss = MeanLoss(output, targets, units, residual);
        TensorPrimitives.Sigmoid(output, residual);
        TensorPrimitives.Subtract(residual, targets, residual);
        TensorPrimitives.Multiply(residual, T.One / T.CreateChecked(batch), residual);
        return loss;
    }

    /// <summary>Writes p ⊙ (1 − p) ⊙ Ȧ / K, p = sigmoid(A).</summary>
    public static void HessianProduct<T>(ReadOnlySpan<T> output, ReadOnlySpan<T> outputDot, int units, Span<T> product)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T inverseBatch = T.One / T.CreateChecked(output.Length / units);
        for (int i = 0; i < product.Length; i++)
        {
            T p = T.One / (T.One + T.Exp(-output[i]));
            product[i] = p * (T.One - p) * outputDot[i] * inverseBatch;
        }
    }

    /// <summary>Probabilities sigmoid(a).</summary>
    public static void Mean<T>(ReadOnlySpan<T> output, int units, Span<T> mean) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Sigmoid(output, mean);
}

/// <summary>
/// Categorical with logits a: ℓ = (Σ_j y_j)·logsumexp(a) − yᵀa (the cross-entropy; Σ y = 1 for one-hot targets),
/// residual (Σ_j y_j)·softmax(a) − y.
/// </summary>
public static class CategoricalLikelihood
{
    /// <summary>Mean loss over the batch; <paramref name="scratch"/> (same length as the output) is overwritten.</summary>
    public static T MeanLoss<T>(ReadOnlySpan<T> output, ReadOnlySpan<T> targets, int units, Span<T> scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Run(output, targets, units, scratch, writeResidual: false);

    /// <summary>Mean loss over the batch; writes ((Σy)·softmax(A) − Y)/K into <paramref name="residual"/>.</summary>
    public static T MeanLossAndResidual<T>(ReadOnlySpan<T> output, ReadOnlySpan<T> targets, int units, Span<T> residual)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Run(output, targets, units, residual, writeResidual: true);

    private static T Run<T>(ReadOnlySpan<T> output, ReadOnlySpan<T> targets, int units, Span<T> scratch, bool writeResidual)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int batch = output.Length / units;
        T inverseBatch = T.One / T.CreateChecked(batch);
        T sum = T.Zero;
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<T> a = output.Slice(n * units, units), y = targets.Slice(n * units, units);
            Span<T> s = scratch.Slice(n * units, units);
            T max = TensorPrimitives.Max(a);
            TensorPrimitives.Subtract(a, max, s);
            TensorPrimitives.Exp<T>(s, s);
            T partition = TensorPrimitives.Sum<T>(s);
            T mass = TensorPrimitives.Sum(y);
            sum += mass * (max + T.Log(partition)) - TensorPrimitives.Dot(a, y);
            if (writeResidual)
            {
                // s holds exp(a − max); scale to (Σy)·softmax(a), subtract y, divide by K.
                TensorPrimitives.Multiply(s, mass / partition, s);
                TensorPrimitives.Subtract(s, y, s);
                TensorPrimitives.Multiply(s, inverseBatch, s);
            }
        }
        return sum * inverseBatch;
    }

    /// <summary>Writes p ⊙ (ȧ − (pᵀȧ)1) / K row by row, p = softmax(a); no C×C matrix is formed.</summary>
    public static void HessianProduct<T>(ReadOnlySpan<T> output, ReadOnlySpan<T> outputDot, int units, Span<T> product)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int batch = output.Length / units;
        T inverseBatch = T.One / T.CreateChecked(batch);
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<T> aDot = outputDot.Slice(n * units, units);
            Span<T> p = product.Slice(n * units, units);
            TensorPrimitives.SoftMax(output.Slice(n * units, units), p);
            T mean = TensorPrimitives.Dot<T>(p, aDot);
            for (int j = 0; j < units; j++) p[j] = p[j] * (aDot[j] - mean) * inverseBatch;
        }
    }

    /// <summary>Class probabilities softmax(a), row by row.</summary>
    public static void Mean<T>(ReadOnlySpan<T> output, int units, Span<T> mean) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int n = 0; n < output.Length / units; n++)
            TensorPrimitives.SoftMax(output.Slice(n * units, units), mean.Slice(n * units, units));
    }
}
