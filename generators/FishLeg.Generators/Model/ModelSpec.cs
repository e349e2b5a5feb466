namespace FishLeg.Generators.Model;

/// <summary>Mirror of <c>FishLeg.Activation</c>: same names, same values.</summary>
internal enum ActivationKind { Identity = 0, Relu = 1, Tanh = 2, Sigmoid = 3, Softplus = 4, GeluTanh = 5 }

/// <summary>Mirror of <c>FishLeg.Likelihood</c>: same names, same values.</summary>
internal enum LikelihoodKind { Gaussian = 0, Bernoulli = 1, Categorical = 2 }

/// <summary>Mirror of <c>FishLeg.Precision</c>: same names, same values.</summary>
internal enum PrecisionKind { Single = 0, Double = 1 }

/// <summary>Mirror of <c>FishLeg.QForm</c>: same names, same values.</summary>
internal enum QFormKind { KroneckerTriangular = 0, KroneckerFull = 1, Diagonal = 2, OfficialRescaled = 3, KroneckerRescaled = 4, KroneckerSum = 5 }

/// <summary>
/// What a layer does: an affine map (dense or convolution) with its parameters, a parameter-free pooling, or a layer
/// normalization of a dense layer's features with its per-unit scale and shift.
/// </summary>
internal enum LayerKind { Dense, Conv2d, MaxPool2d, AvgPool2d, LayerNorm }

/// <summary>
/// One layer and the feature maps around it. Its input is <see cref="InChannels"/>×<see cref="InHeight"/>×<see cref="InWidth"/>
/// (a dense layer's output is <see cref="Units"/>×1×1). A dense layer or convolution has <c>Units × (Inputs + bias)</c>
/// weights, bias in the last column, and its FishLeg Q form; for a convolution <see cref="Inputs"/> is the patch width
/// and the weight matrix applies at each of <see cref="Positions"/> output positions. Pooling windows are <see cref="Kernel"/> wide.
/// A layer normalization keeps its input's <see cref="Units"/> features, normalized with <see cref="Epsilon"/>, and has
/// a scale and a shift per unit: an n×2 matrix [γ | β], as if each unit were a dense unit of one input and a bias.
/// </summary>
internal sealed record LayerSpec(
    LayerKind Kind, int InChannels, int InHeight, int InWidth, int Units, int OutHeight, int OutWidth,
    int Kernel, int Stride, int Padding, ActivationKind Activation, bool Bias, QFormKind QForm, double Epsilon = 0,
    ElementwiseSpec? Function = null)
{
    /// <summary>Whether the layer applies a nonlinearity: a built-in one other than identity, or the user's.</summary>
    public bool HasActivation => Elementwise is not null;

    /// <summary>The activation the code computes: the user's function, or the built-in one's definition; null for identity.</summary>
    public ElementwiseSpec? Elementwise => Function ?? Symbolic.BuiltInActivations.For(Activation);

    /// <summary>The activation's name, as the comments and the model's description give it.</summary>
    public string ActivationName => Function?.Name ?? Activation.ToString();

    public bool HasParameters => Kind is LayerKind.Dense or LayerKind.Conv2d or LayerKind.LayerNorm;

    public bool IsSpatial => Kind is LayerKind.Conv2d or LayerKind.MaxPool2d or LayerKind.AvgPool2d;

    /// <summary>Weight columns before the bias: the flattened input (dense) or one patch (convolution).</summary>
    public int Inputs => Kind == LayerKind.Conv2d ? InChannels * Kernel * Kernel : InChannels * InHeight * InWidth;

    public int Columns => Inputs + (Bias ? 1 : 0);

    /// <summary>Output positions: the rows each example adds to the layer's factors.</summary>
    public int Positions => OutHeight * OutWidth;

    /// <summary>Values per example of the input and of the output.</summary>
    public int InputSize => InChannels * InHeight * InWidth;

    public int OutputSize => Units * OutHeight * OutWidth;

    // In 64 bits: the parser checks the count against the array limit before anything uses Columns.
    public long ParameterCount => Kind == LayerKind.LayerNorm ? 2L * Units : HasParameters ? (long)Units * ((long)Inputs + (Bias ? 1 : 0)) : 0;
}

/// <summary>
/// An activation from the user's [Elementwise] method <see cref="Name"/> (or a built-in activation's definition): its
/// definition with the calls it makes inlined, and its body as written (for the generated code's comments).
/// </summary>
internal sealed record ElementwiseSpec(string Name, Symbolic.Expr Definition, string Source, bool BuiltIn = false);

/// <summary>
/// Everything the emitter needs about one model; plain values only, so it caches and never roots a compilation.
/// <see cref="Namespace"/> is as C# writes it (keywords escaped, empty for the global namespace); <see cref="ClassName"/>
/// is the bare name; <see cref="UniqueName"/> is the namespace and name made safe for file and type names, with a hash.
/// </summary>
internal sealed record ModelSpec(
    string UniqueName,
    string Namespace,
    string ClassName,
    int InputChannels,
    int InputHeight,
    int InputWidth,
    LikelihoodKind Likelihood,
    double Sigma,
    PrecisionKind Precision,
    EquatableArray<LayerSpec> Layers)
{
    public int Inputs => InputChannels * InputHeight * InputWidth;

    public int Outputs => Layers[Layers.Count - 1].OutputSize;

    /// <summary>The generated file's name: unique under case-insensitive comparison.</summary>
    public string HintName => UniqueName + ".g.cs";

    /// <summary>The class in <c>FishLeg.Generated</c> that holds this model's workspace and passes.</summary>
    public string WorkspaceClass => UniqueName.Replace('.', '_');
}
