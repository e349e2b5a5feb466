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
