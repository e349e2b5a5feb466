using System;

namespace FishLeg.Optimizers;

/// <summary>Which Fisher K-FAC's factors estimate.</summary>
public enum KfacFisher
{
    /// <summary>The true Fisher: the factors' backward pass uses targets sampled from the model's own likelihood (one extra forward and backward pass per factor update). The default.</summary>
    Sampled,
    /// <summary>The empirical Fisher: the factors come from the training batch's own labels (no extra pass; kfac-pytorch's behaviour).</summary>
    Empirical,
}

/// <summary>
/// K-FAC's hyper-parameters (Martens and Grosse 2015, with the conventions of kfac-pytorch; docs/math.md §7). Per layer
/// the Fisher block is approximated by A ⊗ G, A = E[āāᵀ] over the layer's inputs with the bias column, G = E[δδᵀ] over
/// the gradients of its pre-activations; the step is θ ← θ − η·m with m ← μm + (ν·G_d⁻¹ ∇W A_d⁻¹ + λθ), the damped
/// factors G_d, A_d split γ by π (§6.3 of the paper) and ν the KL-clip scale.
/// </summary>
public sealed record KfacOptions
{
    /// <summary>η, the SGD learning rate applied to the preconditioned gradient.</summary>
    public double LearningRate { get; init; } = 0.1;

    /// <summary>γ: the Tikhonov damping of the Fisher block, split between the factors as A + π√γ·I and G + (√γ/π)·I.</summary>
    public double Damping { get; init; } = 1e-3;

    /// <summary>Factors ← decay·factors + (1 − decay)·new at each update (the first update sets them).</summary>
    public double FactorDecay { get; init; } = 0.95;

    /// <summary>The factors are updated at steps 0, F, 2F, …</summary>
    public int FactorUpdateEvery { get; init; } = 1;

    /// <summary>The damped inverses are recomputed at steps 0, I, 2I, …</summary>
    public int InverseUpdateEvery { get; init; } = 10;

    /// <summary>μ: momentum, with <c>torch.optim.SGD</c>'s semantics (m = d on the first step).</summary>
    public double Momentum { get; init; } = 0.9;

    /// <summary>λ: weight decay, added to the preconditioned gradient (as an SGD optimizer after kfac-pytorch's preconditioner does).</summary>
    public double WeightDecay { get; init; }

    /// <summary>
    /// κ: the preconditioned gradient P is scaled by ν = min(1, √(κ / |η²·Σ⟨P, ∇W⟩|)), which bounds the step's KL divergence
    /// estimate (kfac-pytorch's <c>kl_clip</c>); 0 turns clipping off.
    /// </summary>
    public double KlClip { get; init; } = 1e-3;

    /// <summary>The true (sampled) or the empirical Fisher.</summary>
    public KfacFisher Fisher { get; init; } = KfacFisher.Sampled;

    /// <summary>Seeds the target sampling of the true Fisher.</summary>
    public ulong Seed { get; init; }

    internal void Validate()
    {
        OptimizerGuard.Positive(LearningRate, nameof(LearningRate));
        OptimizerGuard.Positive(Damping, nameof(Damping));
        OptimizerGuard.Fraction(FactorDecay, nameof(FactorDecay));
        OptimizerGuard.Fraction(Momentum, nameof(Momentum));
        OptimizerGuard.NonNegative(WeightDecay, nameof(WeightDecay));
        OptimizerGuard.NonNegative(KlClip, nameof(KlClip));
        if (FactorUpdateEvery < 1) throw new ArgumentOutOfRangeException(nameof(FactorUpdateEvery), FactorUpdateEvery, "FactorUpdateEvery must be at least 1.");
        if (InverseUpdateEvery < 1) throw new ArgumentOutOfRangeException(nameof(InverseUpdateEvery), InverseUpdateEvery, "InverseUpdateEvery must be at least 1.");
        if (!Enum.IsDefined(Fisher)) throw new ArgumentOutOfRangeException(nameof(Fisher), Fisher, "Unknown Fisher estimate.");
    }
}
