using System;
using System.Globalization;
using System.Numerics;
using FishLeg.Kernels;

namespace FishLeg.Optimizers;

/// <summary>The optimizers' shared checks: each names what is wrong, and runs before any state changes.</summary>
internal static class OptimizerGuard
{
    public static void CheckLengths(int expected, int parameters, int gradient)
    {
        if (parameters != expected)
            throw new ArgumentException($"The optimizer was created for {expected} parameters but was given {parameters}.", nameof(parameters));
        if (gradient != expected)
            throw new ArgumentException($"The gradient holds {gradient} values but there are {expected} parameters.", nameof(gradient));
    }

    /// <summary>Throws unless every gradient value is finite: one NaN would otherwise spread to every parameter.</summary>
    public static void RequireFinite<T>(NonFiniteSearchKernel<T> search, ReadOnlySpan<T> gradient, long step)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int bad = search.IndexOfNonFinite(gradient);
        if (bad >= 0)
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"The gradient at step {step} holds {gradient[bad]} at index {bad}; the parameters and the optimizer state were left unchanged."));
    }

    /// <summary>
    /// Whether this replica's <paramref name="finite"/> holds on every replica of a replicated model (one scalar
    /// all-reduce in <paramref name="flag"/>), so that all skip or refuse together; just <paramref name="finite"/> otherwise.
    /// </summary>
    public static bool AllReplicasFinite<T>(IFishLegModel<T> model, bool finite, T[] flag) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (model is not IReplicatedModel<T> replica) return finite;
        flag[0] = finite ? T.Zero : T.One;
        replica.SumOverReplicas(flag);
        return flag[0] == T.Zero;
    }

    /// <summary>
    /// A shard's mean over <paramref name="rows"/> rows → the global batch's: values ← Σ_r rows_r·values_r / Σ_r rows_r,
    /// on a replicated model (nothing otherwise). <paramref name="scalar"/> is a one-value scratch.
    /// </summary>
    public static void MeanOverReplicas<T>(IFishLegModel<T> model, Span<T> values, int rows, T[] scalar) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (model is not IReplicatedModel<T> replica) return;
        T weight = T.CreateChecked(rows);
        System.Numerics.Tensors.TensorPrimitives.Multiply(values, weight, values);
        replica.SumOverReplicas(values);
        scalar[0] = weight;
        replica.SumOverReplicas(scalar);
        System.Numerics.Tensors.TensorPrimitives.Multiply(values, T.One / scalar[0], values);
    }

    /// <summary>A learning rate, ε or similar: positive and finite.</summary>
    public static double Positive(double value, string name) =>
        value > 0 && double.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive and finite.");

    /// <summary>A weight decay or damping: zero or positive, finite.</summary>
    public static double NonNegative(double value, string name) =>
        value >= 0 && double.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(name, value, $"{name} must be zero or positive, and finite.");

    /// <summary>A momentum or decay rate: in [0, 1).</summary>
    public static double Fraction(double value, string name) =>
        value >= 0 && value < 1 ? value : throw new ArgumentOutOfRangeException(name, value, $"{name} must be in [0, 1).");

    /// <summary>A dampening: in [0, 1].</summary>
    public static double UnitInterval(double value, string name) =>
        value >= 0 && value <= 1 ? value : throw new ArgumentOutOfRangeException(name, value, $"{name} must be in [0, 1].");
}
