using System;
using System.ComponentModel;
using System.Numerics;
using System.Numerics.Tensors;

namespace FishLeg.Kernels;

/// <summary>
/// Element-wise activations <c>a = σ(z)</c>; their Jacobian products <c>e = d ⊙ σ'(z)</c> (the backward pass, and the
/// tangent pass <c>ȧ = ż ⊙ σ'(z)</c>); and their curvature terms <c>ė += d ⊙ σ''(z) ⊙ ż</c> (the Hessian-vector
/// product). Each derivative gets both z and a = σ(z) and uses whichever is cheaper; <c>e</c> may be <c>d</c> itself.
/// Identity and ReLU have σ'' = 0, so they have no curvature term.
/// </summary>
public static class Activations
{
    /// <summary>a = σ(z) for an activation chosen at run time (a GEMM epilogue runs this per tile row).</summary>
    public static void Apply<T>(Activation activation, ReadOnlySpan<T> z, Span<T> a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (activation)
        {
            case Activation.Identity: z.CopyTo(a); break;
            case Activation.Relu: Relu(z, a); break;
            case Activation.Tanh: Tanh(z, a); break;
            case Activation.Sigmoid: Sigmoid(z, a); break;
            case Activation.Softplus: Softplus(z, a); break;
            case Activation.GeluTanh: GeluTanh(z, a); break;
            default: throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation.");
        }
    }

    /// <summary>e = d ⊙ σ'(z), given z and a = σ(z), for an activation chosen at run time; e may be d.</summary>
    public static void Differentiate<T>(Activation activation, ReadOnlySpan<T> z, ReadOnlySpan<T> a, ReadOnlySpan<T> d, Span<T> e)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (activation)
        {
            case Activation.Identity: d.CopyTo(e); break;
            case Activation.Relu: ReluBackward(z, a, d, e); break;
            case Activation.Tanh: TanhBackward(z, a, d, e); break;
            case Activation.Sigmoid: SigmoidBackward(z, a, d, e); break;
            case Activation.Softplus: SoftplusBackward(z, a, d, e); break;
            case Activation.GeluTanh: GeluTanhBackward(z, a, d, e); break;
            default: throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation.");
        }
    }

    /// <summary>a = max(z, 0).</summary>
    public static void Relu<T>(ReadOnlySpan<T> z, Span<T> a) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Max(z, T.Zero, a);

    /// <summary>e = d ⊙ 1[z &gt; 0].</summary>
    /// <remarks>For use by generated code.</remarks>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static void ReluBackward<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> a, ReadOnlySpan<T> d, Span<T> e) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
            for (; i + Vector<T>.Count <= e.Length; i += Vector<T>.Count)
            {
                var positive = Vector.GreaterThan(new Vector<T>(z[i..]), Vector<T>.Zero);
                Vector.ConditionalSelect(positive, new Vector<T>(d[i..]), Vector<T>.Zero).CopyTo(e[i..]);
            }
        for (; i < e.Length; i++) e[i] = z[i] > T.Zero ? d[i] : T.Zero;
    }

    /// <summary>a = tanh(z).</summary>
    public static void Tanh<T>(ReadOnlySpan<T> z, Span<T> a) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Tanh(z, a);

    /// <summary>e = d ⊙ (1 − a²).</summary>
    /// <remarks>For use by generated code.</remarks>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static void TanhBackward<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> a, ReadOnlySpan<T> d, Span<T> e) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < e.Length; i++) e[i] = d[i] * (T.One - a[i] * a[i]);
    }

    /// <summary>ė += d ⊙ ż ⊙ (−2a(1 − a²)).</summary>
    /// <remarks>For use by generated code.</remarks>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static void TanhCurvature<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> a, ReadOnlySpan<T> d, ReadOnlySpan<T> zDot, Span<T> eDot) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T two = T.CreateChecked(2);
        for (int i = 0; i < eDot.Length; i++) eDot[i] -= d[i] * zDot[i] * two * a[i] * (T.One - a[i] * a[i]);
    }

    /// <summary>a = 1 / (1 + e⁻ᶻ).</summary>
    public static void Sigmoid<T>(ReadOnlySpan<T> z, Span<T> a) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Sigmoid(z, a);

    /// <summary>e = d ⊙ a(1 − a).</summary>
    /// <remarks>For use by generated code.</remarks>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static void SigmoidBackward<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> a, ReadOnlySpan<T> d, Span<T> e) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < e.Length; i++) e[i] = d[i] * a[i] * (T.One - a[i]);
    }

    /// <summary>ė += d ⊙ ż ⊙ a(1 − a)(1 − 2a).</summary>
    /// <remarks>For use by generated code.</remarks>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static void SigmoidCurvature<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> a, ReadOnlySpan<T> d, ReadOnlySpan<T> zDot, Span<T> eDot) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T two = T.CreateChecked(2);
        for (int i = 0; i < eDot.Length; i++) eDot[i] += d[i] * zDot[i] * a[i] * (T.One - a[i]) * (T.One - two * a[i]);
    }

    /// <summary>a = log(1 + eᶻ), computed as max(z, 0) + log(1 + e^−|z|) so it never overflows.</summary>
    public static void Softplus<T>(ReadOnlySpan<T> z, Span<T> a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < a.Length; i++) a[i] = T.Max(z[i], T.Zero) + T.LogP1(T.Exp(-T.Abs(z[i])));
    }

    /// <summary>e = d ⊙ s, s = sigmoid(z).</summary>
    /// <remarks>For use by generated code.</remarks>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static void SoftplusBackward<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> a, ReadOnlySpan<T> d, Span<T> e) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < e.Length; i++) e[i] = d[i] * Logistic(z[i]);
    }

    /// <summary>ė += d ⊙ ż ⊙ s(1 − s), s = sigmoid(z).</summary>
    /// <remarks>For use by generated code.</remarks>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static void SoftplusCurvature<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> a, ReadOnlySpan<T> d, ReadOnlySpan<T> zDot, Span<T> eDot) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < eDot.Length; i++)
        {
            T s = Logistic(z[i]);
            eDot[i] += d[i] * zDot[i] * s * (T.One - s);
        }
    }

    /// <summary>1 / (1 + e⁻ᶻ) for one value.</summary>
    internal static T Logistic<T>(T z) where T : unmanaged, IFloatingPointIeee754<T> => T.One / (T.One + T.Exp(-z));

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

    /// <summary>e = d ⊙ (½(1 + t) + ½z(1 − t²)u′), t = tanh(u), u′ = √(2/π)(1 + 3·0.044715z²).</summary>
    /// <remarks>For use by generated code.</remarks>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static void GeluTanhBackward<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> a, ReadOnlySpan<T> d, Span<T> e) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T c = T.CreateChecked(GeluC), k = T.CreateChecked(GeluK), k3 = T.CreateChecked(3 * GeluK), half = T.CreateChecked(0.5);
        for (int i = 0; i < e.Length; i++)
        {
            T x = z[i];
            T t = T.Tanh(c * (x + k * x * x * x));
            T du = c * (T.One + k3 * x * x);
            e[i] = d[i] * (half * (T.One + t) + half * x * (T.One - t * t) * du);
        }
    }

    /// <summary>ė += d ⊙ ż ⊙ ((1 − t²)u′ + ½z(1 − t²)(u″ − 2t u′²)), u″ = 6·√(2/π)·0.044715z.</summary>
    /// <remarks>For use by generated code.</remarks>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static void GeluTanhCurvature<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> a, ReadOnlySpan<T> d, ReadOnlySpan<T> zDot, Span<T> eDot) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T c = T.CreateChecked(GeluC), k = T.CreateChecked(GeluK), k3 = T.CreateChecked(3 * GeluK), k6 = T.CreateChecked(6 * GeluK);
        T half = T.CreateChecked(0.5), two = T.CreateChecked(2);
        for (int i = 0; i < eDot.Length; i++)
        {
            T x = z[i];
            T t = T.Tanh(c * (x + k * x * x * x));
            T du = c * (T.One + k3 * x * x), ddu = c * k6 * x, sech2 = T.One - t * t;
            eDot[i] += d[i] * zDot[i] * (sech2 * du + half * x * sech2 * (ddu - two * t * du * du));
        }
    }
}
