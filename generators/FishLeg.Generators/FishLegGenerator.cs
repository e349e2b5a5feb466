using System.Text;
using System.Linq;
using FishLeg.Generators.Diagnostics;
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
        /// <summary>Types in the global namespace that hide a namespace the generated code names.</summary>
        public const string HidingTypes = "FishLeg.HidingTypes";
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

        // A type named System or FishLeg in the global namespace, in any file or reference, hides the namespaces the generated
        // code names (global::System, global::FishLeg): then every model is reported instead of generated.
        var hiding = context.CompilationProvider
            .Select(static (compilation, _) => string.Join(" and ", new[] { "System", "FishLeg" }
                .Where(name => !compilation.GlobalNamespace.GetTypeMembers(name).IsEmpty).Select(name => $"'{name}'")))
            .WithTrackingName(Steps.HidingTypes);

        context.RegisterSourceOutput(models.Combine(hiding), static (spc, pair) =>
        {
            var (model, hidden) = pair;
            if (hidden.Length > 0)
            {
                spc.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.UnsupportedDeclaration, Location.None, model.ClassName,
                    $"a type named {hidden} in the global namespace hides the namespace the generated code uses; rename that type or declare it in a namespace"));
                return;
            }
            spc.AddSource(model.HintName, SourceText.From(Emitter.Emit(model, spc.CancellationToken), Encoding.UTF8));
        });

        context.RegisterSourceOutput(diagnostics, static (spc, list) =>
        {
            foreach (Diagnostic diagnostic in list) spc.ReportDiagnostic(diagnostic);
        });
    }
}
