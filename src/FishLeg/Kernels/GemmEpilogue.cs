using System;
using System.ComponentModel;
using System.Numerics;

namespace FishLeg.Kernels;

/// <summary>
/// An element-wise step a GEMM applies to each finished tile of C while the tile is still in cache, instead of a separate
/// pass over C afterwards: a layer's activation σ(C), or the chain rule's C ⊙ σ'(Z), with σ a generated
/// <see cref="ElementwiseFunction{T}"/>. Every operand has C's shape and row stride. The default value does nothing.
/// </summary>
/// <remarks>For use by generated code.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly ref struct GemmEpilogue<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    internal readonly EpilogueKind Kind;
    internal readonly ElementwiseFunction<T>? Function;
    internal readonly ReadOnlySpan<T> Z, A;
    internal readonly Span<T> Output;

    private GemmEpilogue(EpilogueKind kind, ElementwiseFunction<T> function, ReadOnlySpan<T> z, ReadOnlySpan<T> a, Span<T> output)
    {
        ArgumentNullException.ThrowIfNull(function);
        Kind = kind;
        Function = function;
        Z = z;
        A = a;
        Output = output;
    }

    /// <summary><c>output = σ(C)</c>: the forward pass's activation.</summary>
    public static GemmEpilogue<T> Activate(ElementwiseFunction<T> function, Span<T> output)
        => new(EpilogueKind.Activate, function, default, default, output);

    /// <summary>
    /// <c>output = C ⊙ σ'(Z)</c> with <c>A = σ(Z)</c>: a delta or tangent pushed through the activation. The output may be
    /// C itself.
    /// </summary>
    public static GemmEpilogue<T> Differentiate(ElementwiseFunction<T> function, ReadOnlySpan<T> z, ReadOnlySpan<T> a, Span<T> output)
        => new(EpilogueKind.Differentiate, function, z, a, output);
}

internal enum EpilogueKind
{
    None,
    Activate,
    Differentiate,
}

/// <summary>Which operand of a GEMM ends in a column of ones that is not stored.</summary>
/// <remarks>For use by generated code.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public enum OnesColumn
{
    /// <summary>Both operands are stored whole.</summary>
    None,
    /// <summary>
    /// op(A)'s last column (k − 1) is all ones and A holds only the first k − 1: <c>[X | 1]·Wᵀ</c> adds W's last column,
    /// a dense layer's bias, without a broadcast pass.
    /// </summary>
    A,
    /// <summary>op(B)'s last column (n − 1) is all ones and B holds only the first n − 1: <c>Eᵀ·[X | 1]</c> ends in E's column sums, the bias gradient.</summary>
    B,
}
