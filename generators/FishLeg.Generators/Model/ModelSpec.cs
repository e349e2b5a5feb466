namespace FishLeg.Generators.Model;

/// <summary>Mirror of <c>FishLeg.Activation</c>: same names, same values.</summary>
internal enum ActivationKind { Identity = 0, Relu = 1, Tanh = 2, Sigmoid = 3, Softplus = 4, GeluTanh = 5 }

/// <summary>Mirror of <c>FishLeg.Likelihood</c>: same names, same values.</summary>
internal enum LikelihoodKind { Gaussian = 0, Bernoulli = 1, Categorical = 2 }

/// <summary>Mirror of <c>FishLeg.Precision</c>: same names, same values.</summary>
internal enum PrecisionKind { Single = 0, Double = 1 }

/// <summary>Mirror of <c>FishLeg.QForm</c>: same names, same values.</summary>
internal enum QFormKind { KroneckerTriangular = 0, KroneckerFull = 1, Diagonal = 2, OfficialRescaled = 3, KroneckerRescaled = 4, KroneckerSum = 5 }

/// <summary>One dense layer: <c>Units × (Inputs + bias)</c> weights, bias in the last column, and its FishLeg Q form.</summary>
internal sealed record LayerSpec(int Inputs, int Units, ActivationKind Activation, bool Bias, QFormKind QForm)
{
    public int Columns => Inputs + (Bias ? 1 : 0);

    // In 64 bits: the parser checks the count against the array limit before anything uses Columns.
    public long ParameterCount => (long)Units * ((long)Inputs + (Bias ? 1 : 0));
}

/// <summary>
/// Everything the emitter needs about one model; plain values only, so it caches and never roots a compilation.
/// <see cref="Namespace"/> is as C# writes it (keywords escaped, empty for the global namespace); <see cref="ClassName"/>
/// is the bare name; <see cref="UniqueName"/> is the namespace and name made safe for file and type names, with a hash.
/// </summary>
internal sealed record ModelSpec(
    string UniqueName,
    string Namespace,
    string ClassName,
    int Inputs,
    LikelihoodKind Likelihood,
    double Sigma,
    PrecisionKind Precision,
    EquatableArray<LayerSpec> Layers)
{
    public int Outputs => Layers[Layers.Count - 1].Units;

    /// <summary>The generated file's name: unique under case-insensitive comparison.</summary>
    public string HintName => UniqueName + ".g.cs";

    /// <summary>The class in <c>FishLeg.Generated</c> that holds this model's workspace and passes.</summary>
    public string WorkspaceClass => UniqueName.Replace('.', '_');
}
