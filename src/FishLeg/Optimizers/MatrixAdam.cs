using System;
using System.Collections.Generic;
using System.Globalization;
using System.Numerics;
using System.Numerics.Tensors;

namespace FishLeg.Optimizers;

/// <summary>One matrix of a parameter vector for <see cref="MatrixAdam{T}"/>: where it sits and how many of its entries are free (a lower-triangular n×n factor has n(n + 1)/2).</summary>
internal readonly record struct ParameterMatrix(int Offset, int Length, int FreeEntries);

/// <summary>
/// Adam with one second moment per matrix instead of one per entry: m ← β₁m + (1 − β₁)g per entry,
/// s ← β₂s + (1 − β₂)·‖g‖²/(free entries) per matrix, θ ← θ − (η/(1 − β₁ᵗ))·m/(√(s/(1 − β₂ᵗ)) + ε). The step keeps the
/// gradient's direction within each matrix (for FishLeg's factors a low-rank one) and scales it so that its
/// root-mean-square entry is about η, where element-wise Adam moves every entry by about ±η whatever its gradient.
/// </summary>
internal sealed class MatrixAdam<T> : IAuxiliaryOptimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ParameterMatrix[] _matrices;
    private readonly T[] _m, _s;
    private readonly string _prefix;

    public MatrixAdam(ParameterMatrix[] matrices, int parameterCount, double learningRate, double beta1, double beta2, double epsilon, string prefix)
    {
        _matrices = matrices;
        _m = new T[parameterCount];
        _s = new T[matrices.Length];
        LearningRate = learningRate;
        (Beta1, Beta2, Epsilon, _prefix) = (beta1, beta2, epsilon, prefix);
    }

    public double LearningRate { get; set; }
    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Epsilon { get; }
    public long StepCount { get; private set; }

    public void Step(Span<T> parameters, ReadOnlySpan<T> gradient)
    {
        StepCount++;
        T beta1 = T.CreateChecked(Beta1), oneMinusBeta1 = T.CreateChecked(1 - Beta1);
        double correction1 = 1 - Math.Pow(Beta1, StepCount), correction2 = 1 - Math.Pow(Beta2, StepCount);
        for (int k = 0; k < _matrices.Length; k++)
        {
            var (offset, length, free) = _matrices[k];
            ReadOnlySpan<T> g = gradient.Slice(offset, length);
            Span<T> m = _m.AsSpan(offset, length), theta = parameters.Slice(offset, length);
            double meanSquare = double.CreateChecked(TensorPrimitives.SumOfSquares(g)) / free;
            double s = Beta2 * double.CreateChecked(_s[k]) + (1 - Beta2) * meanSquare;
            _s[k] = T.CreateChecked(s);
            TensorPrimitives.Multiply(m, beta1, m);
            TensorPrimitives.MultiplyAdd(g, oneMinusBeta1, m, m);
            double step = LearningRate / correction1 / (Math.Sqrt(s / correction2) + Epsilon);
            TensorPrimitives.MultiplyAdd(m, T.CreateChecked(-step), theta, theta);
        }
    }

    public string Kind => "MatrixAdam";

    public IEnumerable<KeyValuePair<string, T[]>> StateTensors => [new($"{_prefix}.exp_avg", _m), new($"{_prefix}.exp_avg_sq_per_matrix", _s)];

    public IReadOnlyDictionary<string, string> StateScalars =>
        new Dictionary<string, string> { [$"{_prefix}.step"] = StepCount.ToString(CultureInfo.InvariantCulture) };

    public Action PrepareRestore(IReadOnlyDictionary<string, string> scalars)
    {
        long steps = ScalarReader.GetCount(scalars, $"{_prefix}.step");
        return () => StepCount = steps;
    }
}
