using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using FishLeg.Kernels;
using FishLeg.Training;
using Xunit;

namespace FishLeg.Tests.Models;

/// <summary>
/// Layer normalization follows PyTorch's <c>nn.LayerNorm</c>: a checkpoint written by hand with its weight [n] and bias [n]
/// loads, and the model computes what PyTorch's definition gives; the kernel is exact where the naive variance cancels and
/// finite on an example whose features are all equal.
/// </summary>
public sealed class LayerNormTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "fishleg-layernorm-" + Guid.NewGuid().ToString("N"));

    public LayerNormTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>ConvLayerNormNet's tensors as a PyTorch state dict holds them.</summary>
    private static List<(string Name, int[] Shape, double[] Values)> StateDict()
    {
        (string, int[], double[]) Tensor(string name, int[] shape, int salt)
        {
            int count = shape.Aggregate(1, (p, d) => p * d);
            return (name, shape, [.. Enumerable.Range(0, count).Select(i => 0.6 * Math.Sin(0.9 * i + salt) + 0.1 * (i % 3))]);
        }
        return
        [
            Tensor("layers.0.weight", [2, 2, 3, 3], 1), Tensor("layers.0.bias", [2], 2),
            Tensor("layers.1.weight", [4, 12], 3), Tensor("layers.1.bias", [4], 4),
            Tensor("layers.2.weight", [4], 5), Tensor("layers.2.bias", [4], 6),
            Tensor("layers.3.weight", [2, 4], 7), Tensor("layers.3.bias", [2], 8),
        ];
    }

    [Fact]
    public void AHandWrittenPyTorchCheckpointGivesPyTorchsForwardPass()
    {
        var tensors = StateDict();
        string path = Path.Combine(_directory, "pytorch.safetensors");
        ConvolutionTests.WriteByHand(path, nameof(ConvLayerNormNet), tensors);
        var model = new ConvLayerNormNet(4);
        Checkpoint.Load(path, model);

        const int Batch = 3;
        var (inputs, _) = SmallNets.Batch(model.Description, Batch, seed: 7);
        var probabilities = new double[Batch * 2];
        model.Predict(inputs, probabilities);
        double[] W(int i) => tensors[i].Values;
        static double Gelu(double z) => 0.5 * z * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (z + 0.044715 * z * z * z)));
        for (int n = 0; n < Batch; n++)
        {
            // Conv2d(2→2, k3, p1, s2) → tanh → Flatten → Linear(12→4) → GELU → LayerNorm(4) → GELU → Linear(4→2) → sigmoid.
            double[,,] x = ConvolutionTests.Nchw(inputs.AsSpan(n * 40, 40), 2, 5, 4);
            double[] flat = [.. ConvolutionTests.Map(ConvolutionTests.Conv(x, W(0), W(1), 2, kernel: 3, stride: 2, padding: 1), Math.Tanh).Cast<double>()];
            double[] h = [.. Enumerable.Range(0, 4).Select(o => Gelu(W(3)[o] + Enumerable.Range(0, 12).Sum(i => W(2)[o * 12 + i] * flat[i])))];
            double mean = h.Average(), variance = h.Sum(v => (v - mean) * (v - mean)) / 4;
            double[] y = [.. h.Select((v, j) => Gelu(W(4)[j] * (v - mean) / Math.Sqrt(variance + 1e-5) + W(5)[j]))];
            for (int o = 0; o < 2; o++)
            {
                double logit = W(7)[o] + Enumerable.Range(0, 4).Sum(j => W(6)[o * 4 + j] * y[j]);
                Assert.Equal(1 / (1 + Math.Exp(-logit)), probabilities[n * 2 + o], 1e-14);
            }
        }

        string saved = Path.Combine(_directory, "saved.safetensors");
        Checkpoint.Save(saved, model);
        foreach (var (name, shape, values) in tensors)
        {
            var (savedShape, savedValues) = ConvolutionTests.ReadTensor(saved, name);
            Assert.Equal(shape, savedShape);
            Assert.Equal(values, savedValues);
        }
    }

    [Fact]
    public void ACheckpointWithAMatrixShapedScaleIsRefused()
    {
        var tensors = StateDict();
        tensors[4] = ("layers.2.weight", [4, 1], tensors[4].Values);
        string path = Path.Combine(_directory, "matrix.safetensors");
        ConvolutionTests.WriteByHand(path, nameof(ConvLayerNormNet), tensors);
        var model = new ConvLayerNormNet(4, seed: 9);
        double[] before = model.Parameters.ToArray();
        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, model));
        Assert.Contains("tensor 'layers.2.weight' has shape [4, 1], but [4] is expected", error.Message);
        Assert.Equal(before, model.Parameters.ToArray());
    }

    [Fact]
    public void ANewModelStartsWithScaleOneAndShiftZero()
    {
        var model = new TwoLayerNormCategoricalNet(2, seed: 3);
        foreach (LayerDescription layer in model.Description.Layers.Where(layer => layer.Kind == LayerKind.LayerNorm))
        {
            Assert.Equal((1, true, QForm.Diagonal, 2 * layer.Outputs), (layer.Inputs, layer.HasBias, layer.QForm, layer.ParameterCount));
            double[] pairs = model.Parameters.Slice(layer.Offset, layer.ParameterCount).ToArray();
            Assert.Equal(Enumerable.Range(0, layer.Outputs).SelectMany(_ => new[] { 1.0, 0.0 }), pairs);
        }
    }

    /// <summary>
    /// Features far from zero and barely spread (mean 1e6, spread 1e-3 in float) normalize as in double: the two-pass
    /// variance does not cancel; a row of equal features gives x̂ = 0 and a finite scale 1/√ε.
    /// </summary>
    [Fact]
    public void TheKernelIsExactOnAnOffsetRowAndFiniteOnAConstantOne()
    {
        const int n = 7;
        float[] x = [.. Enumerable.Range(0, n).Select(j => 1000f + 0.01f * (j - 3)), .. Enumerable.Repeat(-2.5f, n)];
        float[] pairs = [.. Enumerable.Range(0, n).SelectMany(j => new[] { 1f, 0f })];
        var (xhat, r, y) = (new float[2 * n], new float[2], new float[2 * n]);
        Normalization.Forward<float>(x, 2, n, 1e-5f, pairs, xhat, r, y, new float[Normalization.ScratchLength(n)]);
        double mean = x.Take(n).Average(v => (double)v);
        double variance = x.Take(n).Sum(v => (v - mean) * (v - mean)) / n;
        for (int j = 0; j < n; j++) Assert.Equal((x[j] - mean) / Math.Sqrt(variance + 1e-5), y[j], 1e-3);
        Assert.All(xhat.Skip(n), v => Assert.Equal(0f, v));
        Assert.Equal(1 / Math.Sqrt(1e-5), r[1], 1e-1);
    }

    [Fact]
    public void TheKernelNamesAShortBuffer()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            Normalization.Forward<double>(new double[12], 3, 4, 1e-5, new double[8], new double[12], new double[2], new double[12], new double[20]));
        Assert.Contains("'scales' holds 2 values but the batch needs 3", error.Message);
    }
}
