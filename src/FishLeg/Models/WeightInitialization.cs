using System;
using System.ComponentModel;
using System.Numerics;

namespace FishLeg;

/// <summary>A layer's initial parameters, as PyTorch's <c>nn.Linear</c>, <c>nn.Conv2d</c> and <c>nn.LayerNorm</c> set them.</summary>
/// <remarks>For use by generated code.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class WeightInitialization
{
    /// <summary>Draws every entry of a layer's weight matrix (bias included) uniformly from [−1/√fanIn, 1/√fanIn].</summary>
    public static void Uniform<T>(Span<T> weights, int fanIn, ref SeededRandom random) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double bound = 1.0 / Math.Sqrt(fanIn);
        for (int i = 0; i < weights.Length; i++) weights[i] = T.CreateChecked((2.0 * random.NextDouble() - 1.0) * bound);
    }

    /// <summary>A layer normalization's [γⱼ, βⱼ] pairs: scale 1, shift 0.</summary>
    public static void ScaleAndShift<T>(Span<T> pairs) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < pairs.Length; i++) pairs[i] = i % 2 == 0 ? T.One : T.Zero;
    }
}
