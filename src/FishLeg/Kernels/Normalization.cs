using System;
using System.ComponentModel;
using System.Numerics;
using System.Numerics.Tensors;

namespace FishLeg.Kernels;

/// <summary>
/// Layer normalization over the n features of each example, as PyTorch's <c>nn.LayerNorm</c>: x̂ = (x − μ)·r with
/// r = 1/√(σ² + ε) (σ² the biased variance), then y = γ ⊙ x̂ + β. The parameters are a unit's [γⱼ, βⱼ] pair after pair
/// (an n×2 matrix, the bias in its last column). Each pass keeps per example r and x̂; the normalization's Jacobian
/// J = r(I − 11ᵀ/n − x̂x̂ᵀ/n) is symmetric, so one projection serves the forward tangent and every backward product
/// (docs/math.md §10).
/// </summary>
/// <remarks>For use by generated code.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Normalization
{
    /// <summary>X̂, r and Y = γ ⊙ X̂ + β for <paramref name="batch"/> rows of <paramref name="n"/> features.</summary>
    public static void Forward<T>(ReadOnlySpan<T> x, int batch, int n, T epsilon, ReadOnlySpan<T> parameters,
        Span<T> normalized, Span<T> scales, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Require(batch, n, parameters, (x.Length, nameof(x)), (normalized.Length, nameof(normalized)), (y.Length, nameof(y)));
        Require(scales.Length, batch, nameof(scales));
        T count = T.CreateChecked(n);
        for (int k = 0; k < batch; k++)
        {
            Span<T> h = normalized.Slice(k * n, n), row = y.Slice(k * n, n);
            // Two passes: the variance of the centred row, exact where E[x²] − μ² would cancel.
            TensorPrimitives.Subtract(x.Slice(k * n, n), TensorPrimitives.Sum(x.Slice(k * n, n)) / count, h);
            T r = T.One / T.Sqrt(TensorPrimitives.SumOfSquares<T>(h) / count + epsilon);
            scales[k] = r;
            TensorPrimitives.Multiply(h, r, h);
            for (int j = 0; j < n; j++) row[j] = parameters[2 * j] * h[j] + parameters[2 * j + 1];
        }
    }

    /// <summary>
    /// The gradient [Σ E ⊙ X̂, Σ E] per unit into <paramref name="gradient"/>, and D below = J(γ ⊙ E) for each example.
    /// </summary>
    public static void Backward<T>(ReadOnlySpan<T> e, ReadOnlySpan<T> normalized, ReadOnlySpan<T> scales, ReadOnlySpan<T> parameters,
        int batch, int n, Span<T> gradient, Span<T> below) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Require(batch, n, parameters, (e.Length, nameof(e)), (normalized.Length, nameof(normalized)), (below.Length, nameof(below)));
        Require(scales.Length, batch, nameof(scales));
        Require(gradient.Length, 2 * n, nameof(gradient));
        gradient[..(2 * n)].Clear();
        for (int k = 0; k < batch; k++)
        {
            ReadOnlySpan<T> delta = e.Slice(k * n, n), h = normalized.Slice(k * n, n);
            Span<T> d = below.Slice(k * n, n);
            for (int j = 0; j < n; j++)
            {
                gradient[2 * j] += delta[j] * h[j];
                gradient[2 * j + 1] += delta[j];
                d[j] = parameters[2 * j] * delta[j];
            }
            Project(h, scales[k], d);
        }
    }

    /// <summary>Ẋ̂ = J·Ẋ and Ẏ = γ̇ ⊙ X̂ + β̇ + γ ⊙ Ẋ̂, with [γ̇ⱼ, β̇ⱼ] the direction's pairs.</summary>
    public static void TangentForward<T>(ReadOnlySpan<T> xDot, ReadOnlySpan<T> normalized, ReadOnlySpan<T> scales, ReadOnlySpan<T> parameters,
        ReadOnlySpan<T> direction, int batch, int n, Span<T> normalizedDot, Span<T> yDot) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Require(batch, n, parameters, (xDot.Length, nameof(xDot)), (normalized.Length, nameof(normalized)),
            (normalizedDot.Length, nameof(normalizedDot)), (yDot.Length, nameof(yDot)));
        Require(scales.Length, batch, nameof(scales));
        Require(direction.Length, 2 * n, nameof(direction));
        for (int k = 0; k < batch; k++)
        {
            ReadOnlySpan<T> h = normalized.Slice(k * n, n);
            Span<T> hDot = normalizedDot.Slice(k * n, n), row = yDot.Slice(k * n, n);
            xDot.Slice(k * n, n).CopyTo(hDot);
            Project(h, scales[k], hDot);
            for (int j = 0; j < n; j++) row[j] = direction[2 * j] * h[j] + direction[2 * j + 1] + parameters[2 * j] * hDot[j];
        }
    }

    /// <summary>
    /// The Gauss–Newton product's block [Σ Ė ⊙ X̂, Σ Ė] and Ḋ below = J(γ ⊙ Ė). With <paramref name="hessian"/>, the terms
    /// of the primal E: Σ E ⊙ Ẋ̂ joins the scale's block, and Ḋ below gains J(γ̇ ⊙ E) + J̇(γ ⊙ E), J̇ the Jacobian's
    /// derivative along the input's tangent Ẋ: J̇u = −r·mean(x̂ ⊙ ẋ)·Ju − r(ẋ̂·mean(x̂ ⊙ u) + x̂·mean(ẋ̂ ⊙ u)).
    /// </summary>
    public static void TangentBackward<T>(ReadOnlySpan<T> eDot, ReadOnlySpan<T> e, ReadOnlySpan<T> normalized, ReadOnlySpan<T> scales,
        ReadOnlySpan<T> xDot, ReadOnlySpan<T> normalizedDot, ReadOnlySpan<T> parameters, ReadOnlySpan<T> direction, int batch, int n,
        Span<T> product, Span<T> below, bool hessian) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Require(batch, n, parameters, (eDot.Length, nameof(eDot)), (e.Length, nameof(e)), (normalized.Length, nameof(normalized)),
            (xDot.Length, nameof(xDot)), (normalizedDot.Length, nameof(normalizedDot)), (below.Length, nameof(below)));
        Require(scales.Length, batch, nameof(scales));
        Require(direction.Length, 2 * n, nameof(direction));
        Require(product.Length, 2 * n, nameof(product));
        product[..(2 * n)].Clear();
        T count = T.CreateChecked(n);
        for (int k = 0; k < batch; k++)
        {
            ReadOnlySpan<T> tangent = eDot.Slice(k * n, n), delta = e.Slice(k * n, n), h = normalized.Slice(k * n, n);
            ReadOnlySpan<T> hDot = normalizedDot.Slice(k * n, n);
            Span<T> u = below.Slice(k * n, n);
            for (int j = 0; j < n; j++)
            {
                product[2 * j] += tangent[j] * h[j];
                product[2 * j + 1] += tangent[j];
                u[j] = parameters[2 * j] * tangent[j];
            }
            if (hessian)
                for (int j = 0; j < n; j++)
                {
                    product[2 * j] += delta[j] * hDot[j];
                    u[j] += direction[2 * j] * delta[j];
                }
            T r = scales[k];
            Project(h, r, u);
            if (!hessian) continue;

            // J̇g for g = γ ⊙ E: Jg = r(g − mean g − x̂·c) with c = mean(x̂ ⊙ g), q = mean(ẋ̂ ⊙ g), s = mean(x̂ ⊙ ẋ).
            T mean = T.Zero, c = T.Zero, q = T.Zero;
            for (int j = 0; j < n; j++)
            {
                T g = parameters[2 * j] * delta[j];
                mean += g;
                c += h[j] * g;
                q += hDot[j] * g;
            }
            (mean, c, q) = (mean / count, c / count, q / count);
            T s = TensorPrimitives.Dot(h, xDot.Slice(k * n, n)) / count;
            for (int j = 0; j < n; j++)
            {
                T jg = r * (parameters[2 * j] * delta[j] - mean - h[j] * c);
                u[j] -= r * (s * jg + hDot[j] * c + h[j] * q);
            }
        }
    }

    /// <summary>u ← J·u = r(u − mean u − x̂·mean(x̂ ⊙ u)), in place.</summary>
    private static void Project<T>(ReadOnlySpan<T> h, T r, Span<T> u) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T count = T.CreateChecked(h.Length);
        T mean = TensorPrimitives.Sum<T>(u) / count, c = TensorPrimitives.Dot<T>(h, u) / count;
        TensorPrimitives.Subtract(u, mean, u);
        TensorPrimitives.MultiplyAdd(h, -c, u, u);
        TensorPrimitives.Multiply(u, r, u);
    }

    private static void Require<T>(int batch, int n, ReadOnlySpan<T> parameters, params ReadOnlySpan<(int Length, string Name)> rows)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        Require(parameters.Length, 2 * n, nameof(parameters));
        foreach ((int length, string name) in rows) Require(length, (long)batch * n, name);
    }

    private static void Require(int length, long needed, string name)
    {
        if (length < needed)
            throw new ArgumentException($"'{name}' holds {length} values; the normalization needs {needed}.", name);
    }
}
