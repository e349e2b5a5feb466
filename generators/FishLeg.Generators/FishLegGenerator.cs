using System.Text;
using FishLeg.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace FishLeg.Generators;

/// <summary>
/// Emits the forward and backward passes of every class marked <c>[FishLegModel]</c>, specialised to its layers.
/// Pipeline: attribute → <see cref="ParseResult"/> (equatable) → source output and diagnostic output, each step named.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed partial class FishLegGenerator : IIncrementalGenerator
{
    /// <summary>Names of the pipeline steps, for incremental-caching tests.</summary>
    public static class Steps
    {
        /// <summary>Attribute data parsed into a spec and diagnostics.</summary>
        public const string Parse = "FishLeg.Parse";
        /// <summary>The specs that parsed without errors.</summary>
        public const string Models = "FishLeg.Models";
        /// <summary>The diagnostics of each declaration.</summary>
        public const string Diagnostics = "FishLeg.Diagnostics";
    }

    /// <summary>Metadata name of the attribute that marks a model.</summary>
    public const string ModelAttributeName = "FishLeg.FishLegModelAttribute";

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(ModelAttributeName,
                static (node, _) => node is TypeDeclarationSyntax,
                Parser.Parse)
            .WithTrackingName(Steps.Parse);

        var models = parsed
            .Where(static result => result.Model is not null)
            .Select(static (result, _) => result.Model!)
            .WithTrackingName(Steps.Models);

        var diagnostics = parsed
            .Select(static (result, _) => result.Diagnostics)
            .WithTrackingName(Steps.Diagnostics);

        context.RegisterSourceOutput(models, static (spc, model) =>
            spc.AddSource(model.HintName, SourceText.From(Emitter.Emit(model, spc.CancellationToken), Encoding.UTF8)));

        context.RegisterSourceOutput(diagnostics, static (spc, list) =>
        {
            foreach (Diagnostic diagnostic in list) spc.ReportDiagnostic(diagnostic);
        });
    }
}
