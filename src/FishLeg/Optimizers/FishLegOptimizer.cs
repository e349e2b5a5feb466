using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Numerics;
using System.Numerics.Tensors;
using FishLeg.Kernels;
using FishLeg.Likelihoods;

namespace FishLeg.Optimizers;

/// <summary>
/// FishLeg (Garcia et al., ICLR 2023; docs/math.md §4): learns Q(λ) ≈ (F + γI)⁻¹, one block per layer, by Adam on the
/// auxiliary loss A(λ) = ½ vᵀ(F + γI)v − uᵀv, v = Q(λ)u, with F·v the model's exact Fisher (Gauss–Newton) product on a
/// separate auxiliary batch, and steps θ ← θ − η·Q(λ)·m. Every buffer is allocated here, once.
/// </summary>
/// <remarks>
/// Call <see cref="Step(ReadOnlySpan{T})"/> after <see cref="IFishLegModel{T}.LossAndGradient"/>. The auxiliary update runs at steps
/// 0, T, 2T, … and uses the freshly updated λ for that step's θ update, as in the paper's Algorithm 1.
/// </remarks>
public sealed class FishLegOptimizer<T> : IOptimizerState<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly IFishLegModel<T> _model;
    private readonly QForm[] _forms;
    private readonly FishLegLayer<T>[] _layers;
    private readonly T[] _lambda, _lambdaGradient;
    private readonly IAuxiliaryOptimizer<T> _auxiliaryAdam;
    private readonly T[] _gradient, _momentum, _u, _v, _fv, _xi, _delta, _sampledTargets, _factoredScratch;
    // The sum of g² over the warm-start steps (empty without a warm start).
    private readonly T[] _squares;
    private readonly FishLegUpdateKernel<T> _update = new();
    private readonly NonFiniteSearchKernel<T> _finite = new();
    // Coupled weight decay changes g (g + wd·θ goes into _gradient); otherwise the model's gradient is used as it is.
    private readonly bool _coupledWeightDecay;
    private SeededRandom _random;

    /// <summary>Creates the optimizer for <paramref name="model"/>, with Q₀ = (η_SGDm/η)·I.</summary>
    public FishLegOptimizer(IFishLegModel<T> model, FishLegOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Options = options ?? new FishLegOptions();
        Options.Validate();
        Options.ValidateFor<T>();
        _model = model;
        var layers = model.Description.Layers;
        // A layer normalization's unit-by-unit scale and shift have no Kronecker structure: diagonal, whatever is asked.
        _forms = layers.Select(layer => layer.Kind == LayerKind.LayerNorm ? QForm.Diagonal : Options.QForm ?? layer.QForm).ToArray();
        RequireQFits(layers);
        int count = model.Description.ParameterCount;
        _coupledWeightDecay = Options.WeightDecay != 0 && Options.WeightDecayMode == WeightDecayMode.Coupled;
        // Q·g from the gradient's factors needs g to be the raw gradient, and momentum on Q·g; the factored auxiliary
        // gradient a Fisher product whose blocks are ĖᵀĀ′ (rank ≤ K′). A replica's factors are its shard's: Q is linear, so
        // the replicas' Q·g_r averaged is Q·g (ApplyQ); the auxiliary gradient is bilinear in the factors of g and F·v, so
        // at an auxiliary update every replica's are gathered (FishLegLayer.GatherGradientFactors).
        bool lowRankAllowed = Options.LowRankGradient && !_coupledWeightDecay && Options.MomentumOn == MomentumTarget.PreconditionedGradient;
        bool factoredAllowed = Options.Curvature != CurvatureEstimator.SampledLabelHessian;
        int replicas = (model as IReplicatedModel<T>)?.ReplicaCount ?? 1;
        _layers = new FishLegLayer<T>[layers.Count];
        int lambdaOffset = 0;
        for (int l = 0; l < layers.Count; l++)
        {
            var block = QBlock<T>.Create(_forms[l], layers[l].Outputs, layers[l].Columns);
            _layers[l] = new FishLegLayer<T>(block, layers[l], lambdaOffset, model.MaxBatchSize, replicas, lowRankAllowed, factoredAllowed);
            lambdaOffset = checked(lambdaOffset + block.LambdaCount);
        }
        _lambda = new T[lambdaOffset];
        _lambdaGradient = new T[_lambda.Length];
        double scale = Options.InitialSgdLearningRate / Options.LearningRate;
        var initialization = new SeededRandom(Options.Seed);
        foreach (FishLegLayer<T> layer in _layers) layer.Initialize(_lambda, scale, ref initialization);
        _auxiliaryAdam = Options.AuxiliaryScaling == AuxiliaryScaling.PerEntry
            ? new Adam<T>(_lambda.Length, Options.AuxiliaryLearningRate, Options.AuxiliaryBeta1, Options.AuxiliaryBeta2,
                Options.AuxiliaryEpsilon, weightDecay: 0, prefix: "fishleg.aux_adam")
            : new MatrixAdam<T>(_layers.SelectMany(layer => layer.Matrices).ToArray(), _lambda.Length, Options.AuxiliaryLearningRate,
                Options.AuxiliaryBeta1, Options.AuxiliaryBeta2, Options.AuxiliaryEpsilon, prefix: "fishleg.aux_adam");

        _gradient = new T[_coupledWeightDecay ? count : 0];
        _squares = new T[Options.WarmStartSteps > 0 ? count : 0];
        _momentum = new T[count];
        _u = new T[count];
        _v = new T[count];
        _fv = new T[count];
        _xi = new T[count];
        _delta = new T[count];
        _sampledTargets = new T[BatchShape.BufferLength(model.MaxBatchSize, model.Description.Outputs)];
        _factoredScratch = new T[_layers.Max(layer => layer.FactoredScratch)];
        _random = initialization;
    }

    /// <summary>Throws, naming the layer, when a Q block or λ as a whole would not fit in one array.</summary>
    private void RequireQFits(IReadOnlyList<LayerDescription> layers)
    {
        long total = 0;
        for (int l = 0; l < layers.Count; l++)
        {
            QForm form = _forms[l];
            int rows = layers[l].Outputs, columns = layers[l].Columns;
            long length = QBlock<T>.LambdaLength(form, rows, columns);
            long square = form == QForm.Diagonal ? 0 : (long)Math.Max(rows, columns) * Math.Max(rows, columns);
            total += length;
            if (Math.Max(length, square) > Array.MaxLength || total > Array.MaxLength)
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"Layer {l} ({rows} outputs × {columns} columns) is too wide for a {form} Q block: it needs {length:N0} values of λ " +
                    $"({total:N0} for layers 0–{l}), more than the {Array.MaxLength:N0} one array holds. Use QForm.Diagonal for this layer."), "model");
        }
    }

    /// <summary>The hyper-parameters.</summary>
    public FishLegOptions Options { get; }

    /// <summary>Steps taken so far (k).</summary>
    public long StepCount { get; private set; }

    /// <summary>Auxiliary updates made so far.</summary>
    public long AuxiliaryUpdateCount { get; private set; }

    /// <summary>
    /// Auxiliary updates skipped because the curvature product was not finite (NaN or infinity in the auxiliary batch or
    /// its outputs); λ, and so Q, kept the value of its last finite Adam step (its value before the update when
    /// <see cref="FishLegOptions.AuxiliaryStepsPerUpdate"/> is 1). <see cref="AuxiliaryLoss"/> shows the non-finite value.
    /// </summary>
    public long SkippedAuxiliaryUpdateCount { get; private set; }

    /// <summary>A(λ) = Σ_l ⟨v, ½(Fv + γv) − u⟩ at the last auxiliary update (NaN before the first): watch it fall as Q is learned.</summary>
    public double AuxiliaryLoss { get; private set; } = double.NaN;

    /// <summary>How many layers compute Q·g from the gradient's factors (<see cref="FishLegOptions.LowRankGradient"/>).</summary>
    public int LowRankLayerCount => _layers.Count(layer => layer.LowRank);

    /// <summary>
    /// How many layers take the auxiliary gradient in factored form, O(K·N²) instead of O(N³): Kronecker layers on the
    /// low-rank path whose Fisher product has rank ≤ K′ (every estimator but the sampled-label Hessian), where cheaper.
    /// </summary>
    public int FactoredAuxiliaryLayerCount => _layers.Count(layer => layer.FactoredGradient);

    /// <summary>The auxiliary parameters λ of every layer's Q block, concatenated.</summary>
    public ReadOnlySpan<T> AuxiliaryParameters => _lambda;

    /// <summary>
    /// One FishLeg iteration on the gradient in the model (from <see cref="IFishLegModel{T}.LossAndGradient"/>):
    /// momentum, the auxiliary update on <paramref name="auxiliaryInputs"/> when one is due, and the θ update.
    /// </summary>
    /// <exception cref="InvalidOperationException">The gradient is not finite; nothing was changed.</exception>
    public void Step(ReadOnlySpan<T> auxiliaryInputs) => Step(auxiliaryInputs, default);

    /// <summary>
    /// As <see cref="Step(ReadOnlySpan{T})"/>, with the auxiliary batch's labels, which only
    /// <see cref="CurvatureEstimator.EmpiricalFisher"/> uses.
    /// </summary>
    public void Step(ReadOnlySpan<T> auxiliaryInputs, ReadOnlySpan<T> auxiliaryTargets)
    {
        // Everything that can be refused is checked first, on every step: a refused step changes nothing.
        ModelDescription description = _model.Description;
        int auxiliaryRows = BatchShape.Rows(auxiliaryInputs.Length, description.Inputs, _model.MaxBatchSize, nameof(auxiliaryInputs));
        if (Options.Curvature == CurvatureEstimator.EmpiricalFisher)
        {
            if (auxiliaryTargets.IsEmpty)
                throw new ArgumentException("The empirical Fisher needs the auxiliary batch's labels: call Step(auxiliaryInputs, auxiliaryTargets).", nameof(auxiliaryTargets));
            BatchShape.RequireLength(auxiliaryTargets.Length, auxiliaryRows, description.Outputs, nameof(auxiliaryTargets));
            TargetSupport.Require(description.Likelihood, auxiliaryTargets, description.Outputs, nameof(auxiliaryTargets));
        }
        if (_model.GradientBatchSize == 0)
            throw new InvalidOperationException("The model holds no gradient: call LossAndGradient before Step.");
        Span<T> theta = _model.Parameters;
        ReadOnlySpan<T> raw = _model.Gradient;
        OptimizerGuard.RequireFinite(_finite, raw, StepCount);

        // The model's gradient stays intact through the auxiliary update (its products write our buffers), so it is only
        // copied when coupled weight decay changes it.
        if (_coupledWeightDecay) TensorPrimitives.MultiplyAdd(theta, T.CreateChecked(Options.WeightDecay), raw, _gradient);
        ReadOnlySpan<T> g = _coupledWeightDecay ? _gradient : raw;

        long warmUp = Options.WarmStartSteps, sinceWarmStart = StepCount - warmUp;
        if (StepCount < warmUp) TensorPrimitives.MultiplyAdd(g, g, _squares, _squares);
        else if (StepCount == warmUp && warmUp > 0) WarmStart();
        bool auxiliaryDue = sinceWarmStart >= 0 && (sinceWarmStart < Options.EarlyAuxiliarySteps || sinceWarmStart % Options.UpdateAuxEvery == 0);
        T beta = T.CreateChecked(Options.Momentum), oneMinusBeta = T.CreateChecked(1 - Options.Momentum);
        if (Options.MomentumOn == MomentumTarget.Gradient)
        {
            Blend(_momentum, beta, g, oneMinusBeta);
            if (auxiliaryDue) AuxiliaryUpdate(_momentum, auxiliaryInputs, auxiliaryTargets);
            ApplyQ(_momentum, _delta);
        }
        else
        {
            for (int l = 0; l < _layers.Length; l++) _layers[l].KeepGradientFactors(_model, l);
            if (auxiliaryDue && _model is IReplicatedModel<T> replica)
                foreach (FishLegLayer<T> layer in _layers) layer.GatherGradientFactors(replica);
            if (auxiliaryDue) AuxiliaryUpdate(g, auxiliaryInputs, auxiliaryTargets, fromGradientFactors: true);
            ApplyQ(g, _delta, fromGradientFactors: true);
        }

        if (Options.KlClip > 0) ClipStep(g);
        // θ −= η·(Δ + wd·θ), Δ = Q·m; or, with momentum on Q·g, m = βm + (1 − β)Q·g and θ −= η·(m + wd·θ): one pass.
        bool decoupled = Options.WeightDecayMode == WeightDecayMode.Decoupled;
        _update.Step(theta, _delta, _momentum, Options.LearningRate, Options.Momentum, decoupled ? Options.WeightDecay : 0,
            blend: Options.MomentumOn == MomentumTarget.PreconditionedGradient);
        StepCount++;
    }

    /// <summary>ν, the KL-clip scale of the last step (1 when nothing was clipped or the clip is off).</summary>
    public double LastClipScale { get; private set; } = 1;

    /// <summary>Δ ← ν·Δ with ν = min(1, √(κ / |η²·⟨Δ, g⟩|)) (K-FAC's KL clip, docs/math.md §4).</summary>
    private void ClipStep(ReadOnlySpan<T> g)
    {
        double alignment = Math.Abs(Options.LearningRate * Options.LearningRate * double.CreateChecked(TensorPrimitives.Dot<T>(_delta, g)));
        LastClipScale = alignment == 0 ? 1 : Math.Min(1, Math.Sqrt(Options.KlClip / alignment));
        if (LastClipScale < 1) TensorPrimitives.Multiply(_delta, T.CreateChecked(LastClipScale), _delta);
    }

    /// <summary>
    /// <see cref="FishLegOptions.AuxiliaryStepsPerUpdate"/> Adam steps on λ along ∇A (docs/math.md §3): u = s/‖s‖, and for
    /// each step v = Q(λ)u, Ξ = (F + γI)v − u, λ̄ = (∂v/∂λ)ᵀΞ. With <paramref name="fromGradientFactors"/>, s is the raw
    /// gradient, and the low-rank layers form v from its factors and the factored layers their λ̄ from the factors of s
    /// and of the Fisher product.
    /// </summary>
    private void AuxiliaryUpdate(ReadOnlySpan<T> source, ReadOnlySpan<T> auxiliaryInputs, ReadOnlySpan<T> auxiliaryTargets, bool fromGradientFactors = false)
    {
        T norm = TensorPrimitives.Norm(source);
        if (!(norm > T.Zero)) return; // a zero direction carries no curvature information
        TensorPrimitives.Divide(source, norm, _u);
        for (int step = 0; step < Options.AuxiliaryStepsPerUpdate; step++)
        {
            if (!AuxiliaryStep(auxiliaryInputs, auxiliaryTargets, fromGradientFactors, T.One / norm))
            {
                // A non-finite curvature product (say, NaN in the auxiliary batch) must not poison λ: it keeps its last finite value.
                SkippedAuxiliaryUpdateCount++;
                return;
            }
        }
        AuxiliaryUpdateCount++;
    }

    /// <summary>One Adam step on λ for the u in _u (= <paramref name="scale"/>·s); false, with λ unchanged, when the curvature product is not finite.</summary>
    private bool AuxiliaryStep(ReadOnlySpan<T> auxiliaryInputs, ReadOnlySpan<T> auxiliaryTargets, bool fromGradientFactors, T scale)
    {
        ApplyQ(_u, _v, fromGradientFactors, scale);
        CurvatureProduct(auxiliaryInputs, auxiliaryTargets);

        T gamma = T.CreateChecked(Options.Damping);
        TensorPrimitives.MultiplyAdd(_v, gamma, _fv, _xi);
        TensorPrimitives.Subtract(_xi, _u, _xi);
        double vFv = double.CreateChecked(TensorPrimitives.Dot<T>(_v, _fv)), vv = double.CreateChecked(TensorPrimitives.Dot<T>(_v, _v));
        AuxiliaryLoss = 0.5 * vFv + 0.5 * Options.Damping * vv - double.CreateChecked(TensorPrimitives.Dot<T>(_u, _v));
        if (!double.IsFinite(AuxiliaryLoss) || !T.IsFinite(TensorPrimitives.Sum<T>(_xi))) return false;

        int productBatch = auxiliaryInputs.Length / _model.Description.Inputs;
        for (int l = 0; l < _layers.Length; l++)
            _layers[l].LambdaGradient(_lambda, _u, _xi, _lambdaGradient, fromGradientFactors, _model, l, productBatch, scale, gamma, _factoredScratch);
        int ramp = Options.AuxiliaryRampSteps;
        if (ramp > 0) _auxiliaryAdam.LearningRate = Options.AuxiliaryLearningRate * Math.Min(1.0, (_auxiliaryAdam.StepCount + 1.0) / ramp);
        _auxiliaryAdam.Step(_lambda, _lambdaGradient);
        return true;
    }

    /// <summary>Q's diagonal ← 1/(mean g² + γ) over the warm-start steps (the sums become that diagonal).</summary>
    private void WarmStart()
    {
        TensorPrimitives.Multiply(_squares, T.One / T.CreateChecked(Options.WarmStartSteps), _squares);
        TensorPrimitives.Add(_squares, T.CreateChecked(Options.Damping), _squares);
        TensorPrimitives.Reciprocal(_squares, _squares);
        foreach (FishLegLayer<T> layer in _layers) layer.WarmStart(_lambda, _squares);
    }

    /// <summary>_fv ← C·_v for the chosen estimator C of the Fisher, on the auxiliary batch.</summary>
    private void CurvatureProduct(ReadOnlySpan<T> inputs, ReadOnlySpan<T> targets)
    {
        Span<T> sampled = _sampledTargets.AsSpan(0, inputs.Length / _model.Description.Inputs * _model.Description.Outputs);
        switch (Options.Curvature)
        {
            case CurvatureEstimator.Fisher:
                _model.FisherVectorProduct(inputs, _v, _fv);
                break;
            case CurvatureEstimator.SampledLabelHessian:
                _model.SampleTargets(inputs, ref _random, sampled);
                _model.HessianVectorProduct(inputs, sampled, _v, _fv);
                break;
            case CurvatureEstimator.MonteCarloFisher:
                _model.SampleTargets(inputs, ref _random, sampled);
                _model.OuterProductFisherVectorProduct(inputs, sampled, _v, _fv);
                break;
            default:
                _model.OuterProductFisherVectorProduct(inputs, targets, _v, _fv);
                break;
        }
    }

    /// <summary>
    /// output = Q(λ)·input, layer by layer. With <paramref name="fromGradientFactors"/>, input is <paramref name="scale"/>
    /// times the raw gradient and the low-rank layers work from its kept factors instead of its dense blocks.
    /// </summary>
    private void ApplyQ(ReadOnlySpan<T> input, Span<T> output, bool fromGradientFactors = false, T? scale = null)
    {
        foreach (FishLegLayer<T> layer in _layers) layer.ApplyQ(_lambda, input, output, fromGradientFactors, scale ?? T.One);
        // A replica's low-rank blocks are Q times its shard's mean gradient: their mean over the replicas, weighted by the
        // shards' examples, is Q times the global batch's.
        if (fromGradientFactors && _model is IReplicatedModel<T> replica)
            foreach (FishLegLayer<T> layer in _layers)
                if (layer.LowRank && !layer.FactorsGathered) replica.MeanOverReplicas(layer.Block(output), _model.GradientBatchSize);
    }

    /// <summary>x ← a·x + b·y.</summary>
    private static void Blend(Span<T> x, T a, ReadOnlySpan<T> y, T b)
    {
        TensorPrimitives.Multiply(x, a, x);
        TensorPrimitives.MultiplyAdd(y, b, x, x);
    }

    /// <inheritdoc/>
    public string Kind => "FishLeg";

    /// <inheritdoc/>
    public IEnumerable<KeyValuePair<string, T[]>> StateTensors =>
        new KeyValuePair<string, T[]>[] { new("fishleg.momentum", _momentum), new("fishleg.lambda", _lambda) }
            .Concat(_squares.Length > 0 ? [new("fishleg.warm_start_squares", _squares)] : [])
            .Concat(_auxiliaryAdam.StateTensors);

    /// <summary>Each layer's Q form, in order: λ's layout, which a checkpoint must share (two forms can have equal λ lengths).</summary>
    private string QForms => string.Join(",", _forms);

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> StateScalars
    {
        get
        {
            var scalars = new Dictionary<string, string>(_auxiliaryAdam.StateScalars)
            {
                ["fishleg.q_forms"] = QForms,
                ["fishleg.step"] = StepCount.ToString(CultureInfo.InvariantCulture),
                ["fishleg.aux_updates"] = AuxiliaryUpdateCount.ToString(CultureInfo.InvariantCulture),
                ["fishleg.aux_skipped"] = SkippedAuxiliaryUpdateCount.ToString(CultureInfo.InvariantCulture),
                ["fishleg.aux_loss"] = AuxiliaryLoss.ToString("R", CultureInfo.InvariantCulture),
                ["fishleg.random"] = ScalarReader.Format(_random),
            };
            return scalars;
        }
    }

    /// <inheritdoc/>
    public Action PrepareRestore(IReadOnlyDictionary<string, string> scalars)
    {
        string forms = ScalarReader.Get(scalars, "fishleg.q_forms");
        if (forms != QForms)
            throw new System.IO.InvalidDataException($"The checkpoint's Q forms per layer are [{forms}], but this optimizer's are [{QForms}].");
        Action restoreAdam = _auxiliaryAdam.PrepareRestore(scalars);
        long steps = ScalarReader.GetCount(scalars, "fishleg.step");
        long updates = ScalarReader.GetCount(scalars, "fishleg.aux_updates");
        long skipped = ScalarReader.GetCount(scalars, "fishleg.aux_skipped");
        if (updates + skipped > steps)
            throw new System.IO.InvalidDataException($"The checkpoint counts {updates} + {skipped} auxiliary updates in {steps} steps.");
        // NaN is a valid value here (no auxiliary update yet, or a skipped one).
        if (!double.TryParse(ScalarReader.Get(scalars, "fishleg.aux_loss"), NumberStyles.Float, CultureInfo.InvariantCulture, out double loss))
            throw new System.IO.InvalidDataException("The checkpoint's optimizer value 'fishleg.aux_loss' is not a number.");
        SeededRandom random = ScalarReader.GetRandom(scalars, "fishleg.random");
        return () =>
        {
            restoreAdam();
            (StepCount, AuxiliaryUpdateCount, SkippedAuxiliaryUpdateCount, AuxiliaryLoss) = (steps, updates, skipped, loss);
            _random = random;
        };
    }
}
