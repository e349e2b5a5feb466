using System;

namespace FishLeg;

/// <summary>
/// Layer normalization of the dense layer before it, as PyTorch's <c>nn.LayerNorm(units)</c>: each example's features
/// are centred and scaled to unit variance, x̂ = (x − mean)/√(variance + ε), then y = γ ⊙ x̂ + β with a learned scale γ
/// (initially 1) and shift β (initially 0) per unit, then an activation. Its parameters are each unit's [γ, β] pair
/// (an n×2 matrix, the shift in the last column); checkpoints hold them as PyTorch's <c>weight</c> [n] and <c>bias</c> [n].
/// FishLeg gives them a diagonal Q block whatever the model's Q form. Layers apply in the order the attributes appear in source.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class LayerNormAttribute(Activation activation = Activation.Identity) : Attribute
{
    /// <summary>Nonlinearity after the scale and shift.</summary>
    public Activation Activation { get; } = activation;

    /// <summary>An <see cref="ElementwiseAttribute"/> method's name, used instead of <see cref="Activation"/> (see <see cref="DenseAttribute.ActivationFunction"/>).</summary>
    public string? ActivationFunction { get; set; }

    /// <summary>ε, added to the variance before its square root. Default 1e-5, as in PyTorch.</summary>
    public double Epsilon { get; set; } = 1e-5;
}
