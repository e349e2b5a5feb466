using System;
using System.ComponentModel;
using System.Globalization;
using System.Numerics;
using System.Numerics.Tensors;

namespace FishLeg.Likelihoods;

// Every head reads the last layer's output A (batch × units, row-major) and uses the mean-over-batch loss convention:
// loss = (1/K) Σ_n ℓ(a_n, y_n). MeanLossAndResidual writes ∂loss/∂A = r(A, Y)/K, the start of the backward pass;
// HessianProduct writes H(A)[Ȧ]/K, the start of the curvature passes (H = ∇²_a ℓ, the same for every target).

/// <summary>Gaussian with fixed σ: ℓ = ½‖y − a‖²/σ², residual (a − y)/σ², mean a.</summary>
/// <remarks>For use by generated code.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
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

    /// <summary>Draws y = a + σξ, ξ ~ N(0, I), row by row.</summary>
    public static void Sample<T>(ReadOnlySpan<T> output, int units, T sigma, ref SeededRandom random, Span<T> targets)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < targets.Length; i++) targets[i] = output[i] + sigma * T.CreateChecked(random.NextGaussian());
    }

    /// <summary>The mean of y given the output: the output itself.</summary>
    public static void Mean<T>(ReadOnlySpan<T> output, int units, Span<T> mean) where T : unmanaged, IFloatingPointIeee754<T>
        => output.CopyTo(mean);

    /// <summary>Throws unless every target is finite (the Gaussian's support is every real value).</summary>
    public static void RequireTargets<T>(ReadOnlySpan<T> targets, int units, string name) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // A finite sum proves every value finite; an infinite one may only be an overflow, so look before failing.
        if (T.IsFinite(TensorPrimitives.Sum(targets))) return;
        TargetSupport.ThrowOutside(targets, units, name, static y => T.IsFinite(y), "the Gaussian likelihood needs finite targets");
    }
}

/// <summary>Independent Bernoulli per unit with logits a: ℓ = Σ_j softplus(a_j) − y_j a_j, residual sigmoid(a) − y.</summary>
/// <remarks>For use by generated code.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
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
            T p = T.One / (T.One + T.Exp(-output[i])); // the logistic: 0 or 1 at the extremes, never NaN
            product[i] = p * (T.One - p) * outputDot[i] * inverseBatch;
        }
    }

    /// <summary>Draws each y_j ~ Bernoulli(sigmoid(a_j)).</summary>
    public static void Sample<T>(ReadOnlySpan<T> output, int units, ref SeededRandom random, Span<T> targets)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < targets.Length; i++)
        {
            double p = 1 / (1 + Math.Exp(-double.CreateChecked(output[i])));
            targets[i] = random.NextDouble() < p ? T.One : T.Zero;
        }
    }

    /// <summary>Probabilities sigmoid(a).</summary>
    public static void Mean<T>(ReadOnlySpan<T> output, int units, Span<T> mean) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Sigmoid(output, mean);

    /// <summary>Throws unless every target lies in [0, 1] (bits, or soft bits such as pixel intensities).</summary>
    public static void RequireTargets<T>(ReadOnlySpan<T> targets, int units, string name) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (TargetSupport.InUnitInterval(targets)) return;
        TargetSupport.ThrowOutside(targets, units, name, TargetSupport.IsProbability, "the Bernoulli likelihood needs targets in [0, 1]");
    }
}

/// <summary>
/// Categorical with logits a: ℓ = (Σ_j y_j)·logsumexp(a) − yᵀa (the cross-entropy; Σ y = 1 for one-hot targets),
/// residual (Σ_j y_j)·softmax(a) − y.
/// </summary>
/// <remarks>For use by generated code.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
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
            // ℓ = Σ_j y_j(max − a_j) + (Σy)·log1p(Σ_{j≠top} e^(a_j − max)): no large terms cancel, so a confident, right
            // prediction keeps full relative precision (max + log(partition) − a_c would lose it to rounding).
            int top = TensorPrimitives.IndexOfMax(a);
            TensorPrimitives.Subtract(a, a[top], s);
            T shift = -TensorPrimitives.Dot<T>(s, y);
            TensorPrimitives.Exp<T>(s, s);
            s[top] = T.Zero;
            T rest = TensorPrimitives.Sum<T>(s);
            s[top] = T.One;
            T mass = TensorPrimitives.Sum(y);
            sum += shift + mass * LogOnePlus(rest);
            if (writeResidual)
            {
                // s holds exp(a − max); scale to (Σy)·softmax(a), subtract y, divide by K.
                TensorPrimitives.Multiply(s, mass / (T.One + rest), s);
                TensorPrimitives.Subtract(s, y, s);
                TensorPrimitives.Multiply(s, inverseBatch, s);
            }
        }
        return sum * inverseBatch;
    }

    /// <summary>log(1 + x) to full relative precision for x ≥ 0 (.NET's LogP1 rounds 1 + x first).</summary>
    private static T LogOnePlus<T>(T x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T u = T.One + x;
        return u == T.One ? x : T.Log(u) * x / (u - T.One);
    }

    /// <summary>softmax(a) with the row maximum subtracted first (TensorPrimitives.SoftMax overflows beyond exp's range).</summary>
    private static void SoftMax<T>(ReadOnlySpan<T> a, Span<T> p) where T : unmanaged, IFloatingPointIeee754<T>
    {
        TensorPrimitives.Subtract(a, TensorPrimitives.Max(a), p);
        TensorPrimitives.Exp<T>(p, p);
        TensorPrimitives.Divide(p, TensorPrimitives.Sum<T>(p), p);
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
            SoftMax(output.Slice(n * units, units), p);
            T mean = TensorPrimitives.Dot<T>(p, aDot);
            for (int j = 0; j < units; j++) p[j] = p[j] * (aDot[j] - mean) * inverseBatch;
        }
    }

    /// <summary>Draws a one-hot row per example, its class from softmax(a); <paramref name="targets"/> also serves as scratch.</summary>
    public static void Sample<T>(ReadOnlySpan<T> output, int units, ref SeededRandom random, Span<T> targets)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int n = 0; n < output.Length / units; n++)
        {
            Span<T> row = targets.Slice(n * units, units);
            SoftMax(output.Slice(n * units, units), row);
            double draw = random.NextDouble(), cumulative = 0;
            int chosen = units - 1; // rounding can leave the total a hair under 1: the last class takes the rest
            for (int j = 0; j < units; j++)
            {
                cumulative += double.CreateChecked(row[j]);
                if (draw < cumulative)
                {
                    chosen = j;
                    break;
                }
            }
            row.Clear();
            row[chosen] = T.One;
        }
    }

    /// <summary>Class probabilities softmax(a), row by row.</summary>
    public static void Mean<T>(ReadOnlySpan<T> output, int units, Span<T> mean) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int n = 0; n < output.Length / units; n++)
            SoftMax(output.Slice(n * units, units), mean.Slice(n * units, units));
    }

    /// <summary>
    /// Throws unless every target row is a probability vector: entries in [0, 1] summing to 1 within 1e-3 (one-hot rows,
    /// or soft labels such as label smoothing or the model's own probabilities).
    /// </summary>
    public static void RequireTargets<T>(ReadOnlySpan<T> targets, int units, string name) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!TargetSupport.InUnitInterval(targets))
            TargetSupport.ThrowOutside(targets, units, name, TargetSupport.IsProbability, "the Categorical likelihood needs targets in [0, 1]");
        T tolerance = T.CreateChecked(1e-3);
        for (int n = 0; n < targets.Length / units; n++)
        {
            T mass = TensorPrimitives.Sum(targets.Slice(n * units, units));
            if (!(T.Abs(mass - T.One) <= tolerance))
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"'{name}' row {n} sums to {mass}; the Categorical likelihood needs each row to be a probability vector (one-hot or soft labels summing to 1)."), name);
        }
    }
}

/// <summary>The shared part of the likelihoods' target checks: a vectorized test, then a search that names the bad value.</summary>
internal static class TargetSupport
{
    /// <summary>The check of <paramref name="likelihood"/>'s head, for callers that know the likelihood only as a value.</summary>
    public static void Require<T>(Likelihood likelihood, ReadOnlySpan<T> targets, int units, string name) where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (likelihood)
        {
            case Likelihood.Gaussian: GaussianLikelihood.RequireTargets(targets, units, name); break;
            case Likelihood.Bernoulli: BernoulliLikelihood.RequireTargets(targets, units, name); break;
            default: CategoricalLikelihood.RequireTargets(targets, units, name); break;
        }
    }

    public static bool InUnitInterval<T>(ReadOnlySpan<T> targets) where T : unmanaged, IFloatingPointIeee754<T> =>
        TensorPrimitives.Min(targets) >= T.Zero && TensorPrimitives.Max(targets) <= T.One; // NaN fails both

    public static bool IsProbability<T>(T y) where T : unmanaged, IFloatingPointIeee754<T> => y >= T.Zero && y <= T.One;

    /// <summary>Throws naming the first value that <paramref name="inSupport"/> rejects, if any.</summary>
    public static void ThrowOutside<T>(ReadOnlySpan<T> targets, int units, string name, Func<T, bool> inSupport, string rule)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < targets.Length; i++)
            if (!inSupport(targets[i]))
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture, $"'{name}' row {i / units}, column {i % units} holds {targets[i]}: {rule}."), name);
    }
}

/// <summary>
/// The outer-product ("sampled" or "empirical") Fisher (1/K) Σ_n s_n s_nᵀ v with s_n = J_nᵀ r_n (docs/math.md §2.4): its
/// backward pass starts from Ḋ = (1/K) c ⊙_r R, c_n = r_n·ȧ_n.
/// </summary>
/// <remarks>For use by generated code.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class OuterProductFisher
{
    /// <summary>
    /// Writes Ḋ from the scaled residual R/K (as MeanLossAndResidual leaves it) and the output tangent Ȧ:
    /// row n is (1/K)(r_n·ȧ_n) r_n = K (ρ_n·ȧ_n) ρ_n with ρ_n = r_n/K.
    /// </summary>
    public static void Seed<T>(ReadOnlySpan<T> scaledResidual, ReadOnlySpan<T> outputDot, int units, Span<T> seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int batch = scaledResidual.Length / units;
        T k = T.CreateChecked(batch);
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<T> rho = scaledResidual.Slice(n * units, units);
            T c = k * TensorPrimitives.Dot(rho, outputDot.Slice(n * units, units));
            TensorPrimitives.Multiply(rho, c, seed.Slice(n * units, units));
        }
    }
}
