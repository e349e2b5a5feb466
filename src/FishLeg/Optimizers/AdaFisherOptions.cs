using System;

namespace FishLeg.Optimizers;

/// <summary>How AdaFisher averages the diagonal Kronecker factors over time.</summary>
public enum AdaFisherAveraging
{
    /// <summary>
    /// The authors' code: each new diagonal is min-max normalized, then current ← (1 − γ₀)·current + γ₁·new (from ones).
    /// The default.
    /// </summary>
    Code,
    /// <summary>
    /// The paper's description: an exponential moving average of the raw diagonals, current ← γ₀·current + (1 − γ₀)·new
    /// (the first update sets them), min-max normalized where F̃ is formed. γ₁ is not used.
    /// </summary>
    Paper,
}

/// <summary>
/// AdaFisher's hyper-parameters (Gomes et al., ICLR 2025), with the semantics of the authors' code
/// (<c>optimizers/AdaFisher.py</c>; docs/math.md §8).
/// </summary>
public sealed record AdaFisherOptions
{
    /// <summary>η.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>β: the first moment m ← βm + (1 − β)g, bias-corrected by 1 − βᵗ.</summary>
    public double Beta { get; init; } = 0.9;

    /// <summary>λ: added to every entry of the diagonal Kronecker Fisher, F̃ = S ⊗ H + λ.</summary>
    public double Damping { get; init; } = 1e-3;

    /// <summary>γ₀ of the running average: current ← (1 − γ₀)·current + γ₁·new (Code), or the decay γ₀·current + (1 − γ₀)·new (Paper).</summary>
    public double Gamma0 { get; init; } = 0.92;

    /// <summary>γ₁ of the code's running average: current ← (1 − γ₀)·current + γ₁·new.</summary>
    public double Gamma1 { get; init; } = 0.008;

    /// <summary>The code's running average of normalized diagonals or the paper's moving average of raw ones.</summary>
    public AdaFisherAveraging Averaging { get; init; } = AdaFisherAveraging.Code;

    /// <summary>TCov: the diagonal factors are updated at steps 0, TCov, 2·TCov, …</summary>
    public int CurvatureUpdateEvery { get; init; } = 100;

    /// <summary>Weight decay: coupled (added to g, AdaFisher) or decoupled (θ ← θ − η·wd·θ, AdaFisherW).</summary>
    public double WeightDecay { get; init; }

    /// <summary>AdaFisherW: decoupled weight decay.</summary>
    public bool DecoupledWeightDecay { get; init; }

    internal void Validate()
    {
        OptimizerGuard.Positive(LearningRate, nameof(LearningRate));
        OptimizerGuard.Fraction(Beta, nameof(Beta));
        OptimizerGuard.Positive(Damping, nameof(Damping));
        OptimizerGuard.Fraction(Gamma0, nameof(Gamma0));
        OptimizerGuard.Fraction(Gamma1, nameof(Gamma1));
        OptimizerGuard.NonNegative(WeightDecay, nameof(WeightDecay));
        if (!Enum.IsDefined(Averaging)) throw new ArgumentOutOfRangeException(nameof(Averaging), Averaging, "Unknown running average.");
        if (CurvatureUpdateEvery < 1)
            throw new ArgumentOutOfRangeException(nameof(CurvatureUpdateEvery), CurvatureUpdateEvery, "CurvatureUpdateEvery (TCov) must be at least 1.");
    }
}
