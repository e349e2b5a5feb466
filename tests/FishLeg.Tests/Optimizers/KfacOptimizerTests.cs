using System;
using System.Linq;
using FishLeg.Optimizers;
using FishLeg.Tests.Models;
using Xunit;

namespace FishLeg.Tests.Optimizers;

/// <summary>
/// K-FAC against an independent computation on the two-layer tanh net (Gaussian, σ = 1) in double precision: the
/// activations and per-example back-propagated errors by hand, the factors as explicit sums, the damped inverses by
/// Gaussian elimination, and the whole step.
/// </summary>
public class KfacOptimizerTests
{
    /// <summary>One layer's explicit quantities for a batch: A = Σ āāᵀ/K, G = Σ δδᵀ/K and ∇W = Σ δāᵀ/K.</summary>
    internal sealed record Layer(double[,] A, double[,] G, double[,] Gradient);

    /// <summary>Forward and backward by hand for targets <paramref name="targets"/>: per layer A, G and ∇W.</summary>
    internal static Layer[] ByHand(TwoLayerNet model, double[] inputs, double[] targets, int batch)
    {
        var layers = model.Description.Layers;
        double[] theta = model.Parameters.ToArray();
        double[,] W(int l) => Matrix(theta.Skip(layers[l].Offset).Take(layers[l].ParameterCount).ToArray(), layers[l].Outputs, layers[l].Columns);
        double[,] w0 = W(0), w1 = W(1);
        int n0 = layers[0].Inputs, h = layers[0].Outputs, n1 = layers[1].Outputs;
        var result = new[] { Empty(n0 + 1, h), Empty(h + 1, n1) };
        for (int k = 0; k < batch; k++)
        {
            double[] a0 = [.. inputs.Skip(k * n0).Take(n0), 1];
            double[] z1 = Times(w0, a0), a1h = z1.Select(Math.Tanh).ToArray();
            double[] a1 = [.. a1h, 1];
            double[] z2 = Times(w1, a1);
            double[] d2 = z2.Select((z, j) => z - targets[k * n1 + j]).ToArray();          // σ = 1
            double[] d1 = Enumerable.Range(0, h).Select(j => Enumerable.Range(0, n1).Sum(q => w1[q, j] * d2[q]) * (1 - a1h[j] * a1h[j])).ToArray();
            Accumulate(result[0], a0, d1, batch);
            Accumulate(result[1], a1, d2, batch);
        }
        return result;
    }

    private static Layer Empty(int columns, int outputs) => new(new double[columns, columns], new double[outputs, outputs], new double[outputs, columns]);

    private static void Accumulate(Layer layer, double[] a, double[] d, int batch)
    {
        for (int i = 0; i < a.Length; i++)
            for (int j = 0; j < a.Length; j++) layer.A[i, j] += a[i] * a[j] / batch;
        for (int i = 0; i < d.Length; i++)
        {
            for (int j = 0; j < d.Length; j++) layer.G[i, j] += d[i] * d[j] / batch;
            for (int j = 0; j < a.Length; j++) layer.Gradient[i, j] += d[i] * a[j] / batch;
        }
    }

    /// <summary>P = (G + (√γ/π)I)⁻¹ ∇W (A + π√γ I)⁻¹ with π = √((tr A/n_i)/(tr G/n_o)).</summary>
    internal static double[,] Preconditioned(double[,] a, double[,] g, double[,] gradient, double damping)
    {
        int ni = a.GetLength(0), no = g.GetLength(0);
        double pi = Math.Sqrt(Enumerable.Range(0, ni).Sum(k => a[k, k]) / ni / (Enumerable.Range(0, no).Sum(k => g[k, k]) / no));
        return Multiply(Multiply(Inverse(Damped(g, Math.Sqrt(damping) / pi)), gradient), Inverse(Damped(a, pi * Math.Sqrt(damping))));
    }

    public static TheoryData<KfacFisher, double> FirstSteps => new()
    {
        { KfacFisher.Empirical, 0 },      // no clipping
        { KfacFisher.Sampled, 0 },
        { KfacFisher.Sampled, 1e-7 },     // clipped: ν < 1
    };

    [Theory]
    [MemberData(nameof(FirstSteps))]
    public void FirstStepMatchesTheExplicitMatrices(KfacFisher fisher, double klClip)
    {
        const int Batch = 6;
        const double eta = 0.05, damping = 0.01, weightDecay = 0.01;
        var options = new KfacOptions { LearningRate = eta, Damping = damping, WeightDecay = weightDecay, KlClip = klClip, Fisher = fisher, Seed = 3 };
        var model = new TwoLayerNet(Batch, seed: 1);
        var (inputs, targets) = SmallNets.Batch(model.Description, Batch, seed: 2);
        double[] theta0 = model.Parameters.ToArray();
        model.LossAndGradient(inputs, targets);
        double[] g = model.Gradient.ToArray();

        // The hand-written backward pass reproduces the model's gradient (so the factors below use the right errors).
        Layer[] truth = ByHand(model, inputs, targets, Batch);
        Assert.True(GradientTests.RelativeError(g, Flatten(model, truth.Select(l => l.Gradient))) < 1e-13);
        var factorTargets = targets;
        if (fisher == KfacFisher.Sampled)
        {
            factorTargets = new double[targets.Length];
            var random = new SeededRandom(3);
            model.SampleTargets(inputs, ref random, factorTargets);
        }
        Layer[] factors = ByHand(model, inputs, factorTargets, Batch);

        double[][] p = Enumerable.Range(0, 2).Select(l =>
            Flatten(Preconditioned(factors[l].A, factors[l].G, truth[l].Gradient, damping))).ToArray();
        double[] pFlat = Flatten(model, p.Select((x, l) => Matrix(x, model.Description.Layers[l].Outputs, model.Description.Layers[l].Columns)));
        double alignment = Math.Abs(pFlat.Zip(g, (x, y) => x * y).Sum() * eta * eta);
        double nu = klClip == 0 ? 1 : Math.Min(1, Math.Sqrt(klClip / alignment));
        if (klClip > 0) Assert.True(nu < 0.5, $"the test means to clip, but ν = {nu}");
        double[] expected = theta0.Select((x, i) => x - eta * (nu * pFlat[i] + weightDecay * x)).ToArray();

        var optimizer = new KfacOptimizer<double>(model, options);
        optimizer.Step(inputs);

        Assert.True(GradientTests.RelativeError(model.Parameters, expected) < 1e-12, "θ₁ differs from the explicit computation");
        Assert.Equal(nu, optimizer.LastClipScale, 12);
        for (int l = 0; l < 2; l++)
        {
            var (a, gFactor) = optimizer.Factors(l);
            Assert.True(GradientTests.RelativeError(a.Span, Flatten(factors[l].A)) < 1e-13, $"A of layer {l}");
            Assert.True(GradientTests.RelativeError(gFactor.Span, Flatten(factors[l].G)) < 1e-13, $"G of layer {l}");
        }
        Assert.Equal(1, optimizer.FactorUpdateCount);
    }

    /// <summary>
    /// Two steps with running factors (decay 0.8) and inverses every two steps: the second step preconditions with the
    /// inverses of the first step's factors, and the momentum carries the first step: m₂ = μm₁ + d₂.
    /// </summary>
    [Fact]
    public void SecondStepUsesStaleInversesAndMomentum()
    {
        const int Batch = 5;
        const double eta = 0.1, damping = 0.05, mu = 0.9, decay = 0.8;
        var options = new KfacOptions { LearningRate = eta, Damping = damping, FactorDecay = decay, InverseUpdateEvery = 2, KlClip = 0, Momentum = mu, Fisher = KfacFisher.Empirical };
        var model = new TwoLayerNet(Batch, seed: 4);
        var optimizer = new KfacOptimizer<double>(model, options);
        var layers = model.Description.Layers;
        double[] theta = model.Parameters.ToArray(), m = new double[theta.Length];
        Layer[]? first = null;
        for (int step = 0; step < 2; step++)
        {
            var (inputs, targets) = SmallNets.Batch(model.Description, Batch, seed: (ulong)(20 + step));
            model.LossAndGradient(inputs, targets);
            Layer[] now = ByHand(model, inputs, targets, Batch);
            first ??= now;
            double[] p = Flatten(model, Enumerable.Range(0, 2).Select(l => Preconditioned(first[l].A, first[l].G, now[l].Gradient, damping)));
            m = step == 0 ? p : m.Select((x, i) => mu * x + p[i]).ToArray();
            theta = theta.Select((x, i) => x - eta * m[i]).ToArray();
            optimizer.Step(inputs);
            Assert.True(GradientTests.RelativeError(model.Parameters, theta) < 1e-12, $"θ after step {step + 1}");
            if (step == 1)
                for (int l = 0; l < 2; l++)
                {
                    double[] expectedA = Flatten(first[l].A).Zip(Flatten(now[l].A), (x, y) => decay * x + (1 - decay) * y).ToArray();
                    Assert.True(GradientTests.RelativeError(optimizer.Factors(l).A.Span, expectedA) < 1e-13, $"running A of layer {l}");
                }
        }
    }

    /// <summary>
    /// Preconditioning from the gradient's factors (batch-1 model) equals the dense product (batch-8 model): on steps
    /// with a sampled factor pass (the factors kept before it), and on steps that read the model's own factors.
    /// </summary>
    [Theory]
    [InlineData(KfacFisher.Sampled, 1)]
    [InlineData(KfacFisher.Sampled, 2)]
    [InlineData(KfacFisher.Empirical, 1)]
    public void LowRankPreconditioningEqualsTheDenseOne(KfacFisher fisher, int factorEvery)
    {
        var options = new KfacOptions { Fisher = fisher, FactorUpdateEvery = factorEvery, Seed = 6, KlClip = 1e-4 };
        var lowRank = new TwoLayerNet(1, seed: 5);
        var dense = new TwoLayerNet(8, seed: 5);
        var lowRankOptimizer = new KfacOptimizer<double>(lowRank, options);
        var denseOptimizer = new KfacOptimizer<double>(dense, options);
        Assert.Equal(2, lowRankOptimizer.LowRankLayerCount);
        Assert.Equal(0, denseOptimizer.LowRankLayerCount);
        for (int step = 0; step < 3; step++)
        {
            var (inputs, targets) = SmallNets.Batch(lowRank.Description, 1, seed: (ulong)(30 + step));
            lowRank.LossAndGradient(inputs, targets);
            dense.LossAndGradient(inputs, targets);
            lowRankOptimizer.Step(inputs);
            denseOptimizer.Step(inputs);
        }
        Assert.True(GradientTests.RelativeError(lowRank.Parameters, dense.Parameters.ToArray()) < 1e-12);
    }

    /// <summary>
    /// (G ⊗ A + γI)⁻¹·vec(∇W), formed explicitly: the (n_o·n_i)² matrix with entries G[r, r′]·A[c, c′] (row-major vec, as
    /// ∇W = Σ δāᵀ/K orders them), inverted by Gauss–Jordan elimination.
    /// </summary>
    private static double[,] ExactlyDamped(double[,] a, double[,] g, double[,] gradient, double damping)
    {
        int ni = a.GetLength(0), no = g.GetLength(0), n = ni * no;
        var kronecker = new double[n, n];
        for (int r = 0; r < no; r++)
            for (int c = 0; c < ni; c++)
                for (int r2 = 0; r2 < no; r2++)
                    for (int c2 = 0; c2 < ni; c2++) kronecker[r * ni + c, r2 * ni + c2] = g[r, r2] * a[c, c2] + (r == r2 && c == c2 ? damping : 0);
        double[,] inverse = Inverse(kronecker);
        double[] flat = Flatten(gradient);
        return Matrix([.. Enumerable.Range(0, n).Select(i => Enumerable.Range(0, n).Sum(j => inverse[i, j] * flat[j]))], no, ni);
    }

    /// <summary>
    /// The eigen option inverts A ⊗ G + γI exactly: two steps (batch 6, dense path; batch 1, low-rank path) against the
    /// explicit Kronecker matrix, the second with the first step's decomposition (inverses every 10 steps) and, with
    /// adaptive damping, the γ the first step adapted to (taken from the optimizer: the adaptation has its own test).
    /// </summary>
    [Theory]
    [InlineData(6, false)]
    [InlineData(1, false)]
    [InlineData(6, true)]
    public void EigenStepsInvertTheDampedKroneckerProductExactly(int batch, bool adaptive)
    {
        const double eta = 0.05, damping = 0.02;
        var options = new KfacOptions
        {
            LearningRate = eta, Damping = damping, Inverse = KfacInverse.Eigen, Fisher = KfacFisher.Empirical, KlClip = 0, Momentum = 0,
            InverseUpdateEvery = 10, FactorDecay = 0.5, AdaptiveDamping = adaptive, DampingAdaptationEvery = 1,
        };
        var model = new TwoLayerNet(batch, seed: 11);
        var optimizer = new KfacOptimizer<double>(model, options);
        Assert.Equal(batch == 1 ? 2 : 0, optimizer.LowRankLayerCount);
        double[] theta = model.Parameters.ToArray();
        Layer[]? first = null;
        for (int step = 0; step < 2; step++)
        {
            var (inputs, targets) = SmallNets.Batch(model.Description, batch, seed: (ulong)(40 + step));
            model.LossAndGradient(inputs, targets);
            Layer[] now = ByHand(model, inputs, targets, batch);
            first ??= now;
            double gamma = optimizer.Damping;
            if (step == 1 && adaptive) Assert.NotEqual(damping, gamma);
            double[] p = Flatten(model, Enumerable.Range(0, 2).Select(l => ExactlyDamped(first[l].A, first[l].G, now[l].Gradient, gamma)));
            theta = theta.Select((x, i) => x - eta * p[i]).ToArray();
            optimizer.Step(inputs, targets);
            Assert.True(GradientTests.RelativeError(model.Parameters, theta) < 1e-11, $"θ after step {step + 1}");
        }
        Assert.Equal(0, optimizer.FailedInverseCount);
    }

    /// <summary>
    /// The Levenberg–Marquardt rule against its definition, at learning rates from tiny to far too large: ρ is the
    /// observed change of the loss over gᵀδ + ½δᵀFδ + ½γ‖δ‖², δ the parameters' change and F·δ the model's exact Fisher
    /// product (checked against explicit Jacobians elsewhere); γ shrinks by ω⁵ when ρ &gt; 3/4, grows by it when ρ &lt; 1/4
    /// or when the model predicts no decrease (η too large), and stays otherwise. The grid must reach all four cases.
    /// </summary>
    [Fact]
    public void AdaptiveDampingFollowsTheReductionRatio()
    {
        const int Batch = 5;
        const double damping = 0.1;
        var (inputs, targets) = SmallNets.Batch(new TwoLayerNet(Batch, seed: 1).Description, Batch, seed: 50);
        var branches = new System.Collections.Generic.HashSet<string>();
        foreach (double eta in new[] { 1e-3, 0.1, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 10, 30 })
        {
            var model = new TwoLayerNet(Batch, seed: 12);
            var optimizer = new KfacOptimizer<double>(model, new KfacOptions
            {
                LearningRate = eta, Damping = damping, AdaptiveDamping = true, KlClip = 0, Fisher = KfacFisher.Empirical,
            });
            double[] before = model.Parameters.ToArray();
            double lossBefore = model.LossAndGradient(inputs, targets);
            double[] g = model.Gradient.ToArray();
            optimizer.Step(inputs, targets);
            double[] delta = model.Parameters.ToArray().Zip(before, (x, y) => x - y).ToArray();
            double lossAfter = model.Loss(inputs, targets);
            before.CopyTo(model.Parameters);
            var fisherDelta = new double[delta.Length];
            model.FisherVectorProduct(inputs, delta, fisherDelta);
            double predicted = g.Zip(delta, (x, y) => x * y).Sum() + 0.5 * delta.Zip(fisherDelta, (x, y) => x * y).Sum()
                + 0.5 * damping * delta.Sum(x => x * x);
            double omega = Math.Pow(0.95, 5);
            if (predicted >= 0)
            {
                branches.Add("no decrease predicted");
                Assert.True(double.IsNaN(optimizer.LastReductionRatio));
                Assert.Equal(damping / omega, optimizer.Damping, 1e-15);
                continue;
            }
            double rho = (lossAfter - lossBefore) / predicted;
            Assert.Equal(rho, optimizer.LastReductionRatio, 1e-9 * Math.Max(1, Math.Abs(rho)));
            (string branch, double expected) = rho > 0.75 ? ("shrink", damping * omega) : rho < 0.25 ? ("grow", damping / omega) : ("stay", damping);
            branches.Add(branch);
            Assert.Equal(expected, optimizer.Damping, 1e-15);
        }
        Assert.Equal(4, branches.Count);
    }

    /// <summary>
    /// With the Cholesky inverse an adapted γ takes effect at the next inverse update: the second step (inverses every
    /// step, factors from that batch alone) matches the factored-Tikhonov computation at the adapted γ, not the first.
    /// </summary>
    [Fact]
    public void AdaptedDampingReachesTheNextCholeskyInverse()
    {
        const int Batch = 4;
        const double eta = 0.2, damping = 0.05;
        var model = new TwoLayerNet(Batch, seed: 13);
        var optimizer = new KfacOptimizer<double>(model, new KfacOptions
        {
            LearningRate = eta, Damping = damping, AdaptiveDamping = true, DampingAdaptationEvery = 1, InverseUpdateEvery = 1,
            FactorDecay = 0, KlClip = 0, Momentum = 0, Fisher = KfacFisher.Empirical,
        });
        for (int step = 0; step < 2; step++)
        {
            var (inputs, targets) = SmallNets.Batch(model.Description, Batch, seed: (ulong)(60 + step));
            model.LossAndGradient(inputs, targets);
            Layer[] now = ByHand(model, inputs, targets, Batch);
            double gamma = optimizer.Damping;
            if (step == 1) Assert.NotEqual(damping, gamma);
            double[] expected = Flatten(model, Enumerable.Range(0, 2).Select(l => Preconditioned(now[l].A, now[l].G, now[l].Gradient, gamma)))
                .Select((p, i) => model.Parameters[i] - eta * p).ToArray();
            optimizer.Step(inputs, targets);
            Assert.True(GradientTests.RelativeError(model.Parameters, expected) < 1e-12, $"θ after step {step + 1}");
        }
    }

    /// <summary>Adaptive damping needs the targets: without them, or with targets of the wrong shape, nothing moves.</summary>
    [Fact]
    public void AdaptiveDampingWithoutValidTargetsChangesNothing()
    {
        var model = new TwoLayerNet(4, seed: 1);
        var (inputs, targets) = SmallNets.Batch(model.Description, 4, seed: 2);
        var optimizer = new KfacOptimizer<double>(model, new KfacOptions { AdaptiveDamping = true });
        model.LossAndGradient(inputs, targets);
        double[] theta = model.Parameters.ToArray();
        var missing = Assert.Throws<InvalidOperationException>(() => optimizer.Step(inputs));
        Assert.Contains("Step(inputs, targets)", missing.Message);
        Assert.Throws<ArgumentException>(() => optimizer.Step(inputs, targets.AsSpan(0, targets.Length - 1)));
        Assert.Equal(theta, model.Parameters.ToArray());
        Assert.Equal(0, optimizer.StepCount);
        Assert.Equal(0, optimizer.FactorUpdateCount);
    }

    [Fact]
    public void NonFiniteGradientThrowsAndChangesNothing()
    {
        var model = new TwoLayerNet(4, seed: 1);
        var optimizer = new KfacOptimizer<double>(model);
        FishLegOptimizerTests.AssertRefusesNonFiniteGradient(model, inputs => optimizer.Step(inputs), () => optimizer.StepCount);
        Assert.Equal(0, optimizer.FactorUpdateCount);
        Assert.All(optimizer.Factors(0).A.ToArray(), x => Assert.Equal(0, x));
    }

    [Fact]
    public void InputsOfAnotherBatchSizeAreRefused()
    {
        var model = new TwoLayerNet(4, seed: 1);
        var (inputs, targets) = SmallNets.Batch(model.Description, 4, seed: 2);
        model.LossAndGradient(inputs, targets);
        var error = Assert.Throws<ArgumentException>(() => new KfacOptimizer<double>(model).Step(inputs.AsSpan(0, 3 * model.Description.Inputs)));
        Assert.Contains("holds 3 examples but the gradient came from 4", error.Message);
    }

    public static TheoryData<string, KfacOptions> BadOptions => new()
    {
        { "LearningRate", new KfacOptions { LearningRate = 0 } },
        { "Damping", new KfacOptions { Damping = 0 } },
        { "Damping", new KfacOptions { Damping = double.NaN } },
        { "FactorDecay", new KfacOptions { FactorDecay = 1 } },
        { "Momentum", new KfacOptions { Momentum = -0.1 } },
        { "WeightDecay", new KfacOptions { WeightDecay = double.PositiveInfinity } },
        { "KlClip", new KfacOptions { KlClip = -1 } },
        { "FactorUpdateEvery", new KfacOptions { FactorUpdateEvery = 0 } },
        { "InverseUpdateEvery", new KfacOptions { InverseUpdateEvery = -3 } },
        { "Fisher", new KfacOptions { Fisher = (KfacFisher)5 } },
        { "Inverse", new KfacOptions { Inverse = (KfacInverse)2 } },
        { "DampingAdaptationEvery", new KfacOptions { DampingAdaptationEvery = 0 } },
        { "DampingAdaptationDecay", new KfacOptions { DampingAdaptationDecay = 1 } },
        { "MinimumDamping", new KfacOptions { MinimumDamping = 0 } },
        { "MaximumDamping", new KfacOptions { MinimumDamping = 1, MaximumDamping = 0.5 } },
        { "Damping", new KfacOptions { AdaptiveDamping = true, Damping = 1e-9 } },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void EveryOptionIsValidatedWithItsName(string name, KfacOptions options)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new KfacOptimizer<double>(new TwoLayerNet(2, seed: 1), options));
        Assert.Equal(name, error.ParamName);
    }

    private static double[,] Matrix(double[] values, int rows, int columns)
    {
        var m = new double[rows, columns];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++) m[i, j] = values[i * columns + j];
        return m;
    }

    private static double[] Flatten(double[,] m) => m.Cast<double>().ToArray();

    private static double[] Flatten(TwoLayerNet model, System.Collections.Generic.IEnumerable<double[,]> blocks) =>
        blocks.SelectMany(Flatten).ToArray();

    private static double[] Times(double[,] w, double[] x) =>
        Enumerable.Range(0, w.GetLength(0)).Select(i => Enumerable.Range(0, x.Length).Sum(j => w[i, j] * x[j])).ToArray();

    private static double[,] Multiply(double[,] a, double[,] b)
    {
        int n = a.GetLength(0), k = a.GetLength(1), m = b.GetLength(1);
        var c = new double[n, m];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++)
                for (int t = 0; t < k; t++) c[i, j] += a[i, t] * b[t, j];
        return c;
    }

    private static double[,] Damped(double[,] m, double add)
    {
        var d = (double[,])m.Clone();
        for (int i = 0; i < d.GetLength(0); i++) d[i, i] += add;
        return d;
    }

    /// <summary>The inverse by Gauss–Jordan elimination with partial pivoting.</summary>
    internal static double[,] Inverse(double[,] a)
    {
        int n = a.GetLength(0);
        var m = (double[,])a.Clone();
        var x = new double[n, n];
        for (int i = 0; i < n; i++) x[i, i] = 1;
        for (int c = 0; c < n; c++)
        {
            int pivot = Enumerable.Range(c, n - c).MaxBy(r => Math.Abs(m[r, c]));
            for (int j = 0; j < n; j++) { (m[c, j], m[pivot, j]) = (m[pivot, j], m[c, j]); (x[c, j], x[pivot, j]) = (x[pivot, j], x[c, j]); }
            double diagonal = m[c, c];
            for (int j = 0; j < n; j++) { m[c, j] /= diagonal; x[c, j] /= diagonal; }
            for (int r = 0; r < n; r++)
            {
                if (r == c) continue;
                double f = m[r, c];
                for (int j = 0; j < n; j++) { m[r, j] -= f * m[c, j]; x[r, j] -= f * x[c, j]; }
            }
        }
        return x;
    }
}
