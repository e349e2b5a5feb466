using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using FishLeg.Optimizers;
using FishLeg.Tests.Models;
using FishLeg.Training;
using Xunit;

namespace FishLeg.Tests.Training;

public sealed class CheckpointTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fishleg-checkpoint-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PathOf(string name) => Path.Combine(_directory, name);

    private static (double[] Inputs, double[] Targets) BatchAt(ModelDescription d, int k) => SmallNets.Batch(d, 4, seed: (ulong)(100 + k));

    /// <summary>N steps, save, load into fresh objects, M more steps: bit-identical to N + M steps straight.</summary>
    private void AssertExactResume(Func<TanhBernoulliNet, IOptimizerState<double>> create, Action<TanhBernoulliNet, IOptimizerState<double>, int> step)
    {
        const int N = 3, M = 4;
        var straight = new TanhBernoulliNet(4, seed: 1);
        var straightOptimizer = create(straight);
        for (int k = 0; k < N + M; k++) step(straight, straightOptimizer, k);

        var first = new TanhBernoulliNet(4, seed: 1);
        var firstOptimizer = create(first);
        for (int k = 0; k < N; k++) step(first, firstOptimizer, k);
        Checkpoint.Save(PathOf("run.safetensors"), first, firstOptimizer, new Dictionary<string, string> { ["epoch"] = "3" });

        var resumed = new TanhBernoulliNet(4, seed: 99);
        var resumedOptimizer = create(resumed);
        var metadata = Checkpoint.Load(PathOf("run.safetensors"), resumed, resumedOptimizer);
        Assert.Equal("3", metadata["epoch"]);
        for (int k = N; k < N + M; k++) step(resumed, resumedOptimizer, k);

        Assert.Equal(straight.Parameters.ToArray(), resumed.Parameters.ToArray());
    }

    [Fact]
    public void FishLegResumesExactly() => AssertExactResume(
        model => new FishLegOptimizer<double>(model, new FishLegOptions { UpdateAuxEvery = 2, Curvature = CurvatureEstimator.SampledLabelHessian, Seed = 5 }),
        (model, optimizer, k) =>
        {
            var (x, y) = BatchAt(model.Description, k);
            model.LossAndGradient(x, y);
            ((FishLegOptimizer<double>)optimizer).Step(x);
        });

    [Fact]
    public void AdamResumesExactly() => AssertExactResume(
        model => new Adam<double>(TanhBernoulliNet.ParameterCount, 1e-2),
        (model, optimizer, k) =>
        {
            var (x, y) = BatchAt(model.Description, k);
            model.LossAndGradient(x, y);
            ((Adam<double>)optimizer).Step(model.Parameters, model.Gradient);
        });

    [Fact]
    public void SgdMomentumResumesExactly() => AssertExactResume(
        model => new SgdMomentum<double>(TanhBernoulliNet.ParameterCount, 0.1),
        (model, optimizer, k) =>
        {
            var (x, y) = BatchAt(model.Description, k);
            model.LossAndGradient(x, y);
            ((SgdMomentum<double>)optimizer).Step(model.Parameters, model.Gradient);
        });

    [Fact]
    public void LayoutIsSafetensorsWithPyTorchShapedWeights()
    {
        var model = new MixedBiasNet(2, seed: 3);
        Checkpoint.Save(PathOf("m.safetensors"), model);
        byte[] bytes = File.ReadAllBytes(PathOf("m.safetensors"));
        long headerLength = BitConverter.ToInt64(bytes, 0);
        Assert.Equal(0, headerLength % 8);
        using var header = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, (int)headerLength));
        JsonElement root = header.RootElement;
        Assert.Equal("MixedBiasNet", root.GetProperty("__metadata__").GetProperty("model").GetString());
        Assert.Equal("[6,4]", root.GetProperty("layers.1.weight").GetProperty("shape").GetRawText());
        Assert.Equal("F64", root.GetProperty("layers.1.weight").GetProperty("dtype").GetString());
        Assert.False(root.TryGetProperty("layers.0.bias", out _)); // layer 0 has no bias

        // layers.1.bias is the last column of W₁ (6×5).
        long[] offsets = root.GetProperty("layers.1.bias").GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        double[] bias = Enumerable.Range(0, 6).Select(r => BitConverter.ToDouble(bytes, (int)(8 + headerLength + offsets[0] + 8 * r))).ToArray();
        LayerDescription layer = model.Description.Layers[1];
        Assert.Equal(Enumerable.Range(0, 6).Select(r => model.Parameters[layer.Offset + r * layer.Columns + 4]), bias);
        Assert.Equal(bytes.Length, 8 + headerLength + root.EnumerateObject().Where(p => p.Name != "__metadata__")
            .Max(p => p.Value.GetProperty("data_offsets")[1].GetInt64()));
    }

    [Fact]
    public void AnotherModelsCheckpointIsRejected()
    {
        Checkpoint.Save(PathOf("tanh.safetensors"), new TanhGaussianNet(2, seed: 1));
        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(PathOf("tanh.safetensors"), new ReluGaussianNet(2)));
        Assert.Contains("was saved from model 'TanhGaussianNet', not 'ReluGaussianNet'", error.Message);

        // Same name, other shapes: the first mismatching tensor and both shapes are named.
        RewriteHeader("tanh.safetensors", json => json.Replace("\"TanhGaussianNet\"", "\"MixedBiasNet\""));
        var target = new MixedBiasNet(2, seed: 4);
        double[] before = target.Parameters.ToArray();
        error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(PathOf("tanh.safetensors"), target));
        Assert.Contains("tensor 'layers.1.weight' has shape [4, 4], but [6, 4] is expected", error.Message);
        Assert.Equal(before, target.Parameters.ToArray());
    }

    [Fact]
    public void MissingOptimizerStateIsNamed()
    {
        var model = new TanhGaussianNet(2, seed: 1);
        Checkpoint.Save(PathOf("weights-only.safetensors"), model);
        var error = Assert.Throws<InvalidDataException>(() =>
            Checkpoint.Load(PathOf("weights-only.safetensors"), model, new Adam<double>(TanhGaussianNet.ParameterCount)));
        Assert.Contains("has no tensor 'adam.exp_avg'", error.Message);
    }

    [Fact]
    public void TruncatedAndCorruptFilesAreRejected()
    {
        var model = new TanhGaussianNet(2, seed: 1);
        Checkpoint.Save(PathOf("c.safetensors"), model);
        byte[] bytes = File.ReadAllBytes(PathOf("c.safetensors"));

        File.WriteAllBytes(PathOf("cut.safetensors"), bytes[..^10]);
        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(PathOf("cut.safetensors"), model));
        Assert.Contains("is truncated: tensor 'layers.2.bias' ends at byte", error.Message);

        File.WriteAllBytes(PathOf("head.safetensors"), bytes[..20]);
        error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(PathOf("head.safetensors"), model));
        Assert.Contains("is truncated: its header claims", error.Message);

        byte[] garbled = (byte[])bytes.Clone();
        garbled[9] = (byte)'#';
        File.WriteAllBytes(PathOf("garbled.safetensors"), garbled);
        error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(PathOf("garbled.safetensors"), model));
        Assert.Contains("has a corrupt header", error.Message);

        Assert.Throws<FileNotFoundException>(() => Checkpoint.Load(PathOf("absent.safetensors"), model));
    }

    [Fact]
    public void FailedSaveKeepsThePreviousCheckpointAndLeavesNoTemporaryFile()
    {
        var model = new TanhGaussianNet(2, seed: 1);
        Checkpoint.Save(PathOf("keep.safetensors"), model);
        byte[] before = File.ReadAllBytes(PathOf("keep.safetensors"));

        // A failure while gathering the state, and one at the final rename (the target is a directory).
        Assert.Throws<IOException>(() => Checkpoint.Save(PathOf("keep.safetensors"), new TanhGaussianNet(2, seed: 2), new FailingState()));
        Directory.CreateDirectory(PathOf("taken"));
        Assert.ThrowsAny<Exception>(() => Checkpoint.Save(PathOf("taken"), model));

        Assert.Equal(before, File.ReadAllBytes(PathOf("keep.safetensors")));
        Assert.Equal(new[] { "keep.safetensors" }, Directory.GetFiles(_directory).Select(Path.GetFileName));
    }

    /// <summary>An optimizer whose state cannot be read, like a failing disk under it.</summary>
    private sealed class FailingState : IOptimizerState<double>
    {
        public IEnumerable<KeyValuePair<string, double[]>> StateTensors
        {
            get
            {
                yield return new("fine", new double[3]);
                throw new IOException("simulated failure");
            }
        }

        public IReadOnlyDictionary<string, string> StateScalars => new Dictionary<string, string>();

        public void RestoreStateScalars(IReadOnlyDictionary<string, string> scalars) { }
    }

    private void RewriteHeader(string name, Func<string, string> edit)
    {
        byte[] bytes = File.ReadAllBytes(PathOf(name));
        int length = (int)BitConverter.ToInt64(bytes, 0);
        byte[] header = Encoding.UTF8.GetBytes(edit(Encoding.UTF8.GetString(bytes, 8, length).TrimEnd()));
        int padded = (header.Length + 7) / 8 * 8;
        using var file = File.Create(PathOf(name));
        file.Write(BitConverter.GetBytes((long)padded));
        file.Write(header);
        file.Write(Enumerable.Repeat((byte)' ', padded - header.Length).ToArray());
        file.Write(bytes, 8 + length, bytes.Length - 8 - length);
    }
}
