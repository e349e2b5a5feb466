using System;
using System.Globalization;
using System.IO;
using System.Linq;
using FishLeg;
using FishLeg.Distributed;
using FishLeg.Experiments;
using FishLeg.Optimizers;

namespace FishLeg.Samples.Distributed;

/// <summary>What <see cref="Program.Train"/> reports of a run.</summary>
public sealed record TrainingRun(double Loss, int LowRankLayers, int FactoredLayers, long SteadyStateBytes);

/// <summary>A small regression net in double precision: 8 inputs, a tanh layer of 16, 4 outputs.</summary>
[FishLegModel(8, Likelihood.Gaussian, Precision = Precision.Double)]
[Dense(16, Activation.Tanh)]
[Dense(4)]
public partial class TeacherStudentNet;

/// <summary>
/// Data-parallel training over MPI: <c>mpirun -np N dotnet Distributed.dll [--optimizer sgd|adam|fishleg|kfac|adafisher] [--steps S]
/// [--batch K] [--out file]</c>. Every rank draws the same seeded data (a random teacher's outputs) and the same order of
/// global batches of K rows, and trains on its shard of each, rows [⌊rK/N⌋, ⌊(r + 1)K/N⌋); rank r writes its final parameters to
/// <c>file.r</c>. <c>--checkpoint path --save-at S</c> has rank 0 save the run after step S; <c>--resume path</c> continues a
/// saved run, on any number of ranks. Without mpirun it is a job of one rank. With <c>--model autoencoder [--threads T]</c> it times the main
/// job's autoencoder instead (synthetic pixels: only the time is of interest): median and mean milliseconds per step and the
/// collectives' share.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        try
        {
            string optimizer = Option(args, "--optimizer") ?? "fishleg";
            int steps = int.Parse(Option(args, "--steps") ?? "20", CultureInfo.InvariantCulture);
            int batch = int.Parse(Option(args, "--batch") ?? "32", CultureInfo.InvariantCulture);
            string? output = Option(args, "--out"), checkpoint = Option(args, "--checkpoint"), resume = Option(args, "--resume");
            int saveAt = int.Parse(Option(args, "--save-at") ?? "0", CultureInfo.InvariantCulture);
            using MpiCommunicator communicator = MpiCommunicator.Initialize();
            if (batch < communicator.Size)
                throw new ArgumentException($"--batch {batch} leaves some of the {communicator.Size} ranks without rows.");
            if (Option(args, "--model") == "autoencoder")
            {
                FishLeg.Kernels.WorkerPool.Shared.Parallelism = int.Parse(Option(args, "--threads") ?? "1", CultureInfo.InvariantCulture);
                TimeAutoencoder(communicator, optimizer, steps, batch);
                return 0;
            }
            var model = new DataParallelModel<double>(new TeacherStudentNet((batch + communicator.Size - 1) / communicator.Size, seed: 1), communicator);
            TrainingRun run = Train(model, optimizer, steps, batch, communicator.Rank, communicator.Size, checkpoint, saveAt, resume);
            if (communicator.Rank == 0)
                Console.WriteLine($"{communicator.Size} rank(s) ({communicator.Library}), {optimizer}, {steps} steps at global batch {batch}: loss {run.Loss:R}, " +
                    $"{run.SteadyStateBytes} bytes allocated after the first two steps" +
                    (optimizer == "fishleg" ? $", low-rank layers {run.LowRankLayers}, factored {run.FactoredLayers}" : ""));
            if (output is not null) File.WriteAllBytes($"{output}.{communicator.Rank}", System.Runtime.InteropServices.MemoryMarshal.AsBytes(model.Parameters).ToArray());
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or DllNotFoundException or InvalidOperationException or NotSupportedException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    /// <summary>
    /// <paramref name="steps"/> steps on global batches of <paramref name="batch"/> rows, this rank taking rows
    /// [⌊rank·K/N⌋, ⌊(rank + 1)·K/N⌋) of each; returns the last global loss, on how many layers FishLeg's Q·g comes from the
    /// gradient's factors and its auxiliary gradient from the factors of g and F·v, and the bytes the steps after the
    /// first two allocated. With size 1 and a plain model, the single-process run the data-parallel one must match. Rank 0 saves the run after step <paramref name="saveAt"/> to
    /// <paramref name="checkpoint"/>; <paramref name="resume"/> continues a saved run from its step (the parameters and the
    /// optimizer's state are the same on every rank, so the number of ranks may change).
    /// </summary>
    public static TrainingRun Train(IFishLegModel<double> model, string optimizer, int steps, int batch, int rank, int size,
        string? checkpoint = null, int saveAt = 0, string? resume = null)
    {
        const int Examples = 256;
        var (inputs, targets) = Data(Examples, model.Description.Inputs, model.Description.Outputs);
        var (offset, shard) = Shard(batch, rank, size);
        int inputWidth = model.Description.Inputs, outputWidth = model.Description.Outputs;
        int count = model.Description.ParameterCount;
        var sgd = new SgdMomentum<double>(count, learningRate: 0.05, momentum: 0.9);
        var adam = new Adam<double>(count, learningRate: 3e-3);
        FishLegOptimizer<double>? fishLeg = optimizer == "fishleg"
            ? new FishLegOptimizer<double>(model, new FishLegOptions { UpdateAuxEvery = 2, LearningRate = 0.05, InitialSgdLearningRate = 0.05 })
            : null;
        // The empirical Fisher: sampled targets would differ between one process and the ranks' shards.
        KfacOptimizer<double>? kfac = optimizer == "kfac"
            ? new KfacOptimizer<double>(model, new KfacOptions { LearningRate = 0.05, Damping = 0.1, Fisher = KfacFisher.Empirical, FactorUpdateEvery = 2, InverseUpdateEvery = 4 })
            : null;
        AdaFisherOptimizer<double>? adaFisher = optimizer == "adafisher"
            ? new AdaFisherOptimizer<double>(model, new AdaFisherOptions { LearningRate = 3e-3, CurvatureUpdateEvery = 2 })
            : null;
        IOptimizerState<double> state = optimizer switch
        {
            "sgd" => sgd,
            "adam" => adam,
            "fishleg" => fishLeg!,
            "kfac" => kfac!,
            "adafisher" => adaFisher!,
            _ => throw new ArgumentException($"Unknown --optimizer '{optimizer}': choose sgd, adam, fishleg, kfac or adafisher."),
        };
        var order = new SeededRandom(7);
        int first = 0;
        if (resume is not null)
        {
            first = int.Parse(FishLeg.Training.Checkpoint.Load(resume, model, state)["step"], CultureInfo.InvariantCulture);
            for (int step = 0; step < first; step++) order.NextInt(Examples - batch); // the batches already seen
        }
        double loss = double.NaN;
        long steadyStateBytes = 0;
        for (int step = first; step < steps; step++)
        {
            int start = order.NextInt(Examples - batch) + offset;
            var x = inputs.AsSpan(start * inputWidth, shard * inputWidth);
            var y = targets.AsSpan(start * outputWidth, shard * outputWidth);
            long allocated = GC.GetAllocatedBytesForCurrentThread();
            loss = model.LossAndGradient(x, y);
            switch (optimizer)
            {
                case "sgd": sgd.Step(model.Parameters, model.Gradient); break;
                case "adam": adam.Step(model.Parameters, model.Gradient); break;
                case "fishleg": fishLeg!.Step(x); break; // this rank's shard is its share of the auxiliary batch too
                case "kfac": kfac!.Step(x); break;
                default: adaFisher!.Step(); break;
            }
            if (step >= first + 2) steadyStateBytes += GC.GetAllocatedBytesForCurrentThread() - allocated; // after the first calls' set-up
            if (checkpoint is not null && step + 1 == saveAt && rank == 0)
                FishLeg.Training.Checkpoint.Save(checkpoint, model, state, new System.Collections.Generic.Dictionary<string, string> { ["step"] = saveAt.ToString(CultureInfo.InvariantCulture) });
        }
        return new TrainingRun(loss, fishLeg?.LowRankLayerCount ?? 0, fishLeg?.FactoredAuxiliaryLayerCount ?? 0, steadyStateBytes);
    }

    /// <summary>Median and mean time per step of the autoencoder, data-parallel, and the share of it spent in collectives.</summary>
    private static void TimeAutoencoder(MpiCommunicator communicator, string optimizer, int steps, int batch)
    {
        int shard = Shard(batch, communicator.Rank, communicator.Size).Rows;
        var model = new DataParallelModel<float>(new Autoencoder(shard, seed: 1), communicator);
        var random = new SeededRandom(5 + (ulong)communicator.Rank);
        float[] x = [.. Enumerable.Range(0, shard * Autoencoder.InputCount).Select(_ => (float)random.NextDouble())];
        var sgd = new SgdMomentum<float>(Autoencoder.ParameterCount, learningRate: 1e-3, momentum: 0.9);
        var fishLeg = new FishLegOptimizer<float>(model, new FishLegOptions { EarlyAuxiliarySteps = 0 }); // the steady state: T = 10
        var times = new double[steps];
        for (int step = 0; step < steps; step++)
        {
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            model.LossAndGradient(x, x);
            if (optimizer == "fishleg") fishLeg.Step(x); else sgd.Step(model.Parameters, model.Gradient);
            times[step] = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        // After a fifth of the steps as warm-up: the median step, and the mean, which FishLeg's auxiliary updates (every T steps) are part of.
        double[] measured = [.. times.Skip(steps / 5)];
        double total = times.Sum(), median = measured.Order().ElementAt(measured.Length / 2), mean = measured.Average();
        string paths = optimizer == "fishleg" ? $"; low-rank layers {fishLeg.LowRankLayerCount}, factored {fishLeg.FactoredAuxiliaryLayerCount}" : "";
        if (communicator.Rank == 0)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"autoencoder, {optimizer}, {communicator.Size} rank(s) × {FishLeg.Kernels.WorkerPool.Shared.Parallelism} thread(s), global batch {batch}: " +
                $"median {median:F2} ms, mean {mean:F2} ms per step; collectives {100 * model.TimeInCollectives.TotalMilliseconds / total:F1}% of the time{paths}"));
    }

    /// <summary>Rank <paramref name="rank"/>'s rows of a global batch: [⌊rank·K/N⌋, ⌊(rank + 1)·K/N⌋).</summary>
    private static (int Offset, int Rows) Shard(int batch, int rank, int size) => (rank * batch / size, (rank + 1) * batch / size - rank * batch / size);

    /// <summary>Seeded inputs and a random tanh teacher's noisy outputs.</summary>
    private static (double[] Inputs, double[] Targets) Data(int examples, int inputs, int outputs)
    {
        var random = new SeededRandom(3);
        double[] x = [.. Enumerable.Range(0, examples * inputs).Select(_ => random.NextGaussian())];
        double[] teacher = [.. Enumerable.Range(0, inputs * outputs).Select(_ => random.NextGaussian() / Math.Sqrt(inputs))];
        var y = new double[examples * outputs];
        for (int n = 0; n < examples; n++)
            for (int o = 0; o < outputs; o++)
                y[n * outputs + o] = Math.Tanh(Enumerable.Range(0, inputs).Sum(i => teacher[o * inputs + i] * x[n * inputs + i])) + 0.05 * random.NextGaussian();
        return (x, y);
    }

    private static string? Option(string[] args, string name)
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
    }
}
