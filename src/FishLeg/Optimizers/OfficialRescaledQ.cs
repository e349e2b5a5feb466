using System;
using System.Numerics;
using System.Numerics.Tensors;
using FishLeg.Kernels;

namespace FishLeg.Optimizers;

/// <summary>
/// The official PyTorch form (docs/math.md §3c): Q(λ)U = A ⊙ (RᵀR (A ⊙ U) L Lᵀ), λ = [A (n_o×n_i), R (n_o×n_o), L (n_i×n_i)],
/// full factors. With Ũ = A⊙U, Ξ̃ = A⊙Ξ, M = ŨLLᵀ, N = RᵀRŨ, P = RᵀRM:
/// ∂A = Ξ⊙P + U⊙(RᵀRΞ̃LLᵀ), ∂R = R(MΞ̃ᵀ + Ξ̃Mᵀ), ∂L = (NᵀΞ̃ + Ξ̃ᵀN)L. A₀ = √c, R₀ = L₀ = I.
/// </summary>
internal sealed class OfficialRescaledQ<T> : QBlock<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _ut, _xit, _m, _n, _t, _so, _si;

    public OfficialRescaledQ(int rows, int columns) : base(rows, columns)
    {
        int size = rows * columns;
        Segments = [new("A", 0, rows, columns, false), new("R", size, rows, rows, false), new("L", size + rows * rows, columns, columns, false)];
        _ut = new T[size];
        _xit = new T[size];
        _m = new T[size];
        _n = new T[size];
        _t = new T[size];
        _so = new T[rows * rows];
        _si = new T[columns * columns];
    }

    public override LambdaSegment[] Segments { get; }

    private ReadOnlySpan<T> A(ReadOnlySpan<T> lambda) => lambda[..(Rows * Columns)];
    private ReadOnlySpan<T> R(ReadOnlySpan<T> lambda) => lambda.Slice(Rows * Columns, Rows * Rows);
    private ReadOnlySpan<T> L(ReadOnlySpan<T> lambda) => lambda.Slice(Rows * Columns + Rows * Rows, Columns * Columns);

    public override void Initialize(Span<T> lambda, double scale, ref SeededRandom random)
    {
        lambda[..(Rows * Columns)].Fill(T.CreateChecked(Math.Sqrt(scale)));
        ScaledIdentity(lambda.Slice(Rows * Columns, Rows * Rows), Rows, T.One);
        ScaledIdentity(lambda.Slice(Rows * Columns + Rows * Rows, Columns * Columns), Columns, T.One);
    }

    /// <summary>A = √d with R = L = I, so that Q·U = A ⊙ A ⊙ U.</summary>
    public override void WarmStart(Span<T> lambda, ReadOnlySpan<T> diagonal)
    {
        TensorPrimitives.Sqrt(diagonal, lambda[..(Rows * Columns)]);
        ScaledIdentity(lambda.Slice(Rows * Columns, Rows * Rows), Rows, T.One);
        ScaledIdentity(lambda.Slice(Rows * Columns + Rows * Rows, Columns * Columns), Columns, T.One);
    }

    public override void Apply(ReadOnlySpan<T> lambda, ReadOnlySpan<T> u, Span<T> v)
    {
        TensorPrimitives.Multiply(A(lambda), u, _ut);
        LeftRight(lambda, _ut, _m);
        TensorPrimitives.Multiply(A(lambda), _m, v);
    }

    /// <summary>result = RᵀR X L Lᵀ.</summary>
    private void LeftRight(ReadOnlySpan<T> lambda, ReadOnlySpan<T> x, Span<T> result)
    {
        int o = Rows, i = Columns;
        Gemm.NN(o, i, i, x, i, L(lambda), i, _t, i);
        Gemm.NT(o, i, i, _t, i, L(lambda), i, _n, i);
        Gemm.NN(o, i, o, R(lambda), o, _n, i, _t, i);
        Gemm.TN(o, i, o, R(lambda), o, _t, i, result, i);
    }

    public override void LambdaGradient(ReadOnlySpan<T> lambda, ReadOnlySpan<T> u, ReadOnlySpan<T> xi, Span<T> gradient)
    {
        int o = Rows, i = Columns, size = o * i;
        ReadOnlySpan<T> a = A(lambda), r = R(lambda), l = L(lambda);
        Span<T> gradientA = gradient[..size], gradientR = gradient.Slice(size, o * o), gradientL = gradient.Slice(size + o * o, i * i);
        TensorPrimitives.Multiply(a, u, _ut);
        TensorPrimitives.Multiply(a, xi, _xit);

        // M = Ũ L Lᵀ and N = RᵀR Ũ.
        Gemm.NN(o, i, i, _ut, i, l, i, _t, i);
        Gemm.NT(o, i, i, _t, i, l, i, _m, i);
        Gemm.NN(o, i, o, r, o, _ut, i, _t, i);
        Gemm.TN(o, i, o, r, o, _t, i, _n, i);

        // ∂R = R (M Ξ̃ᵀ + Ξ̃ Mᵀ), ∂L = (Nᵀ Ξ̃ + Ξ̃ᵀ N) L.
        Gemm.NT(o, o, i, _m, i, _xit, i, _so, o);
        Gemm.NT(o, o, i, _xit, i, _m, i, _so, o, accumulate: true);
        Gemm.NN(o, o, o, r, o, _so, o, gradientR, o);
        Gemm.TN(i, i, o, _n, i, _xit, i, _si, i);
        Gemm.TN(i, i, o, _xit, i, _n, i, _si, i, accumulate: true);
        Gemm.NN(i, i, i, _si, i, l, i, gradientL, i);

        // ∂A = Ξ ⊙ (RᵀR M) + U ⊙ (RᵀR Ξ̃ L Lᵀ); Ũ's buffer takes RᵀR M once M and N are used.
        Gemm.NN(o, i, o, r, o, _m, i, _t, i);
        Gemm.TN(o, i, o, r, o, _t, i, _ut, i);
        TensorPrimitives.Multiply(xi, _ut, gradientA);
        LeftRight(lambda, _xit, _m);
        TensorPrimitives.MultiplyAdd(u, _m, gradientA, gradientA);
    }
}
