using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace FishLeg.Kernels;

/// <summary>
/// Element-wise activations <c>a = σ(z)</c> and, for the backward pass, <c>d ⊙= σ'(z)</c> in place
/// (given both z and a = σ(z), so each derivative uses whichever is cheaper).
/// </summary>
public static class Activations
{
    /// <summary>a = max(z, 0).</summary>
    public static void Relu<T>(ReadOnlySpan<T> z, Span<T> a) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Max(z, T.Zero, a);

    /// <summary>d ⊙= 1[z &gt; 0].</summary>
    public static void ReluBackward<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> a, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < d.Length; i++)
            if (!(z[i] > T.Zero)) d[i] = T.Zero;
    }

    /// <summary>a = tanh(z).</summary>
    public static void Tanh<T>(ReadOnlySpan<T> z, Span<T> a) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Tanh(z, a);

    /// <summary>d ⊙= 1 − a².</summary>
    public static void TanhBackward<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> a, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < d.Length; i++) d[i] *= T.One - a[i] * a[i];
    }

    /// <summary>a = 1 / (1 + e⁻ᶻ).</summary>
    public static void Sigmoid<T>(ReadOnlySpan<T> z, Span<T> a) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Sigmoid(z, a);

    /// <summary>d ⊙= a(1 − a).</summary>
    public static void SigmoidBackward<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> a, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < d.Length; i++) d[i] *= a[i] * (T.One - a[i]);
    }

    /// <summary>a = log(1 + eᶻ), computed as max(z, 0) + log(1 + e^−|z|) so it never overflows.</summary>
    public static void Softplus<T>(ReadOnlySpan<T> z, Span<T> a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < a.Length; i++) a[i] = Softplus(z[i]);
    }

    internal static T Softplus<T>(T z) where T : unmanaged, IFloatingPointIeee754<T>
        => T.Max(z, T.Zero) + T.LogP1(T.Exp(-T.Abs(z)));

    /// <summary>d ⊙= sigmoid(z).</summary>
    public static void SoftplusBackward<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> a, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < d.Length; i++) d[i] *= T.One / (T.One + T.Exp(-z[i]));
    }

    private static readonly double GeluC = Math.Sqrt(2.0 / Math.PI);
    private const double GeluK = 0.044715;

    /// <summary>a = ½z(1 + tanh(u)), u = √(2/π)(z + 0.044715z³): the tanh form of GELU.</summary>
    public static void GeluTanh<T>(ReadOnlySpan<T> z, Span<T> a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T c = T.CreateChecked(GeluC), k = T.CreateChecked(GeluK), half = T.CreateChecked(0.5);
        for (int i = 0; i < a.Length; i++)
        {
            T x = z[i];
            a[i] = half * x * (T.One + T.Tanh(c * (x + k * x * x * x)));
        }
    }

    /// <summary>d ⊙= ½(1 + t) + ½z(1 − t²)u′ with t = tanh(u), u′ = √(2/π)(1 + 3·0.044715z²).</summary>
    public static void GeluTanhBackward<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> a, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T c = T.CreateChecked(GeluC), k = T.CreateChecked(GeluK), k3 = T.CreateChecked(3 * GeluK), half = T.CreateChecked(0.5);
        for (int i = 0; i < d.Length; i++)
        {
            T x = z[i];
            T t = T.Tanh(c * (x + k * x * x * x));
            T du = c * (T.One + k3 * x * x);
            d[i] *= half * (T.One + t) + half * x * (T.One - t * t) * du;
        }
    }
}
