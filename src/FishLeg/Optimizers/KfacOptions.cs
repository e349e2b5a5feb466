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

/// <summary>How K-FAC applies the inverse of a layer's damped Kronecker block.</summary>
public enum KfacInverse
{
    /// <summary>
    /// Factored Tikhonov damping (the paper's §6.3): the Cholesky inverses of A + π√γ·I and G + (√γ/π)·I, about (5/6)·n³
    /// multiply-adds per factor, and two matrix products per step. The default: the cheapest per step.
    /// </summary>
    Cholesky,
    /// <summary>
    /// The exact inverse of A ⊗ G + γI through the eigendecompositions A = Q_A·diag(a)·Q_Aᵀ and G = Q_G·diag(g)·Q_Gᵀ
    /// (kfac-pytorch's default): P = Q_G·[(Q_Gᵀ·∇W·Q_A) ⊘ (g·aᵀ + γ)]·Q_Aᵀ. Four matrix products per step instead of two,
    /// and a slower factorization, but a change of γ (adaptive damping) takes effect at once, without a new factorization.
    /// </summary>
    Eigen,
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

    /// <summary>
    /// γ: the Tikhonov damping of the Fisher block, split between the factors as A + π√γ·I and G + (√γ/π)·I (Cholesky) or
    /// added to the Kronecker product's eigenvalues (Eigen). With <see cref="AdaptiveDamping"/>, its starting value.
    /// </summary>
    public double Damping { get; init; } = 1e-3;

    /// <summary>How the damped Kronecker block is inverted.</summary>
    public KfacInverse Inverse { get; init; } = KfacInverse.Cholesky;

    /// <summary>
    /// The Levenberg–Marquardt rule of the K-FAC paper (§6.5): every <see cref="DampingAdaptationEvery"/> steps, the
    /// reduction ratio ρ = (h(θ + δ) − h(θ)) / (gᵀδ + ½δᵀFδ + ½γ‖δ‖²) of the step δ just taken, with F the exact Fisher
    /// product on the batch, moves γ: γ ← ω·γ when ρ &gt; 3/4, γ ← γ/ω when ρ &lt; 1/4, ω = <see cref="DampingAdaptationDecay"/>
    /// to the power T (and grows when the model predicts no decrease). Costs a Fisher product, a loss with its gradient
    /// and a loss every T steps; needs the batch's targets
    /// (<see cref="KfacOptimizer{T}.Step(System.ReadOnlySpan{T}, System.ReadOnlySpan{T})"/>).
    /// </summary>
    public bool AdaptiveDamping { get; init; }

    /// <summary>T: the damping adapts at steps 0, T, 2T, … (the paper's T₁ = 5).</summary>
    public int DampingAdaptationEvery { get; init; } = 5;

    /// <summary>ω per step: at an adaptation γ is multiplied or divided by this to the power T (the paper's 19/20).</summary>
    public double DampingAdaptationDecay { get; init; } = 0.95;

    /// <summary>Adaptive damping keeps γ within [<see cref="MinimumDamping"/>, <see cref="MaximumDamping"/>].</summary>
    public double MinimumDamping { get; init; } = 1e-8;

    /// <summary>Adaptive damping keeps γ within [<see cref="MinimumDamping"/>, <see cref="MaximumDamping"/>].</summary>
    public double MaximumDamping { get; init; } = 1e8;

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
        if (!Enum.IsDefined(Inverse)) throw new ArgumentOutOfRangeException(nameof(Inverse), Inverse, "Unknown inverse method.");
        if (DampingAdaptationEvery < 1) throw new ArgumentOutOfRangeException(nameof(DampingAdaptationEvery), DampingAdaptationEvery, "DampingAdaptationEvery must be at least 1.");
        if (!(DampingAdaptationDecay > 0 && DampingAdaptationDecay < 1))
            throw new ArgumentOutOfRangeException(nameof(DampingAdaptationDecay), DampingAdaptationDecay, "DampingAdaptationDecay must lie strictly between 0 and 1.");
        OptimizerGuard.Positive(MinimumDamping, nameof(MinimumDamping));
        if (!(MaximumDamping >= MinimumDamping && double.IsFinite(MaximumDamping)))
            throw new ArgumentOutOfRangeException(nameof(MaximumDamping), MaximumDamping, $"MaximumDamping must be finite and at least MinimumDamping ({MinimumDamping}).");
        if (AdaptiveDamping && (Damping < MinimumDamping || Damping > MaximumDamping))
            throw new ArgumentOutOfRangeException(nameof(Damping), Damping, $"With adaptive damping, Damping must start within [MinimumDamping, MaximumDamping] = [{MinimumDamping}, {MaximumDamping}].");
        if (!Enum.IsDefined(Fisher)) throw new ArgumentOutOfRangeException(nameof(Fisher), Fisher, "Unknown Fisher estimate.");
    }
}
