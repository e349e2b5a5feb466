namespace FishLeg;

/// <summary>Element-wise nonlinearity applied after a dense layer's affine map.</summary>
/// <remarks>The numeric values are part of the generator's contract; never renumber them.</remarks>
public enum Activation
{
    /// <summary>σ(x) = x.</summary>
    Identity = 0,
    /// <summary>σ(x) = max(0, x).</summary>
    Relu = 1,
    /// <summary>σ(x) = tanh(x).</summary>
    Tanh = 2,
    /// <summary>σ(x) = 1 / (1 + e⁻ˣ).</summary>
    Sigmoid = 3,
    /// <summary>σ(x) = log(1 + eˣ).</summary>
    Softplus = 4,
    /// <summary>The tanh approximation of GELU: ½x(1 + tanh(√(2/π)(x + 0.044715x³))). Not the exact erf form.</summary>
    GeluTanh = 5,
}

/// <summary>Output likelihood p(y | a) of the last layer's output <c>a</c>; its negative log is the per-example loss.</summary>
/// <remarks>The numeric values are part of the generator's contract; never renumber them.</remarks>
public enum Likelihood
{
    /// <summary>Gaussian with fixed standard deviation σ (<see cref="FishLegModelAttribute.Sigma"/>): ℓ = ½‖y − a‖²/σ².</summary>
    Gaussian = 0,
    /// <summary>Independent Bernoulli per output with logits a: ℓ = Σⱼ softplus(aⱼ) − yⱼaⱼ. Targets may be soft, in [0, 1].</summary>
    Bernoulli = 1,
    /// <summary>Categorical with logits a: ℓ = logsumexp(a) − yᵀa. Targets are one-hot (or probability) rows.</summary>
    Categorical = 2,
}

/// <summary>Floating-point type of a generated model's parameters, activations and kernels.</summary>
/// <remarks>The numeric values are part of the generator's contract; never renumber them.</remarks>
public enum Precision
{
    /// <summary>32-bit <see cref="float"/> (the default).</summary>
    Single = 0,
    /// <summary>64-bit <see cref="double"/>.</summary>
    Double = 1,
}

/// <summary>The parameterization of one layer's block of FishLeg's Q(λ) ≈ (F + γI)⁻¹ (docs/math.md §3).</summary>
/// <remarks>The numeric values are part of the generator's contract; never renumber them.</remarks>
public enum QForm
{
    /// <summary>Kronecker factors L (output side) and R (input side), both lower-triangular: Q·U = L Lᵀ U R Rᵀ (paper A.5). The default.</summary>
    KroneckerTriangular = 0,
    /// <summary>As <see cref="KroneckerTriangular"/> with full (not triangular) factors.</summary>
    KroneckerFull = 1,
    /// <summary>An element-wise diagonal: Q·U = D ⊙ D ⊙ U.</summary>
    Diagonal = 2,
    /// <summary>The official PyTorch code's form, for parity: Q·U = A ⊙ (RᵀR (A ⊙ U) L Lᵀ) with full R (output side), L (input side).</summary>
    OfficialRescaled = 3,
    /// <summary>Kronecker with inner and outer diagonal rescaling (paper A.6): Q·U = A ⊙ (L (B ⊙ B ⊙ (Lᵀ (A ⊙ U) R)) Rᵀ), L and R lower-triangular.</summary>
    KroneckerRescaled = 4,
    /// <summary>A sum of two triangular Kronecker terms (paper A.6): Q·U = L₁L₁ᵀ U R₁R₁ᵀ + L₂L₂ᵀ U R₂R₂ᵀ.</summary>
    KroneckerSum = 5,
}

/// <summary>What a layer with parameters does with its weight matrix.</summary>
public enum LayerKind
{
    /// <summary>Once per example, on the whole (flattened) input.</summary>
    Dense = 0,
    /// <summary>At every output position of a 2-D convolution, on the patch under the kernel.</summary>
    Conv2d = 1,
    /// <summary>
    /// Unit by unit on the normalized features of the layer below: row j is [γⱼ, βⱼ], unit j's scale of its one input
    /// x̂ⱼ and its shift.
    /// </summary>
    LayerNorm = 2,
}
