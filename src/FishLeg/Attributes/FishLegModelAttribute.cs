using System;

namespace FishLeg;

/// <summary>
/// Declares a model on a <c>partial</c> class. The layers are the class's <see cref="DenseAttribute"/>,
/// <see cref="Conv2dAttribute"/>, <see cref="MaxPool2dAttribute"/> and <see cref="AvgPool2dAttribute"/> attributes in
/// source order; the FishLeg source generator emits the model's passes for exactly this shape.
/// </summary>
/// <example><code>
/// [FishLegModel(784, Likelihood.Categorical)]
/// [Dense(128, Activation.Relu)]
/// [Dense(10)]
/// public partial class Classifier;
/// </code></example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class FishLegModelAttribute : Attribute
{
    /// <param name="inputs">Number of input features per example.</param>
    /// <param name="likelihood">Output likelihood; its negative log-likelihood is the training loss.</param>
    public FishLegModelAttribute(int inputs, Likelihood likelihood)
    {
        Inputs = inputs;
        Width = inputs;
        Likelihood = likelihood;
    }

    /// <param name="channels">Input channels per example.</param>
    /// <param name="height">Height of each input channel.</param>
    /// <param name="width">Width of each input channel.</param>
    /// <param name="likelihood">Output likelihood; its negative log-likelihood is the training loss.</param>
    /// <remarks>
    /// For images: each example is <paramref name="channels"/> planes of <paramref name="height"/>×<paramref name="width"/>
    /// values, channel after channel, row after row (NCHW, as PyTorch), which <see cref="Conv2dAttribute"/> and the pooling
    /// layers read; a dense layer reads them flattened in the same order.
    /// </remarks>
    public FishLegModelAttribute(int channels, int height, int width, Likelihood likelihood)
    {
        Inputs = channels * height * width;
        Channels = channels;
        Height = height;
        Width = width;
        Likelihood = likelihood;
    }

    /// <summary>Number of input values per example.</summary>
    public int Inputs { get; }

    /// <summary>Input channels (1 when the input is declared as a number of features).</summary>
    public int Channels { get; } = 1;

    /// <summary>Height of each input channel (1 when the input is declared as a number of features).</summary>
    public int Height { get; } = 1;

    /// <summary>Width of each input channel (the number of features when the input is declared as such).</summary>
    public int Width { get; }

    /// <summary>Output likelihood.</summary>
    public Likelihood Likelihood { get; }

    /// <summary>Standard deviation of the <see cref="Likelihood.Gaussian"/> likelihood (ignored otherwise). Default 1.</summary>
    public double Sigma { get; set; } = 1.0;

    /// <summary>Element type of the generated model. Default <see cref="Precision.Single"/>.</summary>
    public Precision Precision { get; set; } = Precision.Single;

    /// <summary>FishLeg's Q form for every layer that does not set its own. Default <see cref="QForm.KroneckerTriangular"/>.</summary>
    public QForm QForm { get; set; } = QForm.KroneckerTriangular;
}
