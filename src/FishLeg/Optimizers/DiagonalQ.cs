using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace FishLeg.Optimizers;

/// <summary>Q(λ)U = D ⊙ D ⊙ U with λ = D (n_o×n_i); ∂A/∂D = 2 D ⊙ U ⊙ Ξ; D₀ = √c (docs/math.md §3a).</summary>
internal sealed class DiagonalQ<T>(int rows, int columns) : QBlock<T>(rows, columns) where T : unmanaged, IFloatingPointIeee754<T>
{
    public override LambdaSegment[] Segments { get; } = [new("D", 0, rows, columns, false)];

    public override void Initialize(Span<T> lambda, double scale, ref SeededRandom random) => lambda.Fill(T.CreateChecked(Math.Sqrt(scale)));

    public override void WarmStart(Span<T> lambda, ReadOnlySpan<T> diagonal) => TensorPrimitives.Sqrt(diagonal, lambda);

    public override void Apply(ReadOnlySpan<T> lambda, ReadOnlySpan<T> u, Span<T> v)
    {
        TensorPrimitives.Multiply(lambda, u, v);
        TensorPrimitives.Multiply(lambda, v, v);
    }

    public override void LambdaGradient(ReadOnlySpan<T> lambda, ReadOnlySpan<T> u, ReadOnlySpan<T> xi, Span<T> gradient)
    {
        TensorPrimitives.Multiply(lambda, u, gradient);
        TensorPrimitives.Multiply(gradient, xi, gradient);
        TensorPrimitives.Multiply(gradient, T.CreateChecked(2), gradient);
    }
}
