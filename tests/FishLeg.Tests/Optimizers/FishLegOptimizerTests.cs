using System;
using System.Linq;
using FishLeg.Optimizers;
using FishLeg.Tests.Models;
using Xunit;

namespace FishLeg.Tests.Optimizers;

public class FishLegOptimizerTests
{
    /// <summary>
    /// The first FishLeg step (k = 0, so with an auxiliary update) on a two-layer net, redone by hand from the math
    /// note's formulas with explicit matrices: momentum, u = m/‖m‖, then <paramref name="auxiliarySteps"/> Adam steps on
    /// λ, each with v = L Lᵀ U R Rᵀ, Ξ = F v + γv − u, ∂L = tril((ΞMᵀ + MΞᵀ)L), ∂R = tril((NᵀΞ + ΞᵀN)R) and α ramped
    /// as α·min(1, j/<paramref name="ramp"/>) at the j-th, then θ ← θ − η·Q(λ)·m.
    /// </summary>
    [Theory]
    [InlineData(1, 0, AuxiliaryScaling.PerEntry)]
    [InlineData(3, 0, AuxiliaryScaling.PerEntry)]
    [InlineData(3, 2, AuxiliaryScaling.PerEntry)]
    [InlineData(2, 5, AuxiliaryScaling.PerEntry)]
    [InlineData(1, 0, AuxiliaryScaling.PerMatrix)]
    [InlineData(3, 2, AuxiliaryScaling.PerMatrix)]
    public void FirstStepMatchesTheFormulasComputedByHand(int auxiliarySteps, int ramp, AuxiliaryScaling scaling)
    {
        const double alpha = 0.01, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
        var options = FishLegOptions.PaperTable1 with // momentum on g, coupled weight decay
        {
            LearningRate = 0.1, InitialSgdLearningRate = 0.05, Damping = 0.2, AuxiliaryLearningRate = alpha,
            Momentum = 0.9, WeightDecay = 0.01, UpdateAuxEvery = 1, AuxiliaryStepsPerUpdate = auxiliarySteps, AuxiliaryRampSteps = ramp,
            AuxiliaryScaling = scaling,
        };
        var model = new TwoLayerNet(8, seed: 1);
        var (inputs, targets) = SmallNets.Batch(model.Description, 5, seed: 2);
        var (auxiliary, _) = SmallNets.Batch(model.Description, 7, seed: 3);
        double[] theta0 = model.Parameters.ToArray();

        model.LossAndGradient(inputs, targets);
        double[] g = model.Gradient.ToArray().Select((x, i) => x + 0.01 * theta0[i]).ToArray(); // coupled weight decay
        double[] m = g.Select(x => 0.1 * x).ToArray();
        double norm = Math.Sqrt(m.Sum(x => x * x));
        double[] u = m.Select(x => x / norm).ToArray();
        double c = 0.05 / 0.1, quarter = Math.Pow(c, 0.25);

        // λ₀: L = R = c^¼ I, so v = c·u.
        var layers = model.Description.Layers;
        double[][] l = layers.Select(layer => Identity(layer.Outputs, quarter)).ToArray();
        double[][] r = layers.Select(layer => Identity(layer.Columns, quarter)).ToArray();
        Assert.Equal(u.Select(x => c * x), Apply(layers, l, r, u), (a, b) => Math.Abs(a - b) < 1e-15);

        // Adam's moments of every L and R, in λ's layout.
        double[][] ml = layers.Select(layer => new double[layer.Outputs * layer.Outputs]).ToArray(), vl = ml.Select(x => new double[x.Length]).ToArray();
        double[][] mr = layers.Select(layer => new double[layer.Columns * layer.Columns]).ToArray(), vr = mr.Select(x => new double[x.Length]).ToArray();
        double auxiliaryLoss = double.NaN;
        for (int t = 1; t <= auxiliarySteps; t++)
        {
            double[] v = Apply(layers, l, r, u);
            var fv = new double[v.Length];
            model.FisherVectorProduct(auxiliary, v, fv);
            double[] xi = fv.Select((x, i) => x + 0.2 * v[i] - u[i]).ToArray();
            auxiliaryLoss = Enumerable.Range(0, v.Length).Sum(i => v[i] * (0.5 * (fv[i] + 0.2 * v[i]) - u[i]));
            double rate = ramp == 0 ? alpha : alpha * Math.Min(1.0, (double)t / ramp);
            for (int k = 0; k < layers.Count; k++)
            {
                int o = layers[k].Outputs, n = layers[k].Columns;
                double[] uk = Block(u, layers[k]), xik = Block(xi, layers[k]);
                double[] mk = MatMul(MatMul(uk, o, n, r[k], n, false), o, n, r[k], n, true);  // U R Rᵀ
                double[] nk = MatMul(l[k], o, o, MatMul(l[k], o, o, uk, n, false, transposeA: true), n, false); // L Lᵀ U
                double[] sl = Add(MatMul(xik, o, n, mk, o, true), MatMul(mk, o, n, xik, o, true));
                double[] sr = Add(MatMul(nk, n, o, xik, n, false, transposeA: true), MatMul(xik, n, o, nk, n, false, transposeA: true));
                l[k] = AdamStep(l[k], Tril(MatMul(sl, o, o, l[k], o, false), o), ml[k], vl[k], t);
                r[k] = AdamStep(r[k], Tril(MatMul(sr, n, n, r[k], n, false), n), mr[k], vr[k], t);
            }

            // Per entry, second[i] is entry i's moment; per matrix, second[0] is the matrix's, from the mean square over
            // its n(n + 1)/2 free (lower-triangular) entries.
            double[] AdamStep(double[] x, double[] gradient, double[] first, double[] second, int step)
            {
                var next = new double[x.Length];
                int n = (int)Math.Sqrt(x.Length);
                if (scaling == AuxiliaryScaling.PerMatrix)
                    second[0] = beta2 * second[0] + (1 - beta2) * gradient.Sum(value => value * value) / (n * (n + 1) / 2);
                for (int i = 0; i < x.Length; i++)
                {
                    first[i] = beta1 * first[i] + (1 - beta1) * gradient[i];
                    if (scaling == AuxiliaryScaling.PerEntry) second[i] = beta2 * second[i] + (1 - beta2) * gradient[i] * gradient[i];
                    double mHat = first[i] / (1 - Math.Pow(beta1, step));
                    double vHat = second[scaling == AuxiliaryScaling.PerEntry ? i : 0] / (1 - Math.Pow(beta2, step));
                    next[i] = x[i] - rate * mHat / (Math.Sqrt(vHat) + epsilon);
                }
                return next;
            }
        }
        double[] delta = Apply(layers, l, r, m);
        double[] expected = theta0.Select((x, i) => x - 0.1 * delta[i]).ToArray();

        var optimizer = new FishLegOptimizer<double>(model, options);
        optimizer.Step(auxiliary);

        Assert.True(GradientTests.RelativeError(model.Parameters, expected) < 1e-12, "θ₁ differs from the hand computation");
        Assert.Equal(auxiliaryLoss, optimizer.AuxiliaryLoss, 12);
        Assert.Equal(1, optimizer.AuxiliaryUpdateCount);
    }

    /// <summary>
    /// A warm start: Q stays Q₀ and λ still during the first W steps; at step W, Q's diagonal becomes 1/(mean g² + γ)
    /// (checked on the diagonal form, D = √d, through that step's first Adam step, which moves every entry by exactly α
    /// when ε is negligible), and the auxiliary schedule counts from step W.
    /// </summary>
    [Fact]
    public void WarmStartSetsQFromTheMeanSquaredGradientAndThenStartsTheSchedule()
    {
        const int W = 3;
        const double gamma = 0.2, alpha = 1e-3;
        var model = new TwoLayerNet(8, seed: 1);
        var optimizer = new FishLegOptimizer<double>(model, new FishLegOptions
        {
            WarmStartSteps = W, QForm = QForm.Diagonal, AuxiliaryScaling = AuxiliaryScaling.PerEntry, AuxiliaryLearningRate = alpha,
            AuxiliaryEpsilon = 1e-30, Damping = gamma, UpdateAuxEvery = 2, EarlyAuxiliarySteps = 0, WeightDecay = 0,
        });
        double[] lambda0 = optimizer.AuxiliaryParameters.ToArray();
        var squares = new double[model.Parameters.Length];
        var counts = new long[6];
        for (int k = 0; k < counts.Length; k++)
        {
            var (x, y) = SmallNets.Batch(model.Description, 5, seed: (ulong)(10 + k));
            model.LossAndGradient(x, y);
            double[] g = model.Gradient.ToArray();
            if (k < W) for (int i = 0; i < g.Length; i++) squares[i] += g[i] * g[i];
            optimizer.Step(x);
            counts[k] = optimizer.AuxiliaryUpdateCount;
            double[] lambda = optimizer.AuxiliaryParameters.ToArray();
            if (k < W) Assert.Equal(lambda0, lambda);
            if (k == W)
                for (int i = 0; i < lambda.Length; i++)
                    Assert.True(Math.Abs(Math.Abs(lambda[i] - Math.Sqrt(1 / (squares[i] / W + gamma))) - alpha) < 1e-15, $"D[{i}] = {lambda[i]}");
        }
        Assert.Equal(new long[] { 0, 0, 0, 1, 1, 2 }, counts);
    }

    [Fact]
    public void EarlyStepsAllHaveAnAuxiliaryUpdate()
    {
        var model = new TwoLayerNet(8, seed: 1);
        var (inputs, targets) = SmallNets.Batch(model.Description, 5, seed: 2);
        var optimizer = new FishLegOptimizer<double>(model, new FishLegOptions { UpdateAuxEvery = 3, EarlyAuxiliarySteps = 4 });
        var counts = new long[8];
        for (int k = 0; k < counts.Length; k++)
        {
            model.LossAndGradient(inputs, targets);
            optimizer.Step(inputs);
            counts[k] = optimizer.AuxiliaryUpdateCount;
        }
        Assert.Equal(new long[] { 1, 2, 3, 4, 4, 4, 5, 5 }, counts);
    }

    [Fact]
    public void AuxiliaryUpdatesRunAtStepsZeroTAndTwoT()
    {
        var model = new TwoLayerNet(8, seed: 1);
        var (inputs, targets) = SmallNets.Batch(model.Description, 5, seed: 2);
        var optimizer = new FishLegOptimizer<double>(model, new FishLegOptions { UpdateAuxEvery = 3, EarlyAuxiliarySteps = 0 });
        var counts = new long[7];
        for (int k = 0; k < 7; k++)
        {
            model.LossAndGradient(inputs, targets);
            optimizer.Step(inputs);
            counts[k] = optimizer.AuxiliaryUpdateCount;
        }
        Assert.Equal(new long[] { 1, 1, 1, 2, 2, 2, 3 }, counts);
    }

    [Fact]
    public void NonFiniteGradientThrowsAndChangesNothing()
    {
        var model = new TwoLayerNet(8, seed: 1);
        var optimizer = new FishLegOptimizer<double>(model);
        AssertRefusesNonFiniteGradient(model, inputs => optimizer.Step(inputs), () => optimizer.StepCount);
    }

    /// <summary>A NaN input makes a NaN gradient: the step throws, naming it, and the parameters and step count stay.</summary>
    internal static void AssertRefusesNonFiniteGradient(TwoLayerNet model, Action<double[]> step, Func<long> stepCount)
    {
        var (inputs, targets) = SmallNets.Batch(model.Description, model.MaxBatchSize, seed: 2);
        inputs[1] = double.NaN;
        model.LossAndGradient(inputs, targets);
        double[] before = model.Parameters.ToArray();
        var error = Assert.Throws<InvalidOperationException>(() => step(inputs));
        Assert.Contains("gradient at step 0 holds NaN at index", error.Message);
        Assert.Equal(before, model.Parameters.ToArray());
        Assert.Equal(0, stepCount());
    }

    /// <summary>
    /// Each estimator feeds its own product into the auxiliary loss: A = ½vᵀCv + ½γvᵀv − uᵀv at step 0, with C·v recomputed
    /// here from the model's product for that estimator (and the same seeded label draw).
    /// </summary>
    [Theory]
    [InlineData(CurvatureEstimator.Fisher)]
    [InlineData(CurvatureEstimator.SampledLabelHessian)]
    [InlineData(CurvatureEstimator.MonteCarloFisher)]
    [InlineData(CurvatureEstimator.EmpiricalFisher)]
    public void AuxiliaryLossUsesTheChosenEstimator(CurvatureEstimator estimator)
    {
        var options = FishLegOptions.PaperTable1 with { Curvature = estimator, Seed = 5, Damping = 0.2, InitialSgdLearningRate = 0.05, LearningRate = 0.1 };
        var model = new TwoLayerNet(8, seed: 1);
        var (inputs, targets) = SmallNets.Batch(model.Description, 5, seed: 2);
        var (auxiliary, auxiliaryTargets) = SmallNets.Batch(model.Description, 7, seed: 3);
        model.LossAndGradient(inputs, targets);
        double[] m = model.Gradient.ToArray().Select((g, i) => 0.1 * (g + options.WeightDecay * model.Parameters[i])).ToArray();
        double norm = Math.Sqrt(m.Sum(x => x * x));
        double[] u = m.Select(x => x / norm).ToArray();
        double[] v = u.Select(x => 0.5 * x).ToArray(); // Q₀ = (η_SGDm/η)·I = 0.5·I

        var cv = new double[v.Length];
        var random = new SeededRandom(5);
        var sampled = new double[auxiliaryTargets.Length];
        switch (estimator)
        {
            case CurvatureEstimator.Fisher: model.FisherVectorProduct(auxiliary, v, cv); break;
            case CurvatureEstimator.SampledLabelHessian:
                model.SampleTargets(auxiliary, ref random, sampled);
                model.HessianVectorProduct(auxiliary, sampled, v, cv);
                break;
            case CurvatureEstimator.MonteCarloFisher:
                model.SampleTargets(auxiliary, ref random, sampled);
                model.OuterProductFisherVectorProduct(auxiliary, sampled, v, cv);
                break;
            default: model.OuterProductFisherVectorProduct(auxiliary, auxiliaryTargets, v, cv); break;
        }
        double expected = Enumerable.Range(0, v.Length).Sum(i => 0.5 * v[i] * cv[i] + 0.1 * v[i] * v[i] - u[i] * v[i]);

        model.LossAndGradient(inputs, targets);
        var optimizer = new FishLegOptimizer<double>(model, options);
        optimizer.Step(auxiliary, auxiliaryTargets);
        Assert.Equal(expected, optimizer.AuxiliaryLoss, 12);
    }

    [Fact]
    public void QFormsComeFromTheDeclarationUnlessTheOptionsOverrideThem()
    {
        // MixedBiasNet declares KroneckerSum for the model and Diagonal for its first layer (4×5, no bias).
        var model = new MixedBiasNet(4, seed: 1);
        int diagonal = 4 * 5, sum2 = 2 * (6 * 6 + 5 * 5), sum3 = 2 * (3 * 3 + 6 * 6);
        Assert.Equal(diagonal + sum2 + sum3, new FishLegOptimizer<double>(model).AuxiliaryParameters.Length);
        Assert.Equal(MixedBiasNet.ParameterCount,
            new FishLegOptimizer<double>(model, new FishLegOptions { QForm = QForm.Diagonal }).AuxiliaryParameters.Length);
    }

    [Theory]
    [InlineData(QForm.KroneckerTriangular)]
    [InlineData(QForm.KroneckerFull)]
    public void LowRankProductEqualsTheDenseProduct(QForm form)
    {
        // K = 2 examples: every layer's gradient Eᵀ·Ā has rank ≤ 2; layers with and without bias.
        IFishLegModel<double> model = new MixedBiasNet(2, seed: 1);
        var (inputs, targets) = SmallNets.Batch(model.Description, 2, seed: 2);
        model.LossAndGradient(inputs, targets);
        foreach (var (layer, l) in model.Description.Layers.Select((layer, l) => (layer, l)))
        {
            var q = new KroneckerQ<double>(layer.Outputs, layer.Columns, triangular: form == QForm.KroneckerTriangular);
            double[] lambda = SmallNets.Gaussian(q.LambdaCount, seed: (ulong)(10 + l));
            double[] g = model.Gradient.Slice(layer.Offset, layer.ParameterCount).ToArray();
            var dense = new double[g.Length];
            q.Apply(lambda, g, dense);
            model.GradientFactors(l, out ReadOnlySpan<double> e, out ReadOnlySpan<double> input);
            var lowRank = new double[g.Length];
            q.ApplyToFactors(lambda, new LayerFactors<double>(e, input, model.GradientBatchSize, layer.HasBias), new double[q.FactorProductsLength(2)], lowRank);
            Assert.True(GradientTests.RelativeError(lowRank, dense) < 1e-13, $"layer {l}: low-rank Q·G differs from dense Q·G");
        }
    }

    /// <summary>
    /// The low-rank Q·g and the factored auxiliary gradient (from the factors of g and of the Fisher product) give the
    /// dense run's parameters, for every estimator; the sampled-label Hessian has no rank-K′ factors and stays dense.
    /// At K = K′ = 2 the first two layers (4×6, 3×5) take the factored gradient and the 3×4 output layer, where it
    /// costs more, the dense one: both paths in one run.
    /// </summary>
    [Theory]
    [InlineData(CurvatureEstimator.Fisher, 2)]
    [InlineData(CurvatureEstimator.MonteCarloFisher, 2)]
    [InlineData(CurvatureEstimator.EmpiricalFisher, 2)]
    [InlineData(CurvatureEstimator.SampledLabelHessian, 0)]
    public void LowRankStepsMatchDenseSteps(CurvatureEstimator curvature, int factoredLayers)
    {
        double[] Train(bool lowRank, out int lowRankLayers, out int factored)
        {
            var model = new NarrowingTanhNet(2, seed: 1);
            var optimizer = new FishLegOptimizer<double>(model, new FishLegOptions
            {
                MomentumOn = MomentumTarget.PreconditionedGradient, WeightDecayMode = WeightDecayMode.Decoupled, WeightDecay = 1e-3,
                UpdateAuxEvery = 2, LowRankGradient = lowRank, LearningRate = 0.1, AuxiliaryLearningRate = 1e-2, Curvature = curvature,
            });
            for (int k = 0; k < 5; k++)
            {
                var (inputs, targets) = SmallNets.Batch(model.Description, 2, seed: (ulong)(20 + k));
                var (auxiliary, auxiliaryTargets) = SmallNets.Batch(model.Description, 2, seed: (ulong)(40 + k));
                model.LossAndGradient(inputs, targets);
                optimizer.Step(auxiliary, auxiliaryTargets);
            }
            lowRankLayers = optimizer.LowRankLayerCount;
            factored = optimizer.FactoredAuxiliaryLayerCount;
            return model.Parameters.ToArray();
        }
        double[] fast = Train(lowRank: true, out int used, out int factored), reference = Train(lowRank: false, out int unused, out int none);
        Assert.Equal((3, factoredLayers), (used, factored));
        Assert.Equal((0, 0), (unused, none));
        double error = GradientTests.RelativeError(fast, reference);
        Assert.True(error < 1e-12, $"low-rank and dense FishLeg runs differ by {error:E2}");
    }

    [Fact]
    public void NonFiniteAuxiliaryBatchSkipsTheUpdateAndKeepsQ()
    {
        var model = new TwoLayerNet(8, seed: 1);
        var (inputs, targets) = SmallNets.Batch(model.Description, 5, seed: 2);
        var optimizer = new FishLegOptimizer<double>(model, new FishLegOptions { UpdateAuxEvery = 1 });
        double[] lambda = optimizer.AuxiliaryParameters.ToArray();
        double[] poisoned = (double[])inputs.Clone();
        poisoned[3] = double.NaN;
        model.LossAndGradient(inputs, targets);
        optimizer.Step(poisoned);
        Assert.Equal(1, optimizer.SkippedAuxiliaryUpdateCount);
        Assert.Equal(0, optimizer.AuxiliaryUpdateCount);
        Assert.Equal(lambda, optimizer.AuxiliaryParameters.ToArray());
        Assert.All(model.Parameters.ToArray(), p => Assert.True(double.IsFinite(p)));
        model.LossAndGradient(inputs, targets);
        optimizer.Step(inputs);
        Assert.Equal(1, optimizer.AuxiliaryUpdateCount);
    }

    [Fact]
    public void EmpiricalFisherWithoutLabelsIsRejected()
    {
        var model = new TwoLayerNet(8, seed: 1);
        var (inputs, targets) = SmallNets.Batch(model.Description, 5, seed: 2);
        model.LossAndGradient(inputs, targets);
        var optimizer = new FishLegOptimizer<double>(model, new FishLegOptions { Curvature = CurvatureEstimator.EmpiricalFisher });
        var error = Assert.Throws<ArgumentException>(() => optimizer.Step(inputs));
        Assert.Contains("needs the auxiliary batch's labels", error.Message);
    }

    /// <summary>
    /// Two steps with momentum on Q·g, redone by hand with explicit Kronecker matrices from λ after each step:
    /// m₁ = (1 − β)Q₁g₁, θ₁ = θ₀ − ηm₁, m₂ = βm₁ + (1 − β)Q₂g₂, θ₂ = θ₁ − ηm₂. Both layers take the low-rank path.
    /// </summary>
    [Fact]
    public void TwoStepsWithMomentumOnThePreconditionedGradientMatchTheFormulas()
    {
        const double eta = 0.1, beta = 0.8;
        var options = new FishLegOptions
        {
            LearningRate = eta, InitialSgdLearningRate = 0.05, Damping = 0.2, AuxiliaryLearningRate = 0.01, Momentum = beta,
            WeightDecay = 0, UpdateAuxEvery = 1, MomentumOn = MomentumTarget.PreconditionedGradient,
        };
        var model = new TwoLayerNet(1, seed: 1); // at batch 1 the low-rank products are the cheaper ones
        var layers = model.Description.Layers;
        var (inputs, targets) = SmallNets.Batch(model.Description, 1, seed: 2);
        var (auxiliary, _) = SmallNets.Batch(model.Description, 1, seed: 3);
        var optimizer = new FishLegOptimizer<double>(model, options);
        Assert.Equal(2, optimizer.LowRankLayerCount);

        double[] theta = model.Parameters.ToArray(), m = new double[theta.Length];
        for (int step = 0; step < 2; step++)
        {
            model.LossAndGradient(inputs, targets);
            double[] g = model.Gradient.ToArray();
            optimizer.Step(auxiliary);
            double[] qg = Apply(layers, Factors(layers, optimizer.AuxiliaryParameters.ToArray(), left: true),
                Factors(layers, optimizer.AuxiliaryParameters.ToArray(), left: false), g);
            m = m.Select((x, i) => beta * x + (1 - beta) * qg[i]).ToArray();
            theta = theta.Select((x, i) => x - eta * m[i]).ToArray();
            Assert.True(GradientTests.RelativeError(model.Parameters, theta) < 1e-12, $"θ after step {step + 1} differs from the hand computation");
        }
    }

    /// <summary>
    /// The KL clip, two steps redone by hand as above: Δ = Q·g (momentum on Q·g) or Q·m (momentum on g), then
    /// ν = min(1, √(κ / |η²·⟨Δ, g⟩|)) scales Δ before the step. κ is small enough here that both steps are clipped.
    /// </summary>
    [Theory]
    [InlineData(MomentumTarget.PreconditionedGradient)]
    [InlineData(MomentumTarget.Gradient)]
    public void TheKlClipScalesTheStepAsTheFormulaSays(MomentumTarget momentumOn)
    {
        const double eta = 0.1, beta = 0.8, kappa = 1e-4;
        var options = new FishLegOptions
        {
            LearningRate = eta, InitialSgdLearningRate = 0.05, Damping = 0.2, AuxiliaryLearningRate = 0.01, Momentum = beta,
            WeightDecay = 0, UpdateAuxEvery = 1, MomentumOn = momentumOn, KlClip = kappa,
        };
        var model = new TwoLayerNet(1, seed: 1);
        var layers = model.Description.Layers;
        var (inputs, targets) = SmallNets.Batch(model.Description, 1, seed: 2);
        var (auxiliary, _) = SmallNets.Batch(model.Description, 1, seed: 3);
        var optimizer = new FishLegOptimizer<double>(model, options);

        double[] theta = model.Parameters.ToArray(), m = new double[theta.Length];
        for (int step = 0; step < 2; step++)
        {
            model.LossAndGradient(inputs, targets);
            double[] g = model.Gradient.ToArray();
            optimizer.Step(auxiliary);
            double[] lambda = optimizer.AuxiliaryParameters.ToArray();
            Func<double[], double[]> q = x => Apply(layers, Factors(layers, lambda, left: true), Factors(layers, lambda, left: false), x);
            if (momentumOn == MomentumTarget.Gradient) m = m.Select((x, i) => beta * x + (1 - beta) * g[i]).ToArray();
            double[] delta = q(momentumOn == MomentumTarget.Gradient ? m : g);
            double nu = Math.Min(1, Math.Sqrt(kappa / Math.Abs(eta * eta * delta.Select((x, i) => x * g[i]).Sum())));
            Assert.True(nu < 1, $"step {step + 1} was not clipped (ν = {nu}): the test would not see the clip");
            Assert.Equal(nu, optimizer.LastClipScale, 12);
            if (momentumOn == MomentumTarget.PreconditionedGradient) m = m.Select((x, i) => beta * x + (1 - beta) * nu * delta[i]).ToArray();
            double[] update = momentumOn == MomentumTarget.PreconditionedGradient ? m : delta.Select(x => nu * x).ToArray();
            theta = theta.Select((x, i) => x - eta * update[i]).ToArray();
            Assert.True(GradientTests.RelativeError(model.Parameters, theta) < 1e-12, $"θ after step {step + 1} differs from the hand computation");
        }
    }

    /// <summary>Each layer's L (left) or R factor, as the Kronecker blocks lay them out in λ: L then R, layer after layer.</summary>
    private static double[][] Factors(System.Collections.Generic.IReadOnlyList<LayerDescription> layers, double[] lambda, bool left)
    {
        var factors = new double[layers.Count][];
        int offset = 0;
        for (int k = 0; k < layers.Count; k++)
        {
            int o = layers[k].Outputs, n = layers[k].Columns;
            factors[k] = left ? lambda.Skip(offset).Take(o * o).ToArray() : lambda.Skip(offset + o * o).Take(n * n).ToArray();
            offset += o * o + n * n;
        }
        return factors;
    }

    public static TheoryData<string> RefusedSteps => new() { "over the maximum batch", "not whole rows", "empty", "empirical labels outside the support", "empirical labels of the wrong length" };

    /// <summary>
    /// A malformed auxiliary batch is refused on every step, due or not, before anything changes; a retry with a good
    /// batch then gives exactly the run that never saw the bad call (momentum counted once).
    /// </summary>
    [Theory]
    [MemberData(nameof(RefusedSteps))]
    public void ARefusedStepChangesNothing(string problem)
    {
        bool empirical = problem.StartsWith("empirical", StringComparison.Ordinal);
        var options = new FishLegOptions
        {
            UpdateAuxEvery = 2, AuxiliaryLearningRate = 0.01,
            Curvature = empirical ? CurvatureEstimator.EmpiricalFisher : CurvatureEstimator.Fisher,
        };
        var (inputs, targets) = SmallNets.Batch(new TwoLayerNet(1).Description, 5, seed: 2);
        double[] badInputs = problem switch
        {
            "over the maximum batch" => new double[9 * 4],
            "not whole rows" => new double[4 * 5 - 1],
            "empty" => [],
            _ => inputs,
        };
        double[] badTargets = problem switch
        {
            "empirical labels outside the support" => targets.Select(y => y * 1e300 * 1e300).ToArray(), // ±∞
            "empirical labels of the wrong length" => targets[..^1],
            _ => targets,
        };

        var reference = new TwoLayerNet(8, seed: 1);
        var referenceOptimizer = new FishLegOptimizer<double>(reference, options);
        var model = new TwoLayerNet(8, seed: 1);
        var optimizer = new FishLegOptimizer<double>(model, options);
        for (int step = 0; step < 4; step++)
        {
            reference.LossAndGradient(inputs, targets);
            referenceOptimizer.Step(inputs, targets);
            model.LossAndGradient(inputs, targets);
            double[] theta = model.Parameters.ToArray();
            var state = optimizer.StateTensors.Select(t => t.Value.ToArray()).ToArray();
            Assert.Throws<ArgumentException>(() => optimizer.Step(badInputs, badTargets));
            Assert.Equal(theta, model.Parameters.ToArray());
            Assert.Equal(state, optimizer.StateTensors.Select(t => t.Value.ToArray()).ToArray());
            Assert.Equal(step, optimizer.StepCount);
            optimizer.Step(inputs, targets);
            Assert.Equal(reference.Parameters.ToArray(), model.Parameters.ToArray());
        }
    }

    [Fact]
    public void ABatchOverTheMaximumIsNamed()
    {
        var model = new TwoLayerNet(8, seed: 1);
        var (inputs, targets) = SmallNets.Batch(model.Description, 5, seed: 2);
        model.LossAndGradient(inputs, targets);
        var error = Assert.Throws<ArgumentException>(() => new FishLegOptimizer<double>(model).Step(new double[9 * 4]));
        Assert.Contains("'auxiliaryInputs' holds 9 examples, more than the maximum batch size of 8", error.Message);
        var missing = Assert.Throws<InvalidOperationException>(() => new FishLegOptimizer<double>(new TwoLayerNet(8)).Step(inputs));
        Assert.Contains("call LossAndGradient before Step", missing.Message);
    }

    public static TheoryData<string, FishLegOptions> BadOptions => new()
    {
        { "Damping", new FishLegOptions { Damping = double.PositiveInfinity } },
        { "Damping", new FishLegOptions { Damping = double.NaN } },
        { "WeightDecay", new FishLegOptions { WeightDecay = double.PositiveInfinity } },
        { "LearningRate", new FishLegOptions { LearningRate = -0.1 } },
        { "Momentum", new FishLegOptions { Momentum = 5 } },
        { "AuxiliaryBeta1", new FishLegOptions { AuxiliaryBeta1 = double.NaN } },
        { "InitialSgdLearningRate", new FishLegOptions { InitialSgdLearningRate = double.PositiveInfinity } },
        // Representable as double but not as float: the optimizer works in float.
        { "LearningRate", new FishLegOptions { LearningRate = 1e-300 } },
        { "InitialSgdLearningRate", new FishLegOptions { LearningRate = 1e-30, InitialSgdLearningRate = 1e10 } }, // Q₀ = 1e40·I
        { "Damping", new FishLegOptions { Damping = 1e300 } },
        { "UpdateAuxEvery", new FishLegOptions { UpdateAuxEvery = 0 } },
        { "EarlyAuxiliarySteps", new FishLegOptions { EarlyAuxiliarySteps = -1 } },
        { "AuxiliaryStepsPerUpdate", new FishLegOptions { AuxiliaryStepsPerUpdate = 0 } },
        { "AuxiliaryRampSteps", new FishLegOptions { AuxiliaryRampSteps = -2 } },
        { "WarmStartSteps", new FishLegOptions { WarmStartSteps = -1 } },
        { "KlClip", new FishLegOptions { KlClip = -1e-3 } },
        { "KlClip", new FishLegOptions { KlClip = double.NaN } },
        { "WarmStartSteps", new FishLegOptions { WarmStartSteps = 2, Damping = 0 } },
        { "Curvature", new FishLegOptions { Curvature = (CurvatureEstimator)7 } },
        { "AuxiliaryScaling", new FishLegOptions { AuxiliaryScaling = (AuxiliaryScaling)2 } },
        { "QForm", new FishLegOptions { QForm = (QForm)(-1) } },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void EveryOptionIsValidatedWithItsName(string name, FishLegOptions options)
    {
        var model = new RegressionNet(4, seed: 1);
        float[] before = model.Parameters.ToArray();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new FishLegOptimizer<float>(model, options));
        Assert.Equal(name, error.ParamName);
        Assert.Contains(name, error.Message);
        Assert.Equal(before, model.Parameters.ToArray());
    }

    [Fact]
    public void ALayerTooWideForItsQBlockIsNamed()
    {
        var error = Assert.Throws<ArgumentException>(() => new FishLegOptimizer<float>(new WideNet(1)));
        Assert.Contains("Layer 0 (50000 outputs × 2 columns) is too wide for a KroneckerTriangular Q block: it needs 2,500,000,004 values", error.Message);
        Assert.Contains("Use QForm.Diagonal", error.Message);
        var diagonal = new FishLegOptimizer<float>(new WideNet(1), new FishLegOptions { QForm = QForm.Diagonal });
        Assert.Equal(100_000, diagonal.AuxiliaryParameters.Length);
    }

    [Theory]
    [MemberData(nameof(QBlockTests.Forms), MemberType = typeof(QBlockTests))]
    public void TheLambdaLengthBoundMatchesEveryBlock(QForm form)
    {
        foreach (var (rows, columns) in new[] { (1, 1), (3, 7), (20, 5) })
            Assert.Equal(QBlock<double>.LambdaLength(form, rows, columns), QBlock<double>.Create(form, rows, columns).LambdaCount);
    }

    private static double[] Apply(System.Collections.Generic.IReadOnlyList<LayerDescription> layers, double[][] l, double[][] r, double[] x)
    {
        var y = new double[x.Length];
        for (int k = 0; k < layers.Count; k++)
        {
            int o = layers[k].Outputs, n = layers[k].Columns;
            double[] xk = Block(x, layers[k]);
            double[] right = MatMul(MatMul(xk, o, n, r[k], n, false), o, n, r[k], n, true);
            double[] left = MatMul(l[k], o, o, MatMul(l[k], o, o, right, n, false, transposeA: true), n, false);
            left.CopyTo(y, layers[k].Offset);
        }
        return y;
    }

    private static double[] Block(double[] x, LayerDescription layer) => x.Skip(layer.Offset).Take(layer.ParameterCount).ToArray();

    private static double[] Identity(int n, double scale)
    {
        var m = new double[n * n];
        for (int i = 0; i < n; i++) m[i * n + i] = scale;
        return m;
    }

    /// <summary>op(A)·op(B), op(A) rows×inner and op(B) inner×columns; a transposed operand is stored the other way round.</summary>
    private static double[] MatMul(double[] a, int rows, int inner, double[] b, int columns, bool transposeB, bool transposeA = false)
    {
        var c = new double[rows * columns];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++)
                for (int p = 0; p < inner; p++)
                    c[i * columns + j] += (transposeA ? a[p * rows + i] : a[i * inner + p]) * (transposeB ? b[j * inner + p] : b[p * columns + j]);
        return c;
    }

    private static double[] Add(double[] x, double[] y) => x.Zip(y, (a, b) => a + b).ToArray();

    private static double[] Tril(double[] m, int n) => m.Select((x, i) => i % n > i / n ? 0 : x).ToArray();
}
