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

    /// <summary>Input features per example.</summary>
    public int Inputs { get; }

    /// <summary>Outputs per example (the last layer's units).</summary>
    public int Outputs => Layers[^1].Outputs;

    /// <summary>Output likelihood.</summary>
    public Likelihood Likelihood { get; }

    /// <summary>Standard deviation of a Gaussian likelihood.</summary>
    public double Sigma { get; }

    /// <summary>Element type.</summary>
    public Precision Precision { get; }

    /// <summary>The layers from input to output.</summary>
    public IReadOnlyList<LayerDescription> Layers { get; }

    /// <summary>Total number of trainable scalars.</summary>
    public int ParameterCount { get; }
}

/// <summary>
/// One dense layer: an <see cref="Outputs"/>×<see cref="Columns"/> row-major weight matrix at <see cref="Offset"/> in the
/// parameter array, whose last column is the bias when <see cref="HasBias"/>.
/// </summary>
/// <param name="Inputs">Input features.</param>
/// <param name="Outputs">Output units.</param>
/// <param name="Activation">Nonlinearity.</param>
/// <param name="HasBias">Whether the last column is a bias.</param>
/// <param name="Offset">Index of the first weight in the flat parameter array.</param>
/// <param name="QForm">The layer's declared FishLeg Q form.</param>
public sealed record LayerDescription(int Inputs, int Outputs, Activation Activation, bool HasBias, int Offset, QForm QForm)
{
    /// <summary>Columns of the weight matrix: inputs, plus one for the bias.</summary>
    public int Columns => Inputs + (HasBias ? 1 : 0);

    /// <summary>Number of scalars in the weight matrix.</summary>
    public int ParameterCount => Outputs * Columns;
}
