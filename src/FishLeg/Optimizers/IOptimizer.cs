using System;
using System.Numerics;

namespace FishLeg.Optimizers;

/// <summary>A first-order update rule over a model's flat parameter and gradient spans.</summary>
public interface IOptimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Updates <paramref name="parameters"/> in place from <paramref name="gradient"/>.</summary>
    void Step(Span<T> parameters, ReadOnlySpan<T> gradient);
}
