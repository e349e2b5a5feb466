using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Numerics;
using System.Numerics.Tensors;
using FishLeg.Kernels;

namespace FishLeg.Optimizers;

/// <summary>
/// AdaFisher (Gomes et al., ICLR 2025) on a generated model, as the authors' code computes it (docs/math.md §8): per
/// layer the diagonals of the two Kronecker factors of the empirical Fisher, H = column means of Ā² (inputs with the
/// bias column) and S = column means of E² (E the output gradients of the mean loss, as the code's backward hook sees
/// them), each min-max normalized and folded into a running average at steps 0, TCov, 2·TCov, … (or, as the paper
/// describes it, averaged raw and normalized where used); then an Adam-like step θ ← θ − (η/(1 − βᵗ))·m / F̃ with
/// F̃[o, i] = S_o·H_i + λ. A layer normalization is n units of one input x̂ⱼ and a shift: H holds each unit's mean x̂ⱼ²
/// and the shift's 1, and unit j's row is [S_j·H_j, S_j·H_shift] (docs/math.md §10). Every buffer is allocated here, once.
/// </summary>
/// <remarks>Call <see cref="Step"/> after <see cref="IFishLegModel{T}.LossAndGradient"/>: the factors come from that pass.</remarks>
public sealed class AdaFisherOptimizer<T> : IOptimizerState<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly IFishLegModel<T> _model;
    // H of every layer (n_i values each, bias last), then S of every layer (n_o each): the running diagonals.
    private readonly T[] _h, _s, _momentum, _denominator, _fresh, _normalized;
    private readonly int[] _hOffsets, _sOffsets;
    private readonly NonFiniteSearchKernel<T> _finite = new();

    /// <summary>Creates the optimizer for <paramref name="model"/>.</summary>
    public AdaFisherOptimizer(IFishLegModel<T> model, AdaFisherOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Options = options ?? new AdaFisherOptions();
        Options.Validate();
        _model = model;
        var layers = model.Description.Layers;
        _hOffsets = new int[layers.Count];
        _sOffsets = new int[layers.Count];
        int h = 0, s = 0;
        for (int l = 0; l < layers.Count; l++)
        {
            (_hOffsets[l], _sOffsets[l]) = (h, s);
            h += InputDiagonalLength(layers[l]);
            s += layers[l].Outputs;
        }
        _h = new T[h];
        _s = new T[s];
        _momentum = new T[model.Description.ParameterCount];
        int widest = layers.Max(layer => Math.Max(InputDiagonalLength(layer), layer.Outputs));
        _denominator = new T[widest];
        _fresh = new T[widest];
        _normalized = new T[Options.Averaging == AdaFisherAveraging.Paper ? widest : 0];
    }

    /// <summary>Values of a layer's H: its columns, or a layer normalization's n features and its shift.</summary>
    private static int InputDiagonalLength(LayerDescription layer) => layer.Kind == LayerKind.LayerNorm ? layer.Outputs + 1 : layer.Columns;

    /// <summary>The hyper-parameters.</summary>
    public AdaFisherOptions Options { get; }

    /// <summary>Steps taken so far (t).</summary>
    public long StepCount { get; private set; }

    /// <summary>
    /// Layer <paramref name="layer"/>'s running diagonals H (n_i values, bias last; a layer normalization's n features and
    /// its shift) and S (n_o values); with the paper's averaging, before their normalization.
    /// </summary>
    public (ReadOnlyMemory<T> H, ReadOnlyMemory<T> S) Diagonals(int layer)
    {
        LayerDescription d = _model.Description.Layers[layer];
        return (_h.AsMemory(_hOffsets[layer], InputDiagonalLength(d)), _s.AsMemory(_sOffsets[layer], d.Outputs));
    }

    /// <summary>One AdaFisher step on the gradient (and its factors) in the model.</summary>
    /// <exception cref="InvalidOperationException">The gradient is not finite; nothing was changed.</exception>
    public void Step()
    {
        if (_model.GradientBatchSize == 0)
            throw new InvalidOperationException("The model holds no gradient: call LossAndGradient before Step.");
        ReadOnlySpan<T> g = _model.Gradient;
        OptimizerGuard.RequireFinite(_finite, g, StepCount);
        var layers = _model.Description.Layers;
        if (StepCount % Options.CurvatureUpdateEvery == 0)
        {
            // Both diagonals of every layer come from these factors: all are checked (on every replica) before any is blended in.
            int bad = -1;
            for (int l = 0; l < layers.Count && bad < 0; l++)
            {
                _model.GradientFactors(l, out ReadOnlySpan<T> delta, out ReadOnlySpan<T> input);
                if (_finite.IndexOfNonFinite(delta) >= 0 || _finite.IndexOfNonFinite(input) >= 0) bad = l;
            }
            if (!OptimizerGuard.AllReplicasFinite(_model, bad < 0))
                throw new InvalidOperationException(bad >= 0
                    ? $"The gradient factors of layer {bad} at step {StepCount} are not finite; nothing was changed."
                    : $"The gradient factors of another replica at step {StepCount} are not finite; nothing was changed.");
            for (int l = 0; l < layers.Count; l++) UpdateDiagonals(l, layers[l]);
        }

        StepCount++;
        T beta = T.CreateChecked(Options.Beta), oneMinusBeta = T.CreateChecked(1 - Options.Beta);
        T stepSize = T.CreateChecked(Options.LearningRate / (1 - Math.Pow(Options.Beta, StepCount)));
        T decay = T.CreateChecked(Options.WeightDecay), damping = T.CreateChecked(Options.Damping);
        T decoupled = T.CreateChecked(Options.LearningRate * Options.WeightDecay);
        Span<T> theta = _model.Parameters;
        for (int l = 0; l < layers.Count; l++)
        {
            LayerDescription layer = layers[l];
            int o = layer.Outputs, i = layer.Columns, hLength = InputDiagonalLength(layer);
            bool perUnit = layer.Kind == LayerKind.LayerNorm;
            ReadOnlySpan<T> h = _h.AsSpan(_hOffsets[l], hLength), s = _s.AsSpan(_sOffsets[l], o);
            // The paper's form normalizes the averages here: H′ = minmax(H) and S′_o = (S_o − min S)/(max S − min S + 1e-12).
            T sMin = T.Zero, sScale = T.One;
            if (Options.Averaging == AdaFisherAveraging.Paper)
            {
                h = MinMax(h, _normalized.AsSpan(0, hLength));
                sMin = TensorPrimitives.Min(s);
                sScale = T.One / (TensorPrimitives.Max(s) - sMin + Epsilon);
            }
            Span<T> denominator = _denominator.AsSpan(0, i);
            for (int row = 0; row < o; row++)
            {
                int at = layer.Offset + row * i;
                Span<T> m = _momentum.AsSpan(at, i), w = theta.Slice(at, i);
                ReadOnlySpan<T> gradient = g.Slice(at, i);
                // m ← βm + (1 − β)(g + wd·θ) (AdaFisher), or m ← βm + (1 − β)g and θ ← θ − η·wd·θ (AdaFisherW).
                TensorPrimitives.Multiply(m, beta, m);
                TensorPrimitives.MultiplyAdd(gradient, oneMinusBeta, m, m);
                if (Options.WeightDecay != 0)
                {
                    if (Options.DecoupledWeightDecay) TensorPrimitives.MultiplyAdd(w, -decoupled, w, w);
                    else TensorPrimitives.MultiplyAdd(w, decay * oneMinusBeta, m, m);
                }
                // F̃ row = S_o·H + λ (a layer normalization's unit: S_j·[H_j, H_shift]); θ ← θ − (η/(1 − βᵗ))·m/F̃.
                T sRow = (s[row] - sMin) * sScale;
                if (perUnit) (denominator[0], denominator[1]) = (h[row] * sRow, h[o] * sRow);
                else TensorPrimitives.Multiply(h, sRow, denominator);
                TensorPrimitives.Add(denominator, damping, denominator);
                TensorPrimitives.Divide(m, denominator, denominator);
                TensorPrimitives.MultiplyAdd(denominator, -stepSize, w, w);
            }
        }
    }

    /// <summary>
    /// H ← (1 − γ₀)H + γ₁·minmax(column means of Ā²), S ← likewise from the column sums of E² over the examples (ones
    /// before the first update); with the paper's averaging, H ← γ₀H + (1 − γ₀)·(column means of Ā²), likewise S (the
    /// first update sets them). A convolution has a row per example and output position: K-FAC's factors' diagonals.
    /// </summary>
    private void UpdateDiagonals(int index, LayerDescription layer)
    {
        _model.GradientFactors(index, out ReadOnlySpan<T> delta, out ReadOnlySpan<T> input);
        // One row per example and output position: H averages over all of them, S over the examples (summing the
        // positions, as K-FAC's G does for a convolution).
        // A layer normalization's input rows are its n normalized features, one per unit.
        int inputs = layer.Kind == LayerKind.LayerNorm ? layer.Outputs : layer.Inputs, i = InputDiagonalLength(layer);
        int examples = _model.GradientBatchSize, rows = examples * layer.Positions, o = layer.Outputs;
        Span<T> h = _h.AsSpan(_hOffsets[index], i), s = _s.AsSpan(_sOffsets[index], o);
        if (StepCount == 0 && Options.Averaging == AdaFisherAveraging.Code)
        {
            h.Fill(T.One);
            s.Fill(T.One);
        }
        T perRow = T.One / T.CreateChecked(rows);

        Span<T> fresh = _fresh.AsSpan(0, i);
        fresh.Clear();
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<T> a = input.Slice(r * inputs, inputs);
            TensorPrimitives.MultiplyAdd(a, a, fresh[..inputs], fresh[..inputs]);
        }
        TensorPrimitives.Multiply(fresh[..inputs], perRow, fresh[..inputs]);
        if (layer.HasBias) fresh[inputs] = T.One;
        (_model as IReplicatedModel<T>)?.MeanOverReplicas(fresh, rows);
        Blend(h, fresh);

        fresh = _fresh.AsSpan(0, o);
        fresh.Clear();
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<T> e = delta.Slice(r * o, o);
            TensorPrimitives.MultiplyAdd(e, e, fresh, fresh);
        }
        TensorPrimitives.Multiply(fresh, T.One / T.CreateChecked(examples), fresh);
        if (_model is IReplicatedModel<T> replica)
        {
            // S is Σ d²/K³ in the per-example gradients d (E carries the mean's 1/K): Σ_r K_r³·S_r over (Σ_r K_r)³.
            T k = T.CreateChecked(examples);
            TensorPrimitives.Multiply(fresh, k * k * k, fresh);
            replica.SumOverReplicas(fresh);
            Span<T> total = [k];
            replica.SumOverReplicas(total);
            TensorPrimitives.Multiply(fresh, T.One / (total[0] * total[0] * total[0]), fresh);
        }
        Blend(s, fresh);
    }

    /// <summary>
    /// Code: current ← (1 − γ₀)·current + γ₁·minmax(x). Paper: current ← γ₀·current + (1 − γ₀)·x, or x at the first
    /// update. x is scratch.
    /// </summary>
    private void Blend(Span<T> current, Span<T> x)
    {
        if (Options.Averaging == AdaFisherAveraging.Paper)
        {
            if (StepCount == 0) { x.CopyTo(current); return; }
            TensorPrimitives.Multiply(current, T.CreateChecked(Options.Gamma0), current);
            TensorPrimitives.MultiplyAdd(x, T.CreateChecked(1 - Options.Gamma0), current, current);
            return;
        }
        MinMax(x, x);
        TensorPrimitives.Multiply(x, T.CreateChecked(Options.Gamma1), x);
        TensorPrimitives.MultiplyAdd(current, T.CreateChecked(1 - Options.Gamma0), x, current);
    }

    private static readonly T Epsilon = T.CreateChecked(1e-12);

    /// <summary>destination ← (x − min x)/(max x − min x + 1e-12), the code's min-max normalization; returns destination.</summary>
    private static Span<T> MinMax(ReadOnlySpan<T> x, Span<T> destination)
    {
        T min = TensorPrimitives.Min(x), max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, min, destination);
        TensorPrimitives.Multiply(destination, T.One / (max - min + Epsilon), destination);
        return destination;
    }

    /// <inheritdoc/>
    public string Kind => "AdaFisher";

    /// <inheritdoc/>
    public IEnumerable<KeyValuePair<string, T[]>> StateTensors =>
        [new("adafisher.exp_avg", _momentum), new("adafisher.h", _h), new("adafisher.s", _s)];

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> StateScalars =>
        new Dictionary<string, string> { ["adafisher.step"] = StepCount.ToString(CultureInfo.InvariantCulture) };

    /// <inheritdoc/>
    public Action PrepareRestore(IReadOnlyDictionary<string, string> scalars)
    {
        long steps = ScalarReader.GetCount(scalars, "adafisher.step");
        return () => StepCount = steps;
    }
}
