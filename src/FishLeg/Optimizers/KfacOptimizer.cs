using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Numerics;
using System.Numerics.Tensors;
using FishLeg.Kernels;

namespace FishLeg.Optimizers;

/// <summary>
/// K-FAC (Martens and Grosse 2015) on a generated model, with kfac-pytorch's step order: at steps 0, F, 2F, … each layer's
/// Kronecker factors A = ĀᵀĀ/K and G = K·EᵀE are updated as running averages from a backward pass (with targets sampled
/// from the model for the true Fisher); at steps 0, I, 2I, … their damped inverses are recomputed; then each layer's
/// gradient is preconditioned, P = G_d⁻¹·∇W·A_d⁻¹, scaled by the KL clip ν, and SGD with momentum and weight decay
/// applies it (docs/math.md §7). Every buffer is allocated here, once.
/// </summary>
/// <remarks>
/// Call <see cref="Step"/> after <see cref="IFishLegModel{T}.LossAndGradient"/>, with the same batch's inputs. With the
/// true Fisher, a factor update runs the model once more on those inputs with sampled targets, so the model's
/// <see cref="IFishLegModel{T}.Gradient"/> afterwards is that pass's.
/// </remarks>
public sealed class KfacOptimizer<T> : IOptimizerState<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly IFishLegModel<T> _model;
    private readonly KfacLayer[] _layers;
    private readonly Dictionary<int, SymmetricInverse<T>> _inverters;
    // A and G of every layer, then their damped inverses, in one array each (the checkpoint's layout).
    private readonly T[] _factors, _inverses;
    private readonly T[] _gradient, _preconditioned, _momentum, _sampledTargets;
    // Scratch: a new factor, a damped factor, Ā with its ones column, and the two products of the preconditioning.
    private readonly T[] _newFactor, _damped, _augmented, _left, _right;
    private readonly NonFiniteSearchKernel<T> _finite = new();
    private SeededRandom _random;
    private bool _momentumStarted;

    /// <summary>One layer's place in the buffers, and whether its gradient is preconditioned from its factors.</summary>
    private sealed record KfacLayer(LayerDescription Description, int AOffset, int GOffset, bool LowRank, T[] Deltas, T[] Inputs)
    {
        public int Columns => Description.Columns;
        public int Outputs => Description.Outputs;
    }

    /// <summary>Creates the optimizer for <paramref name="model"/>.</summary>
    public KfacOptimizer(IFishLegModel<T> model, KfacOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Options = options ?? new KfacOptions();
        Options.Validate();
        _model = model;
        int batch = model.MaxBatchSize;
        var layers = new List<KfacLayer>();
        int offset = 0;
        foreach (LayerDescription layer in model.Description.Layers)
        {
            int o = layer.Outputs, i = layer.Columns;
            // P from the gradient's factors costs K·(n_o² + n_i² + n_o·n_i) against n_o·n_i·(n_o + n_i) dense.
            bool lowRank = (long)batch * ((long)o * o + (long)i * i + (long)o * i) < (long)o * i * (o + i);
            layers.Add(new KfacLayer(layer, offset, offset + i * i, lowRank,
                new T[lowRank ? batch * o : 0], new T[lowRank ? batch * layer.Inputs : 0]));
            offset = checked(offset + i * i + o * o);
        }
        _layers = [.. layers];
        _factors = new T[offset];
        _inverses = new T[offset];
        _inverters = _layers.SelectMany(l => new[] { l.Columns, l.Outputs }).Distinct().ToDictionary(n => n, n => new SymmetricInverse<T>(n));
        int count = model.Description.ParameterCount;
        _gradient = new T[count];
        _preconditioned = new T[count];
        _momentum = new T[count];
        _sampledTargets = new T[BatchShape.BufferLength(batch, model.Description.Outputs)];
        int widest = _layers.Max(l => Math.Max(l.Columns, l.Outputs));
        _newFactor = new T[widest * widest];
        _damped = new T[widest * widest];
        _augmented = new T[batch * _layers.Max(l => l.Columns)];
        _left = new T[_layers.Max(l => l.LowRank ? batch * l.Outputs : l.Outputs * l.Columns)];
        _right = new T[_layers.Max(l => l.LowRank ? batch * l.Columns : 0)];
        _random = new SeededRandom(Options.Seed);
    }

    /// <summary>The hyper-parameters.</summary>
    public KfacOptions Options { get; }

    /// <summary>Steps taken so far.</summary>
    public long StepCount { get; private set; }

    /// <summary>Factor updates made so far.</summary>
    public long FactorUpdateCount { get; private set; }

    /// <summary>Factor updates skipped because the new factors were not finite; the factors stayed as they were.</summary>
    public long SkippedFactorUpdateCount { get; private set; }

    /// <summary>
    /// Damped factors that were not positive definite in working precision when inverted; their inverse was replaced by
    /// the damping term's, so that layer took a damped gradient step.
    /// </summary>
    public long FailedInverseCount { get; private set; }

    /// <summary>ν, the KL-clip scale of the last step (1 when nothing was clipped).</summary>
    public double LastClipScale { get; private set; } = 1;

    /// <summary>How many layers precondition their gradient from its factors, in O(K·N²) instead of O(N³).</summary>
    public int LowRankLayerCount => _layers.Count(l => l.LowRank);

    /// <summary>Layer <paramref name="layer"/>'s running factors A (n_i × n_i, bias last) and G (n_o × n_o).</summary>
    public (ReadOnlyMemory<T> A, ReadOnlyMemory<T> G) Factors(int layer)
    {
        KfacLayer l = _layers[layer];
        return (_factors.AsMemory(l.AOffset, l.Columns * l.Columns), _factors.AsMemory(l.GOffset, l.Outputs * l.Outputs));
    }

    /// <summary>
    /// One K-FAC iteration on the gradient in the model: factor and inverse updates when due, preconditioning, KL clip,
    /// momentum and the parameter update. <paramref name="inputs"/> are the batch's inputs, which the true Fisher's
    /// sampled pass runs on.
    /// </summary>
    /// <exception cref="InvalidOperationException">The gradient is not finite; nothing was changed.</exception>
    public void Step(ReadOnlySpan<T> inputs)
    {
        ModelDescription description = _model.Description;
        if (_model.GradientBatchSize == 0)
            throw new InvalidOperationException("The model holds no gradient: call LossAndGradient before Step.");
        int rows = BatchShape.Rows(inputs.Length, description.Inputs, _model.MaxBatchSize, nameof(inputs));
        if (rows != _model.GradientBatchSize)
            throw new ArgumentException($"'inputs' holds {rows} examples but the gradient came from {_model.GradientBatchSize}: pass the inputs of the batch LossAndGradient saw.", nameof(inputs));
        OptimizerGuard.RequireFinite(_finite, _model.Gradient, StepCount);

        // The true pass's gradient (and, for the low-rank layers, its factors) before the sampled pass overwrites them.
        _model.Gradient.CopyTo(_gradient);
        for (int l = 0; l < _layers.Length; l++)
        {
            if (!_layers[l].LowRank) continue;
            _model.GradientFactors(l, out ReadOnlySpan<T> delta, out ReadOnlySpan<T> input);
            delta.CopyTo(_layers[l].Deltas);
            input.CopyTo(_layers[l].Inputs);
        }

        if (StepCount % Options.FactorUpdateEvery == 0) UpdateFactors(inputs, rows);
        if (StepCount % Options.InverseUpdateEvery == 0) UpdateInverses();
        for (int l = 0; l < _layers.Length; l++) Precondition(_layers[l], rows);

        // ν = min(1, √(κ / |η²·⟨P, g⟩|)); then torch's SGD: d = νP + λθ, m = d (first step) or μm + d, θ −= ηm.
        double eta = Options.LearningRate;
        double alignment = Math.Abs(double.CreateChecked(TensorPrimitives.Dot<T>(_preconditioned, _gradient)) * eta * eta);
        LastClipScale = Options.KlClip == 0 || alignment == 0 ? 1 : Math.Min(1, Math.Sqrt(Options.KlClip / alignment));
        Span<T> theta = _model.Parameters;
        TensorPrimitives.Multiply(_preconditioned, T.CreateChecked(LastClipScale), _preconditioned);
        if (Options.WeightDecay != 0) TensorPrimitives.MultiplyAdd(theta, T.CreateChecked(Options.WeightDecay), _preconditioned, _preconditioned);
        if (_momentumStarted) TensorPrimitives.MultiplyAdd(_momentum, T.CreateChecked(Options.Momentum), _preconditioned, _momentum);
        else _preconditioned.CopyTo(_momentum);
        _momentumStarted = true;
        TensorPrimitives.MultiplyAdd(_momentum, T.CreateChecked(-eta), theta, theta);
        StepCount++;
    }

    /// <summary>A ← ĀᵀĀ/K and G ← K·EᵀE from the factor pass, blended into the running averages.</summary>
    private void UpdateFactors(ReadOnlySpan<T> inputs, int rows)
    {
        if (Options.Fisher == KfacFisher.Sampled)
        {
            Span<T> sampled = _sampledTargets.AsSpan(0, rows * _model.Description.Outputs);
            _model.SampleTargets(inputs, ref _random, sampled);
            _model.LossAndGradient(inputs, sampled);
        }
        // A non-finite factor pass (the sampled targets can push a model to overflow) is skipped before anything moves.
        for (int l = 0; l < _layers.Length; l++)
        {
            _model.GradientFactors(l, out ReadOnlySpan<T> delta, out ReadOnlySpan<T> input);
            if (_finite.IndexOfNonFinite(delta) >= 0 || _finite.IndexOfNonFinite(input) >= 0) { SkippedFactorUpdateCount++; return; }
        }
        T decay = T.CreateChecked(Options.FactorDecay), fresh = T.CreateChecked(1 - Options.FactorDecay);
        bool first = FactorUpdateCount == 0;
        for (int l = 0; l < _layers.Length; l++)
        {
            KfacLayer layer = _layers[l];
            int o = layer.Outputs, i = layer.Columns, inputsWidth = layer.Description.Inputs;
            _model.GradientFactors(l, out ReadOnlySpan<T> delta, out ReadOnlySpan<T> input);

            // Ā with its column of ones, then A = ĀᵀĀ/K.
            Span<T> augmented = _augmented.AsSpan(0, rows * i);
            for (int r = 0; r < rows; r++)
            {
                input.Slice(r * inputsWidth, inputsWidth).CopyTo(augmented.Slice(r * i, inputsWidth));
                if (layer.Description.HasBias) augmented[r * i + inputsWidth] = T.One;
            }
            Span<T> a = _newFactor.AsSpan(0, i * i);
            Gemm.TN(i, i, rows, augmented, i, augmented, i, a, i);
            TensorPrimitives.Multiply(a, T.One / T.CreateChecked(rows), a);
            Blend(_factors.AsSpan(layer.AOffset, i * i), a, first, decay, fresh);

            // G = K·EᵀE (E carries the mean's 1/K).
            Span<T> g = _newFactor.AsSpan(0, o * o);
            Gemm.TN(o, o, rows, delta[..(rows * o)], o, delta[..(rows * o)], o, g, o);
            TensorPrimitives.Multiply(g, T.CreateChecked(rows), g);
            Blend(_factors.AsSpan(layer.GOffset, o * o), g, first, decay, fresh);
        }
        FactorUpdateCount++;
    }

    private static void Blend(Span<T> running, ReadOnlySpan<T> fresh, bool first, T decay, T weight)
    {
        if (first) { fresh.CopyTo(running); return; }
        TensorPrimitives.Multiply(running, decay, running);
        TensorPrimitives.MultiplyAdd(fresh, weight, running, running);
    }

    /// <summary>A_d⁻¹ and G_d⁻¹ with A_d = A + π√γ·I, G_d = G + (√γ/π)·I, π = √((tr A/n_i)/(tr G/n_o)) (factored Tikhonov damping).</summary>
    private void UpdateInverses()
    {
        double root = Math.Sqrt(Options.Damping);
        foreach (KfacLayer layer in _layers)
        {
            int o = layer.Outputs, i = layer.Columns;
            double pi = Pi(_factors.AsSpan(layer.AOffset, i * i), i, _factors.AsSpan(layer.GOffset, o * o), o);
            Invert(layer.AOffset, i, pi * root);
            Invert(layer.GOffset, o, root / pi);
        }
    }

    /// <summary>π = √((tr A/n_i)/(tr G/n_o)); 1 when either trace is zero or not finite.</summary>
    internal static double Pi(ReadOnlySpan<T> a, int ni, ReadOnlySpan<T> g, int no)
    {
        double traceA = 0, traceG = 0;
        for (int k = 0; k < ni; k++) traceA += double.CreateChecked(a[k * ni + k]);
        for (int k = 0; k < no; k++) traceG += double.CreateChecked(g[k * no + k]);
        double pi = Math.Sqrt(traceA / ni / (traceG / no));
        return double.IsFinite(pi) && pi > 0 ? pi : 1;
    }

    private void Invert(int offset, int n, double damping)
    {
        Span<T> damped = _damped.AsSpan(0, n * n);
        _factors.AsSpan(offset, n * n).CopyTo(damped);
        T add = T.CreateChecked(damping);
        for (int k = 0; k < n; k++) damped[k * n + k] += add;
        Span<T> inverse = _inverses.AsSpan(offset, n * n);
        if (_inverters[n].Invert(damped, inverse)) return;
        // Not positive definite in working precision: the damping term's inverse instead.
        FailedInverseCount++;
        inverse.Clear();
        T diagonal = T.One / add;
        for (int k = 0; k < n; k++) inverse[k * n + k] = diagonal;
    }

    /// <summary>This layer's block of _preconditioned ← G_d⁻¹·∇W·A_d⁻¹, from the gradient's factors when that is cheaper.</summary>
    private void Precondition(KfacLayer layer, int rows)
    {
        int o = layer.Outputs, i = layer.Columns, offset = layer.Description.Offset;
        ReadOnlySpan<T> aInverse = _inverses.AsSpan(layer.AOffset, i * i), gInverse = _inverses.AsSpan(layer.GOffset, o * o);
        Span<T> p = _preconditioned.AsSpan(offset, o * i);
        if (!layer.LowRank)
        {
            // T = ∇W·A⁻¹, P = G⁻¹·T.
            Span<T> t = _left.AsSpan(0, o * i);
            Gemm.NN(o, i, i, _gradient.AsSpan(offset, o * i), i, aInverse, i, t, i);
            Gemm.NN(o, i, o, gInverse, o, t, i, p, i);
            return;
        }
        // ∇W = EᵀĀ: X = E·G⁻¹ (K × n_o), Y = Ā·A⁻¹ (K × n_i, Ā's ones implicit), P = XᵀY.
        Span<T> x = _left.AsSpan(0, rows * o), y = _right.AsSpan(0, rows * i);
        Gemm.NN(rows, o, o, layer.Deltas, o, gInverse, o, x, o);
        Gemm.NN(rows, i, i, layer.Inputs, layer.Description.Inputs, aInverse, i, y, i,
            ones: layer.Description.HasBias ? OnesColumn.A : OnesColumn.None);
        Gemm.TN(o, i, rows, x, o, y, i, p, i);
    }

    /// <inheritdoc/>
    public string Kind => "K-FAC";

    /// <inheritdoc/>
    public IEnumerable<KeyValuePair<string, T[]>> StateTensors =>
        [new("kfac.momentum", _momentum), new("kfac.factors", _factors), new("kfac.inverses", _inverses)];

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> StateScalars
    {
        get
        {
            return new Dictionary<string, string>
            {
                ["kfac.step"] = StepCount.ToString(CultureInfo.InvariantCulture),
                ["kfac.factor_updates"] = FactorUpdateCount.ToString(CultureInfo.InvariantCulture),
                ["kfac.skipped_factor_updates"] = SkippedFactorUpdateCount.ToString(CultureInfo.InvariantCulture),
                ["kfac.failed_inverses"] = FailedInverseCount.ToString(CultureInfo.InvariantCulture),
                ["kfac.momentum_started"] = _momentumStarted ? "1" : "0",
                ["kfac.random"] = ScalarReader.Format(_random),
            };
        }
    }

    /// <inheritdoc/>
    public Action PrepareRestore(IReadOnlyDictionary<string, string> scalars)
    {
        long steps = ScalarReader.GetCount(scalars, "kfac.step");
        long updates = ScalarReader.GetCount(scalars, "kfac.factor_updates");
        long skipped = ScalarReader.GetCount(scalars, "kfac.skipped_factor_updates");
        long failed = ScalarReader.GetCount(scalars, "kfac.failed_inverses");
        if (updates + skipped > steps)
            throw new System.IO.InvalidDataException($"The checkpoint counts {updates} + {skipped} factor updates in {steps} steps.");
        bool started = ScalarReader.GetFlag(scalars, "kfac.momentum_started");
        SeededRandom random = ScalarReader.GetRandom(scalars, "kfac.random");
        return () =>
        {
            (StepCount, FactorUpdateCount, SkippedFactorUpdateCount, FailedInverseCount) = (steps, updates, skipped, failed);
            _momentumStarted = started;
            _random = random;
        };
    }
}
