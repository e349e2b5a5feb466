using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using FishLeg.Training;
using Xunit;

namespace FishLeg.Tests.Models;

/// <summary>
/// Convolutional models follow PyTorch's conventions: a checkpoint written by hand in PyTorch's layout (NCHW inputs,
/// <c>nn.Conv2d</c> weights [out, in, k, k], <c>nn.Linear</c> weights after <c>nn.Flatten</c>) loads, and the model then
/// computes what PyTorch's definitions give, evaluated here by direct loops over NCHW tensors.
/// </summary>
public sealed class ConvolutionTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "fishleg-conv-" + Guid.NewGuid().ToString("N"));

    public ConvolutionTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>ConvMaxPoolNet's tensors as a PyTorch state dict holds them: name, shape, values in C order.</summary>
    private static List<(string Name, int[] Shape, double[] Values)> StateDict()
    {
        (string, int[], double[]) Tensor(string name, int[] shape, int salt)
        {
            int count = shape.Aggregate(1, (p, d) => p * d);
            return (name, shape, [.. Enumerable.Range(0, count).Select(i => 0.4 * Math.Sin(0.7 * i + salt) + 0.05 * (i % 3))]);
        }
        return
        [
            Tensor("layers.0.weight", [3, 2, 3, 3], 1), Tensor("layers.0.bias", [3], 2),
            Tensor("layers.1.weight", [4, 3, 2, 2], 3), Tensor("layers.1.bias", [4], 4),
            Tensor("layers.2.weight", [3, 8], 5), Tensor("layers.2.bias", [3], 6),
        ];
    }

    [Fact]
    public void AHandWrittenPyTorchCheckpointGivesPyTorchsForwardPass()
    {
        var tensors = StateDict();
        string path = Path.Combine(_directory, "pytorch.safetensors");
        WriteByHand(path, nameof(ConvMaxPoolNet), tensors);
        var model = new ConvMaxPoolNet(4);
        Checkpoint.Load(path, model);

        const int Batch = 3;
        var (inputs, _) = SmallNets.Batch(model.Description, Batch, seed: 7);
        var probabilities = new double[Batch * 3];
        model.Predict(inputs, probabilities);
        double[] W(int i) => tensors[i].Values;
        for (int n = 0; n < Batch; n++)
        {
            // Conv2d(2→3, k3, p1) → tanh → MaxPool2d(3, stride 2) → Conv2d(3→4, k2) → softplus → Flatten → Linear(8→3).
            double[,,] x = Nchw(inputs.AsSpan(n * 70, 70), 2, 7, 5);
            double[,,] h = Map(Conv(x, W(0), W(1), 3, kernel: 3, stride: 1, padding: 1), Math.Tanh);
            h = MaxPool(h, size: 3, stride: 2);
            h = Map(Conv(h, W(2), W(3), 4, kernel: 2, stride: 1, padding: 0), z => Math.Log(1 + Math.Exp(z)));
            double[] flat = [.. h.Cast<double>()]; // C order: channel, row, column
            double[] logits = [.. Enumerable.Range(0, 3).Select(o => W(5)[o] + Enumerable.Range(0, 8).Sum(i => W(4)[o * 8 + i] * flat[i]))];
            double max = logits.Max(), sum = logits.Sum(z => Math.Exp(z - max));
            for (int o = 0; o < 3; o++) Assert.Equal(Math.Exp(logits[o] - max) / sum, probabilities[n * 3 + o], 1e-14);
        }

        // Saving writes the same tensors back, shapes and values.
        string saved = Path.Combine(_directory, "saved.safetensors");
        Checkpoint.Save(saved, model);
        foreach (var (name, shape, values) in tensors)
        {
            var (savedShape, savedValues) = ReadTensor(saved, name);
            Assert.Equal(shape, savedShape);
            Assert.Equal(values, savedValues);
        }
    }

    [Fact]
    public void ACheckpointWithDenseShapedConvolutionWeightsIsRefused()
    {
        var tensors = StateDict();
        tensors[2] = ("layers.1.weight", [4, 12], tensors[2].Values);
        string path = Path.Combine(_directory, "flat.safetensors");
        WriteByHand(path, nameof(ConvMaxPoolNet), tensors);
        var model = new ConvMaxPoolNet(4, seed: 9);
        double[] before = model.Parameters.ToArray();
        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, model));
        Assert.Contains("tensor 'layers.1.weight' has shape [4, 12], but [4, 3, 2, 2] is expected", error.Message);
        Assert.Equal(before, model.Parameters.ToArray());
    }

    internal static double[,,] Nchw(ReadOnlySpan<double> values, int channels, int height, int width)
    {
        var x = new double[channels, height, width];
        for (int c = 0, i = 0; c < channels; c++)
            for (int r = 0; r < height; r++)
                for (int q = 0; q < width; q++) x[c, r, q] = values[i++];
        return x;
    }

    /// <summary>PyTorch's conv2d: y[o, r, q] = b[o] + Σ_{c,i,j} w[o, c, i, j]·x[c, r·s − p + i, q·s − p + j] (zero outside).</summary>
    internal static double[,,] Conv(double[,,] x, double[] w, double[] b, int outputs, int kernel, int stride, int padding)
    {
        int channels = x.GetLength(0), height = x.GetLength(1), width = x.GetLength(2);
        int outHeight = (height + 2 * padding - kernel) / stride + 1, outWidth = (width + 2 * padding - kernel) / stride + 1;
        var y = new double[outputs, outHeight, outWidth];
        for (int o = 0; o < outputs; o++)
            for (int r = 0; r < outHeight; r++)
                for (int q = 0; q < outWidth; q++)
                {
                    double sum = b[o];
                    for (int c = 0; c < channels; c++)
                        for (int i = 0; i < kernel; i++)
                            for (int j = 0; j < kernel; j++)
                            {
                                int row = r * stride - padding + i, column = q * stride - padding + j;
                                if (row >= 0 && row < height && column >= 0 && column < width)
                                    sum += w[((o * channels + c) * kernel + i) * kernel + j] * x[c, row, column];
                            }
                    y[o, r, q] = sum;
                }
        return y;
    }

    private static double[,,] MaxPool(double[,,] x, int size, int stride)
    {
        int channels = x.GetLength(0), outHeight = (x.GetLength(1) - size) / stride + 1, outWidth = (x.GetLength(2) - size) / stride + 1;
        var y = new double[channels, outHeight, outWidth];
        for (int c = 0; c < channels; c++)
            for (int r = 0; r < outHeight; r++)
                for (int q = 0; q < outWidth; q++)
                {
                    double max = double.NegativeInfinity;
                    for (int i = 0; i < size; i++)
                        for (int j = 0; j < size; j++) max = Math.Max(max, x[c, r * stride + i, q * stride + j]);
                    y[c, r, q] = max;
                }
        return y;
    }

    internal static double[,,] Map(double[,,] x, Func<double, double> f)
    {
        var y = (double[,,])x.Clone();
        for (int c = 0; c < y.GetLength(0); c++)
            for (int r = 0; r < y.GetLength(1); r++)
                for (int q = 0; q < y.GetLength(2); q++) y[c, r, q] = f(y[c, r, q]);
        return y;
    }

    /// <summary>A safetensors file as any tool would write it: the tensors in order, the checkpoint's metadata and checksums.</summary>
    internal static void WriteByHand(string path, string modelName, List<(string Name, int[] Shape, double[] Values)> tensors)
    {
        var metadata = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = "fishleg-checkpoint-2",
            ["model"] = modelName,
            ["crc32c.__header__"] = Checkpoint.ChecksumPlaceholder,
        };
        foreach (var (name, _, values) in tensors)
            metadata["crc32c." + name] = Crc32C.Compute(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan())).ToString("x8");
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteStartObject("__metadata__");
            foreach (var (key, value) in metadata) json.WriteString(key, value);
            json.WriteEndObject();
            long offset = 0;
            foreach (var (name, shape, values) in tensors)
            {
                json.WriteStartObject(name);
                json.WriteString("dtype", "F64");
                json.WriteStartArray("shape");
                foreach (int d in shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset += 8L * values.Length);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        byte[] header = stream.ToArray();
        header = [.. header, .. Enumerable.Repeat((byte)' ', (header.Length + 7) / 8 * 8 - header.Length)];
        using var file = File.Create(path);
        file.Write(Checkpoint.WithLengthAndChecksum(header));
        foreach (var (_, _, values) in tensors) file.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
    }

    internal static (int[] Shape, double[] Values) ReadTensor(string path, string name)
    {
        byte[] bytes = File.ReadAllBytes(path);
        long length = BitConverter.ToInt64(bytes, 0);
        using var header = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, (int)length));
        JsonElement entry = header.RootElement.GetProperty(name);
        int[] shape = [.. entry.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32())];
        long[] offsets = [.. entry.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64())];
        double[] values = [.. Enumerable.Range(0, (int)((offsets[1] - offsets[0]) / 8)).Select(i => BitConverter.ToDouble(bytes, (int)(8 + length + offsets[0] + 8 * i)))];
        return (shape, values);
    }
}
