using System;
using System.ComponentModel;
using System.Numerics;

namespace FishLeg.Kernels;

/// <summary>
/// An activation the generator derived from an <see cref="ElementwiseAttribute"/> method: a = f(z), the chain rule's
/// e = d ⊙ f′(z), and the Hessian's curvature term ė += d ⊙ ż ⊙ f″(z). Each derivative gets both z and a = f(z) and
/// uses whichever the simplified derivative needs. One instance per function, so a GEMM epilogue can hold it.
/// </summary>
/// <remarks>For use by generated code.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class ElementwiseFunction<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>a = f(z).</summary>
    public abstract void Activate(ReadOnlySpan<T> z, Span<T> a);

    /// <summary>e = d ⊙ f′(z), given a = f(z); e may be d.</summary>
    public abstract void Differentiate(ReadOnlySpan<T> z, ReadOnlySpan<T> a, ReadOnlySpan<T> d, Span<T> e);

    /// <summary>ė += d ⊙ ż ⊙ f″(z), given a = f(z). Nothing when f″ is identically zero.</summary>
    public abstract void Curvature(ReadOnlySpan<T> z, ReadOnlySpan<T> a, ReadOnlySpan<T> d, ReadOnlySpan<T> zDot, Span<T> eDot);
}
