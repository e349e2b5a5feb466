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
    /// all-reduce), so that all skip or refuse together; just <paramref name="finite"/> otherwise.
    /// </summary>
    public static bool AllReplicasFinite<T>(IFishLegModel<T> model, bool finite) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (model is not IReplicatedModel<T> replica) return finite;
        Span<T> failed = [finite ? T.Zero : T.One];
        replica.SumOverReplicas(failed);
        return failed[0] == T.Zero;
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
