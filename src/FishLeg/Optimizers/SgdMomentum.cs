using System;
using System.Collections.Generic;
using System.Globalization;
using System.Numerics;
using FishLeg.Kernels;

namespace FishLeg.Optimizers;

/// <summary>
/// Stochastic gradient descent with momentum, with the semantics of <c>torch.optim.SGD</c>:
/// <c>d = g + λθ</c>; <c>b = d</c> on the first step, else <c>b = μb + (1 − τ)d</c>; <c>d = d + μb</c> (Nesterov) or <c>b</c>;
/// <c>θ ← θ − η·d</c>.
/// </summary>
public sealed class SgdMomentum<T> : IOptimizer<T>, IOptimizerState<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _buffer;
    private readonly SgdMomentumKernel<T> _kernel = new();
    private readonly NonFiniteSearchKernel<T> _finite = new();
    private long _steps;
    private bool _started;

    /// <param name="parameterCount">Length of the parameter span this optimizer updates.</param>
    /// <param name="learningRate">η.</param>
    /// <param name="momentum">μ (PyTorch's default is 0; 0.9 is the usual choice).</param>
    /// <param name="dampening">τ.</param>
    /// <param name="weightDecay">λ, coupled L2: added to the gradient.</param>
    /// <param name="nesterov">Nesterov momentum.</param>
    public SgdMomentum(int parameterCount, double learningRate, double momentum = 0.9, double dampening = 0, double weightDecay = 0, bool nesterov = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parameterCount, 1);
        LearningRate = learningRate;
        Momentum = OptimizerGuard.Fraction(momentum, nameof(momentum));
        Dampening = OptimizerGuard.UnitInterval(dampening, nameof(dampening));
        WeightDecay = OptimizerGuard.NonNegative(weightDecay, nameof(weightDecay));
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException("Nesterov momentum needs a positive momentum and zero dampening.", nameof(nesterov));
        Nesterov = nesterov;
        _buffer = new T[parameterCount];
    }

    /// <summary>η: positive and finite.</summary>
    public double LearningRate
    {
        get;
        set => field = OptimizerGuard.Positive(value, nameof(LearningRate));
    }
    /// <summary>μ.</summary>
    public double Momentum { get; }
    /// <summary>τ.</summary>
    public double Dampening { get; }
    /// <summary>λ.</summary>
    public double WeightDecay { get; }
    /// <summary>Whether the step uses Nesterov momentum.</summary>
    public bool Nesterov { get; }

    /// <inheritdoc/>
    public void Step(Span<T> parameters, ReadOnlySpan<T> gradient)
    {
        OptimizerGuard.CheckLengths(_buffer.Length, parameters.Length, gradient.Length);
        OptimizerGuard.RequireFinite(_finite, gradient, _steps);
        // Without momentum the buffer just holds d each step: θ −= lr·d, as torch.
        _kernel.Step(parameters, gradient, _buffer, LearningRate, Momentum, Dampening, WeightDecay, first: !_started || Momentum == 0, Nesterov);
        _started = true;
        _steps++;
    }

    /// <inheritdoc/>
    public string Kind => "SGD-momentum";

    /// <inheritdoc/>
    public IEnumerable<KeyValuePair<string, T[]>> StateTensors => [new("sgd.momentum_buffer", _buffer)];

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> StateScalars => new Dictionary<string, string>
    {
        ["sgd.started"] = _started ? "1" : "0",
        ["sgd.steps"] = _steps.ToString(CultureInfo.InvariantCulture),
    };

    /// <inheritdoc/>
    public Action PrepareRestore(IReadOnlyDictionary<string, string> scalars)
    {
        bool started = ScalarReader.GetFlag(scalars, "sgd.started");
        long steps = ScalarReader.GetCount(scalars, "sgd.steps");
        return () => (_started, _steps) = (started, steps);
    }
}
