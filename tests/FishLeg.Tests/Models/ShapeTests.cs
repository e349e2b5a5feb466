using System;
using System.Linq;
using FishLeg.Experiments;
using Xunit;

namespace FishLeg.Tests.Models;

public class ShapeTests
{
    [Fact]
    public void DescriptionMatchesTheDeclaration()
    {
        var model = new MixedBiasNet(4);
        ModelDescription d = model.Description;
        Assert.Equal("MixedBiasNet", d.Name);
        Assert.Equal(5, d.Inputs);
        Assert.Equal(3, d.Outputs);
        Assert.Equal(Precision.Double, d.Precision);
        Assert.Equal(new[] { 5, 4, 6 }, d.Layers.Select(l => l.Inputs));
        Assert.Equal(new[] { false, true, false }, d.Layers.Select(l => l.HasBias));
        Assert.Equal(new[] { 0, 4 * 5, 4 * 5 + 6 * 5 }, d.Layers.Select(l => l.Offset));
        Assert.Equal(4 * 5 + 6 * 5 + 3 * 6, d.ParameterCount);
        Assert.Equal(new[] { QForm.Diagonal, QForm.KroneckerSum, QForm.KroneckerSum }, d.Layers.Select(l => l.QForm));
        Assert.Equal(MixedBiasNet.ParameterCount, model.Parameters.Length);
        Assert.Equal(d.ParameterCount, model.Gradient.Length);
    }

    [Fact]
    public void WrongShapesNameTheBufferAndTheSizes()
    {
        var model = new ReluCategoricalNet(4);
        var error = Assert.Throws<ArgumentException>(() => model.Loss(new double[7], new double[3]));
        Assert.Contains("'inputs' holds 7 values, which is not a whole, non-empty number of rows of 5", error.Message);
        error = Assert.Throws<ArgumentException>(() => model.Loss(new double[25], new double[15]));
        Assert.Contains("'inputs' holds 5 examples, more than the maximum batch size of 4", error.Message);
        error = Assert.Throws<ArgumentException>(() => model.LossAndGradient(new double[10], new double[3]));
        Assert.Contains("'targets' holds 3 values but a batch of 2 examples needs 6 (2×3)", error.Message);
        error = Assert.Throws<ArgumentException>(() => model.Predict(new double[10], new double[8]));
        Assert.Contains("'predictions' holds 8 values", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReluCategoricalNet(0));
    }

    [Fact]
    public void PredictionsAreTheLikelihoodMeans()
    {
        var (inputs, _) = SmallNets.Batch(new TanhCategoricalNet(1).Description, 3, 1);
        var categorical = new TanhCategoricalNet(3, seed: 2);
        var probabilities = new double[9];
        categorical.Predict(inputs, probabilities);
        for (int n = 0; n < 3; n++) Assert.Equal(1.0, probabilities.Skip(3 * n).Take(3).Sum(), 12);

        var bernoulli = new TanhBernoulliNet(3, seed: 2);
        var gaussian = new TanhGaussianNet(3, seed: 2);
        var p = new double[9];
        var mean = new double[9];
        bernoulli.Predict(inputs, p);
        gaussian.Predict(inputs, mean);
        // Same seed, same layers: the Bernoulli mean is the logistic of the Gaussian mean.
        for (int i = 0; i < 9; i++) Assert.Equal(1 / (1 + Math.Exp(-mean[i])), p[i], 12);
    }

    [Fact]
    public void InitializationFollowsTheSeedAndTheFanInBound()
    {
        var a = new Autoencoder(1, seed: 5);
        var b = new Autoencoder(1, seed: 5);
        var c = new Autoencoder(1, seed: 6);
        Assert.True(a.Parameters.SequenceEqual(b.Parameters));
        Assert.False(a.Parameters.SequenceEqual(c.Parameters));
        foreach (LayerDescription layer in a.Description.Layers)
        {
            var w = a.Parameters.Slice(layer.Offset, layer.ParameterCount).ToArray();
            double bound = 1 / Math.Sqrt(layer.Inputs);
            Assert.All(w, x => Assert.InRange(x, -bound, bound));
            Assert.True(w.Max() > 0.9 * bound && w.Min() < -0.9 * bound, "draws should fill the interval");
        }
    }

    public static TheoryData<string, int, double, string> BadTargets => new()
    {
        { "TanhCategoricalNet", 4, -100, "'targets' row 1, column 1 holds -100: the Categorical likelihood needs targets in [0, 1]" },
        { "TanhCategoricalNet", 3, 200, "'targets' row 1, column 0 holds 200: the Categorical likelihood needs targets in [0, 1]" },
        { "TanhCategoricalNet", 3, double.NaN, "'targets' row 1, column 0 holds NaN" },
        { "TanhCategoricalNet", 3, 0.5, "'targets' row 1 sums to " },
        { "TanhBernoulliNet", 5, 1e6, "'targets' row 1, column 2 holds 1000000: the Bernoulli likelihood needs targets in [0, 1]" },
        { "TanhBernoulliNet", 3, -1e-9, "'targets' row 1, column 0 holds -1E-09: the Bernoulli likelihood needs targets in [0, 1]" },
        { "TanhGaussianNet", 5, double.PositiveInfinity, "'targets' row 1, column 2 holds Infinity: the Gaussian likelihood needs finite targets" },
        { "TanhGaussianNet", 4, double.NaN, "'targets' row 1, column 1 holds NaN: the Gaussian likelihood needs finite targets" },
    };

    /// <summary>
    /// A target outside the likelihood's support is refused by every method that reads targets, naming its row, column
    /// and value, before any pass runs: the gradient and the last Fisher product's factors are as they were.
    /// </summary>
    [Theory]
    [MemberData(nameof(BadTargets))]
    public void TargetsOutsideTheSupportAreRefusedBeforeAnythingChanges(string name, int index, double value, string message)
    {
        IFishLegModel<double> model = SmallNets.Create(name, 3, 4);
        var (inputs, targets) = SmallNets.Batch(model.Description, 2, 9);
        double[] direction = SmallNets.Gaussian(model.Description.ParameterCount, 3), product = new double[direction.Length];
        model.LossAndGradient(inputs, targets);
        model.FisherVectorProduct(inputs, direction, product);
        double[] gradient = model.Gradient.ToArray();
        model.CurvatureFactors(0, out ReadOnlySpan<double> delta, out _);
        double[] factor = delta.ToArray();

        double[] bad = (double[])targets.Clone();
        bad[index] = value;
        foreach (Action call in new Action[]
        {
            () => model.Loss(inputs, bad),
            () => model.LossAndGradient(inputs, bad),
            () => model.HessianVectorProduct(inputs, bad, direction, product),
            () => model.OuterProductFisherVectorProduct(inputs, bad, direction, product),
        })
        {
            var error = Assert.Throws<ArgumentException>(call);
            Assert.StartsWith(message, error.Message);
            Assert.Equal("targets", error.ParamName);
        }
        Assert.Equal(gradient, model.Gradient.ToArray());
        model.CurvatureFactors(0, out delta, out _);
        Assert.Equal(factor, delta.ToArray());
    }
}
