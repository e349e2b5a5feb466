using System;
using System.Linq;
using FishLeg.Optimizers;
using FishLeg.Tests.Models;
using Xunit;

namespace FishLeg.Tests.Optimizers;

/// <summary>
/// AdaFisher against its code's formulas recomputed here in double on the two-layer tanh net: H = diag(A) and
/// S = diag(G)/K² from the hand-written forward and backward pass (KfacOptimizerTests.ByHand), the code's running average
/// of min-max normalized diagonals starting from ones, and the Adam-like step with F̃ = S ⊗ H + λ.
/// </summary>
public class AdaFisherOptimizerTests
{
    [Theory]
    [InlineData(1, 0.0, false, AdaFisherAveraging.Code)]
    [InlineData(2, 0.01, false, AdaFisherAveraging.Code)]   // the second step reuses the first step's diagonals; coupled weight decay
    [InlineData(1, 0.01, true, AdaFisherAveraging.Code)]    // AdaFisherW
    [InlineData(1, 0.01, true, AdaFisherAveraging.Paper)]   // the paper's moving average of raw diagonals, normalized in the step
    [InlineData(2, 0.0, false, AdaFisherAveraging.Paper)]
    public void TwoStepsMatchTheFormulas(int tcov, double weightDecay, bool decoupled, AdaFisherAveraging averaging)
    {
        const int Batch = 5;
        const double eta = 0.01, beta = 0.8, lambda = 0.05, gamma0 = 0.7, gamma1 = 0.2;
        var options = new AdaFisherOptions
        {
            LearningRate = eta, Beta = beta, Damping = lambda, Gamma0 = gamma0, Gamma1 = gamma1, CurvatureUpdateEvery = tcov,
            WeightDecay = weightDecay, DecoupledWeightDecay = decoupled, Averaging = averaging,
        };
        bool paper = averaging == AdaFisherAveraging.Paper;
        var model = new TwoLayerNet(Batch, seed: 3);
        var optimizer = new AdaFisherOptimizer<double>(model, options);
        var layers = model.Description.Layers;
        double[][] h = layers.Select(l => Enumerable.Repeat(1.0, l.Columns).ToArray()).ToArray();
        double[][] s = layers.Select(l => Enumerable.Repeat(1.0, l.Outputs).ToArray()).ToArray();
        double[] theta = model.Parameters.ToArray(), m = new double[theta.Length];
        for (int step = 0; step < 2; step++)
        {
            var (inputs, targets) = SmallNets.Batch(model.Description, Batch, seed: (ulong)(40 + step));
            model.LossAndGradient(inputs, targets);
            double[] g = model.Gradient.ToArray();
            if (step % tcov == 0)
            {
                KfacOptimizerTests.Layer[] hand = KfacOptimizerTests.ByHand(model, inputs, targets, Batch);
                for (int l = 0; l < layers.Count; l++)
                {
                    double[] newH = [.. Enumerable.Range(0, layers[l].Columns).Select(k => hand[l].A[k, k])];
                    double[] newS = [.. Enumerable.Range(0, layers[l].Outputs).Select(k => hand[l].G[k, k] / (Batch * Batch))];
                    h[l] = !paper ? Blend(h[l], newH, gamma0, gamma1) : step == 0 ? newH : h[l].Zip(newH, (c, x) => gamma0 * c + (1 - gamma0) * x).ToArray();
                    s[l] = !paper ? Blend(s[l], newS, gamma0, gamma1) : step == 0 ? newS : s[l].Zip(newS, (c, x) => gamma0 * c + (1 - gamma0) * x).ToArray();
                }
            }
            double correction = 1 - Math.Pow(beta, step + 1);
            var next = theta.ToArray();
            for (int l = 0; l < layers.Count; l++)
            {
                // The paper's form normalizes the averages where F̃ is formed.
                double[] hUsed = paper ? Normalized(h[l]) : h[l], sUsed = paper ? Normalized(s[l]) : s[l];
                for (int o = 0; o < layers[l].Outputs; o++)
                    for (int i = 0; i < layers[l].Columns; i++)
                    {
                        int k = layers[l].Offset + o * layers[l].Columns + i;
                        m[k] = beta * m[k] + (1 - beta) * (g[k] + (decoupled ? 0 : weightDecay * theta[k]));
                        next[k] = theta[k] - eta * (m[k] / correction / (sUsed[o] * hUsed[i] + lambda) + (decoupled ? weightDecay * theta[k] : 0));
                    }
            }
            theta = next;
            optimizer.Step();
            Assert.True(GradientTests.RelativeError(model.Parameters, theta) < 1e-12, $"θ after step {step + 1}");
            for (int l = 0; l < layers.Count; l++)
            {
                Assert.True(GradientTests.RelativeError(optimizer.Diagonals(l).H.Span, h[l]) < 1e-13, $"H of layer {l}");
                Assert.True(GradientTests.RelativeError(optimizer.Diagonals(l).S.Span, s[l]) < 1e-13, $"S of layer {l}");
            }
        }
    }

    /// <summary>The code's running average: (1 − γ₀)·current + γ₁·(x − min)/(max − min + 1e-12).</summary>
    private static double[] Blend(double[] current, double[] x, double gamma0, double gamma1)
    {
        double[] normalized = Normalized(x);
        return current.Select((c, k) => (1 - gamma0) * c + gamma1 * normalized[k]).ToArray();
    }

    /// <summary>(x − min)/(max − min + 1e-12).</summary>
    private static double[] Normalized(double[] x)
    {
        double min = x.Min(), max = x.Max();
        return [.. x.Select(v => (v - min) / (max - min + 1e-12))];
    }

    [Fact]
    public void NonFiniteGradientThrowsAndChangesNothing()
    {
        var model = new TwoLayerNet(4, seed: 1);
        var optimizer = new AdaFisherOptimizer<double>(model);
        FishLegOptimizerTests.AssertRefusesNonFiniteGradient(model, _ => optimizer.Step(), () => optimizer.StepCount);
        Assert.All(optimizer.Diagonals(0).H.ToArray(), x => Assert.Equal(0, x));
    }

    public static TheoryData<string, AdaFisherOptions> BadOptions => new()
    {
        { "LearningRate", new AdaFisherOptions { LearningRate = -1 } },
        { "Beta", new AdaFisherOptions { Beta = 1 } },
        { "Damping", new AdaFisherOptions { Damping = 0 } },
        { "Gamma0", new AdaFisherOptions { Gamma0 = double.NaN } },
        { "Gamma1", new AdaFisherOptions { Gamma1 = 1.5 } },
        { "WeightDecay", new AdaFisherOptions { WeightDecay = -0.1 } },
        { "CurvatureUpdateEvery", new AdaFisherOptions { CurvatureUpdateEvery = 0 } },
        { "Averaging", new AdaFisherOptions { Averaging = (AdaFisherAveraging)7 } },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void EveryOptionIsValidatedWithItsName(string name, AdaFisherOptions options)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new AdaFisherOptimizer<double>(new TwoLayerNet(2, seed: 1), options));
        Assert.Equal(name, error.ParamName);
    }
}
