using System;
using System.Numerics;

namespace FishLeg.Optimizers;

/// <summary>The parameterization of one layer's block of Q(λ) ≈ (F + γI)⁻¹ (math note §3).</summary>
public enum QForm
{
    /// <summary>Kronecker factors L (output side) and R (input side), both lower-triangular: Q·U = L Lᵀ U R Rᵀ (paper A.5). The default.</summary>
    KroneckerTriangular,
    /// <summary>As <see cref="KroneckerTriangular"/> with full (not triangular) factors.</summary>
    KroneckerFull,
    /// <summary>An element-wise diagonal: Q·U = D ⊙ D ⊙ U.</summary>
    Diagonal,
}

/// <summary>
/// One layer's block of Q(λ) acting on an n_o×n_i matrix U (the layer's block of a parameter vector): the product
/// V = Q(λ)U, the vector–Jacobian product λ̄ = (∂V/∂λ)ᵀ Ξ that gives the auxiliary gradient, and the initialization
/// that makes Q₀ = c·I. λ is a flat span owned by the optimizer.
/// </summary>
internal abstract class QBlock<T>(int rows, int columns) where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>n_o: the layer's output units.</summary>
    public int Rows { get; } = rows;

    /// <summary>n_i: the layer's inputs, plus one for the bias.</summary>
    public int Columns { get; } = columns;

    /// <summary>Length of this block's λ.</summary>
    public abstract int LambdaCount { get; }

    /// <summary>Sets λ so that Q(λ) = <paramref name="scale"/>·I.</summary>
    public abstract void Initialize(Span<T> lambda, double scale);

    /// <summary>V = Q(λ)·U.</summary>
    public abstract void Apply(ReadOnlySpan<T> lambda, ReadOnlySpan<T> u, Span<T> v);

    /// <summary>λ̄ = (∂(Q(λ)U)/∂λ)ᵀ Ξ.</summary>
    public abstract void LambdaGradient(ReadOnlySpan<T> lambda, ReadOnlySpan<T> u, ReadOnlySpan<T> xi, Span<T> gradient);

    public static QBlock<T> Create(QForm form, int rows, int columns) => form switch
    {
        QForm.KroneckerTriangular => new KroneckerQ<T>(rows, columns, triangular: true),
        QForm.KroneckerFull => new KroneckerQ<T>(rows, columns, triangular: false),
        QForm.Diagonal => new DiagonalQ<T>(rows, columns),
        _ => throw new ArgumentOutOfRangeException(nameof(form), form, "Unknown Q form."),
    };
}
