using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace FishLeg.Optimizers;

/// <summary>
/// A sum of two triangular Kronecker terms (paper A.6, docs/math.md §3d2): Q(λ)U = L₁L₁ᵀ U R₁R₁ᵀ + L₂L₂ᵀ U R₂R₂ᵀ, each
/// term's gradient as for one Kronecker block with the same Ξ. L₁ = R₁ = c^¼·I and L₂, R₂ small random lower-triangular
/// (entries 0.1·c^¼/√n·N(0, 1)): a zero second term would be a stationary point, so Q₀ = c·I only up to that term.
/// </summary>
internal sealed class KroneckerSumQ<T> : QBlock<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly KroneckerQ<T> _first, _second;
    private readonly T[] _secondV;
    private readonly int _half;

    public KroneckerSumQ(int rows, int columns) : base(rows, columns)
    {
        _first = new KroneckerQ<T>(rows, columns, triangular: true);
        _second = new KroneckerQ<T>(rows, columns, triangular: true);
        _half = _first.LambdaCount;
        _secondV = new T[rows * columns];
        Segments = [new("L1", 0, rows, rows, true), new("R1", rows * rows, columns, columns, true),
            new("L2", _half, rows, rows, true), new("R2", _half + rows * rows, columns, columns, true)];
    }

    public override LambdaSegment[] Segments { get; }

    public override void WarmStart(Span<T> lambda, ReadOnlySpan<T> diagonal) => _first.WarmStart(lambda[.._half], diagonal);

    public override void Initialize(Span<T> lambda, double scale, ref SeededRandom random)
    {
        _first.Initialize(lambda[.._half], scale, ref random);
        double quarter = Math.Pow(scale, 0.25);
        foreach (LambdaSegment segment in Segments[2..])
        {
            int n = segment.Rows;
            Span<T> factor = lambda.Slice(segment.Offset, n * n);
            factor.Clear();
            for (int row = 0; row < n; row++)
                for (int column = 0; column <= row; column++)
                    factor[row * n + column] = T.CreateChecked(0.1 * quarter / Math.Sqrt(n) * random.NextGaussian());
        }
    }

    public override void Apply(ReadOnlySpan<T> lambda, ReadOnlySpan<T> u, Span<T> v)
    {
        _first.Apply(lambda[.._half], u, v);
        _second.Apply(lambda[_half..], u, _secondV);
        TensorPrimitives.Add(v, _secondV, v);
    }

    public override void LambdaGradient(ReadOnlySpan<T> lambda, ReadOnlySpan<T> u, ReadOnlySpan<T> xi, Span<T> gradient)
    {
        _first.LambdaGradient(lambda[.._half], u, xi, gradient[.._half]);
        _second.LambdaGradient(lambda[_half..], u, xi, gradient[_half..]);
    }
}
