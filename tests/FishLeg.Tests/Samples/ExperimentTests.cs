using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using FishLeg.Experiments.Data;
using FishLeg.Experiments;
using FishLeg.Training;
using SkiaSharp;
using Xunit;

namespace FishLeg.Tests.Samples;

/// <summary>
/// Each sample run end to end through its command line on a few batches of the shipped data: the files appear, and
/// every optimizer's losses are finite and fall.
/// </summary>
public sealed class ExperimentTests : IDisposable
{
    private static readonly string Shipped = Path.Combine(AppContext.BaseDirectory, "Data", "FashionMnist");
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"fishleg-samples-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    private (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exitCode = Program.Run(args, output, error);
        return (exitCode, output.ToString(), error.ToString());
    }

    /// <summary>The CSV's epoch rows: optimizer → (epoch, train loss, test loss, test accuracy).</summary>
    private static Dictionary<string, List<(int Epoch, double Train, double Test, double Accuracy)>> EpochRows(string csv)
    {
        string[] lines = File.ReadAllLines(csv);
        Assert.Equal("optimizer,kind,epoch,iteration,seconds,batch_loss,train_loss,test_loss,test_accuracy", lines[0]);
        double Parse(string cell) => cell.Length == 0 ? double.NaN : double.Parse(cell, CultureInfo.InvariantCulture);
        return lines.Skip(1).Select(line => line.Split(',')).Where(cells => cells[1] == "epoch")
            .GroupBy(cells => cells[0])
            .ToDictionary(g => g.Key, g => g.Select(c => (int.Parse(c[2], CultureInfo.InvariantCulture), Parse(c[6]), Parse(c[7]), Parse(c[8]))).ToList());
    }

    private static void AssertLearned(Dictionary<string, List<(int Epoch, double Train, double Test, double Accuracy)>> rows, string[] optimizers, int epochs)
    {
        Assert.Equal(optimizers.Order(), rows.Keys.Order());
        foreach (var (optimizer, points) in rows)
        {
            Assert.Equal(Enumerable.Range(0, epochs + 1), points.Select(p => p.Epoch));
            Assert.All(points, p => Assert.True(double.IsFinite(p.Train) && double.IsFinite(p.Test), $"{optimizer}: {p}"));
            Assert.True(points[^1].Train < points[0].Train, $"{optimizer}: train loss {points[0].Train} → {points[^1].Train}");
            Assert.True(points[^1].Test < points[0].Test, $"{optimizer}: test loss {points[0].Test} → {points[^1].Test}");
        }
    }

    [Fact]
    public void AutoencoderComparesTheFiveOptimizers()
    {
        var (exitCode, output, error) = Run("--data", Shipped, "--train-size", "400", "--test-size", "100", "--epochs", "2",
            "--batch", "50", "--aux-every", "2", "--out", _folder);
        Assert.True(exitCode == 0, error);
        Assert.Contains("no training split there, so the first 9,000 test images train and the last 1,000 are held out", output);
        Assert.Contains("Training on 400 images, evaluating on 100", output);
        Assert.Contains("summed over the 784 pixels", output);
        Assert.Contains("| optimizer    | train loss | test loss | wall-clock | median ms/it |", output);
        AssertLearned(EpochRows(Path.Combine(_folder, "autoencoder.csv")), ["SGD-momentum", "Adam", "FishLeg", "K-FAC", "AdaFisher"], epochs: 2);
        Assert.Equal(2 * 8 * 5, File.ReadAllLines(Path.Combine(_folder, "autoencoder.csv")).Count(l => l.Contains(",batch,")));
        Assert.Contains("| optimizer | target (best other final train loss) | iterations | seconds |", System.Text.RegularExpressions.Regex.Replace(output, " +", " "));
        AssertPng(Path.Combine(_folder, "autoencoder-loss.png"), 1440, 520);
        // Six rows (the test images, then one per optimizer) of ten 56-pixel images.
        AssertPng(Path.Combine(_folder, "autoencoder-reconstructions.png"), 180 + 10 * 60 + 4, 6 * 60 + 4);
    }

    [Fact]
    public void KfacAndAdaFisherTrainTheAutoencoder()
    {
        var (exitCode, output, error) = Run("--data", Shipped, "--train-size", "400", "--test-size", "100", "--epochs", "2",
            "--batch", "50", "--optimizers", "adam,kfac,adafisher", "--kfac-inverse-every", "3", "--tcov", "3", "--out", _folder);
        Assert.True(exitCode == 0, error);
        AssertLearned(EpochRows(Path.Combine(_folder, "autoencoder.csv")), ["Adam", "K-FAC", "AdaFisher"], epochs: 2);
        Assert.Contains("| K-FAC ", output);
        Assert.Contains("| AdaFisher ", output);

        // K-FAC with adaptive damping and AdaFisher with the paper's running average.
        (exitCode, _, error) = Run("--data", Shipped, "--train-size", "400", "--test-size", "100", "--epochs", "2", "--batch", "50",
            "--optimizers", "kfac,adafisher", "--kfac-adaptive-damping", "true", "--adafisher-averaging", "Paper",
            "--adafisher-lr", "3e-4", "--adafisher-damping", "1e-2", "--out", _folder);
        Assert.True(exitCode == 0, error);
        AssertLearned(EpochRows(Path.Combine(_folder, "autoencoder.csv")), ["K-FAC", "AdaFisher"], epochs: 2);
    }

    [Fact]
    public void FishLegTakesAnAuxiliaryBatchOfItsOwnSize()
    {
        // An auxiliary batch larger than the minibatch: the model is built for the larger of the two.
        var (exitCode, _, error) = Run("--data", Shipped, "--train-size", "200", "--test-size", "50", "--epochs", "2",
            "--batch", "25", "--aux-batch", "60", "--aux-every", "1", "--optimizers", "fishleg", "--out", _folder);
        Assert.True(exitCode == 0, error);
        AssertLearned(EpochRows(Path.Combine(_folder, "autoencoder.csv")), ["FishLeg"], epochs: 2);

        (exitCode, _, error) = Run("--data", Shipped, "--aux-batch", "0", "--out", _folder);
        Assert.Equal(1, exitCode);
        Assert.Contains("--aux-batch must be at least 1, not 0", error);
    }

    [Fact]
    public void CurvatureReportsTheAuxiliaryLossAgainstItsOptimum()
    {
        var (exitCode, output, error) = Run("curvature", "--data", Shipped, "--train-size", "300", "--batch", "30", "--sgd-iterations", "5",
            "--updates", "5", "--check-every", "2", "--aux-lr", "1e-3", "--out", _folder);
        Assert.True(exitCode == 0, error);
        // Checks at updates 0, 2, 4: A is above A* (no Q beats the exact inverse) and A* < 0.
        var rows = output.Split('\n').Where(line => System.Text.RegularExpressions.Regex.IsMatch(line, @"^\| +\d")).Select(line => line.Split('|', StringSplitOptions.TrimEntries)).ToList();
        Assert.Equal(["0", "2", "4"], rows.Select(cells => cells[1]));
        foreach (string[] cells in rows)
        {
            double loss = double.Parse(cells[2], CultureInfo.InvariantCulture), optimum = double.Parse(cells[3], CultureInfo.InvariantCulture);
            Assert.True(optimum < 0 && loss >= optimum, $"A = {loss}, A* = {optimum}");
        }
        Assert.Contains("Mean A / A* over the last 1 check:", output);
        AssertPng(Path.Combine(_folder, "curvature.png"), 720, 520);

        (exitCode, _, error) = Run("curvature", "--data", Shipped, "--updates", "0", "--out", _folder);
        Assert.Equal(1, exitCode);
        Assert.Contains("--updates must be at least 1, not 0", error);
    }

    /// <summary>The conjugate-gradient optimum −½ûᵀ(F + γI)⁻¹û against the explicit matrix F (column j = F·e_j) inverted by elimination, in double.</summary>
    [Theory]
    [InlineData(1e-2)]
    [InlineData(0.3)]
    public void DampedFisherSolverMatchesTheExplicitInverse(double damping)
    {
        var model = new Models.TwoLayerNet(6, seed: 4);
        var (inputs, targets) = Models.SmallNets.Batch(model.Description, 6, seed: 5);
        model.LossAndGradient(inputs, targets);
        double[] u = model.Gradient.ToArray();
        int n = u.Length;
        var matrix = new double[n, n];
        var unit = new double[n];
        var column = new double[n];
        for (int j = 0; j < n; j++)
        {
            Array.Clear(unit);
            unit[j] = 1;
            model.FisherVectorProduct(inputs, unit, column);
            for (int i = 0; i < n; i++) matrix[i, j] = column[i] + (i == j ? damping : 0);
        }
        double norm = Math.Sqrt(u.Sum(x => x * x));
        double[,] inverse = Optimizers.KfacOptimizerTests.Inverse(matrix);
        double expected = -0.5 * Enumerable.Range(0, n).Sum(i => Enumerable.Range(0, n).Sum(j => u[i] * inverse[i, j] * u[j])) / (norm * norm);

        var (optimum, iterations) = new DampedFisherSolver<double>(model, tolerance: 1e-12).Optimum(inputs, u, damping);
        Assert.Equal(expected, optimum, 1e-10 * Math.Abs(expected));
        Assert.InRange(iterations, 1, n);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DampedFisherSolver<double>(model).Optimum(inputs, u, 0));
    }

    /// <summary>
    /// A run stops with a clear line when its loss stops being finite, and also when the optimizer refuses a non-finite
    /// gradient behind a finite loss (a backward pass that overflows); the other runs go on.
    /// </summary>
    [Fact]
    public void ADivergedRunIsReportedAndTheOthersGoOn()
    {
        var model = new Models.TwoLayerNet(4, seed: 1);
        var (inputs, targets) = Models.SmallNets.Batch(model.Description, 16, seed: 2);
        var data = new Dataset<double>(inputs, targets, 16);
        Contender<double> Failing(string name, int at, bool lossFails) => new(name, "", m =>
        {
            var sgd = new FishLeg.Optimizers.SgdMomentum<double>(m.Parameters.Length, 1e-2);
            double[] nan = Enumerable.Repeat(double.NaN, m.Parameters.Length).ToArray();
            int calls = 0;
            return ((_, _, _, _) =>
            {
                if (++calls < at) sgd.Step(m.Parameters, m.Gradient);
                else if (lossFails) m.Parameters.Fill(double.PositiveInfinity); // the next loss is not finite
                else sgd.Step(m.Parameters, nan);
            }, sgd);
        });
        var output = new StringWriter();
        var logs = Comparison.Run("test", model, m => m.InitializeParameters(1), data, data,
            [Failing("refused", at: 3, lossFails: false), Failing("overflowed", at: 2, lossFails: true), Contender<double>.Adam(1e-3)],
            new TrainingSettings(2, 4, 1, _folder, false, false), output);

        Assert.Equal("iteration 3 was refused (The gradient at step 2 holds NaN at index 0; the parameters and the optimizer state were left unchanged.): " +
            "the run diverged (try a smaller learning rate)", logs[0].Failure);
        Assert.Equal(2, logs[0].Batches.Count);
        Assert.Equal("the training loss became NaN at iteration 3: the run diverged (try a smaller learning rate)", logs[1].Failure);
        Assert.Null(logs[2].Failure);
        Assert.Equal(2, logs[2].Epochs.Count - 1);
        Assert.Contains("refused: iteration 3 was refused", output.ToString());
    }

    [Fact]
    public void TimeToTargetInterpolatesBetweenEpochs()
    {
        EpochResult[] epochs = [new(0, 0, 0, 500, 500, double.NaN), new(1, 100, 10, 300, 301, double.NaN), new(2, 200, 30, 250, 251, double.NaN)];
        Assert.Equal((150.0, 20.0), Comparison.TimeToTarget(epochs, 275));
        Assert.Equal((100.0, 10.0), Comparison.TimeToTarget(epochs, 300));
        Assert.Equal((0.0, 0.0), Comparison.TimeToTarget(epochs, 600));
        Assert.Null(Comparison.TimeToTarget(epochs, 249.9));
    }

    /// <summary>
    /// A small folder in the layout of the Debian package, uncompressed: 120 training and 60 test images from the
    /// shipped split, with <paramref name="relabel"/> applied to the labels (index, label) → label.
    /// </summary>
    private string WriteDataFolder(Func<int, int, int>? relabel = null)
    {
        LabeledImages images = LabeledImages.Load(Path.Combine(Shipped, "t10k-images-idx3-ubyte.gz"), Path.Combine(Shipped, "t10k-labels-idx1-ubyte.gz"));
        string data = Path.Combine(_folder, "data");
        Directory.CreateDirectory(data);
        void Write(string name, int start, int count)
        {
            byte[] pixels = images.Pixels.AsSpan(start * 784, count * 784).ToArray().Select(p => (byte)Math.Round(255 * p)).ToArray();
            byte[] labels = images.Labels.AsSpan(start, count).ToArray().Select((l, i) => (byte)(relabel?.Invoke(i, l) ?? l)).ToArray();
            using (FileStream file = File.Create(Path.Combine(data, name + "-images-idx3-ubyte")))
                Idx.Write(file, new IdxArray([count, 28, 28], pixels), compress: false);
            using (FileStream file = File.Create(Path.Combine(data, name + "-labels-idx1-ubyte")))
                Idx.Write(file, new IdxArray([count], labels), compress: false);
        }
        Write("train", 0, 120);
        Write("t10k", 120, 60);
        return data;
    }

    [Fact]
    public void AutoencoderUsesTheTrainingSplitWhenTheFolderHasOne()
    {
        string data = WriteDataFolder();
        var (exitCode, output, error) = Run("--data", data, "--epochs", "1", "--batch", "40", "--optimizers", "adam", "--out", _folder);
        Assert.True(exitCode == 0, error);
        Assert.Contains($"Fashion-MNIST from {data}: 120 training images, 60 test images", output);
        AssertLearned(EpochRows(Path.Combine(_folder, "autoencoder.csv")), ["Adam"], epochs: 1);
    }

    [Fact]
    public void DeepLinearNetworkPlotsTheNoiseFloor()
    {
        var (exitCode, output, error) = Run("deep-linear", "--samples", "400", "--epochs", "3", "--out", _folder);
        Assert.True(exitCode == 0, error);
        Assert.Contains("Noise floor (the teacher's own test loss)", output);
        AssertLearned(EpochRows(Path.Combine(_folder, "deep-linear.csv")), ["SGD-momentum", "Adam", "FishLeg"], epochs: 3);
        AssertPng(Path.Combine(_folder, "deep-linear-loss.png"), 1440, 520);
    }

    [Fact]
    public void ClassifierReportsTestAccuracy()
    {
        // The curvature methods and Adam (SGD-momentum and AdaFisher need more than twelve iterations to pass 40%).
        var (exitCode, output, error) = Run("classifier", "--data", Shipped, "--train-size", "600", "--test-size", "200",
            "--epochs", "2", "--optimizers", "adam,fishleg,kfac", "--out", _folder);
        Assert.True(exitCode == 0, error);
        Assert.Contains("test accuracy", output);
        var rows = EpochRows(Path.Combine(_folder, "classifier.csv"));
        AssertLearned(rows, ["Adam", "FishLeg", "K-FAC"], epochs: 2);
        // Ten balanced classes: chance is 10%; two epochs on 600 images get well past it.
        Assert.All(rows.Values, points => Assert.InRange(points[^1].Accuracy, 0.4, 1.0));
        AssertPng(Path.Combine(_folder, "classifier-accuracy.png"), 1440, 520);
    }

    [Fact]
    public void TheNormalizedClassifierTrainsEveryOptimizer()
    {
        var (exitCode, output, error) = Run("classifier", "--layer-norm", "--data", Shipped, "--train-size", "600", "--test-size", "200",
            "--epochs", "2", "--out", _folder);
        Assert.True(exitCode == 0, error);
        Assert.Contains("(layer normalization, ReLU, softmax)", output);
        var rows = EpochRows(Path.Combine(_folder, "classifier-layernorm.csv"));
        AssertLearned(rows, ["SGD-momentum", "Adam", "FishLeg", "K-FAC", "AdaFisher"], epochs: 2);
        AssertPng(Path.Combine(_folder, "classifier-layernorm-accuracy.png"), 1440, 520);
    }

    [Fact]
    public void TheSwishClassifierTrainsEveryOptimizer()
    {
        var (exitCode, output, error) = Run("classifier", "--swish", "--data", Shipped, "--train-size", "600", "--test-size", "200",
            "--epochs", "2", "--out", _folder);
        Assert.True(exitCode == 0, error);
        Assert.Contains("(Swish from its [Elementwise] definition, softmax)", output);
        var rows = EpochRows(Path.Combine(_folder, "classifier-swish.csv"));
        AssertLearned(rows, ["SGD-momentum", "Adam", "FishLeg", "K-FAC", "AdaFisher"], epochs: 2);

        var (refused, _, message) = Run("classifier", "--swish", "--layer-norm", "--data", Shipped, "--out", _folder);
        Assert.Equal(1, refused);
        Assert.Contains("--layer-norm and --swish are two variants of the classifier: choose one.", message);
    }

    /// <summary>
    /// The main job data-parallel: two ranks under mpirun, each on half of every batch, give the single process's losses
    /// (float sums in another order: within 1e-4 relative after six steps), and rank 0 alone writes the files.
    /// </summary>
    [Fact]
    public void TheMainJobTrainsDataParallelOverTwoRanks()
    {
        string[] common = ["--data", Shipped, "--train-size", "600", "--test-size", "200", "--epochs", "1", "--optimizers", "sgd,adam,kfac", "--threads", "1"];
        var (exitCode, _, error) = Run([.. common, "--out", _folder]);
        Assert.True(exitCode == 0, error);
        var single = EpochRows(Path.Combine(_folder, "autoencoder.csv"));

        string folder = Path.Combine(_folder, "two-ranks");
        var start = new System.Diagnostics.ProcessStartInfo("mpirun",
            ["-np", "2", "--oversubscribe", "dotnet", typeof(Program).Assembly.Location, "--distributed", .. common, "--out", folder])
        { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
        start.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
        using var mpirun = System.Diagnostics.Process.Start(start)!;
        string stdout = mpirun.StandardOutput.ReadToEnd(), stderr = mpirun.StandardError.ReadToEnd();
        mpirun.WaitForExit();
        Assert.True(mpirun.ExitCode == 0, $"mpirun exited with {mpirun.ExitCode}: {stderr}");
        Assert.Contains("Data-parallel over 2 MPI rank(s)", stdout);
        var distributed = EpochRows(Path.Combine(folder, "autoencoder.csv"));
        Assert.Equal(single.Keys.Order(), distributed.Keys.Order());
        foreach (var (optimizer, rows) in single)
        {
            double expected = rows[^1].Train, actual = distributed[optimizer][^1].Train;
            Assert.True(Math.Abs(actual - expected) <= 1e-4 * expected, $"{optimizer}: two ranks end at {actual}, one process at {expected}");
        }
        Assert.Equal(3, Directory.GetFiles(folder).Length); // the CSV and two figures, once
    }

    [Fact]
    public void CnnTrainsEveryOptimizerAndReportsTestAccuracy()
    {
        var (exitCode, output, error) = Run("cnn", "--data", Shipped, "--train-size", "600", "--test-size", "200",
            "--epochs", "2", "--out", _folder);
        Assert.True(exitCode == 0, error);
        Assert.Contains("a Fashion-MNIST CNN", output);
        var rows = EpochRows(Path.Combine(_folder, "cnn.csv"));
        AssertLearned(rows, ["SGD-momentum", "Adam", "FishLeg", "K-FAC", "AdaFisher"], epochs: 2);
        AssertPng(Path.Combine(_folder, "cnn-accuracy.png"), 1440, 520);
    }

    [Theory]
    [InlineData(241.9, "241.900")]
    [InlineData(235.8564, "235.856")]
    [InlineData(0.000366446, "0.000366446")]
    [InlineData(1.374171e-5, "1.37417E-05")]
    [InlineData(-2.5, "-2.50000")]
    [InlineData(1234567.0, "1.23457E+06")]
    [InlineData(0.0, "0")]
    [InlineData(double.NaN, "NaN")]
    public void SummaryLossesKeepSixSignificantDigits(double value, string expected) =>
        Assert.Equal(expected, Comparison.SixDigits(value));

    [Fact]
    public void ResumingFromACheckpointIsExact()
    {
        string[] common = ["--data", Shipped, "--train-size", "200", "--test-size", "50", "--batch", "50", "--aux-every", "3",
            "--optimizers", "fishleg,adam", "--save-checkpoints"];
        string straight = Path.Combine(_folder, "straight"), resumed = Path.Combine(_folder, "resumed");
        Assert.Equal(0, Run([.. common, "--epochs", "3", "--out", straight]).ExitCode);
        Assert.Equal(0, Run([.. common, "--epochs", "1", "--out", resumed]).ExitCode);
        var (exitCode, output, error) = Run([.. common, "--epochs", "3", "--resume", "--out", resumed]);
        Assert.True(exitCode == 0, error);
        Assert.Contains("FishLeg: resumed from", output);
        Assert.Contains("after epoch 1 (iteration 4)", output);

        foreach (string optimizer in new[] { "fishleg", "adam" })
        {
            var a = new Autoencoder(50);
            var b = new Autoencoder(50);
            IReadOnlyDictionary<string, string> metadataA = Checkpoint.Load(Path.Combine(straight, $"autoencoder-{optimizer}.safetensors"), a);
            IReadOnlyDictionary<string, string> metadataB = Checkpoint.Load(Path.Combine(resumed, $"autoencoder-{optimizer}.safetensors"), b);
            Assert.Equal("3", metadataA["epoch"]);
            Assert.Equal("3", metadataB["epoch"]);
            Assert.True(a.Parameters.SequenceEqual(b.Parameters), $"{optimizer}: resumed parameters differ from the straight run's");
        }
        // The resumed run's CSV holds the whole run, epochs 0 to 3, as the straight run logged them, and every batch.
        var straightRows = EpochRows(Path.Combine(straight, "autoencoder.csv"));
        var resumedRows = EpochRows(Path.Combine(resumed, "autoencoder.csv"));
        Assert.Equal(straightRows["FishLeg"], resumedRows["FishLeg"]);
        Assert.Equal(straightRows["Adam"], resumedRows["Adam"]);
        Assert.Equal(2 * 3 * 4, File.ReadAllLines(Path.Combine(resumed, "autoencoder.csv")).Count(l => l.Contains(",batch,")));
    }

    [Theory]
    [InlineData("--seed", "2", "was saved with seed '1', but this run has '2'")]
    [InlineData("--batch", "40", "was saved with batch '50', but this run has '40'")]
    [InlineData("--adam-lr", "0.01", "was saved with settings 'learning rate 0.001', but this run has 'learning rate 0.01'")]
    [InlineData("--train-size", "150", "was saved with training examples '200', but this run has '150'")]
    public void ResumingWithOtherSettingsIsRefused(string option, string value, string message)
    {
        string[] common = ["--data", Shipped, "--test-size", "50", "--optimizers", "adam", "--save-checkpoints", "--out", _folder];
        Assert.Equal(0, Run([.. common, "--train-size", "200", "--batch", "50", "--epochs", "1"]).ExitCode);
        string[] changed = [.. common, "--train-size", "200", "--batch", "50", "--epochs", "2", "--resume"];
        int at = Array.IndexOf(changed, option);
        if (at >= 0) changed[at + 1] = value;
        else changed = [.. changed, option, value];
        var (exitCode, _, error) = Run(changed);
        Assert.Equal(1, exitCode);
        Assert.StartsWith("error: --resume: ", error);
        Assert.Contains(message, error);
        Assert.Contains("run with the same options, or give another --out folder", error);
    }

    [Fact]
    public void ACorruptCheckpointValueIsOneErrorLine()
    {
        string[] common = ["--data", Shipped, "--train-size", "100", "--test-size", "50", "--batch", "50", "--optimizers", "sgd", "--save-checkpoints", "--out", _folder];
        Assert.Equal(0, Run([.. common, "--epochs", "1"]).ExitCode);
        // Rewrite the checkpoint with a corrupt epoch, as a hand edit would (a well-formed file: Checkpoint.Save signs it).
        string path = Path.Combine(_folder, "autoencoder-sgd-momentum.safetensors");
        var model = new Autoencoder(50);
        var sgd = new FishLeg.Optimizers.SgdMomentum<float>(Autoencoder.ParameterCount, 1e-3);
        var metadata = new Dictionary<string, string>(Checkpoint.Load(path, model, sgd)) { ["epoch"] = "one" };
        foreach (string key in metadata.Keys.Where(k => k is "format" or "model" or "optimizer" || k.StartsWith("crc32c.", StringComparison.Ordinal) || k.StartsWith("sgd.", StringComparison.Ordinal)).ToList())
            metadata.Remove(key);
        Checkpoint.Save(path, model, sgd, metadata);
        var (exitCode, _, error) = Run([.. common, "--epochs", "2", "--resume"]);
        Assert.Equal(1, exitCode);
        Assert.Equal("error: The checkpoint's 'epoch' is 'one', not a non-negative whole number.", error.Trim());
    }

    [Theory]
    [InlineData(200, "error: Label 200 of training image 7 is not a class of the 10-class classifier (0 to 9).")]
    [InlineData(10, "error: Label 10 of training image 7 is not a class of the 10-class classifier (0 to 9).")]
    public void ALabelOutsideTheClassesIsOneErrorLine(int label, string message)
    {
        string data = WriteDataFolder((index, original) => index == 7 ? label : original);
        var (exitCode, _, error) = Run("classifier", "--data", data, "--epochs", "1", "--batch", "40", "--out", _folder);
        Assert.Equal(1, exitCode);
        Assert.Equal(message, error.Trim());
    }

    [Theory]
    [InlineData("error: --optimizers: unknown optimizer 'lbfgs'; choose from sgd, adam, fishleg, kfac, adafisher.", "--optimizers", "adam,lbfgs")]
    [InlineData("error: --batch must be at least 1, not 0.", "--batch", "0")]
    [InlineData("error: --epochs must be at least 1, not 0.", "--epochs", "0")]
    [InlineData("error: --epochs must be at least 1, not 0.", "deep-linear", "--epochs", "0")]
    [InlineData("error: The data folder '/nonexistent/fashion' does not exist.", "--data", "/nonexistent/fashion")]
    [InlineData("error: The batch size 100 is larger than the 30 training examples.", "--train-size", "30", "--data", null)]
    [InlineData("error: --samples must be at least 1, not 0.", "deep-linear", "--samples", "0")]
    public void BadOptionsAreOneClearError(string message, params string?[] args)
    {
        // null stands for the shipped data folder.
        var (exitCode, _, error) = Run([.. args.Select(a => a ?? Shipped), "--out", _folder]);
        Assert.Equal(1, exitCode);
        Assert.Equal(message, error.Trim());
    }

    [Fact]
    public void HelpListsTheOptionsWithTheirDefaults()
    {
        var (exitCode, output, _) = Run("--help");
        Assert.Equal(0, exitCode);
        foreach (string option in new[] { "--epochs", "--batch", "--optimizers", "--seed", "--threads", "--out", "--data", "--resume", "deep-linear", "classifier" })
            Assert.Contains(option, output);
        Assert.Contains("[default: sgd,adam,fishleg,kfac,adafisher]", output);
        foreach (string option in new[] { "--kfac-inverse", "--kfac-adaptive-damping", "--adafisher-averaging" }) Assert.Contains(option, output);
    }

    private static void AssertPng(string path, int width, int height)
    {
        Assert.True(File.Exists(path), $"{path} was not written");
        using SKBitmap image = SKBitmap.Decode(path) ?? throw new InvalidDataException($"{path} is not an image");
        Assert.Equal((width, height), (image.Width, image.Height));
        // Something was drawn: more than one colour.
        Assert.True(image.Pixels.Distinct().Skip(1).Any(), $"{path} is blank");
    }
}
