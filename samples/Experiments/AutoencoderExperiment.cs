using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using FishLeg.Experiments.Data;
using FishLeg.Kernels;
using FishLeg.Optimizers;
using FishLeg.Experiments.Reports;
using ScottPlot;
using SkiaSharp;

namespace FishLeg.Experiments;

/// <param name="Optimizers">The contenders, run in this order.</param>
/// <param name="DataFolder">A folder of Fashion-MNIST (or MNIST) IDX files, or null for the default source.</param>
/// <param name="Distributed">Data-parallel over the MPI job this process belongs to (started with mpirun).</param>
public sealed record AutoencoderOptions(TrainingSettings Settings, IReadOnlyList<Contender<float>> Optimizers,
    string? DataFolder, int? TrainSize, int? TestSize, bool Distributed = false);

/// <summary>
/// The README's main job: the deep autoencoder trained on Fashion-MNIST by each optimizer in turn, compared by loss
/// against iterations and against wall-clock time, with reconstructions to look at.
/// </summary>
public static class AutoencoderExperiment
{
    public const string Name = "autoencoder";

    public static void Run(AutoencoderOptions options, TextWriter output)
    {
        if (!options.Distributed)
        {
            Run(options, options.Settings, new Autoencoder(options.Settings.MaxBatchSize, options.Settings.Seed), output);
            return;
        }
        // Every rank trains a replica on its shard of each batch; rank 0 alone reports and writes files (docs/distributed.md).
        using var communicator = FishLeg.Distributed.MpiCommunicator.Initialize();
        TrainingSettings settings = options.Settings with { Rank = communicator.Rank, Ranks = communicator.Size };
        if (settings.BatchSize % settings.Ranks != 0 || settings.AuxiliaryBatchSize % settings.Ranks != 0)
            throw new ArgumentException($"--batch {settings.BatchSize} (and the auxiliary batch {settings.AuxiliaryBatchSize}) must split evenly over the {settings.Ranks} ranks.");
        var model = new FishLeg.Distributed.DataParallelModel<float>(new Autoencoder(settings.ShardSize, settings.Seed), communicator);
        if (communicator.Rank == 0) output.WriteLine($"Data-parallel over {communicator.Size} MPI rank(s) ({communicator.Library}): each trains on {settings.BatchSize / settings.Ranks} rows of every batch.");
        Run(options, settings, model, communicator.Rank == 0 ? output : TextWriter.Null);
    }

    private static void Run(AutoencoderOptions options, TrainingSettings settings, IFishLegModel<float> model, TextWriter output)
    {
        FashionMnist data = FashionMnist.Load(options.DataFolder, options.TrainSize, options.TestSize);
        var train = new Dataset<float>(data.Train.Pixels, data.Train.Pixels, data.Train.Count);
        var test = new Dataset<float>(data.Test.Pixels, data.Test.Pixels, data.Test.Count);
        int iterations = train.Count / settings.BatchSize;

        output.WriteLine("FishLeg.Gen: the deep autoencoder 784-1000-500-250-30-250-500-1000-784 (ReLU, linear code, Bernoulli likelihood)");
        output.WriteLine($"Data: {data.Description}.");
        output.WriteLine($"Training on {train.Count:N0} images, evaluating on {test.Count:N0}: {Comparison.Count(settings.Epochs, "epoch")} of {Comparison.Count(iterations, "iteration")} " +
            $"at batch {settings.BatchSize}, seed {settings.Seed}, {WorkerPool.Shared.Parallelism} threads.");
        output.WriteLine("Loss: the Bernoulli negative log-likelihood summed over the 784 pixels of an image, averaged over images " +
            "(the benchmark's unit). Wall-clock counts training only, not the evaluations.");
        output.WriteLine();

        // One image of each class (or the first ten) to show beside the reconstructions.
        int[] shown = Enumerable.Range(0, 10)
            .Select(label => Array.IndexOf(data.Test.Labels, label)).Where(i => i >= 0)
            .DefaultIfEmpty().Take(10).ToArray();
        int pixels = data.Test.PixelsPerImage;
        float[] originals = shown.SelectMany(i => data.Test.Pixels.AsSpan(i * pixels, pixels).ToArray()).ToArray();
        var reconstructions = new List<(string Name, float[] Images)>();

        IReadOnlyList<RunLog> logs = Comparison.Run(Name, model, m => m.InitializeParameters(settings.Seed), train, test,
            options.Optimizers, settings, output, log =>
            {
                var predicted = new float[originals.Length];
                model.Predict(originals, predicted);
                reconstructions.Add((log.Optimizer, predicted));
            });

        Comparison.PrintSummary(output, logs, accuracy: false);
        if (settings.Rank != 0) return; // the other ranks hold the same results
        string csv = Path.Combine(settings.OutputFolder, Name + ".csv"),
            plot = Path.Combine(settings.OutputFolder, Name + "-loss.png"),
            grid = Path.Combine(settings.OutputFolder, Name + "-reconstructions.png");
        Comparison.WriteCsv(csv, logs);
        SaveLossPlot(plot, logs, window: Math.Max(1, iterations / 10));
        SaveReconstructions(grid, originals, reconstructions, data.Test.Rows, data.Test.Columns);
        output.WriteLine();
        output.WriteLine($"Wrote {csv}, {plot} and {grid}.");
    }

    /// <summary>
    /// Training loss (a moving average of minibatch losses) against iterations and against wall-clock seconds, the y axis
    /// framed on where the optimizers differ: from the lowest loss up to the highest any run still has a tenth of the way in.
    /// </summary>
    private static void SaveLossPlot(string path, IReadOnlyList<RunLog> logs, int window)
    {
        Plot byIteration = Charts.Create($"Training loss ({window}-batch mean)", "iteration", "loss per image");
        Plot bySeconds = Charts.Create($"Training loss ({window}-batch mean)", "training time (s)", "loss per image");
        double bottom = double.PositiveInfinity, top = double.NegativeInfinity;
        foreach (RunLog log in logs.Where(l => l.Batches.Count > 0))
        {
            double[] loss = Comparison.MovingAverage(log.Batches.Select(b => b.Loss).ToArray(), window);
            Charts.AddLine(byIteration, log.Optimizer, log.Batches.Select(b => (double)b.Iteration).ToArray(), loss);
            Charts.AddLine(bySeconds, log.Optimizer, log.Batches.Select(b => b.Seconds).ToArray(), loss);
            bottom = Math.Min(bottom, loss.Where(double.IsFinite).DefaultIfEmpty(double.PositiveInfinity).Min());
            top = Math.Max(top, loss[loss.Length / 10]);
        }
        if (double.IsFinite(bottom) && double.IsFinite(top) && top > bottom)
            foreach (Plot plot in new[] { byIteration, bySeconds }) Charts.FrameY(plot, bottom, top);
        Charts.Save(path, byIteration, bySeconds);
    }

    /// <summary>The test images in the first row, each optimizer's reconstructions of them below, labelled.</summary>
    private static void SaveReconstructions(string path, float[] originals, List<(string Name, float[] Images)> reconstructions, int height, int width)
    {
        const int scale = 2, gap = 4, labelWidth = 180;
        int count = originals.Length / (height * width), cell = width * scale + gap;
        var rows = new List<(string, float[])> { ("test images", originals) };
        rows.AddRange(reconstructions);
        using var bitmap = new SKBitmap(labelWidth + count * cell + gap, rows.Count * (height * scale + gap) + gap);
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.White);
        using var font = new SKFont(SKTypeface.Default, 20);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        for (int r = 0; r < rows.Count; r++)
        {
            var (label, images) = rows[r];
            int top = gap + r * (height * scale + gap);
            canvas.DrawText(label, 8, top + (height * scale + font.Size * 0.7f) / 2, font, ink);
            for (int n = 0; n < count; n++)
                for (int i = 0; i < height; i++)
                    for (int j = 0; j < width; j++)
                    {
                        // Pixels in [0, 1], black on white as on paper; reconstructions can leave the range slightly.
                        byte level = (byte)(255 * (1 - Math.Clamp(images[(n * height + i) * width + j], 0f, 1f)));
                        for (int dy = 0; dy < scale; dy++)
                            for (int dx = 0; dx < scale; dx++)
                                bitmap.SetPixel(labelWidth + n * cell + j * scale + dx, top + i * scale + dy, new SKColor(level, level, level));
                    }
        }
        using var file = File.Create(path);
        bitmap.Encode(file, SKEncodedImageFormat.Png, quality: 100);
    }
}
