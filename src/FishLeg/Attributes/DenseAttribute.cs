using System;

namespace FishLeg;

/// <summary>
/// One fully connected layer of a <see cref="FishLegModelAttribute"/> model: <c>a = σ(W·x + b)</c>.
/// Layers apply in the order the attributes appear in source.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DenseAttribute : Attribute
{
    /// <param name="units">Number of output units.</param>
    /// <param name="activation">Nonlinearity after the affine map. Default <see cref="Activation.Identity"/>.</param>
    public DenseAttribute(int units, Activation activation = Activation.Identity)
    {
        Units = units;
        Activation = activation;
    }

    /// <summary>Number of output units.</summary>
    public int Units { get; }

    /// <summary>Nonlinearity after the affine map.</summary>
    public Activation Activation { get; }

    /// <summary>
    /// The name of an <see cref="ElementwiseAttribute"/> method of the model's class to use as the activation instead of
    /// <see cref="Activation"/> (which must then be left at <see cref="Activation.Identity"/>), e.g. <c>nameof(Swish)</c>.
    /// </summary>
    public string? ActivationFunction { get; set; }

    /// <summary>Whether the layer has a bias (stored as the last column of its weight matrix). Default true.</summary>
    public bool Bias { get; set; } = true;

    /// <summary>FishLeg's Q form for this layer; when not set, the model's <see cref="FishLegModelAttribute.QForm"/>.</summary>
    public QForm QForm { get; set; } = QForm.KroneckerTriangular;
}
