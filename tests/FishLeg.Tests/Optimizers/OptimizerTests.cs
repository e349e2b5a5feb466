using System;
using System.Linq;
using FishLeg.Optimizers;
using FishLeg.Tests.Models;
using Xunit;

namespace FishLeg.Tests.Optimizers;

/// <summary>
/// Two steps on θ₀ = (1, −2) with gradients g₁ = (0.5, 0.3), g₂ = (−0.2, 0.4), against values worked out by hand from
/// the torch.optim formulas (the arithmetic is in the comments).
/// </summary>
public class OptimizerTests
{
    private static readonly double[][] Gradients = [[0.5, 0.3], [-0.2, 0.4]];

    [Fact]
    public void SgdMomentumWithDampeningAndWeightDecayFollowsTorch()
    {
        // η = 0.1, μ = 0.9, τ = 0.1, λ = 0.01.
        // Step 1: d = g₁ + λθ₀ = (0.51, 0.28); b = d (no dampening on the first step); θ₁ = θ₀ − ηb = (0.949, −2.028).
        // Step 2: d = g₂ + λθ₁ = (−0.19051, 0.37972); b = 0.9(0.51, 0.28) + 0.9d = (0.287541, 0.593748);
        //         θ₂ = θ₁ − ηb = (0.9202459, −2.0873748).
        var sgd = new SgdMomentum<double>(2, learningRate: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01);
        AssertTrajectory(sgd, [0.949, -2.028], [0.9202459, -2.0873748]);
    }

    [Fact]
    public void SgdNesterovFollowsTorch()
    {
        // η = 0.1, μ = 0.9. Step 1: b = g₁; d = g₁ + μb = (0.95, 0.57); θ₁ = (0.905, −2.057).
        // Step 2: b = 0.9(0.5, 0.3) + g₂ = (0.25, 0.67); d = g₂ + μb = (0.025, 1.003); θ₂ = (0.9025, −2.1573).
        var sgd = new SgdMomentum<double>(2, learningRate: 0.1, momentum: 0.9, nesterov: true);
        AssertTrajectory(sgd, [0.905, -2.057], [0.9025, -2.1573]);
    }

    [Fact]
    public void AdamWithWeightDecayFollowsTorch()
    {
        // η = 0.1, β = (0.9, 0.999), ε = 1e-8, λ = 0.01.
        // Step 1: d = (0.51, 0.28); m = 0.1d; v = 0.001d²; m̂ = d, v̂ = d²; θ₁ = θ₀ − 0.1·d/(|d| + ε)
        //         = (1 − 0.1·0.51/0.51000001, −2 + 0.1·0.28/0.28000001) = (0.9000000019607843, −2.0999999964285716).
        // Step 2: d = g₂ + λθ₁; m = 0.9m + 0.1d; v = 0.999v + 0.001d²; θ₂ = θ₁ − (0.1/0.19)·m/(√v/√0.001999 + ε)
        //         = (0.8633641380701821, −2.1996648976436743).
        var adam = new Adam<double>(2, learningRate: 0.1, weightDecay: 0.01);
        AssertTrajectory(adam, [0.9000000019607843, -2.0999999964285716], [0.8633641380701821, -2.1996648976436743]);
        Assert.Equal(2, adam.StepCount);
    }

    /// <summary>
    /// The fused update kernels on a vector long enough to be split over the workers (with an odd tail): every element
    /// follows the torch formulas written out per element, and one thread and two give the same bits.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LongVectorsFollowThePerElementFormulasOnAnyThreadCount(bool adam)
    {
        const int n = 70_001, steps = 3;
        const double lr = 0.01, momentum = 0.9, dampening = 0.1, decay = 0.01, beta1 = 0.9, beta2 = 0.99, epsilon = 1e-8;
        double[] start = SmallNets.Gaussian(n, 1), gradients = SmallNets.Gaussian(steps * n, 2);
        double[] Run(int threads)
        {
            FishLeg.Kernels.WorkerPool.Shared.Parallelism = threads;
            try
            {
                double[] theta = (double[])start.Clone();
                IOptimizer<double> optimizer = adam
                    ? new Adam<double>(n, lr, beta1, beta2, epsilon, decay)
                    : new SgdMomentum<double>(n, lr, momentum, dampening, decay);
                for (int k = 0; k < steps; k++) optimizer.Step(theta, gradients.AsSpan(k * n, n));
                return theta;
            }
            finally
            {
                FishLeg.Kernels.WorkerPool.Shared.Parallelism = Environment.ProcessorCount;
            }
        }

        var expected = new double[n];
        for (int i = 0; i < n; i++)
        {
            double theta = start[i], b = 0, m = 0, v = 0;
            for (int k = 0; k < steps; k++)
            {
                double d = gradients[k * n + i] + decay * theta;
                if (adam)
                {
                    m = beta1 * m + (1 - beta1) * d;
                    v = beta2 * v + (1 - beta2) * d * d;
                    theta -= lr / (1 - Math.Pow(beta1, k + 1)) * m / (Math.Sqrt(v) / Math.Sqrt(1 - Math.Pow(beta2, k + 1)) + epsilon);
                }
                else
                {
                    b = k == 0 ? d : momentum * b + (1 - dampening) * d;
                    theta -= lr * b;
                }
            }
            expected[i] = theta;
        }
        double[] serial = Run(1), parallel = Run(2);
        Assert.Equal(serial, parallel);
        Assert.True(GradientTests.RelativeError(parallel, expected) < 1e-14, "the fused update differs from the per-element formulas");
    }

    [Fact]
    public void MismatchedLengthsAreRejectedWithTheCounts()
    {
        var adam = new Adam<float>(3);
        var error = Assert.Throws<ArgumentException>(() => adam.Step(new float[3], new float[2]));
        Assert.Contains("gradient holds 2 values but there are 3 parameters", error.Message);
        error = Assert.Throws<ArgumentException>(() => new SgdMomentum<float>(3, 0.1).Step(new float[4], new float[4]));
        Assert.Contains("created for 3 parameters but was given 4", error.Message);
    }

    /// <summary>
    /// One NaN (or infinity) anywhere in the gradient, here deep in a vector long enough to be split over the workers, is
    /// refused with its index; parameters and state are as before, and the next good step is the step a clean run takes.
    /// </summary>
    [Theory]
    [InlineData("sgd", double.NaN, 0)]
    [InlineData("sgd", double.PositiveInfinity, 70_000)]
    [InlineData("adam", double.NaN, 69_999)]
    [InlineData("adam", double.NegativeInfinity, 35_003)]
    public void ANonFiniteGradientIsRefusedAndChangesNothing(string kind, double bad, int index)
    {
        const int n = 70_001;
        double[] g1 = SmallNets.Gaussian(n, 1), g2 = SmallNets.Gaussian(n, 2), poisoned = (double[])g2.Clone();
        poisoned[index] = bad;
        IOptimizer<double> Create() => kind == "sgd" ? new SgdMomentum<double>(n, 0.1) : new Adam<double>(n, 0.01);
        IOptimizer<double> clean = Create(), guarded = Create();
        double[] cleanTheta = SmallNets.Gaussian(n, 3), theta = (double[])cleanTheta.Clone();
        clean.Step(cleanTheta, g1);
        guarded.Step(theta, g1);
        double[] before = (double[])theta.Clone();
        var state = ((IOptimizerState<double>)guarded).StateTensors.Select(t => t.Value.ToArray()).ToArray();

        var error = Assert.Throws<InvalidOperationException>(() => guarded.Step(theta, poisoned));
        Assert.Contains($"gradient at step 1 holds {bad.ToString(System.Globalization.CultureInfo.InvariantCulture)} at index {index}", error.Message);
        Assert.Equal(before, theta);
        Assert.Equal(state, ((IOptimizerState<double>)guarded).StateTensors.Select(t => t.Value.ToArray()).ToArray());

        clean.Step(cleanTheta, g2);
        guarded.Step(theta, g2);
        Assert.Equal(cleanTheta, theta);
    }

    [Fact]
    public void EveryOptionIsValidatedWhereItIsSetWithItsName()
    {
        void Refused(string name, Action set)
        {
            var error = Assert.Throws<ArgumentOutOfRangeException>(set);
            Assert.Equal(name, error.ParamName);
        }
        Refused("LearningRate", () => _ = new SgdMomentum<float>(3, double.PositiveInfinity));
        Refused("momentum", () => _ = new SgdMomentum<float>(3, 0.1, momentum: 5));
        Refused("momentum", () => _ = new SgdMomentum<float>(3, 0.1, momentum: double.NaN));
        Refused("dampening", () => _ = new SgdMomentum<float>(3, 0.1, dampening: -1));
        Refused("weightDecay", () => _ = new SgdMomentum<float>(3, 0.1, weightDecay: double.PositiveInfinity));
        Refused("beta1", () => _ = new Adam<float>(3, beta1: double.NaN));
        Refused("beta2", () => _ = new Adam<float>(3, beta2: 1));
        Refused("epsilon", () => _ = new Adam<float>(3, epsilon: 0));
        Refused("LearningRate", () => _ = new Adam<float>(3, learningRate: double.NaN));

        var sgd = new SgdMomentum<float>(3, 0.1);
        var adam = new Adam<float>(3);
        Refused("LearningRate", () => sgd.LearningRate = -0.1);
        Refused("LearningRate", () => adam.LearningRate = double.PositiveInfinity);
        Assert.Equal(0.1, sgd.LearningRate);
        Assert.Equal(1e-3, adam.LearningRate);
    }

    private static void AssertTrajectory(IOptimizer<double> optimizer, double[] afterFirst, double[] afterSecond)
    {
        double[] theta = [1, -2];
        optimizer.Step(theta, Gradients[0]);
        Assert.Equal(afterFirst[0], theta[0], 12);
        Assert.Equal(afterFirst[1], theta[1], 12);
        optimizer.Step(theta, Gradients[1]);
        Assert.Equal(afterSecond[0], theta[0], 12);
        Assert.Equal(afterSecond[1], theta[1], 12);
    }
}
