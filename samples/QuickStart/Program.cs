// The smallest complete use of FishLeg.Gen: declare a model, let the generator write it, train it.
// Task: classify points of three interleaved 2-D spirals (synthetic, seeded), with SGD-momentum, Adam and FishLeg.
using System;
using System.Diagnostics;
using FishLeg;
using FishLeg.Optimizers;

const int Examples = 3000, Batch = 100, Epochs = 30, Classes = 3;
ulong seed = args.Length > 0 && ulong.TryParse(args[0], out ulong s) ? s : 1;

var (inputs, targets) = Spirals.Make(Examples, Classes, seed);
Console.WriteLine($"QuickStart: {Examples} points on {Classes} spirals, model {SpiralNet.InputCount}-64-64-{SpiralNet.OutputCount} (tanh), batch {Batch}, {Epochs} epochs, seed {seed}.");

foreach (string name in new[] { "SGD-momentum", "Adam", "FishLeg" })
{
    var model = new SpiralNet(Batch, seed);
    // FishLeg starts as SGD-momentum (Q₀ = (η_SGDm/η)·I) and learns Q ≈ (F + γI)⁻¹ from there. Its momentum is the
    // paper's m ← βm + (1 − β)g, so η_SGDm = 1 with β = 0.9 starts exactly like the SGD-momentum run's lr 0.1.
    var fishLeg = new FishLegOptimizer<float>(model, FishLegOptions.PaperTable1 with
    {
        LearningRate = 1, InitialSgdLearningRate = 1, Damping = 0.1, AuxiliaryLearningRate = 1e-3, WeightDecay = 0,
    });
    IOptimizer<float> firstOrder = name == "Adam"
        ? new Adam<float>(SpiralNet.ParameterCount, learningRate: 3e-3)
        : new SgdMomentum<float>(SpiralNet.ParameterCount, learningRate: 0.1, momentum: 0.9);
    var clock = Stopwatch.StartNew();
    Console.WriteLine($"\n{name}");
    for (int epoch = 1; epoch <= Epochs; epoch++)
    {
        double sum = 0;
        for (int start = 0; start < Examples; start += Batch)
        {
            int rows = Math.Min(Batch, Examples - start);
            sum += rows * model.LossAndGradient(
                inputs.AsSpan(start * SpiralNet.InputCount, rows * SpiralNet.InputCount),
                targets.AsSpan(start * Classes, rows * Classes));
            if (name != "FishLeg") firstOrder.Step(model.Parameters, model.Gradient);
            else
            {
                // FishLeg's curvature batch: the next batch's inputs (no labels needed).
                int next = (start + Batch) % Examples;
                fishLeg.Step(inputs.AsSpan(next * SpiralNet.InputCount, Math.Min(Batch, Examples - next) * SpiralNet.InputCount));
            }
        }
        if (epoch % 5 == 0 || epoch == 1)
            Console.WriteLine($"  epoch {epoch,3}  loss {sum / Examples:F4}  accuracy {Spirals.Accuracy(model, inputs, targets, Batch):P1}  ({clock.Elapsed.TotalSeconds:F2} s)");
    }
}

/// <summary>2 inputs → 64 tanh → 64 tanh → 3 logits, categorical likelihood.</summary>
[FishLegModel(2, Likelihood.Categorical)]
[Dense(64, Activation.Tanh)]
[Dense(64, Activation.Tanh)]
[Dense(3)]
public partial class SpiralNet;

static class Spirals
{
    public static (float[] Inputs, float[] Targets) Make(int count, int classes, ulong seed)
    {
        var random = new SeededRandom(seed);
        var inputs = new float[count * 2];
        var targets = new float[count * classes];
        for (int i = 0; i < count; i++)
        {
            int label = random.NextInt(classes);
            double r = random.NextDouble();
            double angle = 4.0 * r + 2.0 * Math.PI * label / classes + 0.2 * random.NextGaussian();
            inputs[2 * i] = (float)(r * Math.Cos(angle));
            inputs[2 * i + 1] = (float)(r * Math.Sin(angle));
            targets[i * classes + label] = 1;
        }
        return (inputs, targets);
    }

    public static double Accuracy(SpiralNet model, float[] inputs, float[] targets, int batch)
    {
        int examples = inputs.Length / 2, classes = targets.Length / examples, correct = 0;
        var probabilities = new float[batch * classes];
        for (int start = 0; start < examples; start += batch)
        {
            int rows = Math.Min(batch, examples - start);
            model.Predict(inputs.AsSpan(start * 2, rows * 2), probabilities.AsSpan(0, rows * classes));
            for (int n = 0; n < rows; n++)
            {
                var p = probabilities.AsSpan(n * classes, classes);
                if (targets[(start + n) * classes + System.Numerics.Tensors.TensorPrimitives.IndexOfMax(p)] == 1) correct++;
            }
        }
        return (double)correct / examples;
    }
}
