using System;
using System.Numerics;

namespace FishLeg.Optimizers;

/// <summary>Where FishLeg applies momentum (docs/math.md §4 and §6.4).</summary>
public enum MomentumTarget
{
    /// <summary>Momentum on the gradient g; the auxiliary update uses u = m/‖m‖ (paper Algorithm 1; Table 1 was tuned this way).</summary>
    Gradient,
    /// <summary>Momentum on Q·g; the auxiliary update uses the raw g (the paper's wall-clock runs and the official code). The default.</summary>
    PreconditionedGradient,
}

/// <summary>The curvature product in the auxiliary gradient Ξ = (F + γI)v − u (docs/math.md §2.4).</summary>
public enum CurvatureEstimator
{
    /// <summary>The exact Fisher (Gauss–Newton) product: deterministic, positive semi-definite, no labels. The default.</summary>
    Fisher,
    /// <summary>The exact Hessian at labels sampled from the model (paper Algorithm 1 and the authors' JAX code): F in expectation, not PSD.</summary>
    SampledLabelHessian,
    /// <summary>The outer-product Fisher at labels sampled from the model: F in expectation, rank ≤ K.</summary>
    MonteCarloFisher,
    /// <summary>The outer-product Fisher at the auxiliary batch's data labels: not F in general; pass the labels to <c>Step</c>.</summary>
    EmpiricalFisher,
}

/// <summary>How the auxiliary Adam normalizes its steps on λ.</summary>
public enum AuxiliaryScaling
{
    /// <summary>Adam as the paper uses it: one second moment per entry of λ, so every entry moves by about ±α at first.</summary>
    PerEntry,
    /// <summary>One second moment per matrix of λ (each Kronecker factor, each diagonal): the step keeps the gradient's direction within the matrix and its root-mean-square entry is about α. The default.</summary>
    PerMatrix,
}

/// <summary>How weight decay enters the update (docs/math.md §6.6).</summary>
public enum WeightDecayMode
{
    /// <summary>L2 in the loss: λθ is added to g, so it enters the momentum and Q (the authors' JAX code).</summary>
    Coupled,
    /// <summary>θ ← θ − η(Δ + λθ), outside the momentum (the official PyTorch code). The default.</summary>
    Decoupled,
}

/// <summary>
/// FishLeg's hyper-parameters, named as in the paper. The defaults are the settings that trained the deep autoencoder
/// fastest in this library's measurements (full Fashion-MNIST, batch 100, docs/fishleg-vs-adam.md): η = 0.3, γ = 0.3,
/// α = 1e-3 with one Adam second moment per matrix of λ, η_SGDm = 3e-2, an auxiliary update at each of the first 100
/// steps and then every T = 10, momentum β = 0.9 on Q·g, decoupled weight decay 1e-5; their neighbours train too.
/// <see cref="WarmStartSteps"/> = 20 with <see cref="Damping"/> = 3 was faster there (a wall-clock tie with Adam) but
/// diverges at nearby settings, so it is not the default. <see cref="PaperTable1"/> is the paper's Table 1 column for
/// the MNIST autoencoder at batch 100.
/// </summary>
public sealed record FishLegOptions
{
    /// <summary>
    /// The paper's Table 1 column for the MNIST autoencoder at batch 100: γ = 0.3, η = 0.07, α = 1e-4 (element-wise
    /// Adam), η_SGDm = 1e-2, T = 10 from the first step, momentum on g, coupled weight decay 1e-5.
    /// </summary>
    public static FishLegOptions PaperTable1 { get; } = new()
    {
        LearningRate = 0.07, Damping = 0.3, AuxiliaryLearningRate = 1e-4, AuxiliaryScaling = AuxiliaryScaling.PerEntry,
        InitialSgdLearningRate = 1e-2, UpdateAuxEvery = 10, EarlyAuxiliarySteps = 0, MomentumOn = MomentumTarget.Gradient,
        WeightDecay = 1e-5, WeightDecayMode = WeightDecayMode.Coupled,
    };

    /// <summary>η: the step θ ← θ − η·Q(λ)·m.</summary>
    public double LearningRate { get; init; } = 0.3;

    /// <summary>γ: the damping in Q(λ) ≈ (F + γI)⁻¹.</summary>
    public double Damping { get; init; } = 0.3;

    /// <summary>α: Adam's learning rate on the auxiliary parameters λ.</summary>
    public double AuxiliaryLearningRate { get; init; } = 1e-3;

    /// <summary>β₁ of the auxiliary Adam.</summary>
    public double AuxiliaryBeta1 { get; init; } = 0.9;

    /// <summary>β₂ of the auxiliary Adam.</summary>
    public double AuxiliaryBeta2 { get; init; } = 0.999;

    /// <summary>Whether the auxiliary Adam normalizes per entry of λ (the paper) or per matrix.</summary>
    public AuxiliaryScaling AuxiliaryScaling { get; init; } = AuxiliaryScaling.PerMatrix;

    /// <summary>ε of the auxiliary Adam.</summary>
    public double AuxiliaryEpsilon { get; init; } = 1e-8;

    /// <summary>β: momentum, m ← βm + (1 − β)·(g or Q·g), without bias correction.</summary>
    public double Momentum { get; init; } = 0.9;

    /// <summary>
    /// η_SGDm: Q starts as (η_SGDm/η)·I, so FishLeg starts as SGD with momentum at this learning rate, in the paper's
    /// convention m ← βm + (1 − β)g (torch's SGD without dampening at lr (1 − β)·η_SGDm takes the same steps).
    /// </summary>
    public double InitialSgdLearningRate { get; init; } = 3e-2;

    /// <summary>T: the auxiliary update runs at steps 0, T, 2T, … (and at every step before <see cref="EarlyAuxiliarySteps"/>).</summary>
    public int UpdateAuxEvery { get; init; } = 10;

    /// <summary>
    /// During the first this many steps an auxiliary update runs at every step, afterwards every T steps: Q learns fast
    /// while the curvature changes fast (the paper's "frequent early, sparser later"). Default 100.
    /// </summary>
    public int EarlyAuxiliarySteps { get; init; } = 100;

    /// <summary>
    /// The official code's warm start: during the first W steps Q stays Q₀ and the squared gradients are averaged; at step
    /// W, Q's diagonal is set to 1/(mean g² + γ) (exactly for the element-wise forms, as the nearest Kronecker product of
    /// diagonals for the Kronecker forms), and the auxiliary schedule starts, counting steps from there. Needs γ &gt; 0.
    /// Default 0 (no warm start: Q₀ = (η_SGDm/η)·I).
    /// </summary>
    public int WarmStartSteps { get; init; }

    /// <summary>Adam steps on λ per auxiliary update, each with a fresh v = Q(λ)u and Fisher product on the same auxiliary batch and u. Default 1.</summary>
    public int AuxiliaryStepsPerUpdate { get; init; } = 1;

    /// <summary>
    /// α ramps linearly over the first this many Adam steps on λ (α·j/R at the j-th), so that Adam's first steps, which
    /// move every entry of λ by about ±α whatever its gradient, start small. Default 0 (no ramp).
    /// </summary>
    public int AuxiliaryRampSteps { get; init; }

    /// <summary>
    /// κ: K-FAC's KL clip on FishLeg's step. The preconditioned direction Δ (Q·g, or Q·m with momentum on g) is scaled by
    /// ν = min(1, √(κ / |η²·⟨Δ, g⟩|)), so that the step's predicted change of the model's output distribution stays
    /// below κ. Default 0 (off).
    /// </summary>
    public double KlClip { get; init; }

    /// <summary>Weight decay λ_wd.</summary>
    public double WeightDecay { get; init; } = 1e-5;

    /// <summary>Coupled (L2 in the loss) or decoupled weight decay.</summary>
    public WeightDecayMode WeightDecayMode { get; init; } = WeightDecayMode.Decoupled;

    /// <summary>Momentum on Q·g (default) or on g.</summary>
    public MomentumTarget MomentumOn { get; init; } = MomentumTarget.PreconditionedGradient;

    /// <summary>
    /// With momentum on Q·g, computes Q·g per layer from the gradient's factors, Q·EᵀĀ = (L(LᵀEᵀ))((ĀR)Rᵀ), in O(K·N²)
    /// rather than O(N³) (paper A.7), for Kronecker layers where that is cheaper at the model's batch size. It applies
    /// only when g is the raw gradient, so with weight decay zero or decoupled. Default true.
    /// </summary>
    public bool LowRankGradient { get; init; } = true;

    /// <summary>The curvature product the auxiliary update uses.</summary>
    public CurvatureEstimator Curvature { get; init; } = CurvatureEstimator.Fisher;

    /// <summary>Seed of the label sampling of the sampled estimators.</summary>
    public ulong Seed { get; init; }

    /// <summary>
    /// When set, the parameterization of every layer's block of Q; when null (the default), each layer's form as the
    /// model declares it (<see cref="FishLegModelAttribute.QForm"/>, <see cref="DenseAttribute.QForm"/>). A layer
    /// normalization's scale and shift always take <see cref="FishLeg.QForm.Diagonal"/>, as in the official code.
    /// </summary>
    public QForm? QForm { get; init; }

    internal void Validate()
    {
        OptimizerGuard.Positive(LearningRate, nameof(LearningRate));
        OptimizerGuard.Positive(AuxiliaryLearningRate, nameof(AuxiliaryLearningRate));
        OptimizerGuard.Positive(InitialSgdLearningRate, nameof(InitialSgdLearningRate));
        OptimizerGuard.Positive(AuxiliaryEpsilon, nameof(AuxiliaryEpsilon));
        OptimizerGuard.NonNegative(Damping, nameof(Damping));
        OptimizerGuard.NonNegative(WeightDecay, nameof(WeightDecay));
        OptimizerGuard.NonNegative(KlClip, nameof(KlClip));
        OptimizerGuard.Fraction(Momentum, nameof(Momentum));
        OptimizerGuard.Fraction(AuxiliaryBeta1, nameof(AuxiliaryBeta1));
        OptimizerGuard.Fraction(AuxiliaryBeta2, nameof(AuxiliaryBeta2));
        if (UpdateAuxEvery < 1) throw new ArgumentOutOfRangeException(nameof(UpdateAuxEvery), UpdateAuxEvery, "UpdateAuxEvery (T) must be at least 1.");
        if (EarlyAuxiliarySteps < 0) throw new ArgumentOutOfRangeException(nameof(EarlyAuxiliarySteps), EarlyAuxiliarySteps, "EarlyAuxiliarySteps must not be negative.");
        if (AuxiliaryStepsPerUpdate < 1) throw new ArgumentOutOfRangeException(nameof(AuxiliaryStepsPerUpdate), AuxiliaryStepsPerUpdate, "AuxiliaryStepsPerUpdate must be at least 1.");
        if (WarmStartSteps < 0) throw new ArgumentOutOfRangeException(nameof(WarmStartSteps), WarmStartSteps, "WarmStartSteps must not be negative.");
        if (WarmStartSteps > 0 && Damping == 0) throw new ArgumentOutOfRangeException(nameof(WarmStartSteps), WarmStartSteps, "A warm start sets Q's diagonal to 1/(mean g² + γ), which needs a positive Damping γ.");
        if (AuxiliaryRampSteps < 0) throw new ArgumentOutOfRangeException(nameof(AuxiliaryRampSteps), AuxiliaryRampSteps, "AuxiliaryRampSteps must not be negative.");
        if (!Enum.IsDefined(WeightDecayMode)) throw new ArgumentOutOfRangeException(nameof(WeightDecayMode), WeightDecayMode, "Unknown weight decay mode.");
        if (!Enum.IsDefined(MomentumOn)) throw new ArgumentOutOfRangeException(nameof(MomentumOn), MomentumOn, "Unknown momentum target.");
        if (!Enum.IsDefined(AuxiliaryScaling)) throw new ArgumentOutOfRangeException(nameof(AuxiliaryScaling), AuxiliaryScaling, "Unknown auxiliary scaling.");
        if (!Enum.IsDefined(Curvature)) throw new ArgumentOutOfRangeException(nameof(Curvature), Curvature, "Unknown curvature estimator.");
        if (QForm is { } form && !Enum.IsDefined(form)) throw new ArgumentOutOfRangeException(nameof(QForm), form, "Unknown Q form.");
    }

    /// <summary>
    /// Checks that the values the optimizer computes with survive conversion to <typeparamref name="T"/>: η, γ, the
    /// weight decay and Q₀'s scale η_SGDm/η must neither overflow nor round to zero.
    /// </summary>
    internal void ValidateFor<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        Representable<T>(LearningRate, nameof(LearningRate));
        Representable<T>(AuxiliaryLearningRate, nameof(AuxiliaryLearningRate));
        Representable<T>(Damping, nameof(Damping));
        Representable<T>(WeightDecay, nameof(WeightDecay));
        double scale = InitialSgdLearningRate / LearningRate;
        if (!IsRepresentable<T>(scale))
            throw new ArgumentOutOfRangeException(nameof(InitialSgdLearningRate), InitialSgdLearningRate,
                $"Q starts as (InitialSgdLearningRate / LearningRate)·I = {scale:G4}·I, which {typeof(T).Name} cannot hold; bring the two learning rates closer.");
    }

    private static bool IsRepresentable<T>(double value) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T converted = T.CreateSaturating(value);
        return T.IsFinite(converted) && (value == 0 || T.IsNormal(converted));
    }

    private static void Representable<T>(double value, string name) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!IsRepresentable<T>(value))
            throw new ArgumentOutOfRangeException(name, value, $"{name} = {value:G4} is outside the range of {typeof(T).Name}.");
    }
}
