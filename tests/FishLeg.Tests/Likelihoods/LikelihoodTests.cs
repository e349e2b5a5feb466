using System;
using System.Linq;
using FishLeg.Likelihoods;
using Xunit;

namespace FishLeg.Tests.Likelihoods;

/// <summary>
/// Each likelihood head on its own, at logits far beyond exp's range, against references computed in double with the
/// numerically careful formulas (log1p, max-shifted softmax).
/// </summary>
public class LikelihoodTests
{
    // Rows: confident and right, all very negative, very large, and moderate; each row's target class is in Labels.
    private static readonly double[] Logits = [100, 90, 0, -1000, -1001, -1002, 800, 795, 790, 0.5, -0.25, 1];
    private static readonly int[] Labels = [0, 2, 1, 1];
    private const int Classes = 3;

    private static double[] ExactSoftmax(ReadOnlySpan<double> row)
    {
        double max = row.ToArray().Max();
        double[] e = row.ToArray().Select(a => Math.Exp(a - max)).ToArray();
        double sum = e.Sum();
        return e.Select(x => x / sum).ToArray();
    }

    /// <summary>−log softmax(a)_c = (max − a_c) + log(1 + Σ_{j≠argmax} e^(a_j − max)), in double (ample for float checks).</summary>
    private static double ExactCrossEntropy(ReadOnlySpan<double> row, int label)
    {
        double[] a = row.ToArray();
        int top = Array.IndexOf(a, a.Max());
        double rest = a.Where((_, j) => j != top).Sum(x => Math.Exp(x - a[top]));
        return a[top] - a[label] + Math.Log(1 + rest);
    }

    private static void AssertClose(double expected, double actual, double relative, string what) =>
        Assert.True(Math.Abs(actual - expected) <= relative * Math.Abs(expected), $"{what}: {actual} against {expected}");

    private static T[] OneHot<T>(int[] labels, int classes) where T : struct, System.Numerics.INumber<T>
    {
        var y = new T[labels.Length * classes];
        for (int n = 0; n < labels.Length; n++) y[n * classes + labels[n]] = T.One;
        return y;
    }

    [Fact]
    public void CategoricalProbabilitiesAreFiniteAndExactAtExtremeFloatLogits()
    {
        float[] logits = Logits.Select(x => (float)x).ToArray();
        var mean = new float[logits.Length];
        CategoricalLikelihood.Mean<float>(logits, Classes, mean);
        for (int n = 0; n < Labels.Length; n++)
        {
            double[] exact = ExactSoftmax(Logits.AsSpan(n * Classes, Classes));
            for (int j = 0; j < Classes; j++)
                Assert.True(Math.Abs(mean[n * Classes + j] - exact[j]) <= 1e-6 * exact[j] + 1e-40,
                    $"row {n}, class {j}: {mean[n * Classes + j]} against {exact[j]}");
        }
    }

    [Fact]
    public void CategoricalLossKeepsFullRelativePrecisionWhenConfidentAndRight()
    {
        float[] logits = Logits.Select(x => (float)x).ToArray();
        var scratch = new float[logits.Length];
        for (int n = 0; n < Labels.Length; n++)
        {
            double exact = ExactCrossEntropy(Logits.AsSpan(n * Classes, Classes), Labels[n]);
            float loss = CategoricalLikelihood.MeanLoss<float>(logits.AsSpan(n * Classes, Classes), OneHot<float>([Labels[n]], Classes), Classes, scratch.AsSpan(0, Classes));
            AssertClose(exact, loss, 2e-6, $"row {n}");
        }
        // (100, 90, 0) labelled 0: the loss is 4.53989e-5; computed as max + log(partition) − a it loses 3 digits.
        Assert.Equal(4.5398899e-5, ExactCrossEntropy(Logits.AsSpan(0, Classes), 0), 1e-11);
    }

    [Fact]
    public void CategoricalResidualAndHessianProductMatchTheExactSoftmax()
    {
        double[] outputDot = [0.3, -1.2, 2.0, 1.0, 0.5, -0.5, -2.0, 0.25, 0.75, 1.5, -0.5, 0.1];
        var residual = new double[Logits.Length];
        var product = new double[Logits.Length];
        double[] targets = OneHot<double>(Labels, Classes);
        double loss = CategoricalLikelihood.MeanLossAndResidual<double>(Logits, targets, Classes, residual);
        CategoricalLikelihood.HessianProduct<double>(Logits, outputDot, Classes, product);
        double expectedLoss = 0;
        for (int n = 0; n < Labels.Length; n++)
        {
            double[] p = ExactSoftmax(Logits.AsSpan(n * Classes, Classes));
            double pDot = p.Zip(outputDot.Skip(n * Classes)).Sum(t => t.First * t.Second);
            expectedLoss += ExactCrossEntropy(Logits.AsSpan(n * Classes, Classes), Labels[n]) / Labels.Length;
            for (int j = 0; j < Classes; j++)
            {
                int i = n * Classes + j;
                Assert.Equal((p[j] - targets[i]) / Labels.Length, residual[i], 1e-15);
                Assert.Equal(p[j] * (outputDot[i] - pDot) / Labels.Length, product[i], 1e-15);
            }
        }
        Assert.Equal(expectedLoss, loss, 1e-12);
    }

    [Fact]
    public void CategoricalSamplesFollowTheSoftmaxAtExtremeLogits()
    {
        // (100, 90, 0): class 0 with probability 1 − 4.5e-5. Without the max shift the probabilities are NaN and every draw is the last class.
        float[] logits = Enumerable.Repeat(new[] { 100f, 90f, 0f }, 200).SelectMany(r => r).ToArray();
        var targets = new float[logits.Length];
        var random = new SeededRandom(5);
        CategoricalLikelihood.Sample<float>(logits, Classes, ref random, targets);
        int first = Enumerable.Range(0, 200).Count(n => targets[n * Classes] == 1);
        Assert.True(first >= 199, $"class 0 drawn {first} times of 200");
        Assert.Equal(200, targets.Sum());
    }

    [Fact]
    public void BernoulliHeadIsFiniteAndExactAtExtremeLogits()
    {
        double[] logits = [800, -800, 800, -800, 40, -40, 0.5, -3];
        double[] targets = [1, 0, 0, 1, 0.25, 0.75, 1, 0];
        double[] outputDot = [1, -1, 2, 0.5, 1, 1, -1, 3];
        const int units = 2;
        int batch = logits.Length / units;
        static double Softplus(double a) => Math.Max(a, 0) + Math.Log(1 + Math.Exp(-Math.Abs(a)));
        static double Sigmoid(double a) => a >= 0 ? 1 / (1 + Math.Exp(-a)) : Math.Exp(a) / (1 + Math.Exp(a));
        double expected = logits.Zip(targets).Sum(t => Softplus(t.First) - t.Second * t.First) / batch;
        var residual = new double[logits.Length];
        var product = new double[logits.Length];
        Assert.Equal(expected, BernoulliLikelihood.MeanLossAndResidual<double>(logits, targets, units, residual), 1e-12);
        BernoulliLikelihood.HessianProduct<double>(logits, outputDot, units, product);
        for (int i = 0; i < logits.Length; i++)
        {
            double p = Sigmoid(logits[i]);
            Assert.Equal((p - targets[i]) / batch, residual[i], 1e-15);
            // p(1 − p) = σ(a)σ(−a); where 1 − p rounds to 0 the product is below 1e-15 and the absolute tolerance covers it.
            Assert.Equal(Sigmoid(logits[i]) * Sigmoid(-logits[i]) * outputDot[i] / batch, product[i], 1e-15);
        }

        float[] floatLogits = logits.Select(x => (float)x).ToArray();
        var mean = new float[floatLogits.Length];
        BernoulliLikelihood.Mean<float>(floatLogits, units, mean);
        var floatProduct = new float[floatLogits.Length];
        BernoulliLikelihood.HessianProduct<float>(floatLogits, outputDot.Select(x => (float)x).ToArray(), units, floatProduct);
        for (int i = 0; i < logits.Length; i++)
        {
            Assert.True(Math.Abs(mean[i] - Sigmoid(logits[i])) <= 1e-6 * Sigmoid(logits[i]) + 1e-30, $"mean {i}: {mean[i]}");
            Assert.True(float.IsFinite(floatProduct[i]), $"product {i} is {floatProduct[i]}");
        }
        var draws = new float[floatLogits.Length];
        var random = new SeededRandom(3);
        BernoulliLikelihood.Sample<float>(floatLogits, units, ref random, draws);
        Assert.Equal(new float[] { 1, 0, 1, 0 }, draws.Take(4));
    }

    [Fact]
    public void GaussianHeadAtLargeOutputs()
    {
        double[] outputs = [1e150, -1e150, 3, 1e-300];
        double[] targets = [1e150, 0, -4, 0];
        double[] outputDot = [1, 2, 3, 4];
        const double sigma = 1e-3;
        var residual = new double[4];
        var product = new double[4];
        double loss = GaussianLikelihood.MeanLossAndResidual<double>(outputs, targets, 2, sigma, residual);
        AssertClose((1e300 + 49) / (2 * 2 * sigma * sigma), loss, 1e-15, "loss");
        GaussianLikelihood.HessianProduct<double>(outputs, outputDot, 2, sigma, product);
        double[] expected = [0, -1e150 / (2 * sigma * sigma), 7 / (2 * sigma * sigma), 1e-300 / (2 * sigma * sigma)];
        for (int i = 0; i < 4; i++)
        {
            AssertClose(expected[i], residual[i], 1e-15, $"residual {i}");
            AssertClose(outputDot[i] / (2 * sigma * sigma), product[i], 1e-15, $"product {i}");
        }
    }
}
