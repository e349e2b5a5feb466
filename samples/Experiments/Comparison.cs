using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Numerics;
using System.Text;
using FishLeg.Data;
using FishLeg.Optimizers;
using FishLeg.Experiments.Reports;
using FishLeg.Training;
using Spectre.Console;

namespace FishLeg.Experiments;

/// <summary>Rows of inputs and targets, row-major.</summary>
public sealed record Dataset<T>(T[] Inputs, T[] Targets, int Count)
{
    public int InputLength => Inputs.Length / Count;
    public int TargetLength => Targets.Length / Count;
}

/// <summary>
/// One optimizer step, once the model holds the gradient of the batch with these inputs and targets (K-FAC's sampled pass
/// runs on the inputs, its adaptive damping on both); FishLeg also gets an auxiliary batch.
/// </summary>
public delegate void OptimizerStep<T>(ReadOnlySpan<T> inputs, ReadOnlySpan<T> targets, ReadOnlySpan<T> auxiliaryInputs, ReadOnlySpan<T> auxiliaryTargets);

/// <summary>
/// An optimizer entered in a comparison: its name, its hyper-parameters as text (a resumed run must have the same), and
/// how to build it on a model.
/// </summary>
public sealed record Contender<T>(string Name, string Settings, Func<IFishLegModel<T>, (OptimizerStep<T> Step, IOptimizerState<T> State)> Create)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static Contender<T> SgdMomentum(double learningRate, double momentum) =>
        new("SGD-momentum", string.Create(CultureInfo.InvariantCulture, $"learning rate {learningRate:R}, momentum {momentum:R}"), model =>
        {
            var sgd = new SgdMomentum<T>(model.Parameters.Length, learningRate, momentum);
            return ((_, _, _, _) => sgd.Step(model.Parameters, model.Gradient), sgd);
        });

    public static Contender<T> Adam(double learningRate) =>
        new("Adam", string.Create(CultureInfo.InvariantCulture, $"learning rate {learningRate:R}"), model =>
        {
            var adam = new Adam<T>(model.Parameters.Length, learningRate);
            return ((_, _, _, _) => adam.Step(model.Parameters, model.Gradient), adam);
        });

    public static Contender<T> FishLeg(FishLegOptions options) => new("FishLeg", options.ToString(), model =>
    {
        var fishLeg = new FishLegOptimizer<T>(model, options);
        return ((_, _, auxiliaryInputs, auxiliaryTargets) => fishLeg.Step(auxiliaryInputs, auxiliaryTargets), fishLeg);
    });

    public static Contender<T> AdaFisher(AdaFisherOptions options) => new("AdaFisher", options.ToString(), model =>
    {
        var adaFisher = new AdaFisherOptimizer<T>(model, options);
        return ((_, _, _, _) => adaFisher.Step(), adaFisher);
    });

    public static Contender<T> Kfac(KfacOptions options) => new("K-FAC", options.ToString(), model =>
    {
        var kfac = new KfacOptimizer<T>(model, options);
        return ((inputs, targets, _, _) => kfac.Step(inputs, targets), kfac);
    });
}

/// <param name="Epochs">Passes over the training data.</param>
/// <param name="BatchSize">Rows per minibatch.</param>
/// <param name="Seed">Seeds the initial parameters and the batch order, the same for every optimizer.</param>
/// <param name="OutputFolder">Where the CSV, plots and checkpoints go.</param>
/// <param name="SaveCheckpoints">Save each run's model and optimizer state at the end of every epoch.</param>
/// <param name="Resume">Continue each run from its checkpoint when there is one.</param>
/// <param name="Accuracy">Also report the test accuracy (classifiers).</param>
/// <param name="AuxiliaryBatch">Rows of FishLeg's auxiliary batch; null: the minibatch size.</param>
public sealed record TrainingSettings(int Epochs, int BatchSize, ulong Seed, string OutputFolder,
    bool SaveCheckpoints = false, bool Resume = false, bool Accuracy = false, int? AuxiliaryBatch = null, int Rank = 0, int Ranks = 1)
{
    public int AuxiliaryBatchSize => AuxiliaryBatch ?? BatchSize;

    /// <summary>The largest batch the model must take: the minibatch or the auxiliary batch.</summary>
    public int MaxBatchSize => Math.Max(BatchSize, AuxiliaryBatchSize);

    /// <summary>
    /// The largest batch one rank's model takes when the run is data-parallel over <see cref="Ranks"/> ranks (each its
    /// shard of every batch); the whole batch otherwise.
    /// </summary>
    public int ShardSize => MaxBatchSize / Ranks;
}

/// <summary>Losses are per example (for the autoencoder: the summed Bernoulli NLL per image); seconds count training only.</summary>
public sealed record EpochResult(int Epoch, long Iteration, double Seconds, double TrainLoss, double TestLoss, double TestAccuracy);

/// <summary>Everything logged during one optimizer's run.</summary>
public sealed class RunLog(string optimizer)
{
    public string Optimizer { get; } = optimizer;

    /// <summary>Each iteration's minibatch loss, with the training time (evaluation excluded) at its end.</summary>
    public List<(int Epoch, long Iteration, double Seconds, double Loss)> Batches { get; } = [];

    public List<EpochResult> Epochs { get; } = [];

    public List<double> IterationMilliseconds { get; } = [];

    /// <summary>Why the run stopped early (a diverged loss), or null.</summary>
    public string? Failure { get; set; }

    public double MedianIterationMilliseconds
    {
        get
        {
            if (IterationMilliseconds.Count == 0) return double.NaN;
            double[] sorted = [.. IterationMilliseconds.Order()];
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        }
    }
}

/// <summary>
/// Trains one model with several optimizers in turn from the same initial parameters on the same seeded batches,
/// with a progress bar, per-epoch evaluation, optional checkpoints, and a summary table and CSV at the end.
/// </summary>
public static class Comparison
{
    /// <param name="experiment">Names the output files.</param>
    /// <param name="model">Trained in place by each optimizer in turn.</param>
    /// <param name="initialize">Sets the initial parameters: called before every run, so all start alike.</param>
    /// <param name="finished">Called after each run, while the model holds that run's parameters (for reconstructions, say).</param>
    public static IReadOnlyList<RunLog> Run<T>(string experiment, IFishLegModel<T> model, Action<IFishLegModel<T>> initialize,
        Dataset<T> train, Dataset<T> test, IReadOnlyList<Contender<T>> contenders, TrainingSettings settings, TextWriter output,
        Action<RunLog>? finished = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (train.Count < settings.MaxBatchSize)
            throw new ArgumentException($"The batch size {settings.MaxBatchSize} is larger than the {train.Count} training examples.");
        Directory.CreateDirectory(settings.OutputFolder);
        int width = contenders.Max(c => c.Name.Length);
        var logs = new List<RunLog>();
        foreach (Contender<T> contender in contenders)
        {
            RunLog log = Train(experiment, model, initialize, train, test, contender, settings, output, width);
            logs.Add(log);
            finished?.Invoke(log);
        }
        return logs;
    }

    private static RunLog Train<T>(string experiment, IFishLegModel<T> model, Action<IFishLegModel<T>> initialize,
        Dataset<T> train, Dataset<T> test, Contender<T> contender, TrainingSettings settings, TextWriter output, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var log = new RunLog(contender.Name);
        initialize(model);
        var (step, state) = contender.Create(model);
        int batch = settings.BatchSize, inputs = train.InputLength, targets = train.TargetLength;
        var batches = new ShuffledBatches(train.Count, batch, settings.Seed);
        // FishLeg's auxiliary batches: an independent seeded stream over the same training data.
        int auxiliaryBatch = settings.AuxiliaryBatchSize;
        var auxiliary = new ShuffledBatches(train.Count, auxiliaryBatch, settings.Seed + 1);
        T[] x = new T[batch * inputs], y = new T[batch * targets], auxX = new T[auxiliaryBatch * inputs], auxY = new T[auxiliaryBatch * targets];
        T[] predictions = new T[model.MaxBatchSize * targets];

        string checkpoint = Path.Combine(settings.OutputFolder, $"{experiment}-{Slug(contender.Name)}.safetensors");
        int firstEpoch = 1;
        long iteration = 0;
        double seconds = 0;
        // What a resumed run must share with the run that saved the checkpoint, or it would not continue that run.
        var identity = new Dictionary<string, string>
        {
            ["experiment"] = experiment,
            ["contender"] = contender.Name,
            ["settings"] = contender.Settings,
            ["seed"] = settings.Seed.ToString(CultureInfo.InvariantCulture),
            ["batch"] = batch.ToString(CultureInfo.InvariantCulture),
            ["auxiliary batch"] = auxiliaryBatch.ToString(CultureInfo.InvariantCulture),
            ["training examples"] = train.Count.ToString(CultureInfo.InvariantCulture),
        };
        if (settings.Resume && File.Exists(checkpoint))
        {
            IReadOnlyDictionary<string, string> metadata = Checkpoint.Load(checkpoint, model, state);
            foreach (var (key, value) in identity)
            {
                string saved = metadata.GetValueOrDefault(key, "(none)");
                if (saved != value)
                    throw new ArgumentException($"--resume: {checkpoint} was saved with {key} '{saved}', but this run has '{value}'; " +
                        "run with the same options, or give another --out folder.");
            }
            firstEpoch = checked(RunHistory.Count(metadata, "epoch") + 1);
            iteration = RunHistory.Count(metadata, "iteration");
            seconds = RunHistory.Seconds(metadata, "seconds");
            RunHistory.Restore(metadata, log);
            // Replay the batch order up to the checkpoint, so the resumed run sees the batches an uninterrupted one would.
            for (int e = 2; e < firstEpoch; e++) batches.Shuffle();
            for (long k = auxiliary.BatchesPerEpoch; k < iteration; k += auxiliary.BatchesPerEpoch) auxiliary.Shuffle();
            output.WriteLine($"{contender.Name}: resumed from {checkpoint} after epoch {firstEpoch - 1} (iteration {iteration})");
        }
        else log.Epochs.Add(Evaluate(model, train, test, settings.Accuracy, predictions, 0, 0, 0));

        long startIteration = iteration, total = (long)(settings.Epochs - firstEpoch + 1) * batches.BatchesPerEpoch;
        if (total <= 0)
        {
            output.WriteLine($"{contender.Name}: the checkpoint is already at epoch {firstEpoch - 1} of {settings.Epochs}; nothing to do");
            return log;
        }
        IAnsiConsole console = Terminal.For(output);
        Terminal.Progress(console).Start(context =>
        {
            ProgressTask progress = context.AddTask(Markup.Escape(contender.Name.PadRight(width)), maxValue: total);
            double smoothed = double.NaN;
            for (int epoch = firstEpoch; epoch <= settings.Epochs && log.Failure is null; epoch++)
            {
                if (epoch > 1) batches.Shuffle();
                for (int b = 0; b < batches.BatchesPerEpoch; b++)
                {
                    long start = Stopwatch.GetTimestamp();
                    batches.Gather<T>(b, train.Inputs, inputs, x);
                    batches.Gather<T>(b, train.Targets, targets, y);
                    if (iteration > 0 && iteration % auxiliary.BatchesPerEpoch == 0) auxiliary.Shuffle();
                    int a = (int)(iteration % auxiliary.BatchesPerEpoch);
                    auxiliary.Gather<T>(a, train.Inputs, inputs, auxX);
                    auxiliary.Gather<T>(a, train.Targets, targets, auxY);
                    // A data-parallel run's rank trains on its shard of the batch (the model averages over the ranks).
                    ReadOnlySpan<T> xs = Shard(x, batch, settings), ys = Shard(y, batch, settings);
                    ReadOnlySpan<T> auxXs = Shard(auxX, auxiliaryBatch, settings), auxYs = Shard(auxY, auxiliaryBatch, settings);
                    double loss = double.CreateChecked(model.LossAndGradient(xs, ys));
                    if (!double.IsFinite(loss))
                    {
                        log.Failure = $"the training loss became {loss} at iteration {iteration + 1}: the run diverged (try a smaller learning rate)";
                        break;
                    }
                    try
                    {
                        step(xs, ys, auxXs, auxYs);
                    }
                    catch (InvalidOperationException refused)
                    {
                        // The optimizers refuse a non-finite gradient (the loss can still be finite when the backward pass overflows).
                        log.Failure = $"iteration {iteration + 1} was refused ({refused.Message}): the run diverged (try a smaller learning rate)";
                        break;
                    }
                    double milliseconds = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                    seconds += milliseconds / 1000;
                    iteration++;
                    log.Batches.Add((epoch, iteration, seconds, loss));
                    log.IterationMilliseconds.Add(milliseconds);
                    smoothed = double.IsNaN(smoothed) ? loss : 0.95 * smoothed + 0.05 * loss;
                    progress.Value = iteration - startIteration;
                    // The status is text, so it is rebuilt only every tenth iteration.
                    if (iteration % 10 == 0)
                        progress.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                            $"{contender.Name.PadRight(width)} epoch {epoch} loss {smoothed,8:G5}"));
                }
                if (log.Failure is not null) break;
                EpochResult result = Evaluate(model, train, test, settings.Accuracy, predictions, epoch, iteration, seconds);
                log.Epochs.Add(result);
                // Long runs print about twenty epoch lines; the CSV has them all.
                if (epoch == settings.Epochs || epoch % Math.Max(1, settings.Epochs / 20) == 0)
                {
                    string accuracy = settings.Accuracy ? string.Create(CultureInfo.InvariantCulture, $", test accuracy {100 * result.TestAccuracy:F2}%") : "";
                    console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{contender.Name.PadRight(width)} epoch {epoch,3}: train loss {result.TrainLoss:G6}, test loss {result.TestLoss:G6}{accuracy}"));
                }
                if (settings.SaveCheckpoints && settings.Rank == 0) // every rank holds the same state: one file
                {
                    var metadata = new Dictionary<string, string>(identity)
                    {
                        ["epoch"] = epoch.ToString(CultureInfo.InvariantCulture),
                        ["iteration"] = iteration.ToString(CultureInfo.InvariantCulture),
                        ["seconds"] = seconds.ToString("R", CultureInfo.InvariantCulture),
                    };
                    RunHistory.Save(log, metadata);
                    Checkpoint.Save(checkpoint, model, state, metadata);
                }
            }
            progress.Description = Markup.Escape($"{contender.Name.PadRight(width)} {(log.Failure is null ? "done" : "stopped")}");
            if (log.Failure is null) progress.Value = total;
            else progress.StopTask();
        });
        if (log.Failure is not null) output.WriteLine($"{contender.Name}: {log.Failure}");
        return log;
    }

    /// <summary>The mean per-example loss on the training and test sets (and the test accuracy when asked), in chunks of the model's maximum batch.</summary>
    /// <summary>This rank's rows of a batch of <paramref name="rows"/> rows (all of them in a single-process run).</summary>
    private static ReadOnlySpan<T> Shard<T>(T[] batch, int rows, TrainingSettings settings)
    {
        int width = batch.Length / rows, shard = rows / settings.Ranks;
        return batch.AsSpan(settings.Rank * shard * width, shard * width);
    }

    private static EpochResult Evaluate<T>(IFishLegModel<T> model, Dataset<T> train, Dataset<T> test, bool accuracy, T[] predictions,
        int epoch, long iteration, double seconds) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (trainLoss, _) = Measure(model, train, accuracy: false, predictions);
        var (testLoss, testAccuracy) = Measure(model, test, accuracy, predictions);
        return new EpochResult(epoch, iteration, seconds, trainLoss, testLoss, testAccuracy);
    }

    private static (double Loss, double Accuracy) Measure<T>(IFishLegModel<T> model, Dataset<T> data, bool accuracy, T[] predictions)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int inputs = data.InputLength, targets = data.TargetLength;
        double sum = 0;
        int correct = 0;
        for (int start = 0; start < data.Count; start += model.MaxBatchSize)
        {
            int rows = Math.Min(model.MaxBatchSize, data.Count - start);
            ReadOnlySpan<T> x = data.Inputs.AsSpan(start * inputs, rows * inputs), y = data.Targets.AsSpan(start * targets, rows * targets);
            sum += double.CreateChecked(model.Loss(x, y)) * rows;
            if (!accuracy) continue;
            model.Predict(x, predictions.AsSpan(0, rows * targets));
            for (int n = 0; n < rows; n++)
                if (ArgMax(predictions.AsSpan(n * targets, targets)) == ArgMax(y.Slice(n * targets, targets))) correct++;
        }
        return (sum / data.Count, accuracy ? (double)correct / data.Count : double.NaN);
    }

    private static int ArgMax<T>(ReadOnlySpan<T> values) where T : IFloatingPointIeee754<T>
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    /// <summary>
    /// The summary table (Markdown, so it pastes into a document): final losses, training wall-clock and the median time
    /// per iteration of each run.
    /// </summary>
    public static void PrintSummary(TextWriter output, IReadOnlyList<RunLog> logs, bool accuracy)
    {
        var table = new Table().Border(TableBorder.Markdown).AddColumn("optimizer")
            .AddColumn(new TableColumn("train loss").RightAligned()).AddColumn(new TableColumn("test loss").RightAligned());
        if (accuracy) table.AddColumn(new TableColumn("test accuracy").RightAligned());
        table.AddColumn(new TableColumn("wall-clock").RightAligned()).AddColumn(new TableColumn("median ms/it").RightAligned());
        foreach (RunLog log in logs)
        {
            EpochResult? last = log.Epochs.Count > 0 ? log.Epochs[^1] : null;
            string Number(double? value) => value is double v ? SixDigits(v) : "-";
            var cells = new List<string> { log.Optimizer + (log.Failure is null ? "" : " (diverged)"), Number(last?.TrainLoss), Number(last?.TestLoss) };
            if (accuracy) cells.Add(last is null ? "-" : string.Create(CultureInfo.InvariantCulture, $"{100 * last.TestAccuracy:F2}%"));
            cells.Add(Clock(TimeSpan.FromSeconds(log.Batches.Count > 0 ? log.Batches[^1].Seconds : 0)));
            cells.Add(log.MedianIterationMilliseconds.ToString("F1", CultureInfo.InvariantCulture));
            table.AddRow(cells.Select(Markup.Escape).ToArray());
        }
        IAnsiConsole console = Terminal.For(output);
        output.WriteLine();
        console.Write(table);
        if (logs.Count < 2) return;

        // How long each run took to reach the best final training loss of the others: the comparison that decides.
        var reach = new Table().Border(TableBorder.Markdown).AddColumn("optimizer").AddColumn("target (best other final train loss)")
            .AddColumn(new TableColumn("iterations").RightAligned()).AddColumn(new TableColumn("seconds").RightAligned());
        foreach (RunLog log in logs)
        {
            var others = logs.Where(other => other != log && other.Epochs.Count > 1).ToList();
            if (others.Count == 0) continue;
            RunLog best = others.MinBy(other => other.Epochs[^1].TrainLoss)!;
            double target = best.Epochs[^1].TrainLoss;
            string[] reached = TimeToTarget(log.Epochs, target) is (double iterations, double seconds)
                ? [iterations.ToString("F0", CultureInfo.InvariantCulture), seconds.ToString("F1", CultureInfo.InvariantCulture)]
                : ["not reached", "not reached"];
            reach.AddRow(Markup.Escape(log.Optimizer), Markup.Escape($"{SixDigits(target)} ({best.Optimizer})"), reached[0], reached[1]);
        }
        output.WriteLine();
        output.WriteLine("Time to target (interpolated between the epoch evaluations; seconds count training only):");
        console.Write(reach);
    }

    /// <summary>
    /// When the training loss first reaches <paramref name="target"/>, in iterations and training seconds, interpolated
    /// linearly between the evaluations at the ends of epochs; null if it never does.
    /// </summary>
    public static (double Iterations, double Seconds)? TimeToTarget(IReadOnlyList<EpochResult> epochs, double target)
    {
        for (int e = 0; e < epochs.Count; e++)
        {
            if (!(epochs[e].TrainLoss <= target)) continue;
            if (e == 0) return (epochs[0].Iteration, epochs[0].Seconds);
            EpochResult before = epochs[e - 1], after = epochs[e];
            double t = (before.TrainLoss - target) / (before.TrainLoss - after.TrainLoss);
            return (before.Iteration + t * (after.Iteration - before.Iteration), before.Seconds + t * (after.Seconds - before.Seconds));
        }
        return null;
    }

    /// <summary>A duration as m:ss, or h:mm:ss from an hour on.</summary>
    public static string Clock(TimeSpan time) =>
        time.TotalHours >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)time.TotalHours}:{time.Minutes:00}:{time.Seconds:00}")
            : string.Create(CultureInfo.InvariantCulture, $"{(int)time.TotalMinutes}:{time.Seconds:00}");

    /// <summary>Six significant digits with trailing zeros kept, so a column of losses lines up (G6 prints 241.900 as 241.9).</summary>
    public static string SixDigits(double value)
    {
        if (value == 0 || !double.IsFinite(value)) return value.ToString(CultureInfo.InvariantCulture);
        int exponent = (int)Math.Floor(Math.Log10(Math.Abs(value)));
        return exponent is < -4 or >= 6
            ? value.ToString("0.00000E+00", CultureInfo.InvariantCulture)
            : value.ToString("F" + (5 - exponent), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Every logged point, one row each: kind "batch" rows carry the minibatch loss, kind "epoch" rows the train and
    /// test loss (and accuracy) of the evaluation at the end of that epoch.
    /// </summary>
    public static void WriteCsv(string path, IReadOnlyList<RunLog> logs)
    {
        var csv = new StringBuilder("optimizer,kind,epoch,iteration,seconds,batch_loss,train_loss,test_loss,test_accuracy\n");
        foreach (RunLog log in logs)
        {
            foreach (EpochResult e in log.Epochs)
                csv.Append(CultureInfo.InvariantCulture,
                    $"{log.Optimizer},epoch,{e.Epoch},{e.Iteration},{e.Seconds:R},,{e.TrainLoss:R},{e.TestLoss:R},{(double.IsNaN(e.TestAccuracy) ? "" : e.TestAccuracy.ToString("R", CultureInfo.InvariantCulture))}\n");
            foreach (var (epoch, iteration, seconds, loss) in log.Batches)
                csv.Append(CultureInfo.InvariantCulture, $"{log.Optimizer},batch,{epoch},{iteration},{seconds:R},{loss:R},,,\n");
        }
        File.WriteAllText(path, csv.ToString());
    }

    /// <summary>A trailing moving average over <paramref name="window"/> points: minibatch losses are noisy.</summary>
    public static double[] MovingAverage(IReadOnlyList<double> values, int window)
    {
        var result = new double[values.Count];
        double sum = 0;
        for (int i = 0; i < values.Count; i++)
        {
            sum += values[i];
            if (i >= window) sum -= values[i - window];
            result[i] = sum / Math.Min(i + 1, window);
        }
        return result;
    }

    /// <summary>"1 epoch", "10 epochs".</summary>
    public static string Count(int count, string noun) => count.ToString(CultureInfo.InvariantCulture) + " " + noun + (count == 1 ? "" : "s");

    /// <summary>"SGD-momentum" → "sgd-momentum": the optimizer's part of a file name.</summary>
    public static string Slug(string name) => name.ToLowerInvariant().Replace(' ', '-');
}
