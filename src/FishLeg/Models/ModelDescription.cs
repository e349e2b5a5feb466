using System;
using System.ComponentModel;
using System.Collections.Generic;
using System.Linq;

namespace FishLeg;

/// <summary>What a generated model is: sizes, likelihood, element type and where each layer lives in the parameter array.</summary>
public sealed class ModelDescription
{
    /// <summary>Used by generated code.</summary>
    /// <remarks>For use by generated code.</remarks>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public ModelDescription(string name, int inputs, Likelihood likelihood, double sigma, Precision precision, LayerDescription[] layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Length == 0) throw new ArgumentException("A model needs at least one layer.", nameof(layers));
        Name = name;
        Inputs = inputs;
        Likelihood = likelihood;
        Sigma = sigma;
        Precision = precision;
        Layers = Array.AsReadOnly(layers);
        ParameterCount = layers.Sum(layer => layer.ParameterCount);
    }

    /// <summary>The model class's name.</summary>
    public string Name { get; }

    /// <summary>Input values per example.</summary>
    public int Inputs { get; }

    /// <summary>Outputs per example (the last layer's units).</summary>
    public int Outputs => Layers[^1].Outputs;

    /// <summary>Output likelihood.</summary>
    public Likelihood Likelihood { get; }

    /// <summary>Standard deviation of a Gaussian likelihood.</summary>
    public double Sigma { get; }

    /// <summary>Element type.</summary>
    public Precision Precision { get; }

    /// <summary>The layers with parameters (dense, convolution and layer normalization), from input to output; pooling layers have none.</summary>
    public IReadOnlyList<LayerDescription> Layers { get; }

    /// <summary>Total number of trainable scalars.</summary>
    public int ParameterCount { get; }
}

/// <summary>
/// One layer with parameters: an <see cref="Outputs"/>×<see cref="Columns"/> row-major weight matrix at
/// <see cref="Offset"/> in the parameter array, whose last column is the bias when <see cref="HasBias"/>. A dense layer
/// applies it once per example; a convolution (<see cref="LayerKind.Conv2d"/>) at each of <see cref="Positions"/> output
/// positions, to a patch of <see cref="Inputs"/> values ordered (kernel row, kernel column, input channel); checkpoints
/// store its weight in PyTorch's [outputs, input channels, kernel, kernel] order. A layer normalization
/// (<see cref="LayerKind.LayerNorm"/>) has <see cref="Outputs"/> rows [γⱼ, βⱼ]: unit j scales its own normalized input
/// x̂ⱼ (<see cref="Inputs"/> is 1) and adds its shift, so its factors are the K × n deltas and the K × n normalized
/// features, column j of both belonging to unit j.
/// </summary>
/// <param name="Inputs">Input features (for a convolution, values per patch).</param>
/// <param name="Outputs">Output units (for a convolution, output channels).</param>
/// <param name="Activation">Nonlinearity.</param>
/// <param name="HasBias">Whether the last column is a bias.</param>
/// <param name="Offset">Index of the first weight in the flat parameter array.</param>
/// <param name="QForm">The layer's declared FishLeg Q form.</param>
/// <param name="Kind">Dense, convolution or layer normalization.</param>
/// <param name="Positions">
/// Output positions per example: the rows each example adds to the layer's gradient factors (1 for a dense layer).
/// </param>
/// <param name="Kernel">A convolution's kernel height and width (1 for a dense layer).</param>
/// <param name="ActivationFunction">
/// The <see cref="ElementwiseAttribute"/> method the layer uses as its activation, in place of <paramref name="Activation"/>
/// (then <see cref="Activation.Identity"/>); null for a built-in activation.
/// </param>
public sealed record LayerDescription(int Inputs, int Outputs, Activation Activation, bool HasBias, int Offset, QForm QForm,
    LayerKind Kind = LayerKind.Dense, int Positions = 1, int Kernel = 1, string? ActivationFunction = null)
{
    /// <summary>A convolution's input channels (<see cref="Inputs"/> over the kernel's area); a dense layer's inputs.</summary>
    public int InputChannels => Inputs / (Kernel * Kernel);

    /// <summary>Columns of the weight matrix: inputs, plus one for the bias.</summary>
    public int Columns => Inputs + (HasBias ? 1 : 0);

    /// <summary>Number of scalars in the weight matrix.</summary>
    public int ParameterCount => Outputs * Columns;
}
