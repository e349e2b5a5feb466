using System;
using System.ComponentModel;
using System.Runtime.Intrinsics;

namespace FishLeg;

/// <summary>
/// Numerically careful building blocks for <see cref="ElementwiseAttribute"/> activations, which the generator knows
/// how to differentiate: <see cref="Sigmoid(double)"/>, <see cref="Softplus(double)"/> and <see cref="Log1P(double)"/>
/// stay finite and accurate where their naive forms overflow or cancel. The vector overloads are what the generated
/// code calls.
/// </summary>
public static class ElementwiseMath
{
    /// <summary>1/(1 + e⁻ˣ): 0 or 1 at the extremes, never NaN.</summary>
    public static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>log(1 + eˣ), as max(x, 0) + log1p(e^−|x|): never overflows.</summary>
    public static double Softplus(double x) => Math.Max(x, 0) + Log1P(Math.Exp(-Math.Abs(x)));

    /// <summary>log(1 + x), accurate for small x (Goldberg's correction: log(u)·x/(u − 1) with u = 1 + x).</summary>
    public static double Log1P(double x)
    {
        double u = 1 + x;
        return u == 1 ? x : double.IsPositiveInfinity(u) ? u : Math.Log(u) * x / (u - 1);
    }

    /// <inheritdoc cref="Sigmoid(double)"/>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static float Sigmoid(float x) => 1 / (1 + MathF.Exp(-x));

    /// <inheritdoc cref="Softplus(double)"/>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static float Softplus(float x) => MathF.Max(x, 0) + Log1P(MathF.Exp(-MathF.Abs(x)));

    /// <inheritdoc cref="Log1P(double)"/>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static float Log1P(float x)
    {
        float u = 1 + x;
        return u == 1 ? x : float.IsPositiveInfinity(u) ? u : MathF.Log(u) * x / (u - 1);
    }

    /// <summary>tanh for one value (the BCL's; the vector overloads have their own).</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static float Tanh(float x) => MathF.Tanh(x);

    /// <inheritdoc cref="Tanh(float)"/>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static double Tanh(double x) => Math.Tanh(x);

    // The vector forms, lane by lane the same functions. tanh(x) = sign(x)·(−y/(2 + y)) with y = expm1(−2|x|) ∈ (−1, 0]:
    // accurate near 0, exactly ±1 far from it; expm1(w) = (u − 1)·w/log u with u = eʷ (Kahan), w itself where u rounds to 1.

    /// <inheritdoc cref="Sigmoid(double)"/>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static Vector256<float> Sigmoid(Vector256<float> x) => Vector256<float>.One / (Vector256<float>.One + Vector256.Exp(-x));

    /// <inheritdoc cref="Sigmoid(double)"/>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static Vector256<double> Sigmoid(Vector256<double> x) => Vector256<double>.One / (Vector256<double>.One + Vector256.Exp(-x));

    /// <inheritdoc cref="Sigmoid(double)"/>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static Vector512<float> Sigmoid(Vector512<float> x) => Vector512<float>.One / (Vector512<float>.One + Vector512.Exp(-x));

    /// <inheritdoc cref="Sigmoid(double)"/>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static Vector512<double> Sigmoid(Vector512<double> x) => Vector512<double>.One / (Vector512<double>.One + Vector512.Exp(-x));

    /// <inheritdoc cref="Softplus(double)"/>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static Vector256<float> Softplus(Vector256<float> x) => Vector256.Max(x, Vector256<float>.Zero) + Log1P(Vector256.Exp(-Vector256.Abs(x)));

    /// <inheritdoc cref="Softplus(double)"/>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static Vector256<double> Softplus(Vector256<double> x) => Vector256.Max(x, Vector256<double>.Zero) + Log1P(Vector256.Exp(-Vector256.Abs(x)));

    /// <inheritdoc cref="Softplus(double)"/>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static Vector512<float> Softplus(Vector512<float> x) => Vector512.Max(x, Vector512<float>.Zero) + Log1P(Vector512.Exp(-Vector512.Abs(x)));

    /// <inheritdoc cref="Softplus(double)"/>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static Vector512<double> Softplus(Vector512<double> x) => Vector512.Max(x, Vector512<double>.Zero) + Log1P(Vector512.Exp(-Vector512.Abs(x)));

    /// <inheritdoc cref="Log1P(double)"/>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static Vector256<float> Log1P(Vector256<float> x)
    {
        Vector256<float> u = Vector256<float>.One + x;
        Vector256<float> corrected = Vector256.Log(u) * x / (u - Vector256<float>.One);
        return Vector256.ConditionalSelect(Vector256.Equals(u, Vector256<float>.One), x,
            Vector256.ConditionalSelect(Vector256.Equals(u, Vector256.Create(float.PositiveInfinity)), u, corrected));
    }

    /// <inheritdoc cref="Log1P(double)"/>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static Vector256<double> Log1P(Vector256<double> x)
    {
        Vector256<double> u = Vector256<double>.One + x;
        Vector256<double> corrected = Vector256.Log(u) * x / (u - Vector256<double>.One);
        return Vector256.ConditionalSelect(Vector256.Equals(u, Vector256<double>.One), x,
            Vector256.ConditionalSelect(Vector256.Equals(u, Vector256.Create(double.PositiveInfinity)), u, corrected));
    }

    /// <inheritdoc cref="Log1P(double)"/>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static Vector512<float> Log1P(Vector512<float> x)
    {
        Vector512<float> u = Vector512<float>.One + x;
        Vector512<float> corrected = Vector512.Log(u) * x / (u - Vector512<float>.One);
        return Vector512.ConditionalSelect(Vector512.Equals(u, Vector512<float>.One), x,
            Vector512.ConditionalSelect(Vector512.Equals(u, Vector512.Create(float.PositiveInfinity)), u, corrected));
    }

    /// <inheritdoc cref="Log1P(double)"/>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static Vector512<double> Log1P(Vector512<double> x)
    {
        Vector512<double> u = Vector512<double>.One + x;
        Vector512<double> corrected = Vector512.Log(u) * x / (u - Vector512<double>.One);
        return Vector512.ConditionalSelect(Vector512.Equals(u, Vector512<double>.One), x,
            Vector512.ConditionalSelect(Vector512.Equals(u, Vector512.Create(double.PositiveInfinity)), u, corrected));
    }

    /// <inheritdoc cref="Tanh(float)"/>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static Vector256<float> Tanh(Vector256<float> x)
    {
        Vector256<float> w = Vector256.Create(-2f) * Vector256.Abs(x), u = Vector256.Exp(w), m = u - Vector256<float>.One;
        Vector256<float> y = Vector256.ConditionalSelect(Vector256.Equals(u, Vector256<float>.One), w,
            Vector256.ConditionalSelect(Vector256.Equals(u, Vector256<float>.Zero), -Vector256<float>.One, m * w / Vector256.Log(u)));
        Vector256<float> t = -y / (Vector256.Create(2f) + y);
        return Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), -t, t);
    }

    /// <inheritdoc cref="Tanh(float)"/>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static Vector256<double> Tanh(Vector256<double> x)
    {
        Vector256<double> w = Vector256.Create(-2.0) * Vector256.Abs(x), u = Vector256.Exp(w), m = u - Vector256<double>.One;
        Vector256<double> y = Vector256.ConditionalSelect(Vector256.Equals(u, Vector256<double>.One), w,
            Vector256.ConditionalSelect(Vector256.Equals(u, Vector256<double>.Zero), -Vector256<double>.One, m * w / Vector256.Log(u)));
        Vector256<double> t = -y / (Vector256.Create(2.0) + y);
        return Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<double>.Zero), -t, t);
    }

    /// <inheritdoc cref="Tanh(float)"/>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static Vector512<float> Tanh(Vector512<float> x)
    {
        Vector512<float> w = Vector512.Create(-2f) * Vector512.Abs(x), u = Vector512.Exp(w), m = u - Vector512<float>.One;
        Vector512<float> y = Vector512.ConditionalSelect(Vector512.Equals(u, Vector512<float>.One), w,
            Vector512.ConditionalSelect(Vector512.Equals(u, Vector512<float>.Zero), -Vector512<float>.One, m * w / Vector512.Log(u)));
        Vector512<float> t = -y / (Vector512.Create(2f) + y);
        return Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<float>.Zero), -t, t);
    }

    /// <inheritdoc cref="Tanh(float)"/>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static Vector512<double> Tanh(Vector512<double> x)
    {
        Vector512<double> w = Vector512.Create(-2.0) * Vector512.Abs(x), u = Vector512.Exp(w), m = u - Vector512<double>.One;
        Vector512<double> y = Vector512.ConditionalSelect(Vector512.Equals(u, Vector512<double>.One), w,
            Vector512.ConditionalSelect(Vector512.Equals(u, Vector512<double>.Zero), -Vector512<double>.One, m * w / Vector512.Log(u)));
        Vector512<double> t = -y / (Vector512.Create(2.0) + y);
        return Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<double>.Zero), -t, t);
    }
}
