using Microsoft.CodeAnalysis;

namespace FishLeg.Generators.Diagnostics;

/// <summary>Every diagnostic the generator reports. IDs are stable: never reuse or renumber one.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "FishLeg.Declaration";

    public static readonly DiagnosticDescriptor ClassMustBePartial = new(
        "FLG0001", "A [FishLegModel] class must be partial",
        "Class '{0}' has [FishLegModel] but is not partial; add the 'partial' modifier so the generator can add the model's code",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor NoLayers = new(
        "FLG0002", "A [FishLegModel] class needs at least one [Dense] layer",
        "Model '{0}' declares no layers; add one [Dense(units)] attribute per layer, in order from input to output",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor SizeMustBePositive = new(
        "FLG0003", "Input and layer sizes must be positive",
        "{0} of model '{1}' is {2}; it must be at least 1",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor LikelihoodDoesNotFitOutput = new(
        "FLG0004", "The likelihood does not fit the last layer",
        "The {0} likelihood of model '{1}' needs {2}, but the last layer has {3} unit(s)",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor UnsupportedDeclaration = new(
        "FLG0005", "The declaration cannot be generated",
        "Model '{0}' cannot be generated: {1}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor SigmaMustBePositive = new(
        "FLG0006", "The Gaussian σ must be positive and finite",
        "Sigma of model '{0}' is {1}; the Gaussian likelihood needs a positive, finite standard deviation",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor UnknownEnumValue = new(
        "FLG0007", "Unknown enum value in a model attribute",
        "{0} of model '{1}' is {2}, which is not a defined {3} value",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor MemberNameTaken = new(
        "FLG0008", "A member of the model has a name the generator uses",
        "Model '{0}' declares '{1}', a name the generator gives to its own {2}; rename the member",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor SigmaOutOfRange = new(
        "FLG0009", "The Gaussian σ is outside the range of the model's element type",
        "Sigma of model '{0}' is {1}, but a {2} model computes with σ², which {2} holds only for σ from {3} to {4}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);
}
