using System;
using System.Linq;
using FishLeg.Optimizers;
using FishLeg.Tests.Models;
using Xunit;

namespace FishLeg.Tests.Optimizers;

/// <summary>
/// The curvature optimizers on convolutions (docs/math.md §9): a convolution's factors have a row per example and
/// output position, its input rows are its patches, K-FAC's factors are Grosse and Martens's A = ΣāāᵀK⁻¹P⁻¹ and
/// G = K·Σeeᵀ, AdaFisher's diagonals theirs, and FishLeg's low-rank algebra holds over those rows.
/// </summary>
public class ConvolutionOptimizerTests
{
    private const int Batch = 3;

    /// <summary>The first convolution's input factor is the batch's patches, a row per example and position.</summary>
    [Fact]
    public void AConvolutionsInputFactorRowsAreItsPatches()
    {
        IFishLegModel<double> model = new ConvMaxPoolNet(Batch, seed: 1);
        var (inputs, targets) = SmallNets.Batch(model.Description, Batch, seed: 2);
        model.LossAndGradient(inputs, targets);
        model.GradientFactors(0, out ReadOnlySpan<double> delta, out ReadOnlySpan<double> input);
        LayerDescription layer = model.Description.Layers[0];
        Assert.Equal((LayerKind.Conv2d, 35, 3, 18), (layer.Kind, layer.Positions, layer.Kernel, layer.Inputs));
        Assert.Equal(Batch * 35 * 3, delta.Length);
        // 2×7×5 input, 3×3 kernel, padding 1, stride 1: 7×5 positions, patch (kernel row, kernel column, channel).
        for (int n = 0, row = 0; n < Batch; n++)
            for (int r = 0; r < 7; r++)
                for (int q = 0; q < 5; q++, row++)
                    for (int i = 0, k = 0; i < 3; i++)
                        for (int j = 0; j < 3; j++)
                            for (int c = 0; c < 2; c++, k++)
                            {
                                int y = r - 1 + i, x = q - 1 + j;
                                double expected = y is >= 0 and < 7 && x is >= 0 and < 5 ? inputs[n * 70 + c * 35 + y * 5 + x] : 0;
                                Assert.Equal(expected, input[row * 18 + k]);
                            }
    }

    [Fact]
    public void KfacFirstStepUsesTheConvolutionFactors()
    {
        const double eta = 0.05, damping = 0.02, weightDecay = 0.01;
        IFishLegModel<double> model = new ConvMaxPoolNet(Batch, seed: 3);
        var (inputs, targets) = SmallNets.Batch(model.Description, Batch, seed: 4);
        double[] theta0 = model.Parameters.ToArray();
        model.LossAndGradient(inputs, targets);
        double[] g = model.Gradient.ToArray();
        var layers = model.Description.Layers;
        var expected = theta0.ToArray();
        var a = new double[layers.Count][,];
        var gFactor = new double[layers.Count][,];
        for (int l = 0; l < layers.Count; l++)
        {
            LayerDescription layer = layers[l];
            model.GradientFactors(l, out ReadOnlySpan<double> delta, out ReadOnlySpan<double> inputSpan);
            double[] input = inputSpan.ToArray();
            int rows = Batch * layer.Positions, o = layer.Outputs, i = layer.Columns;
            (a[l], gFactor[l]) = (new double[i, i], new double[o, o]);
            for (int r = 0; r < rows; r++)
            {
                double Bar(int c) => c < layer.Inputs ? input[r * layer.Inputs + c] : 1;
                for (int c = 0; c < i; c++)
                    for (int c2 = 0; c2 < i; c2++) a[l][c, c2] += Bar(c) * Bar(c2) / rows;
                for (int u = 0; u < o; u++)
                    for (int u2 = 0; u2 < o; u2++) gFactor[l][u, u2] += Batch * delta[r * o + u] * delta[r * o + u2];
            }
            var gradient = new double[o, i];
            for (int u = 0; u < o; u++)
                for (int c = 0; c < i; c++) gradient[u, c] = g[layer.Offset + u * i + c];
            double[,] p = KfacOptimizerTests.Preconditioned(a[l], gFactor[l], gradient, damping);
            for (int u = 0; u < o; u++)
                for (int c = 0; c < i; c++)
                {
                    int k = layer.Offset + u * i + c;
                    expected[k] = theta0[k] - eta * (p[u, c] + weightDecay * theta0[k]);
                }
        }

        var optimizer = new KfacOptimizer<double>(model, new KfacOptions
        {
            LearningRate = eta, Damping = damping, WeightDecay = weightDecay, KlClip = 0, Fisher = KfacFisher.Empirical,
        });
        optimizer.Step(inputs);
        Assert.True(GradientTests.RelativeError(model.Parameters, expected) < 1e-12, "θ₁ differs from the explicit computation");
        for (int l = 0; l < layers.Count; l++)
        {
            var (aRun, gRun) = optimizer.Factors(l);
            Assert.True(GradientTests.RelativeError(aRun.Span, a[l].Cast<double>().ToArray()) < 1e-13, $"A of layer {l}");
            Assert.True(GradientTests.RelativeError(gRun.Span, gFactor[l].Cast<double>().ToArray()) < 1e-13, $"G of layer {l}");
        }
    }

    [Fact]
    public void AdaFisherDiagonalsAverageOverPositionsAndExamples()
    {
        IFishLegModel<double> model = new ConvAvgPoolNet(Batch, seed: 5);
        var (inputs, targets) = SmallNets.Batch(model.Description, Batch, seed: 6);
        model.LossAndGradient(inputs, targets);
        var layers = model.Description.Layers;
        var expectedH = new double[layers.Count][];
        var expectedS = new double[layers.Count][];
        for (int l = 0; l < layers.Count; l++)
        {
            LayerDescription layer = layers[l];
            model.GradientFactors(l, out ReadOnlySpan<double> delta, out ReadOnlySpan<double> input);
            int rows = Batch * layer.Positions;
            (expectedH[l], expectedS[l]) = (new double[layer.Columns], new double[layer.Outputs]);
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < layer.Columns; c++)
                    expectedH[l][c] += (c < layer.Inputs ? Math.Pow(input[r * layer.Inputs + c], 2) : 1) / rows;
                for (int u = 0; u < layer.Outputs; u++) expectedS[l][u] += Math.Pow(delta[r * layer.Outputs + u], 2) / Batch;
            }
        }
        var optimizer = new AdaFisherOptimizer<double>(model, new AdaFisherOptions { Averaging = AdaFisherAveraging.Paper });
        optimizer.Step();
        Assert.Equal(LayerKind.Conv2d, layers[0].Kind);
        for (int l = 0; l < layers.Count; l++)
        {
            Assert.True(GradientTests.RelativeError(optimizer.Diagonals(l).H.Span, expectedH[l]) < 1e-13, $"H of layer {l}");
            Assert.True(GradientTests.RelativeError(optimizer.Diagonals(l).S.Span, expectedS[l]) < 1e-13, $"S of layer {l}");
        }
    }

    /// <summary>
    /// FishLeg's low-rank Q·g and factored auxiliary gradient over a convolution's rows (the second convolution of
    /// ConvMaxPoolNet has 2 positions: rank 2 per example) give the dense run's parameters.
    /// </summary>
    [Fact]
    public void FishLegLowRankStepsOverConvolutionRowsMatchDenseSteps()
    {
        double[] Train(bool lowRank, out int lowRankLayers, out int factored)
        {
            var model = new ConvMaxPoolNet(1, seed: 7);
            var optimizer = new FishLegOptimizer<double>(model, new FishLegOptions
            {
                MomentumOn = MomentumTarget.PreconditionedGradient, WeightDecayMode = WeightDecayMode.Decoupled, WeightDecay = 1e-3,
                UpdateAuxEvery = 2, LowRankGradient = lowRank, LearningRate = 0.1, AuxiliaryLearningRate = 1e-2,
            });
            for (int k = 0; k < 5; k++)
            {
                var (inputs, targets) = SmallNets.Batch(model.Description, 1, seed: (ulong)(20 + k));
                var (auxiliary, _) = SmallNets.Batch(model.Description, 1, seed: (ulong)(40 + k));
                model.LossAndGradient(inputs, targets);
                optimizer.Step(auxiliary);
            }
            (lowRankLayers, factored) = (optimizer.LowRankLayerCount, optimizer.FactoredAuxiliaryLayerCount);
            return model.Parameters.ToArray();
        }
        double[] fast = Train(lowRank: true, out int used, out int factored), reference = Train(lowRank: false, out _, out _);
        Assert.True(used >= 1 && factored >= 1, $"the test means to take the factored paths on the convolution ({used}, {factored})");
        double error = GradientTests.RelativeError(fast, reference);
        Assert.True(error < 1e-12, $"low-rank and dense FishLeg runs differ by {error:E2}");
    }
}
