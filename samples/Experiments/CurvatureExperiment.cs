using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Numerics;
using FishLeg.Data;
using FishLeg.Experiments.Reports;
using FishLeg.Kernels;
using FishLeg.Optimizers;
using ScottPlot;

namespace FishLeg.Experiments;

/// <param name="SgdIterations">SGD-momentum iterations (torch lr 1e-3, momentum 0.9) before the model is frozen.</param>
/// <param name="AuxiliaryUpdates">Auxiliary updates to run on the frozen model.</param>
/// <param name="CheckEvery">Solve for the optimum at every this-many-th update.</param>
public sealed record CurvatureOptions(int BatchSize, int AuxiliaryBatchSize, ulong Seed, string OutputFolder, FishLegOptions FishLeg,
    int SgdIterations, int AuxiliaryUpdates, int CheckEvery, string? DataFolder, int? TrainSize);

/// <summary>
/// How well FishLeg's Q learns (F + γI)⁻¹, without a training run: the autoencoder is frozen after some SGD-momentum
/// iterations and FishLeg only makes auxiliary updates. Each update sees a fresh direction u (a training batch's
/// normalized gradient) and a fresh auxiliary batch; its auxiliary loss A = ½vᵀ(F + γI)v − uᵀv, v = Q(λ)u, is measured
/// before λ moves, against the best any Q could do on that pair, A* = −½uᵀ(F + γI)⁻¹u, found by conjugate gradients.
/// A/A* is 1 for the exact inverse and 0 for Q = 0.
/// </summary>
public static class CurvatureExperiment
{
    public const string Name = "curvature";

    public static void Run(CurvatureOptions options, TextWriter output)
    {
        FishLegOptions fishLeg = options.FishLeg with { UpdateAuxEvery = 1, EarlyAuxiliarySteps = 0, MomentumOn = MomentumTarget.PreconditionedGradient,
            WeightDecayMode = WeightDecayMode.Decoupled }; // u is then the raw gradient's direction
        FashionMnist data = FashionMnist.Load(options.DataFolder, options.TrainSize, 1);
        int batch = options.BatchSize, auxiliaryBatch = options.AuxiliaryBatchSize, pixels = data.Train.PixelsPerImage;
        if (data.Train.Count < Math.Max(batch, auxiliaryBatch))
            throw new ArgumentException($"The batch size {Math.Max(batch, auxiliaryBatch)} is larger than the {data.Train.Count} training images.");
        var model = new Autoencoder(Math.Max(batch, auxiliaryBatch), options.Seed);
        model.InitializeParameters(options.Seed);
        var batches = new CyclingBatches(data.Train.Pixels, pixels, batch, options.Seed);
        var auxiliary = new CyclingBatches(data.Train.Pixels, pixels, auxiliaryBatch, options.Seed + 1);

        output.WriteLine("FishLeg.Gen: how well Q(λ) learns (F + γI)⁻¹ on the frozen autoencoder");
        output.WriteLine($"Data: {data.Description}. SGD-momentum (torch lr 1e-3, momentum 0.9) for {options.SgdIterations} iterations at batch {batch}, " +
            $"then {options.AuxiliaryUpdates} auxiliary updates (auxiliary batch {auxiliaryBatch}), each on a fresh u and auxiliary batch; " +
            $"γ = {fishLeg.Damping}, α = {fishLeg.AuxiliaryLearningRate}, {fishLeg.AuxiliaryStepsPerUpdate} Adam step(s) per update, " +
            $"α ramp {fishLeg.AuxiliaryRampSteps}, Q form {fishLeg.QForm?.ToString() ?? "as declared"}, Q₀ = {fishLeg.InitialSgdLearningRate / fishLeg.LearningRate:G3}·I.");
        output.WriteLine("A = ½vᵀ(F + γI)v − uᵀv, v = Q(λ)u, before λ's step; A* = −½uᵀ(F + γI)⁻¹u by conjugate gradients (relative residual 1e-4).");
        output.WriteLine();

        var sgd = new SgdMomentum<float>(model.Parameters.Length, 1e-3, 0.9);
        for (int k = 0; k < options.SgdIterations; k++)
        {
            model.LossAndGradient(batches.Next(), batches.Current);
            sgd.Step(model.Parameters, model.Gradient);
        }

        var optimizer = new FishLegOptimizer<float>(model, fishLeg);
        // K-FAC's Kronecker inverse of the same damping, as a reference Q: with rate 1, no momentum and no clip its step
        // is −P(g), and the factors and inverses are refreshed at every update (running averages, decay 0.95).
        var kfac = new KfacOptimizer<float>(model, new KfacOptions { LearningRate = 1, Momentum = 0, KlClip = 0, Damping = fishLeg.Damping,
            FactorUpdateEvery = 1, InverseUpdateEvery = 1, Seed = options.Seed });
        float[] frozen = model.Parameters.ToArray(), u = new float[frozen.Length], kfacV = new float[frozen.Length], product = new float[frozen.Length];
        var solver = new DampedFisherSolver<float>(model);
        var checks = new List<(int Update, double Loss, double Optimum, int Iterations)>();
        var kfacChecks = new List<(double Loss, double BestScale)>();
        var losses = new double[options.AuxiliaryUpdates];
        output.WriteLine("| update | A | A* | A / A* | CG iterations | K-FAC's A / A* | at its best scale |");
        output.WriteLine("| -----: | ---: | ---: | -----: | ------------: | -------------: | ----------------: |");
        for (int j = 0; j < options.AuxiliaryUpdates; j++)
        {
            model.LossAndGradient(batches.Next(), batches.Current);
            ReadOnlySpan<float> auxiliaryInputs = auxiliary.Next();
            bool check = j % options.CheckEvery == 0 || j == options.AuxiliaryUpdates - 1;
            (double Optimum, int Iterations) solution = default;
            if (check)
            {
                model.Gradient.CopyTo(u);
                solution = solver.Optimum(auxiliaryInputs, u, fishLeg.Damping);
            }
            optimizer.Step(auxiliaryInputs);
            frozen.CopyTo(model.Parameters); // only λ learns
            losses[j] = optimizer.AuxiliaryLoss;
            kfac.Step(batches.Current); // the model's gradient is still g: v = −Δθ = P(g)
            for (int i = 0; i < frozen.Length; i++) kfacV[i] = frozen[i] - model.Parameters[i];
            frozen.CopyTo(model.Parameters);
            if (!check) continue;
            checks.Add((j, losses[j], solution.Optimum, solution.Iterations));
            (double kfacLoss, double bestScale) = KfacAuxiliaryLoss(auxiliaryInputs);
            kfacChecks.Add((kfacLoss, bestScale));
            output.WriteLine($"| {j,6} | {losses[j]:F4} | {solution.Optimum:F4} | {losses[j] / solution.Optimum:F3} | {solution.Iterations,13} | " +
                $"{kfacLoss / solution.Optimum,14:F3} | {bestScale / solution.Optimum,17:F3} |");
        }

        // A for v = P(u) = P(g)/‖g‖ on the auxiliary batch, and at the scale c that minimizes A(c·v): −½(uᵀv)²/vᵀ(F + γI)v.
        (double Loss, double BestScale) KfacAuxiliaryLoss(ReadOnlySpan<float> auxiliaryInputs)
        {
            double norm = Math.Sqrt(DampedFisherSolver<float>.Dot(u, u));
            for (int i = 0; i < kfacV.Length; i++) kfacV[i] = (float)(kfacV[i] / norm);
            model.FisherVectorProduct(auxiliaryInputs, kfacV, product);
            double vMv = DampedFisherSolver<float>.Dot(kfacV, product) + fishLeg.Damping * DampedFisherSolver<float>.Dot(kfacV, kfacV),
                uv = DampedFisherSolver<float>.Dot(u, kfacV) / norm;
            return (0.5 * vMv - uv, -0.5 * uv * uv / vMv);
        }
        int last = Math.Max(1, checks.Count / 3);
        double meanRatio = checks.TakeLast(last).Average(c => c.Loss / c.Optimum);
        output.WriteLine();
        output.WriteLine($"Mean A / A* over the last {Comparison.Count(last, "check")}: {meanRatio:F3}; K-FAC's {kfacChecks.TakeLast(last).Zip(checks.TakeLast(last)).Average(c => c.First.Loss / c.Second.Optimum):F3}, " +
            $"at its best scale {kfacChecks.TakeLast(last).Zip(checks.TakeLast(last)).Average(c => c.First.BestScale / c.Second.Optimum):F3}.");

        Directory.CreateDirectory(options.OutputFolder);
        string plot = Path.Combine(options.OutputFolder, Name + ".png");
        SavePlot(plot, losses, checks);
        output.WriteLine($"Wrote {plot}.");
    }

    private static void SavePlot(string path, double[] losses, List<(int Update, double Loss, double Optimum, int Iterations)> checks)
    {
        Plot plot = Charts.Create("Auxiliary loss on the frozen autoencoder", "auxiliary update", "A (lower is better)");
        Charts.AddLine(plot, "A(λ) on each update's u and batch", Enumerable.Range(0, losses.Length).Select(j => (double)j).ToArray(), losses);
        Charts.AddLine(plot, "A* = −½uᵀ(F + γI)⁻¹u", checks.Select(c => (double)c.Update).ToArray(), checks.Select(c => c.Optimum).ToArray(), dashed: true);
        Charts.Save(path, plot);
    }

    /// <summary>Consecutive batches of a seeded permutation of the rows, reshuffled at every pass.</summary>
    private sealed class CyclingBatches(float[] rows, int rowLength, int batchSize, ulong seed)
    {
        private readonly ShuffledBatches _batches = new(rows.Length / rowLength, batchSize, seed);
        private readonly float[] _buffer = new float[batchSize * rowLength];
        private int _next;

        /// <summary>The batch last returned by <see cref="Next"/>.</summary>
        public float[] Current => _buffer;

        public float[] Next()
        {
            if (_next == _batches.BatchesPerEpoch) { _batches.Shuffle(); _next = 0; }
            _batches.Gather<float>(_next++, rows, rowLength, _buffer);
            return _buffer;
        }
    }
}

/// <summary>
/// Solves (F + γI)x = u for the model's exact Fisher F on a batch by conjugate gradients (F + γI is symmetric positive
/// definite for γ &gt; 0), accumulating in double, and returns the auxiliary loss's optimum −½uᵀx.
/// </summary>
public sealed class DampedFisherSolver<T>(IFishLegModel<T> model, double tolerance = 1e-4, int maxIterations = 1000)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _direction = new T[model.Parameters.Length], _product = new T[model.Parameters.Length];
    private readonly double[] _x = new double[model.Parameters.Length], _residual = new double[model.Parameters.Length], _p = new double[model.Parameters.Length];

    /// <summary>−½uᵀ(F + γI)⁻¹u for the direction u/‖u‖, and the iterations CG took.</summary>
    public (double Optimum, int Iterations) Optimum(ReadOnlySpan<T> inputs, ReadOnlySpan<T> u, double damping)
    {
        if (!(damping > 0)) throw new ArgumentOutOfRangeException(nameof(damping), damping, "The damping γ must be positive for F + γI to be invertible.");
        double norm = Math.Sqrt(Dot(u, u));
        if (!(norm > 0)) throw new ArgumentException("The direction u is zero.", nameof(u));
        // x = 0, r = p = û.
        for (int i = 0; i < _x.Length; i++) { _x[i] = 0; _residual[i] = _p[i] = double.CreateChecked(u[i]) / norm; }
        double rr = 1;
        int k = 0;
        while (k < maxIterations && Math.Sqrt(rr) > tolerance)
        {
            for (int i = 0; i < _p.Length; i++) _direction[i] = T.CreateChecked(_p[i]);
            model.FisherVectorProduct(inputs, _direction, _product);
            double pAp = 0;
            for (int i = 0; i < _p.Length; i++) pAp += _p[i] * (double.CreateChecked(_product[i]) + damping * _p[i]);
            double step = rr / pAp, next = 0;
            for (int i = 0; i < _p.Length; i++)
            {
                _x[i] += step * _p[i];
                _residual[i] -= step * (double.CreateChecked(_product[i]) + damping * _p[i]);
                next += _residual[i] * _residual[i];
            }
            for (int i = 0; i < _p.Length; i++) _p[i] = _residual[i] + next / rr * _p[i];
            rr = next;
            k++;
        }
        if (Math.Sqrt(rr) > tolerance)
            throw new InvalidOperationException($"Conjugate gradients did not reach a relative residual of {tolerance:G2} in {maxIterations} iterations ({Math.Sqrt(rr):G3}).");
        double ux = 0;
        for (int i = 0; i < _x.Length; i++) ux += double.CreateChecked(u[i]) / norm * _x[i];
        return (-0.5 * ux, k);
    }

    /// <summary>aᵀb, accumulated in double.</summary>
    internal static double Dot(ReadOnlySpan<T> a, ReadOnlySpan<T> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += double.CreateChecked(a[i]) * double.CreateChecked(b[i]);
        return s;
    }
}
