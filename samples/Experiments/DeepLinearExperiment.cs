using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using FishLeg.Experiments.Reports;

namespace FishLeg.Experiments;

/// <param name="Samples">Training examples: 4000, or 40 for the paper's small-data regime.</param>
/// <param name="Noise">The standard deviation of the Gaussian noise on the teacher's outputs.</param>
/// <param name="ProblemSeed">Seeds the teacher and the data.</param>
public sealed record DeepLinearOptions(TrainingSettings Settings, IReadOnlyList<Contender<double>> Optimizers,
    int Samples, double Noise, ulong ProblemSeed);

/// <summary>
/// A teacher–student regression problem on the deep linear network: inputs N(0, I), targets the teacher's outputs
/// plus noise. The noise floor is the teacher's own loss on the test set.
/// </summary>
public sealed record DeepLinearProblem(Dataset<double> Train, Dataset<double> Test, double NoiseFloor)
{
    public const int Width = 20, TestSamples = 1000;

    /// <summary>The teacher's weights come from <paramref name="seed"/>, the inputs and noise from seed + 1.</summary>
    public static DeepLinearProblem Create(int samples, double noise, ulong seed)
    {
        var teacher = new DeepLinearNetwork(Math.Max(samples, TestSamples));
        InitializeLikeTheTeacher(teacher, seed);
        var random = new SeededRandom(seed + 1);
        double[] Inputs(int n) => Enumerable.Range(0, n * Width).Select(_ => random.NextGaussian()).ToArray();
        double[] trainX = Inputs(samples), testX = Inputs(TestSamples);
        var trainY = new double[trainX.Length];
        var testY = new double[testX.Length];
        teacher.Predict(trainX, trainY);
        teacher.Predict(testX, testY);
        for (int i = 0; i < trainY.Length; i++) trainY[i] += noise * random.NextGaussian();
        for (int i = 0; i < testY.Length; i++) testY[i] += noise * random.NextGaussian();
        var test = new Dataset<double>(testX, testY, TestSamples);
        return new DeepLinearProblem(new Dataset<double>(trainX, trainY, samples), test, teacher.Loss(testX, testY));
    }

    /// <summary>
    /// Weights N(0, 1/n), as the paper draws teacher and student. (The default uniform(±1/√n) init shrinks the signal
    /// by √3 per layer, 3¹⁰ over 20 layers: every optimizer would start on a flat saddle.)
    /// </summary>
    public static void InitializeLikeTheTeacher(IFishLegModel<double> model, ulong seed)
    {
        var random = new SeededRandom(seed);
        foreach (ref double w in model.Parameters) w = random.NextGaussian() / Math.Sqrt(Width);
    }
}

/// <summary>The paper's Fig. 1: train and test loss of the deep linear network against epochs and wall-clock, with the noise floor.</summary>
public static class DeepLinearExperiment
{
    public const string Name = "deep-linear";

    public static void Run(DeepLinearOptions options, TextWriter output)
    {
        TrainingSettings settings = options.Settings;
        DeepLinearProblem problem = DeepLinearProblem.Create(options.Samples, options.Noise, options.ProblemSeed);
        output.WriteLine($"FishLeg.Gen: the deep linear network of the paper's Fig. 1 ({DeepLinearNetwork.LayerCount} linear layers of width {DeepLinearProblem.Width}, no bias, squared error)");
        output.WriteLine($"Data: a random teacher of the same class (weights N(0, 1/n), seed {options.ProblemSeed}), {options.Samples} training and " +
            $"{DeepLinearProblem.TestSamples} test inputs N(0, I), output noise sigma = {options.Noise}.");
        output.WriteLine($"Noise floor (the teacher's own test loss): {problem.NoiseFloor:G4}. {Comparison.Count(settings.Epochs, "epoch")} at batch {settings.BatchSize}, seed {settings.Seed}.");
        output.WriteLine("Loss: half the squared error summed over the 20 outputs, averaged over examples. Wall-clock counts training only.");
        output.WriteLine();

        var model = new DeepLinearNetwork(settings.MaxBatchSize);
        IReadOnlyList<RunLog> logs = Comparison.Run(Name, model, m => DeepLinearProblem.InitializeLikeTheTeacher(m, settings.Seed),
            problem.Train, problem.Test, options.Optimizers, settings, output);

        Comparison.PrintSummary(output, logs, accuracy: false);
        output.WriteLine($"(noise floor {problem.NoiseFloor:G6})");
        string csv = Path.Combine(settings.OutputFolder, Name + ".csv"), plot = Path.Combine(settings.OutputFolder, Name + "-loss.png");
        Comparison.WriteCsv(csv, logs);

        ScottPlot.Plot byEpoch = Charts.Create("Deep linear network (train: dashed)", "epoch", "loss", logY: true);
        ScottPlot.Plot bySeconds = Charts.Create("Deep linear network (train: dashed)", "training time (s)", "loss", logY: true);
        var palette = new ScottPlot.Palettes.Category10();
        for (int i = 0; i < logs.Count; i++)
        {
            RunLog log = logs[i];
            double[] epochs = log.Epochs.Select(e => (double)e.Epoch).ToArray(), seconds = log.Epochs.Select(e => e.Seconds).ToArray();
            double[] trainLoss = log.Epochs.Select(e => e.TrainLoss).ToArray(), testLoss = log.Epochs.Select(e => e.TestLoss).ToArray();
            ScottPlot.Color color = palette.GetColor(i);
            foreach (var (chart, x) in new[] { (byEpoch, epochs), (bySeconds, seconds) })
            {
                Charts.AddLine(chart, log.Optimizer + " train", x, trainLoss, color, dashed: true);
                Charts.AddLine(chart, log.Optimizer + " test", x, testLoss, color);
            }
        }
        Charts.AddReference(byEpoch, "noise floor", problem.NoiseFloor);
        Charts.AddReference(bySeconds, "noise floor", problem.NoiseFloor);
        Charts.Save(plot, byEpoch, bySeconds);
        output.WriteLine();
        output.WriteLine($"Wrote {csv} and {plot}.");
    }
}
