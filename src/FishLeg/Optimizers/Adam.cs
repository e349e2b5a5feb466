using System;
using System.Collections.Generic;
using System.Globalization;
using System.Numerics;
using FishLeg.Kernels;

namespace FishLeg.Optimizers;

/// <summary>
/// Adam with the semantics of <c>torch.optim.Adam</c> (no AMSGrad): <c>d = g + λθ</c>, <c>m ← β₁m + (1 − β₁)d</c>,
/// <c>v ← β₂v + (1 − β₂)d²</c>, <c>θ ← θ − (η/(1 − β₁ᵗ))·m/(√v/√(1 − β₂ᵗ) + ε)</c>.
/// </summary>
public sealed class Adam<T> : IOptimizer<T>, IOptimizerState<T>, IAuxiliaryOptimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _m, _v;
    private readonly AdamKernel<T> _kernel = new();
    private readonly NonFiniteSearchKernel<T> _finite = new();
    private readonly string _prefix;

    /// <param name="parameterCount">Length of the parameter span this optimizer updates.</param>
    /// <param name="learningRate">η (PyTorch default 1e-3).</param>
    /// <param name="beta1">β₁.</param>
    /// <param name="beta2">β₂.</param>
    /// <param name="epsilon">ε.</param>
    /// <param name="weightDecay">λ, coupled L2: added to the gradient.</param>
    public Adam(int parameterCount, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0)
        : this(parameterCount, learningRate, beta1, beta2, epsilon, weightDecay, "adam")
    {
    }

    /// <summary>As the public constructor; <paramref name="prefix"/> names the state in checkpoints.</summary>
    internal Adam(int parameterCount, double learningRate, double beta1, double beta2, double epsilon, double weightDecay, string prefix)
    {
        _prefix = prefix;
        ArgumentOutOfRangeException.ThrowIfLessThan(parameterCount, 1);
        LearningRate = learningRate;
        Beta1 = OptimizerGuard.Fraction(beta1, nameof(beta1));
        Beta2 = OptimizerGuard.Fraction(beta2, nameof(beta2));
        Epsilon = OptimizerGuard.Positive(epsilon, nameof(epsilon));
        WeightDecay = OptimizerGuard.NonNegative(weightDecay, nameof(weightDecay));
        _m = new T[parameterCount];
        _v = new T[parameterCount];
    }

    /// <summary>η: positive and finite.</summary>
    public double LearningRate
    {
        get;
        set => field = OptimizerGuard.Positive(value, nameof(LearningRate));
    }
    /// <summary>β₁.</summary>
    public double Beta1 { get; }
    /// <summary>β₂.</summary>
    public double Beta2 { get; }
    /// <summary>ε.</summary>
    public double Epsilon { get; }
    /// <summary>λ.</summary>
    public double WeightDecay { get; }
    /// <summary>Steps taken so far (t).</summary>
    public long StepCount { get; private set; }

    /// <inheritdoc/>
    public void Step(Span<T> parameters, ReadOnlySpan<T> gradient)
    {
        OptimizerGuard.CheckLengths(_m.Length, parameters.Length, gradient.Length);
        OptimizerGuard.RequireFinite(_finite, gradient, StepCount);
        StepCount++;
        _kernel.Step(parameters, gradient, _m, _v, LearningRate, Beta1, Beta2, Epsilon, WeightDecay, StepCount);
    }

    /// <inheritdoc/>
    public string Kind => "Adam";

    /// <inheritdoc/>
    public IEnumerable<KeyValuePair<string, T[]>> StateTensors => [new($"{_prefix}.exp_avg", _m), new($"{_prefix}.exp_avg_sq", _v)];

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> StateScalars =>
        new Dictionary<string, string> { [$"{_prefix}.step"] = StepCount.ToString(CultureInfo.InvariantCulture) };

    /// <inheritdoc/>
    public Action PrepareRestore(IReadOnlyDictionary<string, string> scalars)
    {
        long steps = ScalarReader.GetCount(scalars, $"{_prefix}.step");
        return () => StepCount = steps;
    }
}
