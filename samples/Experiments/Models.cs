using System;

namespace FishLeg.Experiments;

/// <summary>
/// The deep autoencoder of the second-order optimization benchmarks (Hinton and Salakhutdinov, 2006), with ReLU
/// units and a linear 30-unit code, as the FishLeg authors' code trains it; Bernoulli likelihood on pixel intensities.
/// </summary>
[FishLegModel(784, Likelihood.Bernoulli)]
[Dense(1000, Activation.Relu)]
[Dense(500, Activation.Relu)]
[Dense(250, Activation.Relu)]
[Dense(30)]
[Dense(250, Activation.Relu)]
[Dense(500, Activation.Relu)]
[Dense(1000, Activation.Relu)]
[Dense(784)]
public partial class Autoencoder;

/// <summary>
/// The deep linear network of the paper's Fig. 1: 20 linear layers of width 20, no bias, squared error (a Gaussian
/// likelihood with unit σ; the data's own noise is σ = 0.001). In double precision: its curvature spans many decades.
/// </summary>
[FishLegModel(20, Likelihood.Gaussian, Precision = Precision.Double)]
[Dense(20, Bias = false)]
[Dense(20, Bias = false)]
[Dense(20, Bias = false)]
[Dense(20, Bias = false)]
[Dense(20, Bias = false)]
[Dense(20, Bias = false)]
[Dense(20, Bias = false)]
[Dense(20, Bias = false)]
[Dense(20, Bias = false)]
[Dense(20, Bias = false)]
[Dense(20, Bias = false)]
[Dense(20, Bias = false)]
[Dense(20, Bias = false)]
[Dense(20, Bias = false)]
[Dense(20, Bias = false)]
[Dense(20, Bias = false)]
[Dense(20, Bias = false)]
[Dense(20, Bias = false)]
[Dense(20, Bias = false)]
[Dense(20, Bias = false)]
public partial class DeepLinearNetwork;

/// <summary>A Fashion-MNIST classifier: one hidden ReLU layer, softmax over the ten classes.</summary>
[FishLegModel(784, Likelihood.Categorical)]
[Dense(256, Activation.Relu)]
[Dense(10)]
public partial class FashionClassifier;

/// <summary>
/// The classifier with Swish, x·σ(x), in place of ReLU: an activation from its [Elementwise] definition, differentiated
/// by the generator (docs/activations.md); the <c>classifier --swish</c> command.
/// </summary>
[FishLegModel(784, Likelihood.Categorical)]
[Dense(256, ActivationFunction = nameof(Swish))]
[Dense(10)]
public partial class FashionSwishClassifier
{
    [Elementwise] public static double Swish(double x) => x / (1 + Math.Exp(-x));
}

/// <summary>
/// The classifier with its hidden layer normalized (as <c>nn.Linear</c>, <c>nn.LayerNorm</c>, <c>nn.ReLU</c>): the
/// <c>classifier --layer-norm</c> command (docs/math.md §10).
/// </summary>
[FishLegModel(784, Likelihood.Categorical)]
[Dense(256)]
[LayerNorm(Activation.Relu)]
[Dense(10)]
public partial class FashionNormalizedClassifier;

/// <summary>
/// A small Fashion-MNIST CNN: two 5×5 convolutions (16 and 32 channels, padding 2, ReLU) each followed by 2×2 max
/// pooling, then a dense softmax layer over the 32×7×7 maps; PyTorch's layout throughout (docs/math.md §9).
/// </summary>
[FishLegModel(1, 28, 28, Likelihood.Categorical)]
[Conv2d(16, kernel: 5, padding: 2, Activation.Relu)]
[MaxPool2d(2)]
[Conv2d(32, kernel: 5, padding: 2, Activation.Relu)]
[MaxPool2d(2)]
[Dense(10)]
public partial class FashionCnn;
