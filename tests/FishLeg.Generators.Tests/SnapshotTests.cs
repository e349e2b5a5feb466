using FishLeg.Generators.Tests.Snapshots;
using Xunit;

namespace FishLeg.Generators.Tests;

/// <summary>The generated source of four representative models, pinned; each must also compile cleanly.</summary>
public class SnapshotTests
{
    [Fact]
    public void MnistAutoencoder()
    {
        var (run, errors) = GeneratorHarness.Run("""
            using FishLeg;

            namespace Samples;

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
            """);
        Assert.Empty(errors);
        Snapshot.Verify(run);
    }

    [Fact]
    public void Classifier()
    {
        var (run, errors) = GeneratorHarness.Run("""
            using FishLeg;

            namespace Samples.Vision
            {
                [FishLegModel(784, Likelihood.Categorical, QForm = QForm.KroneckerRescaled)]
                [Dense(256, Activation.GeluTanh, QForm = QForm.Diagonal)]
                [Dense(128, Activation.Tanh, Bias = false)]
                [Dense(10)]
                internal sealed partial class Classifier { }
            }
            """);
        Assert.Empty(errors);
        Snapshot.Verify(run);
    }

    [Fact]
    public void Regression()
    {
        var (run, errors) = GeneratorHarness.Run("""
            using FishLeg;

            [FishLegModel(13, Likelihood.Gaussian, Sigma = 0.25, Precision = Precision.Double)]
            [Dense(64, Activation.Softplus)]
            [Dense(64, Activation.Sigmoid)]
            [Dense(1)]
            public partial class Regression;
            """);
        Assert.Empty(errors);
        Snapshot.Verify(run);
    }

    [Fact]
    public void FashionCnn()
    {
        var (run, errors) = GeneratorHarness.Run("""
            using FishLeg;

            namespace Samples;

            [FishLegModel(1, 28, 28, Likelihood.Categorical)]
            [Conv2d(16, kernel: 5, padding: 2, Activation.Relu)]
            [MaxPool2d(2)]
            [Conv2d(32, kernel: 5, padding: 2, Activation.Relu)]
            [AvgPool2d(2)]
            [Dense(10)]
            public partial class FashionCnn;
            """);
        Assert.Empty(errors);
        Snapshot.Verify(run);
    }

    [Fact]
    public void LayerNormClassifier()
    {
        var (run, errors) = GeneratorHarness.Run("""
            using FishLeg;

            namespace Samples;

            [FishLegModel(784, Likelihood.Categorical)]
            [Dense(256)]
            [LayerNorm(Activation.GeluTanh)]
            [Dense(64, Activation.Relu)]
            [LayerNorm(Epsilon = 1e-3)]
            [Dense(10)]
            public partial class LayerNormClassifier;
            """);
        Assert.Empty(errors);
        Snapshot.Verify(run);
    }

    [Fact]
    public void ElementwiseActivations()
    {
        var (run, errors) = GeneratorHarness.Run("""
            using System;
            using FishLeg;

            namespace Samples;

            [FishLegModel(784, Likelihood.Categorical)]
            [Dense(256, ActivationFunction = nameof(Swish))]
            [Dense(64, ActivationFunction = nameof(Mish))]
            [LayerNorm(ActivationFunction = nameof(Elu))]
            [Dense(32, ActivationFunction = nameof(LeakyRelu))]
            [Dense(10)]
            public partial class CustomActivations
            {
                [Elementwise] static double Swish(double x) => x / (1 + Math.Exp(-x));

                [Elementwise] static double Mish(double x) => x * Math.Tanh(Math.Log(1 + Math.Exp(x)));

                [Elementwise] static double Elu(double x) => x > 0 ? x : 1.5 * (Math.Exp(x) - 1);

                [Elementwise] static double LeakyRelu(double x) => x > 0 ? x : 0.01 * x;
            }
            """);
        Assert.Empty(errors);
        Snapshot.Verify(run);
    }
}
