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
/// from the model for the true Fisher); at steps 0, I, 2I, … their damped inverses (or eigendecompositions) are
/// recomputed; then each layer's gradient is preconditioned, P = G_d⁻¹·∇W·A_d⁻¹, scaled by the KL clip ν, and SGD with
/// momentum and weight decay applies it; with adaptive damping, γ follows the Levenberg–Marquardt rule (docs/math.md §7).
/// A layer normalization is n units of one input x̂ⱼ and a shift: each has its own 2×2 A and scalar G, inverted together
/// at the inverse update (docs/math.md §10). Every buffer is allocated here, once.
/// </summary>
/// <remarks>
/// Call <see cref="Step(ReadOnlySpan{T})"/> after <see cref="IFishLegModel{T}.LossAndGradient"/>, with the same batch's
/// inputs (and, with adaptive damping, its targets). With the true Fisher, a factor update runs the model once more on
/// those inputs with sampled targets, so the model's <see cref="IFishLegModel{T}.Gradient"/> afterwards is that pass's.
/// </remarks>
public sealed class KfacOptimizer<T> : IOptimizerState<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly IFishLegModel<T> _model;
    private readonly KfacLayer[] _layers;
    private readonly Dictionary<int, SymmetricInverse<T>> _inverters;
    private readonly Dictionary<int, SymmetricEigen<T>> _eigensolvers;
    // A and G of every layer, then their damped inverses (Cholesky) or eigenvectors as columns (Eigen), in one array
    // each, and the eigenvalues of A and G (Eigen): the checkpoint's layout.
    private readonly T[] _factors, _inverses, _eigenvalues;
    private readonly T[] _gradient, _preconditioned, _momentum, _sampledTargets;
    // Scratch: a new factor, a damped factor, the two products of the preconditioning, the
    // eigen path's back-transform, and θ before and after a step with F·δ for the adaptive damping's quadratic model.
    private readonly T[] _newFactor, _damped, _left, _right, _back, _before, _after, _fisherStep;
    private readonly SgdMomentumKernel<T> _update = new();
    private readonly NonFiniteSearchKernel<T> _finite = new();
    private SeededRandom _random;
    private bool _momentumStarted;

    /// <summary>
    /// One layer's place in the buffers (its factors' and their eigenvalues'), and whether its gradient is transformed
    /// from its factors.
    /// </summary>
    private sealed record KfacLayer(LayerDescription Description, int AOffset, int GOffset, int AValues, int GValues, bool LowRank, T[] Deltas, T[] Inputs)
    {
        public int Columns => Description.Columns;
        public int Outputs => Description.Outputs;

        /// <summary>Unit by unit (a layer normalization): A is n pairs [mean x̂ⱼ², mean x̂ⱼ], G n values; the inverses n 2×2 blocks (3 values each).</summary>
        public bool PerUnit => Description.Kind == LayerKind.LayerNorm;
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
        int offset = 0, values = 0;
        foreach (LayerDescription layer in model.Description.Layers)
        {
            int o = layer.Outputs, i = layer.Columns;
            if (layer.Kind == LayerKind.LayerNorm)
            {
                layers.Add(new KfacLayer(layer, offset, offset + 2 * o, values, values, false, [], []));
                offset = checked(offset + 3 * o);
                continue;
            }
            // M_Gᵀ·∇W·M_A from the gradient's factors costs K·(n_o² + n_i² + n_o·n_i) against n_o·n_i·(n_o + n_i) dense,
            // with K rows per example and output position.
            long rows = (long)batch * layer.Positions;
            // A replica's factors are its shard's, not the global gradient's: it preconditions the dense gradient.
            bool lowRank = model is not IReplicatedModel<T> && rows * ((long)o * o + (long)i * i + (long)o * i) < (long)o * i * (o + i);
            layers.Add(new KfacLayer(layer, offset, offset + i * i, values, values + i, lowRank,
                new T[lowRank ? rows * o : 0], new T[lowRank ? rows * layer.Inputs : 0]));
            offset = checked(offset + i * i + o * o);
            values += i + o;
        }
        _layers = [.. layers];
        bool eigen = Options.Inverse == KfacInverse.Eigen;
        _factors = new T[offset];
        _inverses = new T[offset];
        _eigenvalues = new T[eigen ? values : 0];
        int[] orders = [.. _layers.Where(l => !l.PerUnit).SelectMany(l => new[] { l.Columns, l.Outputs }).Distinct()];
        _inverters = eigen ? [] : orders.ToDictionary(n => n, n => new SymmetricInverse<T>(n));
        _eigensolvers = eigen ? orders.ToDictionary(n => n, n => new SymmetricEigen<T>(n)) : [];
        int count = model.Description.ParameterCount;
        _gradient = new T[count];
        _preconditioned = new T[count];
        _momentum = new T[count];
        _sampledTargets = new T[BatchShape.BufferLength(batch, model.Description.Outputs)];
        int widest = _layers.Where(l => !l.PerUnit).Max(l => Math.Max(l.Columns, l.Outputs));
        _newFactor = new T[_layers.Max(l => l.PerUnit ? 3 * l.Outputs : widest * widest)];
        _damped = new T[widest * widest];
        _left = new T[_layers.Max(l => l.LowRank ? batch * l.Description.Positions * l.Outputs : l.Outputs * l.Columns)];
        _right = new T[_layers.Max(l => l.LowRank ? batch * l.Description.Positions * l.Columns : 0)];
        _back = new T[eigen ? _layers.Max(l => l.Outputs * l.Columns) : 0];
        int adaptive = Options.AdaptiveDamping ? count : 0;
        (_before, _after, _fisherStep) = (new T[adaptive], new T[adaptive], new T[adaptive]);
        _random = new SeededRandom(Options.Seed);
        Damping = Options.Damping;
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

    /// <summary>
    /// γ now: <see cref="KfacOptions.Damping"/>, or where adaptive damping has moved it. With the Cholesky inverse a new γ
    /// takes effect at the next inverse update; with the eigendecomposition, at the next step.
    /// </summary>
    public double Damping { get; private set; }

    /// <summary>
    /// ρ of the last damping adaptation: the observed over the predicted change of the loss (NaN before the first, and
    /// when the quadratic model predicted no decrease, in which case γ grew).
    /// </summary>
    public double LastReductionRatio { get; private set; } = double.NaN;

    /// <summary>How many layers precondition their gradient from its factors, in O(K·N²) instead of O(N³).</summary>
    public int LowRankLayerCount => _layers.Count(l => l.LowRank);

    /// <summary>
    /// Layer <paramref name="layer"/>'s running factors A (n_i × n_i, bias last) and G (n_o × n_o); for a layer
    /// normalization, each unit's [mean x̂ⱼ², mean x̂ⱼ] (its A's first row; the shift's corner is 1) and its G.
    /// </summary>
    public (ReadOnlyMemory<T> A, ReadOnlyMemory<T> G) Factors(int layer)
    {
        KfacLayer l = _layers[layer];
        if (l.PerUnit) return (_factors.AsMemory(l.AOffset, 2 * l.Outputs), _factors.AsMemory(l.GOffset, l.Outputs));
        return (_factors.AsMemory(l.AOffset, l.Columns * l.Columns), _factors.AsMemory(l.GOffset, l.Outputs * l.Outputs));
    }

    /// <summary>
    /// One K-FAC iteration on the gradient in the model: factor and inverse updates when due, preconditioning, KL clip,
    /// momentum and the parameter update. <paramref name="inputs"/> are the batch's inputs, which the true Fisher's
    /// sampled pass runs on.
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// The gradient is not finite, or adaptive damping is on (it needs the targets); nothing was changed.
    /// </exception>
    public void Step(ReadOnlySpan<T> inputs)
    {
        if (Options.AdaptiveDamping)
            throw new InvalidOperationException("Adaptive damping measures the loss before and after the step: call Step(inputs, targets).");
        Step(inputs, default);
    }

    /// <summary>
    /// <see cref="Step(ReadOnlySpan{T})"/> with the batch's <paramref name="targets"/>, which adaptive damping evaluates
    /// the loss on (and which are otherwise not read).
    /// </summary>
    /// <exception cref="InvalidOperationException">The gradient is not finite; nothing was changed.</exception>
    /// <exception cref="ArgumentException">The targets do not fit the inputs or the likelihood; nothing was changed.</exception>
    public void Step(ReadOnlySpan<T> inputs, ReadOnlySpan<T> targets)
    {
        ModelDescription description = _model.Description;
        if (_model.GradientBatchSize == 0)
            throw new InvalidOperationException("The model holds no gradient: call LossAndGradient before Step.");
        int rows = BatchShape.Rows(inputs.Length, description.Inputs, _model.MaxBatchSize, nameof(inputs));
        if (rows != _model.GradientBatchSize)
            throw new ArgumentException($"'inputs' holds {rows} examples but the gradient came from {_model.GradientBatchSize}: pass the inputs of the batch LossAndGradient saw.", nameof(inputs));
        OptimizerGuard.RequireFinite(_finite, _model.Gradient, StepCount);

        // h(θ) for adaptive damping, which also checks the targets before anything has changed. LossAndGradient rather
        // than Loss: it leaves the model's gradient and its factors as they were.
        bool adapt = Options.AdaptiveDamping && StepCount % Options.DampingAdaptationEvery == 0;
        double lossBefore = adapt ? double.CreateChecked(_model.LossAndGradient(inputs, targets)) : 0;

        // A sampled factor pass overwrites the model's gradient and, for the low-rank layers, its factors: keep them first.
        bool factorUpdate = StepCount % Options.FactorUpdateEvery == 0, sampledPass = factorUpdate && Options.Fisher == KfacFisher.Sampled;
        if (sampledPass)
        {
            _model.Gradient.CopyTo(_gradient);
            for (int l = 0; l < _layers.Length; l++)
            {
                if (!_layers[l].LowRank) continue;
                _model.GradientFactors(l, out ReadOnlySpan<T> delta, out ReadOnlySpan<T> input);
                delta.CopyTo(_layers[l].Deltas);
                input.CopyTo(_layers[l].Inputs);
            }
        }
        if (factorUpdate) UpdateFactors(inputs, rows);
        if (StepCount % Options.InverseUpdateEvery == 0) UpdateInverses();
        ReadOnlySpan<T> gradient = sampledPass ? _gradient : _model.Gradient;
        for (int l = 0; l < _layers.Length; l++)
        {
            KfacLayer layer = _layers[l];
            ReadOnlySpan<T> delta = layer.Deltas, input = layer.Inputs;
            if (layer.LowRank && !sampledPass) _model.GradientFactors(l, out delta, out input);
            Precondition(layer, rows * layer.Description.Positions, gradient, delta, input);
        }

        // ν = min(1, √(κ / |η²·⟨P, g⟩|)); then torch's SGD in one pass: d = νP + λθ, m = d (first step) or μm + d, θ −= ηm.
        double eta = Options.LearningRate;
        double alignment = Math.Abs(double.CreateChecked(TensorPrimitives.Dot<T>(_preconditioned, gradient)) * eta * eta);
        LastClipScale = Options.KlClip == 0 || alignment == 0 ? 1 : Math.Min(1, Math.Sqrt(Options.KlClip / alignment));
        Span<T> theta = _model.Parameters;
        if (adapt) theta.CopyTo(_before);
        _update.Step(theta, _preconditioned, _momentum, eta, Options.Momentum, dampening: 0, Options.WeightDecay,
            first: !_momentumStarted, nesterov: false, gradientScale: LastClipScale);
        _momentumStarted = true;
        if (adapt) AdaptDamping(inputs, targets, gradient, lossBefore);
        StepCount++;
    }

    /// <summary>
    /// The step δ = θ_new − θ just taken, the quadratic model's predicted change gᵀδ + ½δᵀFδ + ½γ‖δ‖² with F·δ evaluated
    /// at the old θ (restored for the product, then θ_new again), the observed change, and the damping rule.
    /// </summary>
    private void AdaptDamping(ReadOnlySpan<T> inputs, ReadOnlySpan<T> targets, ReadOnlySpan<T> gradient, double lossBefore)
    {
        Span<T> theta = _model.Parameters, step = _before;
        theta.CopyTo(_after);
        _before.CopyTo(theta);
        TensorPrimitives.Subtract(_after, _before, step);
        _model.FisherVectorProduct(inputs, step, _fisherStep);
        _after.CopyTo(theta);
        double predicted = double.CreateChecked(TensorPrimitives.Dot(gradient, step))
            + 0.5 * double.CreateChecked(TensorPrimitives.Dot<T>(step, _fisherStep))
            + 0.5 * Damping * double.CreateChecked(TensorPrimitives.Dot<T>(step, step));
        UpdateDamping(lossBefore, double.CreateChecked(_model.Loss(inputs, targets)), predicted);
    }

    /// <summary>
    /// The Levenberg–Marquardt rule: ρ = observed / predicted change; γ shrinks by ω^T when ρ &gt; 3/4 and grows by it when
    /// ρ &lt; 1/4 (a non-finite loss after the step counts as ρ &lt; 1/4). A step the quadratic model itself predicts to
    /// raise the loss (η too large for the curvature it sees) has left the region where the model is trusted: γ grows.
    /// </summary>
    private void UpdateDamping(double before, double after, double predicted)
    {
        double omega = Math.Pow(Options.DampingAdaptationDecay, Options.DampingAdaptationEvery);
        double rho = predicted < 0 && double.IsFinite(predicted) ? (after - before) / predicted : double.NaN;
        LastReductionRatio = rho;
        if (rho > 0.75) Damping = Math.Max(Options.MinimumDamping, Damping * omega);
        else if (!(rho >= 0.25)) Damping = Math.Min(Options.MaximumDamping, Damping / omega);
    }

    /// <summary>
    /// A ← ĀᵀĀ/(K·P) and G ← K·EᵀE from the factor pass (K examples, P output positions per example, one row of Ā and E
    /// for each: Grosse and Martens's convolution factors, the dense ones at P = 1), blended into the running averages.
    /// </summary>
    private void UpdateFactors(ReadOnlySpan<T> inputs, int rows)
    {
        if (Options.Fisher == KfacFisher.Sampled)
        {
            Span<T> sampled = _sampledTargets.AsSpan(0, rows * _model.Description.Outputs);
            _model.SampleTargets(inputs, ref _random, sampled);
            _model.LossAndGradient(inputs, sampled);
        }
        // A non-finite factor pass (the sampled targets can push a model to overflow) is skipped before anything moves;
        // by every replica, if one of them has it.
        bool finite = true;
        for (int l = 0; l < _layers.Length && finite; l++)
        {
            _model.GradientFactors(l, out ReadOnlySpan<T> delta, out ReadOnlySpan<T> input);
            finite = _finite.IndexOfNonFinite(delta) < 0 && _finite.IndexOfNonFinite(input) < 0;
        }
        if (!OptimizerGuard.AllReplicasFinite(_model, finite)) { SkippedFactorUpdateCount++; return; }
        T decay = T.CreateChecked(Options.FactorDecay), fresh = T.CreateChecked(1 - Options.FactorDecay);
        bool first = FactorUpdateCount == 0;
        for (int l = 0; l < _layers.Length; l++)
        {
            KfacLayer layer = _layers[l];
            int o = layer.Outputs, i = layer.Columns, inputsWidth = layer.Description.Inputs;
            int factorRows = rows * layer.Description.Positions;
            _model.GradientFactors(l, out ReadOnlySpan<T> delta, out ReadOnlySpan<T> input);
            if (layer.PerUnit)
            {
                Span<T> unit = _newFactor.AsSpan(0, 3 * o);
                UnitFactors(delta, input, rows, o, unit);
                (_model as IReplicatedModel<T>)?.MeanOverReplicas(unit, rows); // A's means over rows, G's over examples: one example a row here
                Blend(_factors.AsSpan(layer.AOffset, 3 * o), unit, first, decay, fresh);
                continue;
            }

            // A = ĀᵀĀ/(K·P): the rows of Aᵀ·[A | 1], then the bias's row (its column transposed) and corner K·P.
            Span<T> a = _newFactor.AsSpan(0, i * i);
            Gemm.TN(inputsWidth, i, factorRows, input, inputsWidth, input, inputsWidth, a, i,
                ones: layer.Description.HasBias ? OnesColumn.B : OnesColumn.None);
            if (layer.Description.HasBias)
            {
                for (int c = 0; c < inputsWidth; c++) a[inputsWidth * i + c] = a[c * i + inputsWidth];
                a[inputsWidth * i + inputsWidth] = T.CreateChecked(factorRows);
            }
            TensorPrimitives.Multiply(a, T.One / T.CreateChecked(factorRows), a);
            (_model as IReplicatedModel<T>)?.MeanOverReplicas(a, factorRows);
            Blend(_factors.AsSpan(layer.AOffset, i * i), a, first, decay, fresh);

            // G = K·EᵀE (E carries the mean's 1/K), summed over the positions.
            Span<T> g = _newFactor.AsSpan(0, o * o);
            Gemm.TN(o, o, factorRows, delta[..(factorRows * o)], o, delta[..(factorRows * o)], o, g, o);
            TensorPrimitives.Multiply(g, T.CreateChecked(rows), g);
            // G = Σ_n d dᵀ/K over the global batch is the examples-weighted mean of the shards' K_r·E_rᵀE_r.
            (_model as IReplicatedModel<T>)?.MeanOverReplicas(g, rows);
            Blend(_factors.AsSpan(layer.GOffset, o * o), g, first, decay, fresh);
        }
        FactorUpdateCount++;
    }

    /// <summary>
    /// A layer normalization's factors from K rows of deltas E and normalized features X̂: per unit [mean x̂ⱼ², mean x̂ⱼ],
    /// then G_j = K·Σ e_j² (E carries the mean's 1/K), into <paramref name="factors"/> (3n values, A's pairs first).
    /// </summary>
    private static void UnitFactors(ReadOnlySpan<T> delta, ReadOnlySpan<T> input, int rows, int n, Span<T> factors)
    {
        factors.Clear();
        Span<T> a = factors[..(2 * n)], g = factors.Slice(2 * n, n);
        for (int k = 0; k < rows; k++)
        {
            ReadOnlySpan<T> h = input.Slice(k * n, n), e = delta.Slice(k * n, n);
            for (int j = 0; j < n; j++)
            {
                a[2 * j] += h[j] * h[j];
                a[2 * j + 1] += h[j];
            }
            TensorPrimitives.MultiplyAdd(e, e, g, g);
        }
        TensorPrimitives.Multiply(a, T.One / T.CreateChecked(rows), a);
        TensorPrimitives.Multiply(g, T.CreateChecked(rows), g);
    }

    private static void Blend(Span<T> running, ReadOnlySpan<T> fresh, bool first, T decay, T weight)
    {
        if (first) { fresh.CopyTo(running); return; }
        TensorPrimitives.Multiply(running, decay, running);
        TensorPrimitives.MultiplyAdd(fresh, weight, running, running);
    }

    /// <summary>
    /// Cholesky: A_d⁻¹ and G_d⁻¹ with A_d = A + π√γ·I, G_d = G + (√γ/π)·I, π = √((tr A/n_i)/(tr G/n_o)) (factored
    /// Tikhonov damping). Eigen: the eigendecompositions of A and G.
    /// </summary>
    private void UpdateInverses()
    {
        double root = Math.Sqrt(Damping);
        foreach (KfacLayer layer in _layers)
        {
            int o = layer.Outputs, i = layer.Columns;
            if (layer.PerUnit)
            {
                InvertUnits(layer);
                continue;
            }
            if (Options.Inverse == KfacInverse.Eigen)
            {
                Decompose(layer.AOffset, layer.AValues, i);
                Decompose(layer.GOffset, layer.GValues, o);
                continue;
            }
            double pi = Pi(_factors.AsSpan(layer.AOffset, i * i), i, _factors.AsSpan(layer.GOffset, o * o), o);
            Invert(layer.AOffset, i, pi * root);
            Invert(layer.GOffset, o, root / pi);
        }
    }

    /// <summary>
    /// The factor at <paramref name="offset"/> as Q·diag(values)·Qᵀ, Q's columns into _inverses, its eigenvalues clamped
    /// at 0 (a factor is positive semi-definite; rounding can leave tiny negatives). A factor the solver refuses (not
    /// finite, no convergence) gets Q = I and values 0, so that layer takes a damped gradient step, and is counted.
    /// </summary>
    private void Decompose(int offset, int valuesOffset, int n)
    {
        Span<T> vectors = _inverses.AsSpan(offset, n * n), values = _eigenvalues.AsSpan(valuesOffset, n);
        if (_eigensolvers[n].Decompose(_factors.AsSpan(offset, n * n), values, vectors))
        {
            TensorPrimitives.Max(values, T.Zero, values);
            return;
        }
        FailedInverseCount++;
        vectors.Clear();
        for (int k = 0; k < n; k++) vectors[k * n + k] = T.One;
        values.Clear();
    }

    /// <summary>
    /// Each unit's 2×2 block M_j of a layer normalization, so that its step is M_j·[g_γ, g_β]: Cholesky's factored damping
    /// (A_j + π√γ·I)⁻¹/(G_j + √γ/π) with the unit's own π, or the eigendecomposition's exact (G_j·A_j + γI)⁻¹, with
    /// A_j = [[mean x̂², mean x̂], [mean x̂, 1]]. A block not positive definite in working precision takes the damping's
    /// inverse alone, I/γ, and is counted.
    /// </summary>
    private void InvertUnits(KfacLayer layer)
    {
        int n = layer.Outputs;
        ReadOnlySpan<T> a = _factors.AsSpan(layer.AOffset, 2 * n), g = _factors.AsSpan(layer.GOffset, n);
        Span<T> blocks = _inverses.AsSpan(layer.AOffset, 3 * n);
        double gamma = Damping, root = Math.Sqrt(gamma);
        for (int j = 0; j < n; j++)
        {
            double square = double.CreateChecked(a[2 * j]), mean = double.CreateChecked(a[2 * j + 1]), gj = double.CreateChecked(g[j]);
            double p, q, s, scale;
            if (Options.Inverse == KfacInverse.Eigen)
                (p, q, s, scale) = (gj * square + gamma, gj * mean, gj + gamma, 1);
            else
            {
                double pi = Math.Sqrt((square + 1) / 2 / gj);
                if (!(double.IsFinite(pi) && pi > 0)) pi = 1;
                (p, q, s, scale) = (square + pi * root, mean, 1 + pi * root, 1 / (gj + root / pi));
            }
            double determinant = p * s - q * q;
            if (!(determinant > 0 && p > 0 && double.IsFinite(determinant) && double.IsFinite(scale)))
            {
                FailedInverseCount++;
                (p, q, s, scale, determinant) = (1, 0, 1, 1 / gamma, 1);
            }
            blocks[3 * j] = T.CreateChecked(scale * s / determinant);
            blocks[3 * j + 1] = T.CreateChecked(-scale * q / determinant);
            blocks[3 * j + 2] = T.CreateChecked(scale * p / determinant);
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

    /// <summary>
    /// This layer's block of _preconditioned ← M_Gᵀ·∇W·M_A, from the gradient's factors when that is cheaper, with
    /// M = the damped inverses (Cholesky: P is done) or the eigenvectors Q (Eigen: then divided by g·aᵀ + γ and rotated
    /// back, P = Q_G·(…)·Q_Aᵀ).
    /// </summary>
    private void Precondition(KfacLayer layer, int rows, ReadOnlySpan<T> gradient, ReadOnlySpan<T> deltas, ReadOnlySpan<T> inputs)
    {
        int o = layer.Outputs, i = layer.Columns, offset = layer.Description.Offset;
        if (layer.PerUnit)
        {
            ReadOnlySpan<T> blocks = _inverses.AsSpan(layer.AOffset, 3 * o), pair = gradient.Slice(offset, 2 * o);
            Span<T> step = _preconditioned.AsSpan(offset, 2 * o);
            for (int j = 0; j < o; j++)
            {
                T scale = pair[2 * j], shift = pair[2 * j + 1];
                step[2 * j] = blocks[3 * j] * scale + blocks[3 * j + 1] * shift;
                step[2 * j + 1] = blocks[3 * j + 1] * scale + blocks[3 * j + 2] * shift;
            }
            return;
        }
        ReadOnlySpan<T> right = _inverses.AsSpan(layer.AOffset, i * i), left = _inverses.AsSpan(layer.GOffset, o * o);
        Span<T> p = _preconditioned.AsSpan(offset, o * i);
        if (!layer.LowRank)
        {
            // T = ∇W·M_A, P = M_Gᵀ·T.
            Span<T> t = _left.AsSpan(0, o * i);
            Gemm.NN(o, i, i, gradient.Slice(offset, o * i), i, right, i, t, i);
            Gemm.TN(o, i, o, left, o, t, i, p, i);
        }
        else
        {
            // ∇W = EᵀĀ: X = E·M_G (K × n_o), Y = Ā·M_A (K × n_i, Ā's ones implicit), P = XᵀY.
            Span<T> x = _left.AsSpan(0, rows * o), y = _right.AsSpan(0, rows * i);
            Gemm.NN(rows, o, o, deltas[..(rows * o)], o, left, o, x, o);
            Gemm.NN(rows, i, i, inputs[..(rows * layer.Description.Inputs)], layer.Description.Inputs, right, i, y, i,
                ones: layer.Description.HasBias ? OnesColumn.A : OnesColumn.None);
            Gemm.TN(o, i, rows, x, o, y, i, p, i);
        }
        if (Options.Inverse != KfacInverse.Eigen) return;

        // V ⊘ (g·aᵀ + γ), then P = Q_G·(V·Q_Aᵀ).
        ReadOnlySpan<T> a = _eigenvalues.AsSpan(layer.AValues, i), g = _eigenvalues.AsSpan(layer.GValues, o);
        T damping = T.CreateChecked(Damping);
        Span<T> denominator = _back.AsSpan(0, i);
        for (int r = 0; r < o; r++)
        {
            Span<T> row = p.Slice(r * i, i);
            TensorPrimitives.Multiply(a, g[r], denominator);
            TensorPrimitives.Add(denominator, damping, denominator);
            TensorPrimitives.Divide(row, denominator, row);
        }
        Span<T> back = _back.AsSpan(0, o * i);
        Gemm.NT(o, i, i, p, i, right, i, back, i);
        Gemm.NN(o, i, o, left, o, back, i, p, i);
    }

    /// <inheritdoc/>
    public string Kind => "K-FAC";

    /// <inheritdoc/>
    public IEnumerable<KeyValuePair<string, T[]>> StateTensors => Options.Inverse == KfacInverse.Eigen
        ? [new("kfac.momentum", _momentum), new("kfac.factors", _factors), new("kfac.eigenvectors", _inverses), new("kfac.eigenvalues", _eigenvalues)]
        : [new("kfac.momentum", _momentum), new("kfac.factors", _factors), new("kfac.inverses", _inverses)];

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
                ["kfac.damping"] = Damping.ToString("R", CultureInfo.InvariantCulture),
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
        // The damping the run had reached, when it adapts; otherwise the options' (a resumed run may change it).
        double damping = Options.Damping;
        if (Options.AdaptiveDamping)
        {
            damping = ScalarReader.GetPositive(scalars, "kfac.damping");
            if (damping < Options.MinimumDamping || damping > Options.MaximumDamping)
                throw new System.IO.InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"The checkpoint's damping {damping} lies outside [MinimumDamping, MaximumDamping] = [{Options.MinimumDamping}, {Options.MaximumDamping}]."));
        }
        return () =>
        {
            (StepCount, FactorUpdateCount, SkippedFactorUpdateCount, FailedInverseCount) = (steps, updates, skipped, failed);
            _momentumStarted = started;
            _random = random;
            Damping = damping;
        };
    }
}
