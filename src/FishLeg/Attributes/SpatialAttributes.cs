using System;

namespace FishLeg;

/// <summary>
/// A 2-D convolution of a <see cref="FishLegModelAttribute"/> model, as PyTorch's <c>nn.Conv2d</c>: a square kernel
/// over every input channel, zero padding, one output channel per filter, then an activation. Its weights are
/// <c>channels × (inChannels·kernel² + 1)</c>: each row one filter, ordered (kernel row, kernel column, input channel),
/// with the bias last; checkpoints hold them as PyTorch's <c>weight</c> [channels, inChannels, kernel, kernel] and
/// <c>bias</c>. Layers apply in the order the attributes appear in source.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class Conv2dAttribute : Attribute
{
    /// <param name="channels">Output channels (filters).</param>
    /// <param name="kernel">Height and width of the kernel.</param>
    /// <param name="padding">Zeros added on every side of the input. Default 0.</param>
    /// <param name="activation">Nonlinearity after the convolution. Default <see cref="Activation.Identity"/>.</param>
    public Conv2dAttribute(int channels, int kernel, int padding = 0, Activation activation = Activation.Identity)
    {
        Channels = channels;
        Kernel = kernel;
        Padding = padding;
        Activation = activation;
    }

    /// <summary>Output channels.</summary>
    public int Channels { get; }

    /// <summary>Height and width of the kernel.</summary>
    public int Kernel { get; }

    /// <summary>Zeros added on every side of the input.</summary>
    public int Padding { get; }

    /// <summary>Nonlinearity after the convolution.</summary>
    public Activation Activation { get; }

    /// <summary>An <see cref="ElementwiseAttribute"/> method's name, used instead of <see cref="Activation"/> (see <see cref="DenseAttribute.ActivationFunction"/>).</summary>
    public string? ActivationFunction { get; set; }

    /// <summary>Step between windows, in both directions. Default 1.</summary>
    public int Stride { get; set; } = 1;

    /// <summary>Whether each output channel has a bias (the last column of the weight matrix). Default true.</summary>
    public bool Bias { get; set; } = true;

    /// <summary>FishLeg's Q form for this layer's weight matrix; when not set, the model's <see cref="FishLegModelAttribute.QForm"/>.</summary>
    public QForm QForm { get; set; } = QForm.KroneckerTriangular;
}

/// <summary>Max pooling over square windows, as PyTorch's <c>nn.MaxPool2d</c> without padding: each channel separately.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class MaxPool2dAttribute(int size) : Attribute
{
    /// <summary>Height and width of the window.</summary>
    public int Size { get; } = size;

    /// <summary>Step between windows; when not set (0), the window size, as in PyTorch.</summary>
    public int Stride { get; set; }
}

/// <summary>Average pooling over square windows, as PyTorch's <c>nn.AvgPool2d</c> without padding: each channel separately.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class AvgPool2dAttribute(int size) : Attribute
{
    /// <summary>Height and width of the window.</summary>
    public int Size { get; } = size;

    /// <summary>Step between windows; when not set (0), the window size, as in PyTorch.</summary>
    public int Stride { get; set; }
}
