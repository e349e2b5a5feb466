using System;
using FishLeg;

namespace FishLeg.Tests.Models;

// Small double-precision nets for the numerical proofs: 5 inputs, two hidden layers of 4, 3 outputs,
// every hidden activation with every likelihood.

[FishLegModel(5, Likelihood.Gaussian, Precision = Precision.Double, Sigma = 0.7)]
[Dense(4, Activation.Identity)]
[Dense(4, Activation.Identity)]
[Dense(3)]
public partial class IdentityGaussianNet;

[FishLegModel(5, Likelihood.Gaussian, Precision = Precision.Double, Sigma = 0.7)]
[Dense(4, Activation.Relu)]
[Dense(4, Activation.Relu)]
[Dense(3)]
public partial class ReluGaussianNet;

[FishLegModel(5, Likelihood.Gaussian, Precision = Precision.Double, Sigma = 0.7)]
[Dense(4, Activation.Tanh)]
[Dense(4, Activation.Tanh)]
[Dense(3)]
public partial class TanhGaussianNet;

[FishLegModel(5, Likelihood.Gaussian, Precision = Precision.Double, Sigma = 0.7)]
[Dense(4, Activation.Sigmoid)]
[Dense(4, Activation.Sigmoid)]
[Dense(3)]
public partial class SigmoidGaussianNet;

[FishLegModel(5, Likelihood.Gaussian, Precision = Precision.Double, Sigma = 0.7)]
[Dense(4, Activation.Softplus)]
[Dense(4, Activation.Softplus)]
[Dense(3)]
public partial class SoftplusGaussianNet;

[FishLegModel(5, Likelihood.Gaussian, Precision = Precision.Double, Sigma = 0.7)]
[Dense(4, Activation.GeluTanh)]
[Dense(4, Activation.GeluTanh)]
[Dense(3)]
public partial class GeluTanhGaussianNet;

[FishLegModel(5, Likelihood.Bernoulli, Precision = Precision.Double)]
[Dense(4, Activation.Identity)]
[Dense(4, Activation.Identity)]
[Dense(3)]
public partial class IdentityBernoulliNet;

[FishLegModel(5, Likelihood.Bernoulli, Precision = Precision.Double)]
[Dense(4, Activation.Relu)]
[Dense(4, Activation.Relu)]
[Dense(3)]
public partial class ReluBernoulliNet;

[FishLegModel(5, Likelihood.Bernoulli, Precision = Precision.Double)]
[Dense(4, Activation.Tanh)]
[Dense(4, Activation.Tanh)]
[Dense(3)]
public partial class TanhBernoulliNet;

[FishLegModel(5, Likelihood.Bernoulli, Precision = Precision.Double)]
[Dense(4, Activation.Sigmoid)]
[Dense(4, Activation.Sigmoid)]
[Dense(3)]
public partial class SigmoidBernoulliNet;

[FishLegModel(5, Likelihood.Bernoulli, Precision = Precision.Double)]
[Dense(4, Activation.Softplus)]
[Dense(4, Activation.Softplus)]
[Dense(3)]
public partial class SoftplusBernoulliNet;

[FishLegModel(5, Likelihood.Bernoulli, Precision = Precision.Double)]
[Dense(4, Activation.GeluTanh)]
[Dense(4, Activation.GeluTanh)]
[Dense(3)]
public partial class GeluTanhBernoulliNet;

[FishLegModel(5, Likelihood.Categorical, Precision = Precision.Double)]
[Dense(4, Activation.Identity)]
[Dense(4, Activation.Identity)]
[Dense(3)]
public partial class IdentityCategoricalNet;

[FishLegModel(5, Likelihood.Categorical, Precision = Precision.Double)]
[Dense(4, Activation.Relu)]
[Dense(4, Activation.Relu)]
[Dense(3)]
public partial class ReluCategoricalNet;

[FishLegModel(5, Likelihood.Categorical, Precision = Precision.Double)]
[Dense(4, Activation.Tanh)]
[Dense(4, Activation.Tanh)]
[Dense(3)]
public partial class TanhCategoricalNet;

[FishLegModel(5, Likelihood.Categorical, Precision = Precision.Double)]
[Dense(4, Activation.Sigmoid)]
[Dense(4, Activation.Sigmoid)]
[Dense(3)]
public partial class SigmoidCategoricalNet;

[FishLegModel(5, Likelihood.Categorical, Precision = Precision.Double)]
[Dense(4, Activation.Softplus)]
[Dense(4, Activation.Softplus)]
[Dense(3)]
public partial class SoftplusCategoricalNet;

[FishLegModel(5, Likelihood.Categorical, Precision = Precision.Double)]
[Dense(4, Activation.GeluTanh)]
[Dense(4, Activation.GeluTanh)]
[Dense(3)]
public partial class GeluTanhCategoricalNet;

// Layers without bias, and a nonlinear output layer.
[FishLegModel(5, Likelihood.Gaussian, Precision = Precision.Double, QForm = QForm.KroneckerSum)]
[Dense(4, Activation.Tanh, Bias = false, QForm = QForm.Diagonal)]
[Dense(6, Activation.Softplus)]
[Dense(3, Activation.Tanh, Bias = false)]
public partial class MixedBiasNet;

/// <summary>A float regression net for training tests.</summary>
[FishLegModel(8, Likelihood.Gaussian)]
[Dense(32, Activation.Tanh)]
[Dense(32, Activation.Tanh)]
[Dense(2)]
public partial class RegressionNet;

/// <summary>A two-layer double net for checking one FishLeg step by hand.</summary>
[FishLegModel(4, Likelihood.Gaussian, Precision = Precision.Double)]
[Dense(3, Activation.Tanh)]
[Dense(2)]
public partial class TwoLayerNet;

/// <summary>
/// A narrowing double net whose last layer (3 × (3 + 1)) is the one where, at batch 2, the factored auxiliary gradient
/// costs more than the dense one: FishLeg runs on it take both paths.
/// </summary>
[FishLegModel(5, Likelihood.Gaussian, Precision = Precision.Double, Sigma = 0.7)]
[Dense(4, Activation.Tanh)]
[Dense(3, Activation.Tanh)]
[Dense(3)]
public partial class NarrowingTanhNet;

/// <summary>One layer too wide for a Kronecker Q block: its 50,000² factor exceeds one array.</summary>
[FishLegModel(1, Likelihood.Gaussian)]
[Dense(50000)]
public partial class WideNet;

// Tiny convolutional nets, odd and non-square sizes: padding 0 and 1, strides 1 and 2 (one that leaves input
// uncovered), overlapping max-pooling windows, average pooling, pooling before any parameter, a flatten that reorders
// channels, every likelihood.

[FishLegModel(2, 7, 5, Likelihood.Categorical, Precision = Precision.Double)]
[Conv2d(3, kernel: 3, padding: 1, Activation.Tanh)]
[MaxPool2d(3, Stride = 2)]
[Conv2d(4, kernel: 2, activation: Activation.Softplus)]
[Dense(3)]
public partial class ConvMaxPoolNet;

[FishLegModel(1, 9, 9, Likelihood.Gaussian, Precision = Precision.Double, Sigma = 0.7)]
[Conv2d(2, kernel: 3, activation: Activation.Relu, Stride = 2)]
[AvgPool2d(2)]
[Dense(4, Activation.Sigmoid)]
[Dense(3)]
public partial class ConvAvgPoolNet;

[FishLegModel(3, 6, 6, Likelihood.Bernoulli, Precision = Precision.Double)]
[MaxPool2d(2)]
[Conv2d(2, kernel: 2, padding: 1, Activation.GeluTanh, Stride = 2, Bias = false)]
[Dense(3)]
public partial class PoolFirstConvNet;

// Layer normalization: after a dense layer with and without an activation of its own, with and without one after it,
// a large ε, two in one model, one after a convolution's flatten, every likelihood. SmallNets draws their scales and
// shifts at random (the initial γ = 1, β = 0 would hide a mix-up of the two).

[FishLegModel(5, Likelihood.Gaussian, Precision = Precision.Double, Sigma = 0.7)]
[Dense(6)]
[LayerNorm(Activation.Tanh)]
[Dense(3)]
public partial class LayerNormGaussianNet;

[FishLegModel(4, Likelihood.Categorical, Precision = Precision.Double)]
[Dense(5, Activation.Relu)]
[LayerNorm(Activation.Softplus, Epsilon = 0.3)]
[Dense(3, Activation.Sigmoid)]
[LayerNorm]
[Dense(4)]
public partial class TwoLayerNormCategoricalNet;

[FishLegModel(2, 5, 4, Likelihood.Bernoulli, Precision = Precision.Double)]
[Conv2d(2, kernel: 3, padding: 1, Activation.Tanh, Stride = 2)]
[Dense(4, Activation.GeluTanh)]
[LayerNorm(Activation.GeluTanh)]
[Dense(2)]
public partial class ConvLayerNormNet;

// Single precision, for the allocation and stability tests: two layer normalizations, one with a built-in activation,
// and activations from [Elementwise] methods in the GEMM's epilogues and after a normalization.
[FishLegModel(20, Likelihood.Categorical)]
[Dense(16, ActivationFunction = nameof(Mish))]
[LayerNorm(Activation.Relu)]
[Dense(8, Activation.Tanh)]
[LayerNorm(ActivationFunction = nameof(Swish))]
[Dense(4)]
public partial class NormalizedClassifier
{
    [Elementwise] private static double Mish(double x) => x * Math.Tanh(Math.Log(1 + Math.Exp(x)));

    [Elementwise] private static double Swish(double x) => x / (1 + Math.Exp(-x));
}

// Activations from [Elementwise] definitions (docs/activations.md): smooth, piecewise, composed, rational, with the
// library's stable helpers, on dense, convolution and layer-normalization layers, every likelihood.

[FishLegModel(5, Likelihood.Gaussian, Precision = Precision.Double, Sigma = 0.7)]
[Dense(6, ActivationFunction = nameof(Swish))]
[Dense(4, ActivationFunction = nameof(Selu))]
[Dense(3)]
public partial class SwishSeluNet
{
    [Elementwise] public static double Swish(double x) => x / (1 + Math.Exp(-x));

    [Elementwise] public static double Selu(double x) => 1.0507009873554805 * (x > 0 ? x : 1.6732632423543772 * (Math.Exp(x) - 1));
}

[FishLegModel(4, Likelihood.Categorical, Precision = Precision.Double)]
[Dense(5, ActivationFunction = nameof(Mish))]
[Dense(4, ActivationFunction = nameof(Elu))]
[LayerNorm(ActivationFunction = nameof(Softsign))]
[Dense(3, ActivationFunction = nameof(LeakyRelu))]
[Dense(3)]
public partial class MishEluNet
{
    private const double Alpha = 1.3;

    [Elementwise] public static double Mish(double x) => x * Math.Tanh(Math.Log(1 + Math.Exp(x)));

    [Elementwise] public static double Elu(double x) => x > 0 ? x : Alpha * (Math.Exp(x) - 1);

    [Elementwise] public static double Softsign(double x) { return x / (1 + Math.Abs(x)); }

    [Elementwise] public static double LeakyRelu(double x) => x > 0 ? x : 0.01 * x;
}

[FishLegModel(2, 5, 4, Likelihood.Bernoulli, Precision = Precision.Double)]
[Conv2d(2, kernel: 3, padding: 1, ActivationFunction = nameof(Rational))]
[Dense(4, ActivationFunction = nameof(Composed))]
[Dense(3, ActivationFunction = nameof(Gate))]
[Dense(2, ActivationFunction = nameof(BentIdentity))]
[Dense(2)]
public partial class ComposedActivationNet
{
    [Elementwise] public static double Rational(double x) => (Math.Pow(x, 3) + 0.5 * x) / (1 + x * x);

    [Elementwise] public static double Softsign(double x) => x / (1 + Math.Abs(x));

    [Elementwise] public static double Swish(double x) => x * ElementwiseMath.Sigmoid(x);

    [Elementwise] public static double Composed(double x) => Swish(Softsign(x) * 2) + 0.1 * x;

    [Elementwise] public static double Gate(double x) => ElementwiseMath.Sigmoid(2 * x) * Math.Sqrt(1 + x * x) + Math.Min(Math.Max(x, -1), 1);

    [Elementwise] public static double BentIdentity(double x) => (Math.Sqrt(x * x + 1) - 1) / 2 + x;
}
