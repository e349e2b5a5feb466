using System;
using Xunit;

namespace FishLeg.Tests.Models;

/// <summary>The generated backward pass against central finite differences of the generated loss, in double precision.</summary>
public class GradientTests
{
    [Theory]
    [MemberData(nameof(SmallNets.Names), MemberType = typeof(SmallNets))]
    public void GradientMatchesCentralFiniteDifferences(string name)
    {
        // A batch smaller than the workspace, as at the end of an epoch.
        var model = SmallNets.Create(name, maxBatchSize: 8, seed: 3);
        var (inputs, targets) = SmallNets.Batch(model.Description, batch: 6, seed: 4);
        model.LossAndGradient(inputs, targets);
        double[] analytic = model.Gradient.ToArray();

        const double h = 1e-6;
        Span<double> theta = model.Parameters;
        var numeric = new double[theta.Length];
        for (int i = 0; i < theta.Length; i++)
        {
            double saved = theta[i];
            theta[i] = saved + h;
            double up = model.Loss(inputs, targets);
            theta[i] = saved - h;
            double down = model.Loss(inputs, targets);
            theta[i] = saved;
            numeric[i] = (up - down) / (2 * h);
        }
        Assert.True(RelativeError(analytic, numeric) < 1e-6,
            $"{name}: relative error {RelativeError(analytic, numeric):E2} between backward pass and finite differences");
    }

    [Theory]
    [MemberData(nameof(SmallNets.Names), MemberType = typeof(SmallNets))]
    public void LossAndGradientReturnsTheSameLossAsLoss(string name)
    {
        var model = SmallNets.Create(name, maxBatchSize: 8, seed: 5);
        var (inputs, targets) = SmallNets.Batch(model.Description, batch: 8, seed: 6);
        Assert.Equal(model.Loss(inputs, targets), model.LossAndGradient(inputs, targets), 12);
    }

    /// <summary>max|a − b| / max|b|, the measure of the docs/math.md §5.</summary>
    internal static double RelativeError(ReadOnlySpan<double> actual, ReadOnlySpan<double> expected)
    {
        double error = 0, scale = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            error = Math.Max(error, Math.Abs(actual[i] - expected[i]));
            scale = Math.Max(scale, Math.Abs(expected[i]));
        }
        return error / scale;
    }
}
