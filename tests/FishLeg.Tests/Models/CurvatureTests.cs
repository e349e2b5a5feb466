using System;
using System.Linq;
using Xunit;

namespace FishLeg.Tests.Models;

/// <summary>
/// The generated curvature products (docs/math.md §2, checks of §5) in double precision, for every activation with every
/// likelihood: the Fisher (Gauss–Newton) product against an explicit (1/K)ΣJᵀHJ from per-example Jacobians, the
/// Hessian product against finite differences of the gradient, and their agreement when the targets are the model's means.
/// </summary>
public class CurvatureTests
{
    private const int Batch = 6;

    [Theory]
    [MemberData(nameof(SmallNets.Names), MemberType = typeof(SmallNets))]
    public void FisherProductMatchesExplicitGaussNewtonMatrix(string name)
    {
        var model = SmallNets.Create(name, maxBatchSize: 8, seed: 11);
        ModelDescription d = model.Description;
        var (inputs, _) = SmallNets.Batch(d, Batch, seed: 12);
        double[] v = SmallNets.Gaussian(d.ParameterCount, seed: 13);
        var product = new double[d.ParameterCount];
        model.FisherVectorProduct(inputs, v, product);

        // J[n] is the Jacobian of example n's natural parameters a_n (N_L × P), by central differences.
        int outputs = d.Outputs, count = d.ParameterCount;
        double[,,] jacobian = new double[Batch, outputs, count];
        const double h = 1e-6;
        Span<double> theta = model.Parameters;
        for (int i = 0; i < count; i++)
        {
            double saved = theta[i];
            theta[i] = saved + h;
            double[] up = NaturalOutputs(model, inputs);
            theta[i] = saved - h;
            double[] down = NaturalOutputs(model, inputs);
            theta[i] = saved;
            for (int n = 0; n < Batch; n++)
                for (int j = 0; j < outputs; j++)
                    jacobian[n, j, i] = (up[n * outputs + j] - down[n * outputs + j]) / (2 * h);
        }

        double[] a = NaturalOutputs(model, inputs);
        var expected = new double[count];
        for (int n = 0; n < Batch; n++)
        {
            double[,] hessian = OutputHessian(d, a.AsSpan(n * outputs, outputs));
            var jv = new double[outputs];
            for (int j = 0; j < outputs; j++)
                for (int i = 0; i < count; i++) jv[j] += jacobian[n, j, i] * v[i];
            var hjv = new double[outputs];
            for (int j = 0; j < outputs; j++)
                for (int k = 0; k < outputs; k++) hjv[j] += hessian[j, k] * jv[k];
            for (int i = 0; i < count; i++)
                for (int j = 0; j < outputs; j++) expected[i] += jacobian[n, j, i] * hjv[j] / Batch;
        }
        double error = GradientTests.RelativeError(product, expected);
        Assert.True(error < 1e-6, $"{name}: F·v differs from (1/K)ΣJᵀHJ·v by {error:E2}");
    }

    /// <summary>
    /// Each layer's block of a Fisher product is Ėᵀ·[A | 1] of the factors the model keeps (for both Fisher products); a
    /// layer normalization's unit j has [Σ ė_j x̂_j, Σ ė_j].
    /// </summary>
    [Theory]
    [MemberData(nameof(SmallNets.Names), MemberType = typeof(SmallNets))]
    public void CurvatureFactorsRebuildEachLayersBlockOfTheFisherProduct(string name)
    {
        var model = SmallNets.Create(name, maxBatchSize: 8, seed: 11);
        ModelDescription d = model.Description;
        var (inputs, targets) = SmallNets.Batch(d, Batch, seed: 12);
        double[] v = SmallNets.Gaussian(d.ParameterCount, seed: 13);
        var product = new double[d.ParameterCount];
        for (int pass = 0; pass < 2; pass++)
        {
            if (pass == 0) model.FisherVectorProduct(inputs, v, product);
            else model.OuterProductFisherVectorProduct(inputs, targets, v, product);
            for (int l = 0; l < d.Layers.Count; l++)
            {
                LayerDescription layer = d.Layers[l];
                model.CurvatureFactors(l, out ReadOnlySpan<double> delta, out ReadOnlySpan<double> input);
                int rows = Batch * layer.Positions; // one per example and output position
                // A layer normalization's unit r reads its own normalized feature, column r of a K × n input.
                bool perUnit = layer.Kind == LayerKind.LayerNorm;
                int width = perUnit ? layer.Outputs : layer.Inputs;
                Assert.Equal(rows * layer.Outputs, delta.Length);
                Assert.Equal(rows * width, input.Length);
                int columns = layer.Columns;
                for (int r = 0; r < layer.Outputs; r++)
                    for (int c = 0; c < columns; c++)
                    {
                        double sum = 0;
                        for (int n = 0; n < rows; n++)
                            sum += delta[n * layer.Outputs + r] * (c < layer.Inputs ? input[n * width + (perUnit ? r : c)] : 1);
                        Assert.Equal(product[layer.Offset + r * columns + c], sum, 1e-12);
                    }
            }
        }

        // Any other pass replaces the activations the factors refer to.
        model.Loss(inputs, targets);
        var error = Assert.Throws<InvalidOperationException>(() => model.CurvatureFactors(0, out _, out _));
        Assert.Contains("call FisherVectorProduct or OuterProductFisherVectorProduct first", error.Message);
    }

    [Theory]
    [MemberData(nameof(SmallNets.Names), MemberType = typeof(SmallNets))]
    public void HessianProductMatchesFiniteDifferencesOfTheGradient(string name)
    {
        var model = SmallNets.Create(name, maxBatchSize: 8, seed: 21);
        ModelDescription d = model.Description;
        var (inputs, targets) = SmallNets.Batch(d, Batch, seed: 22);
        double[] v = SmallNets.Gaussian(d.ParameterCount, seed: 23);
        var product = new double[d.ParameterCount];
        model.HessianVectorProduct(inputs, targets, v, product);

        const double h = 1e-5;
        double[] theta0 = model.Parameters.ToArray();
        double[] GradientAt(double step)
        {
            for (int i = 0; i < theta0.Length; i++) model.Parameters[i] = theta0[i] + step * v[i];
            model.LossAndGradient(inputs, targets);
            return model.Gradient.ToArray();
        }
        double[] up = GradientAt(h), down = GradientAt(-h);
        double[] expected = up.Zip(down, (u, w) => (u - w) / (2 * h)).ToArray();
        double error = GradientTests.RelativeError(product, expected);
        Assert.True(error < 1e-6, $"{name}: H·v differs from finite differences of the gradient by {error:E2}");
    }

    [Theory]
    [MemberData(nameof(SmallNets.Names), MemberType = typeof(SmallNets))]
    public void HessianAtTheModelsMeanEqualsTheFisherProduct(string name)
    {
        var model = SmallNets.Create(name, maxBatchSize: 8, seed: 31);
        ModelDescription d = model.Description;
        var (inputs, _) = SmallNets.Batch(d, Batch, seed: 32);
        double[] v = SmallNets.Gaussian(d.ParameterCount, seed: 33);
        var means = new double[Batch * d.Outputs];
        model.Predict(inputs, means);
        var hessian = new double[d.ParameterCount];
        var fisher = new double[d.ParameterCount];
        model.HessianVectorProduct(inputs, means, v, hessian);
        model.FisherVectorProduct(inputs, v, fisher);
        double error = GradientTests.RelativeError(hessian, fisher);
        Assert.True(error < 1e-10, $"{name}: HVP with Y = E[ŷ] differs from F·v by {error:E2}");
    }

    [Theory]
    [MemberData(nameof(SmallNets.Names), MemberType = typeof(SmallNets))]
    public void FisherIsSymmetricPositiveSemiDefinite(string name)
    {
        var model = SmallNets.Create(name, maxBatchSize: 8, seed: 41);
        ModelDescription d = model.Description;
        var (inputs, _) = SmallNets.Batch(d, Batch, seed: 42);
        double[] u = SmallNets.Gaussian(d.ParameterCount, 43), v = SmallNets.Gaussian(d.ParameterCount, 44);
        var fu = new double[d.ParameterCount];
        var fv = new double[d.ParameterCount];
        model.FisherVectorProduct(inputs, u, fu);
        model.FisherVectorProduct(inputs, v, fv);
        double uFv = Dot(u, fv), vFu = Dot(v, fu);
        Assert.True(Math.Abs(uFv - vFu) <= 1e-12 * (Math.Abs(uFv) + 1e-300), $"uᵀFv = {uFv}, vᵀFu = {vFu}");
        Assert.True(Dot(u, fu) >= 0 && Dot(v, fv) >= 0);
    }

    [Fact]
    public void WrongDirectionLengthIsNamed()
    {
        var model = new TanhGaussianNet(4);
        var error = Assert.Throws<ArgumentException>(() =>
            model.FisherVectorProduct(new double[10], new double[3], new double[TanhGaussianNet.ParameterCount]));
        Assert.Contains($"'direction' holds 3 values but the model has {TanhGaussianNet.ParameterCount} parameters", error.Message);
        var shared = new double[TanhGaussianNet.ParameterCount];
        error = Assert.Throws<ArgumentException>(() => model.HessianVectorProduct(new double[10], new double[6], shared, shared));
        Assert.Contains("'product' overlaps 'direction'", error.Message);
    }

    /// <summary>
    /// Recovers the likelihood's natural parameters from the predicted means: a itself (Gaussian), logit(p) (Bernoulli),
    /// log p (Categorical: a up to a per-row constant, which H annihilates, so JᵀHJ is unchanged).
    /// </summary>
    private static double[] NaturalOutputs(IFishLegModel<double> model, double[] inputs)
    {
        var mean = new double[inputs.Length / model.Description.Inputs * model.Description.Outputs];
        model.Predict(inputs, mean);
        return model.Description.Likelihood switch
        {
            Likelihood.Gaussian => mean,
            Likelihood.Bernoulli => mean.Select(p => Math.Log(p / (1 - p))).ToArray(),
            _ => mean.Select(p => Math.Log(p)).ToArray(),
        };
    }

    /// <summary>H = ∇²_a ℓ as an explicit matrix: I/σ², diag(p(1 − p)), or diag(p) − ppᵀ.</summary>
    private static double[,] OutputHessian(ModelDescription d, ReadOnlySpan<double> a)
    {
        int c = a.Length;
        var h = new double[c, c];
        switch (d.Likelihood)
        {
            case Likelihood.Gaussian:
                for (int j = 0; j < c; j++) h[j, j] = 1 / (d.Sigma * d.Sigma);
                break;
            case Likelihood.Bernoulli:
                for (int j = 0; j < c; j++)
                {
                    double p = 1 / (1 + Math.Exp(-a[j]));
                    h[j, j] = p * (1 - p);
                }
                break;
            default:
                double max = double.NegativeInfinity, sum = 0;
                foreach (double x in a) max = Math.Max(max, x);
                var p2 = new double[c];
                for (int j = 0; j < c; j++) sum += p2[j] = Math.Exp(a[j] - max);
                for (int j = 0; j < c; j++)
                    for (int k = 0; k < c; k++) h[j, k] = (j == k ? p2[j] / sum : 0) - p2[j] * p2[k] / (sum * sum);
                break;
        }
        return h;
    }

    private static double Dot(double[] x, double[] y) => x.Zip(y, (a, b) => a * b).Sum();
}
