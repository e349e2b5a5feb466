using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using FishLeg.Experiments.Data;
using FishLeg.Kernels;
using FishLeg.Experiments.Reports;

namespace FishLeg.Experiments;

public sealed record ClassifierOptions(TrainingSettings Settings, IReadOnlyList<Contender<float>> Optimizers,
    string? DataFolder, int? TrainSize, int? TestSize, bool LayerNorm = false, bool Swish = false);

/// <summary>
/// The everyday use: a Fashion-MNIST classifier, with test accuracy after every epoch; the dense one
/// (<see cref="FashionClassifier"/>; <see cref="FashionNormalizedClassifier"/> with its hidden layer normalized;
/// <see cref="FashionSwishClassifier"/> with Swish in place of ReLU) or the CNN (<see cref="FashionCnn"/>).
/// </summary>
public static class ClassifierExperiment
{
    public const string Name = "classifier", CnnName = "cnn";

    public static void Run(ClassifierOptions options, TextWriter output)
    {
        if (options.LayerNorm && options.Swish)
            throw new ArgumentException("--layer-norm and --swish are two variants of the classifier: choose one.");
        if (options.Swish)
            Run(options, Name + "-swish", "a Fashion-MNIST classifier 784-256-10 (Swish from its [Elementwise] definition, softmax)",
                (batch, seed) => new FashionSwishClassifier(batch, seed), output);
        else if (options.LayerNorm)
            Run(options, Name + "-layernorm", "a Fashion-MNIST classifier 784-256-10 (layer normalization, ReLU, softmax)",
                (batch, seed) => new FashionNormalizedClassifier(batch, seed), output);
        else
            Run(options, Name, "a Fashion-MNIST classifier 784-256-10 (ReLU, softmax)", (batch, seed) => new FashionClassifier(batch, seed), output);
    }

    public static void RunCnn(ClassifierOptions options, TextWriter output) =>
        Run(options, CnnName, "a Fashion-MNIST CNN: conv 5×5 16 ReLU, max pool 2, conv 5×5 32 ReLU, max pool 2, dense 10 (softmax)",
            (batch, seed) => new FashionCnn(batch, seed), output);

    private static void Run(ClassifierOptions options, string name, string title, Func<int, ulong, IFishLegModel<float>> create, TextWriter output)
    {
        TrainingSettings settings = options.Settings with { Accuracy = true };
        FashionMnist data = FashionMnist.Load(options.DataFolder, options.TrainSize, options.TestSize);
        var model = create(settings.MaxBatchSize, settings.Seed);
        int classes = model.Description.Outputs;
        Dataset<float> train = OneHot(data.Train, "training", classes), test = OneHot(data.Test, "test", classes);
        output.WriteLine($"FishLeg.Gen: {title}");
        output.WriteLine($"Data: {data.Description}.");
        output.WriteLine($"Training on {train.Count:N0} images, testing on {test.Count:N0}: {Comparison.Count(settings.Epochs, "epoch")} at batch {settings.BatchSize}, " +
            $"seed {settings.Seed}, {WorkerPool.Shared.Parallelism} threads. Loss: cross-entropy per image.");
        output.WriteLine();

        IReadOnlyList<RunLog> logs = Comparison.Run(name, model, m => m.InitializeParameters(settings.Seed), train, test,
            options.Optimizers, settings, output);

        Comparison.PrintSummary(output, logs, accuracy: true);
        string csv = Path.Combine(settings.OutputFolder, name + ".csv"), plot = Path.Combine(settings.OutputFolder, name + "-accuracy.png");
        Comparison.WriteCsv(csv, logs);
        ScottPlot.Plot accuracy = Charts.Create("Test accuracy", "epoch", "accuracy (%)");
        accuracy.Legend.Alignment = ScottPlot.Alignment.LowerRight; // accuracy rises: the upper right holds the last epochs
        ScottPlot.Plot loss = Charts.Create("Training loss", "epoch", "cross-entropy per image");
        foreach (RunLog log in logs)
        {
            double[] epochs = log.Epochs.Select(e => (double)e.Epoch).ToArray();
            Charts.AddLine(accuracy, log.Optimizer, epochs, log.Epochs.Select(e => 100 * e.TestAccuracy).ToArray());
            Charts.AddLine(loss, log.Optimizer, epochs, log.Epochs.Select(e => e.TrainLoss).ToArray());
        }
        Charts.Save(plot, accuracy, loss);
        output.WriteLine();
        output.WriteLine($"Wrote {csv} and {plot}.");
    }

    private static Dataset<float> OneHot(LabeledImages images, string split, int classes)
    {
        var targets = new float[images.Count * classes];
        for (int n = 0; n < images.Count; n++)
        {
            int label = images.Labels[n];
            if (label < 0 || label >= classes)
                throw new InvalidDataException($"Label {label} of {split} image {n} is not a class of the {classes}-class classifier (0 to {classes - 1}).");
            targets[n * classes + label] = 1;
        }
        return new Dataset<float>(images.Pixels, targets, images.Count);
    }
}
