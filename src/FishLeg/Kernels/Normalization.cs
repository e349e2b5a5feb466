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
/// (docs/math.md §10). Each pass first copies the scales (and the direction's) to a scratch of <see cref="ScratchLength"/>
/// values, so that every row is a few vector operations.
/// </summary>
/// <remarks>For use by generated code.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Normalization
{
    /// <summary>The scratch every pass needs for <paramref name="n"/> features: five vectors of n.</summary>
    public static int ScratchLength(int n) => 5 * n;

    /// <summary>X̂, r and Y = γ ⊙ X̂ + β for <paramref name="batch"/> rows of <paramref name="n"/> features.</summary>
    public static void Forward<T>(ReadOnlySpan<T> x, int batch, int n, T epsilon, ReadOnlySpan<T> parameters,
        Span<T> normalized, Span<T> scales, Span<T> y, Span<T> scratch) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Require(batch, n, parameters, scratch, (x.Length, nameof(x)), (normalized.Length, nameof(normalized)), (y.Length, nameof(y)));
        BatchShape.RequireAtLeast(scales.Length, batch, nameof(scales));
        Span<T> gamma = scratch[..n], beta = scratch.Slice(n, n);
        Gather(parameters, 0, gamma);
        Gather(parameters, 1, beta);
        T count = T.CreateChecked(n);
        for (int k = 0; k < batch; k++)
        {
            ReadOnlySpan<T> row = x.Slice(k * n, n);
            Span<T> h = normalized.Slice(k * n, n);
            // Two passes: the variance of the centred row, exact where E[x²] − μ² would cancel.
            TensorPrimitives.Subtract(row, TensorPrimitives.Sum(row) / count, h);
            T r = T.One / T.Sqrt(TensorPrimitives.SumOfSquares<T>(h) / count + epsilon);
            scales[k] = r;
            TensorPrimitives.Multiply(h, r, h);
            TensorPrimitives.FusedMultiplyAdd(h, gamma, beta, y.Slice(k * n, n));
        }
    }

    /// <summary>
    /// The gradient [Σ E ⊙ X̂, Σ E] per unit into <paramref name="gradient"/>, and D below = J(γ ⊙ E) for each example.
    /// </summary>
    public static void Backward<T>(ReadOnlySpan<T> e, ReadOnlySpan<T> normalized, ReadOnlySpan<T> scales, ReadOnlySpan<T> parameters,
        int batch, int n, Span<T> gradient, Span<T> below, Span<T> scratch) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Require(batch, n, parameters, scratch, (e.Length, nameof(e)), (normalized.Length, nameof(normalized)), (below.Length, nameof(below)));
        BatchShape.RequireAtLeast(scales.Length, batch, nameof(scales));
        BatchShape.RequireAtLeast(gradient.Length, 2 * n, nameof(gradient));
        Span<T> gamma = scratch[..n], scale = scratch.Slice(n, n), shift = scratch.Slice(2 * n, n);
        Gather(parameters, 0, gamma);
        scale.Clear();
        shift.Clear();
        for (int k = 0; k < batch; k++)
        {
            ReadOnlySpan<T> delta = e.Slice(k * n, n), h = normalized.Slice(k * n, n);
            Span<T> d = below.Slice(k * n, n);
            TensorPrimitives.MultiplyAdd(delta, h, scale, scale);
            TensorPrimitives.Add(delta, shift, shift);
            TensorPrimitives.Multiply(gamma, delta, d);
            Project(h, scales[k], d);
        }
        Join(scale, shift, gradient);
    }

    /// <summary>Ẋ̂ = J·Ẋ and Ẏ = γ̇ ⊙ X̂ + β̇ + γ ⊙ Ẋ̂, with [γ̇ⱼ, β̇ⱼ] the direction's pairs.</summary>
    public static void TangentForward<T>(ReadOnlySpan<T> xDot, ReadOnlySpan<T> normalized, ReadOnlySpan<T> scales, ReadOnlySpan<T> parameters,
        ReadOnlySpan<T> direction, int batch, int n, Span<T> normalizedDot, Span<T> yDot, Span<T> scratch) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Require(batch, n, parameters, scratch, (xDot.Length, nameof(xDot)), (normalized.Length, nameof(normalized)),
            (normalizedDot.Length, nameof(normalizedDot)), (yDot.Length, nameof(yDot)));
        BatchShape.RequireAtLeast(scales.Length, batch, nameof(scales));
        BatchShape.RequireAtLeast(direction.Length, 2 * n, nameof(direction));
        Span<T> gamma = scratch[..n], gammaDot = scratch.Slice(n, n), betaDot = scratch.Slice(2 * n, n);
        Gather(parameters, 0, gamma);
        Gather(direction, 0, gammaDot);
        Gather(direction, 1, betaDot);
        for (int k = 0; k < batch; k++)
        {
            ReadOnlySpan<T> h = normalized.Slice(k * n, n);
            Span<T> hDot = normalizedDot.Slice(k * n, n), row = yDot.Slice(k * n, n);
            xDot.Slice(k * n, n).CopyTo(hDot);
            Project(h, scales[k], hDot);
            TensorPrimitives.FusedMultiplyAdd(h, gammaDot, betaDot, row);
            TensorPrimitives.FusedMultiplyAdd(gamma, hDot, row, row);
        }
    }

    /// <summary>
    /// The Gauss–Newton product's block [Σ Ė ⊙ X̂, Σ Ė] and Ḋ below = J(γ ⊙ Ė). With <paramref name="hessian"/>, the terms
    /// of the primal E: Σ E ⊙ Ẋ̂ joins the scale's block, and Ḋ below gains J(γ̇ ⊙ E) + J̇(γ ⊙ E), J̇ the Jacobian's
    /// derivative along the input's tangent Ẋ: J̇g = −r·mean(x̂ ⊙ ẋ)·Jg − r(ẋ̂·mean(x̂ ⊙ g) + x̂·mean(ẋ̂ ⊙ g)).
    /// </summary>
    public static void TangentBackward<T>(ReadOnlySpan<T> eDot, ReadOnlySpan<T> e, ReadOnlySpan<T> normalized, ReadOnlySpan<T> scales,
        ReadOnlySpan<T> xDot, ReadOnlySpan<T> normalizedDot, ReadOnlySpan<T> parameters, ReadOnlySpan<T> direction, int batch, int n,
        Span<T> product, Span<T> below, bool hessian, Span<T> scratch) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Require(batch, n, parameters, scratch, (eDot.Length, nameof(eDot)), (e.Length, nameof(e)), (normalized.Length, nameof(normalized)),
            (xDot.Length, nameof(xDot)), (normalizedDot.Length, nameof(normalizedDot)), (below.Length, nameof(below)));
        BatchShape.RequireAtLeast(scales.Length, batch, nameof(scales));
        BatchShape.RequireAtLeast(direction.Length, 2 * n, nameof(direction));
        BatchShape.RequireAtLeast(product.Length, 2 * n, nameof(product));
        // γ and γ̇ (β and β̇ do not reach the input), the two blocks' sums, and g = γ ⊙ E.
        Span<T> gamma = scratch[..n], gammaDot = scratch.Slice(n, n), scale = scratch.Slice(2 * n, n), shift = scratch.Slice(3 * n, n);
        Span<T> g = scratch.Slice(4 * n, n);
        Gather(parameters, 0, gamma);
        Gather(direction, 0, gammaDot);
        scale.Clear();
        shift.Clear();
        T count = T.CreateChecked(n);
        for (int k = 0; k < batch; k++)
        {
            ReadOnlySpan<T> tangent = eDot.Slice(k * n, n), delta = e.Slice(k * n, n), h = normalized.Slice(k * n, n);
            ReadOnlySpan<T> hDot = normalizedDot.Slice(k * n, n);
            Span<T> u = below.Slice(k * n, n);
            T r = scales[k];
            TensorPrimitives.MultiplyAdd(tangent, h, scale, scale);
            TensorPrimitives.Add(tangent, shift, shift);
            TensorPrimitives.Multiply(gamma, tangent, u);
            if (!hessian)
            {
                Project(h, r, u);
                continue;
            }
            TensorPrimitives.MultiplyAdd(delta, hDot, scale, scale);
            TensorPrimitives.MultiplyAdd(gammaDot, delta, u, u);
            Project(h, r, u);

            // J̇g for g = γ ⊙ E: c = mean(x̂ ⊙ g) and q = mean(ẋ̂ ⊙ g) before g becomes Jg; s = mean(x̂ ⊙ ẋ).
            TensorPrimitives.Multiply(gamma, delta, g);
            T c = TensorPrimitives.Dot<T>(h, g) / count, q = TensorPrimitives.Dot<T>(hDot, g) / count;
            T s = TensorPrimitives.Dot(h, xDot.Slice(k * n, n)) / count;
            Project(h, r, g);
            TensorPrimitives.MultiplyAdd(g, -r * s, u, u);
            TensorPrimitives.MultiplyAdd(hDot, -r * c, u, u);
            TensorPrimitives.MultiplyAdd(h, -r * q, u, u);
        }
        Join(scale, shift, product);
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

    /// <summary>Column <paramref name="column"/> (0 or 1) of the pairs: into[j] = pairs[2j + column].</summary>
    private static void Gather<T>(ReadOnlySpan<T> pairs, int column, Span<T> into)
    {
        for (int j = 0; j < into.Length; j++) into[j] = pairs[2 * j + column];
    }

    /// <summary>a and b into the pairs [aⱼ, bⱼ].</summary>
    private static void Join<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> pairs)
    {
        for (int j = 0; j < a.Length; j++) (pairs[2 * j], pairs[2 * j + 1]) = (a[j], b[j]);
    }

    private static void Require<T>(int batch, int n, ReadOnlySpan<T> parameters, Span<T> scratch, params ReadOnlySpan<(int Length, string Name)> rows)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        BatchShape.RequireAtLeast(parameters.Length, 2 * n, nameof(parameters));
        BatchShape.RequireAtLeast(scratch.Length, ScratchLength(n), nameof(scratch));
        foreach ((int length, string name) in rows) BatchShape.RequireAtLeast(length, (long)batch * n, name);
    }
}
