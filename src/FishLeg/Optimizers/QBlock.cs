using System;
using System.Numerics;

namespace FishLeg.Optimizers;

/// <summary>One named matrix inside a Q block's λ: element-wise (n_o×n_i) or a square factor, maybe lower-triangular.</summary>
internal sealed record LambdaSegment(string Name, int Offset, int Rows, int Columns, bool LowerTriangular);

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

    /// <summary>The matrices λ is made of, in order.</summary>
    public abstract LambdaSegment[] Segments { get; }

    /// <summary>Length of this block's λ.</summary>
    public int LambdaCount => Segments[^1].Offset + Segments[^1].Rows * Segments[^1].Columns;

    /// <summary>
    /// Sets λ so that Q(λ) = <paramref name="scale"/>·I (for <see cref="QForm.KroneckerSum"/>, plus the small random second
    /// term the paper prescribes, since a zero term is a stationary point).
    /// </summary>
    public abstract void Initialize(Span<T> lambda, double scale, ref SeededRandom random);

    /// <summary>
    /// Sets λ so that Q(λ)'s diagonal is <paramref name="diagonal"/> (n_o×n_i, positive): exactly for the forms with an
    /// element-wise matrix, and for the Kronecker forms as the closest l_o²·r_i² in the log domain, with diagonal factors
    /// (<see cref="QForm.KroneckerSum"/> keeps its small second term).
    /// </summary>
    public abstract void WarmStart(Span<T> lambda, ReadOnlySpan<T> diagonal);

    /// <summary>V = Q(λ)·U.</summary>
    public abstract void Apply(ReadOnlySpan<T> lambda, ReadOnlySpan<T> u, Span<T> v);

    /// <summary>λ̄ = (∂(Q(λ)U)/∂λ)ᵀ Ξ.</summary>
    public abstract void LambdaGradient(ReadOnlySpan<T> lambda, ReadOnlySpan<T> u, ReadOnlySpan<T> xi, Span<T> gradient);

    /// <summary>
    /// Which factored paths pay for this block at batches of up to <paramref name="batch"/> rows: Q·g from the gradient's
    /// factors (<see cref="ApplyToFactors"/>), and also the auxiliary gradient from the factors of g and of the Fisher
    /// product (<see cref="LambdaGradientFromFactors"/>) when <paramref name="factoredGradientAllowed"/>. Forms without
    /// a factored algebra take neither.
    /// </summary>
    public virtual (bool LowRank, bool FactoredGradient) FactoredPaths(int batch, bool factoredGradientAllowed) => (false, false);

    /// <summary>Length of the products <see cref="ApplyToFactors"/> leaves for a batch (and the factored gradient reuses).</summary>
    public virtual int FactorProductsLength(int batch) => 0;

    /// <summary>Scratch length <see cref="LambdaGradientFromFactors"/> needs.</summary>
    public virtual int FactoredGradientScratch(int batch, int productBatch) => 0;

    /// <summary>V = Q(λ)·EᵀĀ from the factors; keeps the intermediate products in <paramref name="products"/>.</summary>
    public virtual void ApplyToFactors(ReadOnlySpan<T> lambda, in LayerFactors<T> gradient, Span<T> products, Span<T> v) =>
        throw new NotSupportedException($"{GetType().Name} has no factored Q·g.");

    /// <summary>
    /// λ̄ for U = <paramref name="scale"/>·EᵀĀ (the gradient's factors) and a Fisher product block given by
    /// <paramref name="curvature"/>'s factors, with the products <see cref="ApplyToFactors"/> left for the same λ.
    /// </summary>
    public virtual void LambdaGradientFromFactors(ReadOnlySpan<T> lambda, in LayerFactors<T> gradient, T scale, ReadOnlySpan<T> products,
        in LayerFactors<T> curvature, T damping, Span<T> scratch, Span<T> result) =>
        throw new NotSupportedException($"{GetType().Name} has no factored auxiliary gradient.");

    /// <summary>Sets a square factor to value·I.</summary>
    protected static void ScaledIdentity(Span<T> square, int n, T value)
    {
        square.Clear();
        for (int i = 0; i < n; i++) square[i * n + i] = value;
    }

    /// <summary>Clears the strict upper triangle of an n×n matrix: the gradient of a lower-triangular factor.</summary>
    protected static void ZeroUpperTriangle(Span<T> square, int n)
    {
        for (int row = 0; row < n - 1; row++) square.Slice(row * n + row + 1, n - row - 1).Clear();
    }

    /// <summary>
    /// The length of λ a block of <paramref name="form"/> needs for an n_o×n_i layer, in 64 bits, so that a layer too wide
    /// for one array is found before anything is allocated. Equals <see cref="LambdaCount"/> of the block <see cref="Create"/> makes.
    /// </summary>
    public static long LambdaLength(QForm form, int rows, int columns)
    {
        long matrix = (long)rows * columns, factors = (long)rows * rows + (long)columns * columns;
        return form switch
        {
            QForm.Diagonal => matrix,
            QForm.KroneckerTriangular or QForm.KroneckerFull => factors,
            QForm.OfficialRescaled => matrix + factors,
            QForm.KroneckerRescaled => 2 * matrix + factors,
            QForm.KroneckerSum => 2 * factors,
            _ => throw new ArgumentOutOfRangeException(nameof(form), form, "Unknown Q form."),
        };
    }

    public static QBlock<T> Create(QForm form, int rows, int columns) => form switch
    {
        QForm.KroneckerTriangular => new KroneckerQ<T>(rows, columns, triangular: true),
        QForm.KroneckerFull => new KroneckerQ<T>(rows, columns, triangular: false),
        QForm.Diagonal => new DiagonalQ<T>(rows, columns),
        QForm.OfficialRescaled => new OfficialRescaledQ<T>(rows, columns),
        QForm.KroneckerRescaled => new RescaledKroneckerQ<T>(rows, columns),
        QForm.KroneckerSum => new KroneckerSumQ<T>(rows, columns),
        _ => throw new ArgumentOutOfRangeException(nameof(form), form, "Unknown Q form."),
    };
}
