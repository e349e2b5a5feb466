using System;
using System.Collections.Generic;
using System.Linq;
using Xunit;

namespace FishLeg.Tests.Models;

/// <summary>The double-precision test nets by name, and batches that fit their likelihoods.</summary>
public static class SmallNets
{
    private static readonly Dictionary<string, Func<int, ulong, IFishLegModel<double>>> Factories = new()
    {
        ["IdentityGaussianNet"] = (batch, seed) => new IdentityGaussianNet(batch, seed),
        ["ReluGaussianNet"] = (batch, seed) => new ReluGaussianNet(batch, seed),
        ["TanhGaussianNet"] = (batch, seed) => new TanhGaussianNet(batch, seed),
        ["SigmoidGaussianNet"] = (batch, seed) => new SigmoidGaussianNet(batch, seed),
        ["SoftplusGaussianNet"] = (batch, seed) => new SoftplusGaussianNet(batch, seed),
        ["GeluTanhGaussianNet"] = (batch, seed) => new GeluTanhGaussianNet(batch, seed),
        ["IdentityBernoulliNet"] = (batch, seed) => new IdentityBernoulliNet(batch, seed),
        ["ReluBernoulliNet"] = (batch, seed) => new ReluBernoulliNet(batch, seed),
        ["TanhBernoulliNet"] = (batch, seed) => new TanhBernoulliNet(batch, seed),
        ["SigmoidBernoulliNet"] = (batch, seed) => new SigmoidBernoulliNet(batch, seed),
        ["SoftplusBernoulliNet"] = (batch, seed) => new SoftplusBernoulliNet(batch, seed),
        ["GeluTanhBernoulliNet"] = (batch, seed) => new GeluTanhBernoulliNet(batch, seed),
        ["IdentityCategoricalNet"] = (batch, seed) => new IdentityCategoricalNet(batch, seed),
        ["ReluCategoricalNet"] = (batch, seed) => new ReluCategoricalNet(batch, seed),
        ["TanhCategoricalNet"] = (batch, seed) => new TanhCategoricalNet(batch, seed),
        ["SigmoidCategoricalNet"] = (batch, seed) => new SigmoidCategoricalNet(batch, seed),
        ["SoftplusCategoricalNet"] = (batch, seed) => new SoftplusCategoricalNet(batch, seed),
        ["GeluTanhCategoricalNet"] = (batch, seed) => new GeluTanhCategoricalNet(batch, seed),
        ["MixedBiasNet"] = (batch, seed) => new MixedBiasNet(batch, seed),
        ["ConvMaxPoolNet"] = (batch, seed) => new ConvMaxPoolNet(batch, seed),
        ["ConvAvgPoolNet"] = (batch, seed) => new ConvAvgPoolNet(batch, seed),
        ["PoolFirstConvNet"] = (batch, seed) => new PoolFirstConvNet(batch, seed),
        ["LayerNormGaussianNet"] = (batch, seed) => new LayerNormGaussianNet(batch, seed),
        ["TwoLayerNormCategoricalNet"] = (batch, seed) => new TwoLayerNormCategoricalNet(batch, seed),
        ["ConvLayerNormNet"] = (batch, seed) => new ConvLayerNormNet(batch, seed),
        ["SwishSeluNet"] = (batch, seed) => new SwishSeluNet(batch, seed),
        ["MishEluNet"] = (batch, seed) => new MishEluNet(batch, seed),
        ["ComposedActivationNet"] = (batch, seed) => new ComposedActivationNet(batch, seed),
    };

    public static TheoryData<string> Names => new(Factories.Keys);

    /// <summary>The named net, with a layer normalization's scales drawn from ±[0.5, 1.5] and its shifts from N(0, 1).</summary>
    public static IFishLegModel<double> Create(string name, int maxBatchSize, ulong seed)
    {
        IFishLegModel<double> model = Factories[name](maxBatchSize, seed);
        var random = new SeededRandom(seed + 1);
        foreach (LayerDescription layer in model.Description.Layers.Where(layer => layer.Kind == LayerKind.LayerNorm))
        {
            Span<double> pairs = model.Parameters.Slice(layer.Offset, layer.ParameterCount);
            for (int j = 0; j < layer.Outputs; j++)
            {
                double scale = 0.5 + random.NextDouble();
                pairs[2 * j] = random.NextDouble() < 0.5 ? -scale : scale;
                pairs[2 * j + 1] = random.NextGaussian();
            }
        }
        return model;
    }

    /// <summary>Random inputs, and targets the likelihood accepts: real values, soft bits in [0, 1], or one-hot rows.</summary>
    public static (double[] Inputs, double[] Targets) Batch(ModelDescription model, int batch, ulong seed)
    {
        var random = new SeededRandom(seed);
        double[] inputs = Enumerable.Range(0, batch * model.Inputs).Select(_ => random.NextGaussian()).ToArray();
        var targets = new double[batch * model.Outputs];
        for (int n = 0; n < batch; n++)
        {
            Span<double> row = targets.AsSpan(n * model.Outputs, model.Outputs);
            switch (model.Likelihood)
            {
                case Likelihood.Gaussian: for (int j = 0; j < row.Length; j++) row[j] = random.NextGaussian(); break;
                case Likelihood.Bernoulli: for (int j = 0; j < row.Length; j++) row[j] = random.NextDouble(); break;
                default: row[random.NextInt(row.Length)] = 1; break;
            }
        }
        return (inputs, targets);
    }

    /// <summary>A seeded vector of standard normal draws.</summary>
    public static double[] Gaussian(int length, ulong seed)
    {
        var random = new SeededRandom(seed);
        return Enumerable.Range(0, length).Select(_ => random.NextGaussian()).ToArray();
    }
}
