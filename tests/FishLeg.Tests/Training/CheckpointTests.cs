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

    /// <summary>Step k of a FishLeg run: the k-th batch's gradient, then a step with that batch as the auxiliary one.</summary>
    private static void FishLegStep(TanhBernoulliNet model, IOptimizerState<double> optimizer, int k)
    {
        var (x, y) = BatchAt(model.Description, k);
        model.LossAndGradient(x, y);
        ((FishLegOptimizer<double>)optimizer).Step(x);
    }

    [Fact]
    public void FishLegResumesExactly() => AssertExactResume(
        model => new FishLegOptimizer<double>(model, new FishLegOptions { UpdateAuxEvery = 2, Curvature = CurvatureEstimator.SampledLabelHessian, Seed = 5 }),
        FishLegStep);

    /// <summary>The per-matrix auxiliary Adam with a ramp that is still under way at the checkpoint, after a one-step warm start and early steps that all update λ.</summary>
    [Fact]
    public void FishLegWithScheduledMatrixAdamResumesExactly() => AssertExactResume(
        model => new FishLegOptimizer<double>(model, new FishLegOptions
        {
            UpdateAuxEvery = 3, EarlyAuxiliarySteps = 2, AuxiliaryStepsPerUpdate = 2, AuxiliaryRampSteps = 20, AuxiliaryScaling = AuxiliaryScaling.PerMatrix,
            WarmStartSteps = 1,
        }),
        FishLegStep);

    /// <summary>Saved in the middle of a warm start (step 3 of 5): the squared gradients so far travel with the checkpoint.</summary>
    [Fact]
    public void FishLegResumesExactlyInTheMiddleOfAWarmStart() => AssertExactResume(
        model => new FishLegOptimizer<double>(model, new FishLegOptions { WarmStartSteps = 5, UpdateAuxEvery = 2 }),
        FishLegStep);

    /// <summary>K-FAC with the true Fisher (its sampling generator travels too), running factors and stale inverses across the checkpoint.</summary>
    [Fact]
    public void KfacResumesExactly() => AssertExactResume(
        model => new KfacOptimizer<double>(model, new KfacOptions { Seed = 8, InverseUpdateEvery = 2, FactorUpdateEvery = 1, WeightDecay = 1e-3 }),
        (model, optimizer, k) =>
        {
            var (x, y) = BatchAt(model.Description, k);
            model.LossAndGradient(x, y);
            ((KfacOptimizer<double>)optimizer).Step(x);
        });

    /// <summary>K-FAC with eigendecompositions and adaptive damping: the adapted γ and the stale decomposition travel.</summary>
    [Fact]
    public void KfacWithEigenAndAdaptiveDampingResumesExactly() => AssertExactResume(
        model => new KfacOptimizer<double>(model, new KfacOptions
        {
            Seed = 8, Inverse = KfacInverse.Eigen, InverseUpdateEvery = 3, AdaptiveDamping = true, DampingAdaptationEvery = 1, LearningRate = 0.5,
        }),
        (model, optimizer, k) =>
        {
            var (x, y) = BatchAt(model.Description, k);
            model.LossAndGradient(x, y);
            ((KfacOptimizer<double>)optimizer).Step(x, y);
        });

    /// <summary>AdaFisher (either running average) with its diagonals updated every other step, so one update falls after the checkpoint.</summary>
    [Theory]
    [InlineData(AdaFisherAveraging.Code)]
    [InlineData(AdaFisherAveraging.Paper)]
    public void AdaFisherResumesExactly(AdaFisherAveraging averaging) => AssertExactResume(
        model => new AdaFisherOptimizer<double>(model, new AdaFisherOptions { CurvatureUpdateEvery = 2, WeightDecay = 1e-3, Averaging = averaging }),
        (model, optimizer, k) =>
        {
            var (x, y) = BatchAt(model.Description, k);
            model.LossAndGradient(x, y);
            ((AdaFisherOptimizer<double>)optimizer).Step();
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

        // Same name, other shapes (a well-formed, re-signed header): the first mismatching tensor and both shapes are named.
        RewriteHeader("tanh.safetensors", json => json.Replace("\"TanhGaussianNet\"", "\"MixedBiasNet\""), resign: true);
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
        Assert.Contains("holds no optimizer state; load it without an optimizer", error.Message);
    }

    /// <summary>
    /// A checkpoint of K-FAC with Cholesky inverses does not load into K-FAC with eigendecompositions (its arrays mean
    /// something else): the missing array is named and neither the model nor the optimizer changes.
    /// </summary>
    [Fact]
    public void KfacInverseFormsDoNotMix()
    {
        var model = new TanhBernoulliNet(4, seed: 1);
        var (x, y) = BatchAt(model.Description, 0);
        var cholesky = new KfacOptimizer<double>(model, new KfacOptions());
        model.LossAndGradient(x, y);
        cholesky.Step(x);
        Checkpoint.Save(PathOf("cholesky.safetensors"), model, cholesky);

        var other = new TanhBernoulliNet(4, seed: 2);
        double[] before = other.Parameters.ToArray();
        var eigen = new KfacOptimizer<double>(other, new KfacOptions { Inverse = KfacInverse.Eigen });
        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(PathOf("cholesky.safetensors"), other, eigen));
        Assert.Contains("kfac.eigenvectors", error.Message);
        Assert.Equal(before, other.Parameters.ToArray());
        Assert.Equal(0, eigen.StepCount);
    }

    [Fact]
    public void TruncatedAndCorruptFilesAreRejected()
    {
        var model = new TanhGaussianNet(2, seed: 1);
        Checkpoint.Save(PathOf("c.safetensors"), model);
        byte[] bytes = File.ReadAllBytes(PathOf("c.safetensors"));

        File.WriteAllBytes(PathOf("cut.safetensors"), bytes[..^10]);
        // The header (and its checksum) is intact, so the tensor that runs past the end is named.
        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(PathOf("cut.safetensors"), model));
        Assert.Contains("is truncated: tensor 'layers.2.bias' ends at byte", error.Message);

        File.WriteAllBytes(PathOf("head.safetensors"), bytes[..20]);
        error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(PathOf("head.safetensors"), model));
        Assert.Contains("is truncated: its header claims", error.Message);

        byte[] garbled = (byte[])bytes.Clone();
        garbled[8] = (byte)'#';
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

        public string Kind => "Failing";

        public IReadOnlyDictionary<string, string> StateScalars => new Dictionary<string, string>();

        public Action PrepareRestore(IReadOnlyDictionary<string, string> scalars) => () => { };
    }

    /// <summary>
    /// Edits a checkpoint's header text. With <paramref name="resign"/> the header checksum is computed anew, as a
    /// well-formed file with that content would have it; without, the edit is corruption.
    /// </summary>
    private void RewriteHeader(string name, Func<string, string> edit, bool resign = false)
    {
        byte[] bytes = File.ReadAllBytes(PathOf(name));
        int length = (int)BitConverter.ToInt64(bytes, 0);
        string json = edit(Encoding.UTF8.GetString(bytes, 8, length).TrimEnd());
        if (resign)
            json = System.Text.RegularExpressions.Regex.Replace(json, "\"crc32c.__header__\":\"[0-9a-f]{8}\"", $"\"crc32c.__header__\":\"{Checkpoint.ChecksumPlaceholder}\"");
        byte[] header = Encoding.UTF8.GetBytes(json);
        int padded = (header.Length + 7) / 8 * 8;
        header = header.Concat(Enumerable.Repeat((byte)' ', padded - header.Length)).ToArray();
        using var file = File.Create(PathOf(name));
        if (resign) file.Write(Checkpoint.WithLengthAndChecksum(header));
        else
        {
            file.Write(BitConverter.GetBytes((long)padded));
            file.Write(header);
        }
        file.Write(bytes, 8 + length, bytes.Length - 8 - length);
    }

    [Fact]
    public void Crc32CMatchesTheStandardCheckValue() =>
        Assert.Equal(0xE3069283u, Crc32C.Compute(Encoding.ASCII.GetBytes("123456789")));

    /// <summary>A FishLeg run of a few steps: model and optimizer with state worth restoring.</summary>
    private static (TwoLayerNet Model, FishLegOptimizer<double> Optimizer) Trained(ulong seed, QForm form = QForm.KroneckerTriangular)
    {
        var model = new TwoLayerNet(4, seed);
        var optimizer = new FishLegOptimizer<double>(model, new FishLegOptions { UpdateAuxEvery = 2, QForm = form, Curvature = CurvatureEstimator.MonteCarloFisher, Seed = seed });
        for (int k = 0; k < 3; k++)
        {
            var (x, y) = BatchAt(model.Description, k);
            model.LossAndGradient(x, y);
            optimizer.Step(x);
        }
        return (model, optimizer);
    }

    private static byte[] Snapshot(TwoLayerNet model, FishLegOptimizer<double> optimizer) =>
        Encoding.UTF8.GetBytes(string.Join(";", optimizer.StateScalars.OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value}")))
            .Concat(model.Parameters.ToArray().Concat(optimizer.StateTensors.SelectMany(t => t.Value)).SelectMany(BitConverter.GetBytes)).ToArray();

    /// <summary>
    /// Every single-bit flip of the length prefix and header, and of a sample of data bits, is rejected, and leaves the
    /// model and the optimizer byte-identical to before the load.
    /// </summary>
    [Fact]
    public void EverySingleBitFlipIsRejectedAndChangesNothing()
    {
        var (saved, savedOptimizer) = Trained(1);
        Checkpoint.Save(PathOf("flip.safetensors"), saved, savedOptimizer, new Dictionary<string, string> { ["epoch"] = "7" });
        byte[] bytes = File.ReadAllBytes(PathOf("flip.safetensors"));
        int dataStart = 8 + (int)BitConverter.ToInt64(bytes, 0);

        var (model, optimizer) = Trained(2);
        byte[] before = Snapshot(model, optimizer);
        var random = new SeededRandom(11);
        var bits = Enumerable.Range(0, 8 * dataStart).Concat(Enumerable.Range(0, 400).Select(_ => 8 * dataStart + random.NextInt(8 * (bytes.Length - dataStart))));
        int rejected = 0;
        foreach (int bit in bits)
        {
            bytes[bit / 8] ^= (byte)(1 << (bit % 8));
            File.WriteAllBytes(PathOf("flipped.safetensors"), bytes);
            bytes[bit / 8] ^= (byte)(1 << (bit % 8));
            Exception? error = Record.Exception(() => Checkpoint.Load(PathOf("flipped.safetensors"), model, optimizer));
            Assert.True(error is InvalidDataException, $"bit {bit}: {error?.GetType().Name ?? "no exception"}");
            rejected++;
        }
        Assert.Equal(8 * dataStart + 400, rejected);
        Assert.Equal(before, Snapshot(model, optimizer));

        Checkpoint.Load(PathOf("flip.safetensors"), model, optimizer); // the intact file loads
        Assert.Equal(Snapshot(saved, savedOptimizer), Snapshot(model, optimizer));
    }

    [Fact]
    public void AnotherQFormOrOptimizerIsRejected()
    {
        var (full, fullOptimizer) = Trained(1, QForm.KroneckerFull);
        Checkpoint.Save(PathOf("full.safetensors"), full, fullOptimizer);
        var (model, optimizer) = Trained(2);
        byte[] before = Snapshot(model, optimizer);
        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(PathOf("full.safetensors"), model, optimizer));
        Assert.Contains("Q forms per layer are [KroneckerFull,KroneckerFull], but this optimizer's are [KroneckerTriangular,KroneckerTriangular]", error.Message);
        Assert.Equal(before, Snapshot(model, optimizer));

        var sgd = new SgdMomentum<double>(TwoLayerNet.ParameterCount, 0.1);
        Checkpoint.Save(PathOf("sgd.safetensors"), full, sgd);
        error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(PathOf("sgd.safetensors"), model, new Adam<double>(TwoLayerNet.ParameterCount)));
        Assert.Contains("holds the state of optimizer 'SGD-momentum', not 'Adam'", error.Message);
    }

    [Fact]
    public void ATransposedTensorAndAnOlderFormatAreRejected()
    {
        var model = new MixedBiasNet(2, seed: 3);
        Checkpoint.Save(PathOf("m.safetensors"), model);
        RewriteHeader("m.safetensors", json => json.Replace("\"shape\":[6,4]", "\"shape\":[4,6]"), resign: true);
        var target = new MixedBiasNet(2, seed: 4);
        double[] before = target.Parameters.ToArray();
        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(PathOf("m.safetensors"), target));
        Assert.Contains("tensor 'layers.1.weight' has shape [4, 6], but [6, 4] is expected", error.Message);
        Assert.Equal(before, target.Parameters.ToArray());

        Checkpoint.Save(PathOf("old.safetensors"), model);
        RewriteHeader("old.safetensors", json => json.Replace("fishleg-checkpoint-2", "fishleg-checkpoint-1"), resign: true);
        error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(PathOf("old.safetensors"), target));
        Assert.Contains("has format 'fishleg-checkpoint-1'; this version reads 'fishleg-checkpoint-2'", error.Message);

        Checkpoint.Save(PathOf("edited.safetensors"), model);
        RewriteHeader("edited.safetensors", json => json.Replace("MixedBiasNet", "MixedBiasNeT"));
        error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(PathOf("edited.safetensors"), target));
        Assert.Contains("fails its header checksum", error.Message);
    }

    [Fact]
    public void MetadataKeysTheCheckpointWritesAreRefused()
    {
        var model = new TwoLayerNet(2);
        foreach (string key in new[] { "format", "model", "optimizer", "crc32c.layers.0.weight", "sgd.started" })
        {
            var error = Assert.Throws<ArgumentException>(() => Checkpoint.Save(PathOf("meta.safetensors"), model,
                new SgdMomentum<double>(TwoLayerNet.ParameterCount, 0.1), new Dictionary<string, string> { [key] = "x" }));
            Assert.Contains($"The metadata key '{key}' is one the checkpoint writes itself", error.Message);
        }
        Assert.False(File.Exists(PathOf("meta.safetensors")));
    }

    /// <summary>
    /// The checkpoint path is a link to an older file: a save writes a new file and renames it over the link, so the
    /// file the link pointed to keeps its bytes (a save in place would overwrite them through the link).
    /// </summary>
    [Fact]
    public void SaveWritesANewFileAndRenamesItIntoPlace()
    {
        Checkpoint.Save(PathOf("older.safetensors"), new TwoLayerNet(2, seed: 1));
        byte[] older = File.ReadAllBytes(PathOf("older.safetensors"));
        File.CreateSymbolicLink(PathOf("latest.safetensors"), PathOf("older.safetensors"));
        Checkpoint.Save(PathOf("latest.safetensors"), new TwoLayerNet(2, seed: 2));
        Assert.Equal(older, File.ReadAllBytes(PathOf("older.safetensors")));
        Assert.Null(new FileInfo(PathOf("latest.safetensors")).LinkTarget);
        var loaded = new TwoLayerNet(2, seed: 9);
        Checkpoint.Load(PathOf("latest.safetensors"), loaded);
        Assert.Equal(new TwoLayerNet(2, seed: 2).Parameters.ToArray(), loaded.Parameters.ToArray());
    }

    /// <summary>A save killed mid-write leaves ".name.{guid}.tmp"; the next save of that checkpoint removes it, and only it.</summary>
    [Fact]
    public void StaleTemporaryFilesOfTheSameCheckpointAreRemoved()
    {
        string[] stale = [$".run.safetensors.{Guid.NewGuid():N}.tmp", $".run.safetensors.{Guid.NewGuid():N}.tmp"];
        string[] others = [$".other.safetensors.{Guid.NewGuid():N}.tmp", ".run.safetensors.notes.tmp", "run.safetensors.tmp"];
        foreach (string name in stale.Concat(others)) File.WriteAllBytes(PathOf(name), new byte[100]);
        Checkpoint.Save(PathOf("run.safetensors"), new TwoLayerNet(2));
        Assert.Equal(others.Append("run.safetensors").Order(StringComparer.Ordinal),
            Directory.GetFiles(_directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }
}
