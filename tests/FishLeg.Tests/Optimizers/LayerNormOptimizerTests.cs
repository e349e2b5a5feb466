using System;
using System.Collections.Generic;
using System.Linq;
using FishLeg.Optimizers;
using FishLeg.Tests.Models;
using Xunit;

namespace FishLeg.Tests.Optimizers;

/// <summary>
/// The curvature optimizers on layer normalizations (docs/math.md §10): each unit j is a one-input unit with a shift,
/// x̂ⱼ its input, so K-FAC has a 2×2 A_j = mean [x̂ⱼ, 1]ᵀ[x̂ⱼ, 1] and a scalar G_j per unit, AdaFisher the diagonals of
/// those, and FishLeg a diagonal Q block whatever the model's form. Checked against explicit matrices on
/// TwoLayerNormCategoricalNet (two layer normalizations, random scales and shifts) in double precision.
/// </summary>
public class LayerNormOptimizerTests
{
    private const int Batch = 5;
    private const string Net = nameof(TwoLayerNormCategoricalNet);

    /// <summary>Every layer's K-FAC factors from the model's gradient factors: dense A (n_i × n_i) and G, or a layer normalization's per unit.</summary>
    private static List<(double[,] A, double[,] G, int Row, int Unit)> Blocks(IFishLegModel<double> model)
    {
        var blocks = new List<(double[,], double[,], int, int)>();
        var layers = model.Description.Layers;
        for (int l = 0; l < layers.Count; l++)
        {
            LayerDescription layer = layers[l];
            model.GradientFactors(l, out ReadOnlySpan<double> delta, out ReadOnlySpan<double> inputSpan);
            double[] input = inputSpan.ToArray();
            int o = layer.Outputs;
            if (layer.Kind == LayerKind.LayerNorm)
            {
                for (int j = 0; j < o; j++)
                {
                    var (a, g) = (new double[2, 2], new double[1, 1]);
                    for (int k = 0; k < Batch; k++)
                    {
                        double[] bar = [input[k * o + j], 1];
                        for (int c = 0; c < 2; c++)
                            for (int c2 = 0; c2 < 2; c2++) a[c, c2] += bar[c] * bar[c2] / Batch;
                        g[0, 0] += Batch * delta[k * o + j] * delta[k * o + j];
                    }
                    blocks.Add((a, g, layer.Offset + 2 * j, 1));
                }
                continue;
            }
            int i = layer.Columns;
            var (aDense, gDense) = (new double[i, i], new double[o, o]);
            for (int k = 0; k < Batch; k++)
            {
                double Bar(int c) => c < layer.Inputs ? input[k * layer.Inputs + c] : 1;
                for (int c = 0; c < i; c++)
                    for (int c2 = 0; c2 < i; c2++) aDense[c, c2] += Bar(c) * Bar(c2) / Batch;
                for (int u = 0; u < o; u++)
                    for (int u2 = 0; u2 < o; u2++) gDense[u, u2] += Batch * delta[k * o + u] * delta[k * o + u2];
            }
            blocks.Add((aDense, gDense, layer.Offset, o));
        }
        return blocks;
    }

    [Theory]
    [InlineData(KfacInverse.Cholesky)]
    [InlineData(KfacInverse.Eigen)]
    public void KfacStepsEachUnitWithItsOwnTwoByTwoBlock(KfacInverse inverse)
    {
        const double eta = 0.05, damping = 0.03, weightDecay = 0.01;
        IFishLegModel<double> model = SmallNets.Create(Net, Batch, seed: 3);
        var (inputs, targets) = SmallNets.Batch(model.Description, Batch, seed: 4);
        double[] theta0 = model.Parameters.ToArray();
        model.LossAndGradient(inputs, targets);
        double[] g = model.Gradient.ToArray();
        double[] expected = theta0.Select(x => x - eta * weightDecay * x).ToArray();
        var blocks = Blocks(model);
        foreach (var (a, gFactor, offset, rows) in blocks)
        {
            int i = a.GetLength(0);
            var gradient = new double[rows, i];
            for (int u = 0; u < rows; u++)
                for (int c = 0; c < i; c++) gradient[u, c] = g[offset + u * i + c];
            double[,] p = inverse == KfacInverse.Cholesky
                ? KfacOptimizerTests.Preconditioned(a, gFactor, gradient, damping)
                : KroneckerSolve(a, gFactor, gradient, damping);
            for (int u = 0; u < rows; u++)
                for (int c = 0; c < i; c++) expected[offset + u * i + c] -= eta * p[u, c];
        }

        var optimizer = new KfacOptimizer<double>(model, new KfacOptions
        {
            LearningRate = eta, Damping = damping, WeightDecay = weightDecay, KlClip = 0, Fisher = KfacFisher.Empirical, Inverse = inverse,
        });
        optimizer.Step(inputs);
        Assert.True(GradientTests.RelativeError(model.Parameters, expected) < 1e-12, "θ₁ differs from the explicit computation");
        Assert.Equal(0, optimizer.FailedInverseCount);

        // A layer normalization's running factors: each unit's [mean x̂², mean x̂], then its G.
        var units = blocks.Where(block => block.A.GetLength(0) == 2).ToList(); // the first layer normalization's units first
        var (aRun, gRun) = optimizer.Factors(1);
        int n = model.Description.Layers[1].Outputs;
        Assert.Equal(units.Take(n).SelectMany(u => new[] { u.A[0, 0], u.A[0, 1] }), aRun.ToArray(), (x, y) => Math.Abs(x - y) < 1e-14);
        Assert.Equal(units.Take(n).Select(u => u.G[0, 0]), gRun.ToArray(), (x, y) => Math.Abs(x - y) < 1e-13 * Math.Max(1, Math.Abs(x)));
    }

    /// <summary>(G ⊗ A + γI)⁻¹ applied to the row-major o × i gradient, by an explicit (o·i)² matrix.</summary>
    private static double[,] KroneckerSolve(double[,] a, double[,] g, double[,] gradient, double damping)
    {
        int o = g.GetLength(0), i = a.GetLength(0);
        var m = new double[o * i, o * i];
        for (int u = 0; u < o; u++)
            for (int c = 0; c < i; c++)
                for (int u2 = 0; u2 < o; u2++)
                    for (int c2 = 0; c2 < i; c2++) m[u * i + c, u2 * i + c2] = g[u, u2] * a[c, c2] + (u == u2 && c == c2 ? damping : 0);
        double[,] inverse = KfacOptimizerTests.Inverse(m);
        var p = new double[o, i];
        for (int r = 0; r < o * i; r++)
            for (int s = 0; s < o * i; s++) p[r / i, r % i] += inverse[r, s] * gradient[s / i, s % i];
        return p;
    }

    /// <summary>
    /// AdaFisher's diagonals of a layer normalization, H = [mean x̂ⱼ² per unit, 1] and S = Σ eⱼ²/K, and its first step
    /// on unit j's pair: θ ← θ − (η/(1 − β))·(1 − β)g / (S′ⱼ·[H′ⱼ, H′_shift] + λ) with the paper's min-max normalization.
    /// </summary>
    [Fact]
    public void AdaFisherTreatsEachUnitAsAOneInputUnitWithAShift()
    {
        IFishLegModel<double> model = SmallNets.Create(Net, Batch, seed: 5);
        var (inputs, targets) = SmallNets.Batch(model.Description, Batch, seed: 6);
        double[] theta0 = model.Parameters.ToArray();
        model.LossAndGradient(inputs, targets);
        double[] g = model.Gradient.ToArray();
        LayerDescription layer = model.Description.Layers[1];
        Assert.Equal(LayerKind.LayerNorm, layer.Kind);
        int n = layer.Outputs;
        model.GradientFactors(1, out ReadOnlySpan<double> delta, out ReadOnlySpan<double> input);
        var (h, s) = (new double[n + 1], new double[n]);
        h[n] = 1;
        for (int k = 0; k < Batch; k++)
            for (int j = 0; j < n; j++)
            {
                h[j] += input[k * n + j] * input[k * n + j] / Batch;
                s[j] += delta[k * n + j] * delta[k * n + j] / Batch;
            }

        var options = new AdaFisherOptions { Averaging = AdaFisherAveraging.Paper, LearningRate = 0.01, Damping = 0.002 };
        var optimizer = new AdaFisherOptimizer<double>(model, options);
        optimizer.Step();
        Assert.True(GradientTests.RelativeError(optimizer.Diagonals(1).H.Span, h) < 1e-13, "H");
        Assert.True(GradientTests.RelativeError(optimizer.Diagonals(1).S.Span, s) < 1e-13, "S");

        double[] MinMax(double[] x) => [.. x.Select(v => (v - x.Min()) / (x.Max() - x.Min() + 1e-12))];
        double[] hNormalized = MinMax(h), sNormalized = MinMax(s);
        for (int j = 0; j < n; j++)
            for (int c = 0; c < 2; c++)
            {
                int at = layer.Offset + 2 * j + c;
                double fisher = sNormalized[j] * hNormalized[c == 0 ? j : n] + options.Damping;
                double step = options.LearningRate / (1 - options.Beta) * (1 - options.Beta) * g[at] / fisher;
                Assert.Equal(theta0[at] - step, model.Parameters[at], 1e-12);
            }
    }

    /// <summary>With every block diagonal, FishLeg's first step by hand: D₀ = √c, v = D²u, one Adam step on D along 2D⊙u⊙ξ, Δ = D₁²⊙m.</summary>
    [Fact]
    public void FishLegsFirstStepWithADiagonalQMatchesTheFormulas()
    {
        const double eta = 0.1, c = 0.5, damping = 0.2, alpha = 0.01;
        IFishLegModel<double> model = SmallNets.Create(Net, 8, seed: 7);
        var (inputs, targets) = SmallNets.Batch(model.Description, Batch, seed: 8);
        var (auxiliary, _) = SmallNets.Batch(model.Description, 7, seed: 9);
        double[] theta0 = model.Parameters.ToArray();
        model.LossAndGradient(inputs, targets);
        double[] m = model.Gradient.ToArray().Select(x => 0.1 * x).ToArray();
        double norm = Math.Sqrt(m.Sum(x => x * x));
        double[] u = m.Select(x => x / norm).ToArray();
        double[] d = u.Select(_ => Math.Sqrt(c)).ToArray();
        double[] v = u.Select((x, i) => d[i] * d[i] * x).ToArray();
        var fv = new double[v.Length];
        model.FisherVectorProduct(auxiliary, v, fv);
        double[] lambdaGradient = u.Select((x, i) => 2 * d[i] * x * (fv[i] + damping * v[i] - x)).ToArray();
        double[] d1 = d.Select((x, i) => x - alpha * lambdaGradient[i] / (Math.Abs(lambdaGradient[i]) + 1e-8)).ToArray();
        double[] expected = theta0.Select((x, i) => x - eta * d1[i] * d1[i] * m[i]).ToArray();

        var optimizer = new FishLegOptimizer<double>(model, FishLegOptions.PaperTable1 with
        {
            LearningRate = eta, InitialSgdLearningRate = eta * c, Damping = damping, AuxiliaryLearningRate = alpha, Momentum = 0.9,
            WeightDecay = 0, UpdateAuxEvery = 1, QForm = QForm.Diagonal,
        });
        optimizer.Step(auxiliary);
        Assert.True(GradientTests.RelativeError(model.Parameters, expected) < 1e-12, "θ₁ differs from the hand computation");
    }

    [Fact]
    public void FishLegKeepsALayerNormalizationDiagonalWhateverTheForm()
    {
        var model = SmallNets.Create(Net, 4, seed: 1);
        var optimizer = new FishLegOptimizer<double>(model, new FishLegOptions { QForm = QForm.KroneckerFull });
        Assert.Equal("KroneckerFull,Diagonal,KroneckerFull,Diagonal,KroneckerFull", optimizer.StateScalars["fishleg.q_forms"]);
        var layers = model.Description.Layers;
        int expected = layers.Sum(layer => layer.Kind == LayerKind.LayerNorm
            ? layer.ParameterCount : layer.Outputs * layer.Outputs + layer.Columns * layer.Columns);
        Assert.Equal(expected, optimizer.AuxiliaryParameters.Length);
    }
}
