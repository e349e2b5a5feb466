using Microsoft.CodeAnalysis;

namespace FishLeg.Generators.Diagnostics;

/// <summary>Every diagnostic the generator reports. IDs are stable: never reuse or renumber one.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "FishLeg.Declaration";

    /// <summary>docs/diagnostics.md in the repository: one heading per ID, the target of each help link.</summary>
    public const string HelpPage = "https://github.com/fishleg-gen/FishLeg.Gen/blob/main/docs/diagnostics.md";

    public static readonly DiagnosticDescriptor ClassMustBePartial = Create(
        "FLG0001", "A [FishLegModel] class must be partial",
        "Class '{0}' has [FishLegModel] but is not partial; add the 'partial' modifier so the generator can add the model's code");

    public static readonly DiagnosticDescriptor NoLayers = Create(
        "FLG0002", "A [FishLegModel] class needs at least one layer",
        "Model '{0}' declares no layers; add one [Dense(units)] (or [Conv2d], [MaxPool2d], [AvgPool2d], [LayerNorm]) attribute per layer, in order from input to output");

    public static readonly DiagnosticDescriptor SizeMustBePositive = Create(
        "FLG0003", "Input and layer sizes must be positive",
        "{0} of model '{1}' is {2}; it must be at least {3}");

    public static readonly DiagnosticDescriptor LikelihoodDoesNotFitOutput = Create(
        "FLG0004", "The likelihood does not fit the last layer",
        "The {0} likelihood of model '{1}' needs {2}, but the last layer has {3} unit(s)");

    public static readonly DiagnosticDescriptor UnsupportedDeclaration = Create(
        "FLG0005", "The declaration cannot be generated",
        "Model '{0}' cannot be generated: {1}");

    public static readonly DiagnosticDescriptor SigmaMustBePositive = Create(
        "FLG0006", "The Gaussian σ must be positive and finite",
        "Sigma of model '{0}' is {1}; the Gaussian likelihood needs a positive, finite standard deviation");

    public static readonly DiagnosticDescriptor UnknownEnumValue = Create(
        "FLG0007", "Unknown enum value in a model attribute",
        "{0} of model '{1}' is {2}, which is not a defined {3} value");

    public static readonly DiagnosticDescriptor MemberNameTaken = Create(
        "FLG0008", "A member of the model has a name the generator uses",
        "Model '{0}' declares '{1}', a name the generator gives to its own {2}; rename the member");

    public static readonly DiagnosticDescriptor SigmaOutOfRange = Create(
        "FLG0009", "The Gaussian σ is outside the range of the model's element type",
        "Sigma of model '{0}' is {1}, but a {2} model computes with σ², which {2} holds only for σ from {3} to {4}");

    public static readonly DiagnosticDescriptor LayerOrder = Create(
        "FLG0010", "A layer is out of order",
        "{0} of model '{1}' {2}");

    public static readonly DiagnosticDescriptor WindowDoesNotFit = Create(
        "FLG0011", "A convolution or pooling window does not fit its input",
        "{0} of model '{1}': {2}");

    public static readonly DiagnosticDescriptor EpsilonOutOfRange = Create(
        "FLG0012", "A layer normalization's ε must be positive and finite in the model's element type",
        "{0} of model '{1}' is {2}; it is added to a variance in {3}, so it must be a normal {3} number, from {4} to {5}");

    public static readonly DiagnosticDescriptor UnknownActivationFunction = Create(
        "FLG0013", "A layer's ActivationFunction does not name a usable [Elementwise] method",
        "ActivationFunction of {0} of model '{1}' is '{2}', but {3}");

    public static readonly DiagnosticDescriptor UnsupportedElementwiseMethod = Create(
        "FLG0014", "An [Elementwise] method cannot be an activation",
        "[Elementwise] method '{0}' of model '{1}' {2}");

    public static readonly DiagnosticDescriptor UnsupportedElementwiseSyntax = Create(
        "FLG0015", "An [Elementwise] method uses something the generator cannot differentiate",
        "'{0}' in [Elementwise] method '{1}' of model '{2}' is not supported: {3}");

    private static DiagnosticDescriptor Create(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: $"{HelpPage}#{id.ToLowerInvariant()}");
}
