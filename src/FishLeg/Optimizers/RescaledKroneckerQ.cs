using System;
using System.Numerics;
using System.Numerics.Tensors;
using FishLeg.Kernels;

namespace FishLeg.Optimizers;

/// <summary>
/// Kronecker with inner and outer diagonal rescaling (paper A.6, docs/math.md §3d1): λ = [A, B (n_o×n_i), L (n_o×n_o),
/// R (n_i×n_i)], L and R lower-triangular; Y = Lᵀ(A⊙U)R, Z = B⊙B⊙Y, P = L Z Rᵀ, Q(λ)U = A⊙P. With Ξ̃ = A⊙Ξ, Ũ = A⊙U,
/// X = LᵀΞ̃R, W = B⊙B⊙X: ∂A = Ξ⊙P + U⊙(LWRᵀ), ∂B = 2B⊙Y⊙X, ∂L = tril(Ξ̃RZᵀ + ŨRWᵀ), ∂R = tril(Ξ̃ᵀLZ + ŨᵀLW).
/// A₀ = √c, B₀ = 1, L₀ = R₀ = I.
/// </summary>
internal sealed class RescaledKroneckerQ<T> : QBlock<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _ut, _xit, _uR, _xiR, _y, _x, _z, _w, _t;
    private readonly T _two = T.CreateChecked(2);

    public RescaledKroneckerQ(int rows, int columns) : base(rows, columns)
    {
        int size = rows * columns;
        Segments = [new("A", 0, rows, columns, false), new("B", size, rows, columns, false),
            new("L", 2 * size, rows, rows, true), new("R", 2 * size + rows * rows, columns, columns, true)];
        _ut = new T[size];
        _xit = new T[size];
        _uR = new T[size];
        _xiR = new T[size];
        _y = new T[size];
        _x = new T[size];
        _z = new T[size];
        _w = new T[size];
        _t = new T[size];
    }

    public override LambdaSegment[] Segments { get; }

    private ReadOnlySpan<T> A(ReadOnlySpan<T> lambda) => lambda[..(Rows * Columns)];
    private ReadOnlySpan<T> B(ReadOnlySpan<T> lambda) => lambda.Slice(Rows * Columns, Rows * Columns);
    private ReadOnlySpan<T> L(ReadOnlySpan<T> lambda) => lambda.Slice(2 * Rows * Columns, Rows * Rows);
    private ReadOnlySpan<T> R(ReadOnlySpan<T> lambda) => lambda.Slice(2 * Rows * Columns + Rows * Rows, Columns * Columns);

    public override void Initialize(Span<T> lambda, double scale, ref SeededRandom random)
    {
        int size = Rows * Columns;
        lambda[..size].Fill(T.CreateChecked(Math.Sqrt(scale)));
        lambda.Slice(size, size).Fill(T.One);
        ScaledIdentity(lambda.Slice(2 * size, Rows * Rows), Rows, T.One);
        ScaledIdentity(lambda.Slice(2 * size + Rows * Rows, Columns * Columns), Columns, T.One);
    }

    /// <summary>A = √d, B = 1 and L = R = I, so that Q·U = A ⊙ A ⊙ U.</summary>
    public override void WarmStart(Span<T> lambda, ReadOnlySpan<T> diagonal)
    {
        int size = Rows * Columns;
        TensorPrimitives.Sqrt(diagonal, lambda[..size]);
        lambda.Slice(size, size).Fill(T.One);
        ScaledIdentity(lambda.Slice(2 * size, Rows * Rows), Rows, T.One);
        ScaledIdentity(lambda.Slice(2 * size + Rows * Rows, Columns * Columns), Columns, T.One);
    }

    public override void Apply(ReadOnlySpan<T> lambda, ReadOnlySpan<T> u, Span<T> v)
    {
        TensorPrimitives.Multiply(A(lambda), u, _ut);
        Inner(lambda, _ut, _uR, _y);
        Scale(B(lambda), _y, _z);
        Outer(lambda, _z, _x);
        TensorPrimitives.Multiply(A(lambda), _x, v);
    }

    public override void LambdaGradient(ReadOnlySpan<T> lambda, ReadOnlySpan<T> u, ReadOnlySpan<T> xi, Span<T> gradient)
    {
        int o = Rows, i = Columns, size = o * i;
        ReadOnlySpan<T> a = A(lambda), b = B(lambda), l = L(lambda);
        Span<T> gradientA = gradient[..size], gradientB = gradient.Slice(size, size);
        Span<T> gradientL = gradient.Slice(2 * size, o * o), gradientR = gradient.Slice(2 * size + o * o, i * i);

        TensorPrimitives.Multiply(a, u, _ut);
        TensorPrimitives.Multiply(a, xi, _xit);
        Inner(lambda, _ut, _uR, _y);
        Inner(lambda, _xit, _xiR, _x);
        Scale(b, _y, _z);
        Scale(b, _x, _w);

        // ∂B = 2 B ⊙ Y ⊙ X.
        TensorPrimitives.Multiply(b, _y, gradientB);
        TensorPrimitives.Multiply(gradientB, _x, gradientB);
        TensorPrimitives.Multiply(gradientB, _two, gradientB);

        // ∂L = tril(Ξ̃R Zᵀ + ŨR Wᵀ).
        Gemm.NT(o, o, i, _xiR, i, _z, i, gradientL, o);
        Gemm.NT(o, o, i, _uR, i, _w, i, gradientL, o, accumulate: true);
        ZeroUpperTriangle(gradientL, o);

        // ∂R = tril((LᵀΞ̃)ᵀ Z + (LᵀŨ)ᵀ W).
        Gemm.TN(o, i, o, l, o, _xit, i, _t, i);
        Gemm.TN(i, i, o, _t, i, _z, i, gradientR, i);
        Gemm.TN(o, i, o, l, o, _ut, i, _t, i);
        Gemm.TN(i, i, o, _t, i, _w, i, gradientR, i, accumulate: true);
        ZeroUpperTriangle(gradientR, i);

        // ∂A = Ξ ⊙ (L Z Rᵀ) + U ⊙ (L W Rᵀ); Y and X take the two products once the factor gradients are done.
        Outer(lambda, _z, _y);
        Outer(lambda, _w, _x);
        TensorPrimitives.Multiply(xi, _y, gradientA);
        TensorPrimitives.MultiplyAdd(u, _x, gradientA, gradientA);
    }

    /// <summary>xR = X·R and result = Lᵀ·xR.</summary>
    private void Inner(ReadOnlySpan<T> lambda, ReadOnlySpan<T> x, Span<T> xR, Span<T> result)
    {
        int o = Rows, i = Columns;
        Gemm.NN(o, i, i, x, i, R(lambda), i, xR, i);
        Gemm.TN(o, i, o, L(lambda), o, xR, i, result, i);
    }

    /// <summary>result = L·(X·Rᵀ).</summary>
    private void Outer(ReadOnlySpan<T> lambda, ReadOnlySpan<T> x, Span<T> result)
    {
        int o = Rows, i = Columns;
        Gemm.NT(o, i, i, x, i, R(lambda), i, _t, i);
        Gemm.NN(o, i, o, L(lambda), o, _t, i, result, i);
    }

    private static void Scale(ReadOnlySpan<T> b, ReadOnlySpan<T> x, Span<T> result)
    {
        TensorPrimitives.Multiply(b, x, result);
        TensorPrimitives.Multiply(b, result, result);
    }
}
