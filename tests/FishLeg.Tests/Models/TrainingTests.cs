using System;
using FishLeg.Optimizers;
using Xunit;

namespace FishLeg.Tests.Models;

public class TrainingTests
{
    /// <summary>Targets from a fixed smooth function of the inputs, so a small net can fit them well.</summary>
    private static (float[] Inputs, float[] Targets) Task(int examples)
    {
        var random = new SeededRandom(42);
        var inputs = new float[examples * RegressionNet.InputCount];
        var targets = new float[examples * RegressionNet.OutputCount];
        for (int n = 0; n < examples; n++)
        {
            double s = 0, c = 0;
            for (int j = 0; j < RegressionNet.InputCount; j++)
            {
                double x = random.NextGaussian();
                inputs[n * RegressionNet.InputCount + j] = (float)x;
                s += Math.Sin(x + j);
                c += x * (j % 3 - 1);
            }
            targets[2 * n] = (float)(s / 3);
            targets[2 * n + 1] = (float)Math.Tanh(c / 2);
        }
        return (inputs, targets);
    }

    [Theory]
    [InlineData("sgd")]
    [InlineData("adam")]
    public void SeededRunLowersTheLossTenfold(string optimizerName)
    {
        const int Examples = 512, Batch = 64, Epochs = 60;
        var (inputs, targets) = Task(Examples);
        var model = new RegressionNet(Batch, seed: 7);
        IOptimizer<float> optimizer = optimizerName == "adam"
            ? new Adam<float>(RegressionNet.ParameterCount, learningRate: 3e-3)
            : new SgdMomentum<float>(RegressionNet.ParameterCount, learningRate: 0.05, momentum: 0.9);

        double before = FullLoss(model, inputs, targets, Batch);
        for (int epoch = 0; epoch < Epochs; epoch++)
            for (int start = 0; start < Examples; start += Batch)
            {
                model.LossAndGradient(inputs.AsSpan(start * RegressionNet.InputCount, Batch * RegressionNet.InputCount),
                    targets.AsSpan(start * RegressionNet.OutputCount, Batch * RegressionNet.OutputCount));
                optimizer.Step(model.Parameters, model.Gradient);
            }
        double after = FullLoss(model, inputs, targets, Batch);
        Assert.True(after < before / 10, $"{optimizerName}: loss went from {before:F4} to {after:F4}, less than a tenfold drop");
    }

    [Fact]
    public void SameSeedGivesBitIdenticalRuns()
    {
        var (inputs, targets) = Task(64);
        float[] Run()
        {
            var model = new RegressionNet(64, seed: 9);
            var adam = new Adam<float>(RegressionNet.ParameterCount);
            for (int i = 0; i < 5; i++)
            {
                model.LossAndGradient(inputs, targets);
                adam.Step(model.Parameters, model.Gradient);
            }
            return model.Parameters.ToArray();
        }
        Assert.Equal(Run(), Run());
    }

    private static double FullLoss(RegressionNet model, float[] inputs, float[] targets, int batch)
    {
        double sum = 0;
        int examples = inputs.Length / RegressionNet.InputCount;
        for (int start = 0; start < examples; start += batch)
            sum += model.Loss(inputs.AsSpan(start * RegressionNet.InputCount, batch * RegressionNet.InputCount),
                targets.AsSpan(start * RegressionNet.OutputCount, batch * RegressionNet.OutputCount));
        return sum / (examples / batch);
    }
}
