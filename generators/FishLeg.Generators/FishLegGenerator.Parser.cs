using System;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Threading;
using FishLeg.Generators.Diagnostics;
using FishLeg.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace FishLeg.Generators;

public sealed partial class FishLegGenerator
{
    /// <summary>Turns one [FishLegModel] declaration into a <see cref="ModelSpec"/> and its diagnostics. Never throws on bad input.</summary>
    internal static class Parser
    {
        private const string DenseAttributeName = "FishLeg.DenseAttribute";

        public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            var type = (INamedTypeSymbol)context.TargetSymbol;
            var node = (TypeDeclarationSyntax)context.TargetNode;
            string name = type.Name;
            var diagnostics = ImmutableArray.CreateBuilder<DiagnosticInfo>();
            void Report(DiagnosticDescriptor descriptor, Location? location, params string[] args) =>
                diagnostics.Add(new DiagnosticInfo(descriptor, LocationInfo.From(location), new EquatableArray<string>(args.ToImmutableArray())));

            Location identifier = node.Identifier.GetLocation();
            if (!node.Modifiers.Any(SyntaxKind.PartialKeyword))
                Report(DiagnosticDescriptors.ClassMustBePartial, identifier, name);
            string? unsupported = UnsupportedShape(type, node);
            if (unsupported is not null)
                Report(DiagnosticDescriptors.UnsupportedDeclaration, identifier, name, unsupported);

            AttributeData model = context.Attributes[0];
            var modelSyntax = model.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
            // A constructor the compiler could not bind is already a compiler error; add nothing to it.
            if (model.ConstructorArguments.Length != 2 || model.ConstructorArguments.Any(a => a.Kind == TypedConstantKind.Error))
                return Result(null, diagnostics);

            int inputs = model.ConstructorArguments[0].Value is int i ? i : 0;
            if (inputs <= 0)
                Report(DiagnosticDescriptors.SizeMustBePositive, ArgumentLocation(modelSyntax, "inputs", 0), "Inputs", name, Format(inputs));

            int likelihoodValue = model.ConstructorArguments[1].Value is int l ? l : -1;
            Location likelihoodLocation = ArgumentLocation(modelSyntax, "likelihood", 1);
            bool likelihoodKnown = Enum.IsDefined(typeof(LikelihoodKind), likelihoodValue);
            if (!likelihoodKnown)
                Report(DiagnosticDescriptors.UnknownEnumValue, likelihoodLocation, "Likelihood", name, Format(likelihoodValue), "Likelihood");

            double sigma = 1.0;
            PrecisionKind precision = PrecisionKind.Single;
            QFormKind modelQForm = QFormKind.KroneckerTriangular;
            foreach (var named in model.NamedArguments)
            {
                if (named.Key == "Sigma" && named.Value.Value is double s)
                {
                    sigma = s;
                    if (!(s > 0) || double.IsInfinity(s))
                        Report(DiagnosticDescriptors.SigmaMustBePositive, ArgumentLocation(modelSyntax, "Sigma", -1), name, s.ToString("R", CultureInfo.InvariantCulture));
                }
                else if (named.Key == "Precision" && named.Value.Value is int p)
                {
                    if (Enum.IsDefined(typeof(PrecisionKind), p)) precision = (PrecisionKind)p;
                    else Report(DiagnosticDescriptors.UnknownEnumValue, ArgumentLocation(modelSyntax, "Precision", -1), "Precision", name, Format(p), "Precision");
                }
                else if (named.Key == "QForm" && named.Value.Value is int q)
                {
                    if (Enum.IsDefined(typeof(QFormKind), q)) modelQForm = (QFormKind)q;
                    else Report(DiagnosticDescriptors.UnknownEnumValue, ArgumentLocation(modelSyntax, "QForm", -1), "QForm", name, Format(q), "QForm");
                }
            }

            var layers = ImmutableArray.CreateBuilder<LayerSpec>();
            int previous = inputs;
            var dense = type.GetAttributes()
                .Where(a => a.AttributeClass?.ToDisplayString() == DenseAttributeName)
                .Select(a => (Data: a, Syntax: a.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax))
                .OrderBy(a => a.Syntax?.SpanStart ?? int.MaxValue)
                .ToList();
            foreach (var (data, syntax) in dense)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (syntax is null || syntax.SyntaxTree != node.SyntaxTree || !node.AttributeLists.Any(list => list.Span.Contains(syntax.Span)))
                {
                    Report(DiagnosticDescriptors.UnsupportedDeclaration, syntax?.GetLocation(), name,
                        "[Dense] layers must be on the same declaration as [FishLegModel], so that their order is the source order");
                    continue;
                }
                if (data.ConstructorArguments.Length != 2 || data.ConstructorArguments.Any(a => a.Kind == TypedConstantKind.Error))
                    return Result(null, diagnostics);
                int index = layers.Count + 1;
                int units = data.ConstructorArguments[0].Value is int u ? u : 0;
                if (units <= 0)
                    Report(DiagnosticDescriptors.SizeMustBePositive, ArgumentLocation(syntax, "units", 0), $"Units of layer {index}", name, Format(units));
                int activation = data.ConstructorArguments[1].Value is int act ? act : -1;
                if (!Enum.IsDefined(typeof(ActivationKind), activation))
                    Report(DiagnosticDescriptors.UnknownEnumValue, ArgumentLocation(syntax, "activation", 1), $"Activation of layer {index}", name, Format(activation), "Activation");
                bool bias = true;
                QFormKind qForm = modelQForm; // a layer without its own QForm takes the model's
                foreach (var named in data.NamedArguments)
                {
                    if (named.Key == "Bias" && named.Value.Value is bool b) bias = b;
                    else if (named.Key == "QForm" && named.Value.Value is int q)
                    {
                        if (Enum.IsDefined(typeof(QFormKind), q)) qForm = (QFormKind)q;
                        else Report(DiagnosticDescriptors.UnknownEnumValue, ArgumentLocation(syntax, "QForm", -1), $"QForm of layer {index}", name, Format(q), "QForm");
                    }
                }
                layers.Add(new LayerSpec(previous, units, (ActivationKind)activation, bias, qForm));
                previous = units;
            }

            Location modelLocation = modelSyntax?.GetLocation() ?? identifier;
            if (dense.Count == 0)
                Report(DiagnosticDescriptors.NoLayers, modelLocation, name);
            else if (likelihoodKnown && (LikelihoodKind)likelihoodValue == LikelihoodKind.Categorical && previous is > 0 and < 2)
                Report(DiagnosticDescriptors.LikelihoodDoesNotFitOutput, likelihoodLocation, "Categorical", name, "at least 2 classes", Format(previous));

            long parameters = layers.Sum(layer => layer.ParameterCount);
            if (parameters > int.MaxValue)
                Report(DiagnosticDescriptors.UnsupportedDeclaration, modelLocation, name,
                    $"it has {parameters.ToString(CultureInfo.InvariantCulture)} parameters, more than the {int.MaxValue.ToString(CultureInfo.InvariantCulture)} one parameter array can hold");

            if (diagnostics.Any(d => d.Descriptor.DefaultSeverity == DiagnosticSeverity.Error))
                return Result(null, diagnostics);
            string ns = type.ContainingNamespace.IsGlobalNamespace ? "" : type.ContainingNamespace.ToDisplayString();
            var spec = new ModelSpec(ns, name, inputs, (LikelihoodKind)likelihoodValue, sigma, precision,
                new EquatableArray<LayerSpec>(layers.ToImmutable()));
            return Result(spec, diagnostics);
        }

        private static ParseResult Result(ModelSpec? spec, ImmutableArray<DiagnosticInfo>.Builder diagnostics) =>
            new(spec, new EquatableArray<DiagnosticInfo>(diagnostics.ToImmutable()));

        private static string? UnsupportedShape(INamedTypeSymbol type, TypeDeclarationSyntax node)
        {
            if (node is RecordDeclarationSyntax) return "records are not supported; declare a class";
            if (type.TypeKind != TypeKind.Class) return "only classes are supported";
            if (type.ContainingType is not null) return "nested classes are not supported; declare the model at namespace level";
            if (type.IsGenericType) return "generic classes are not supported";
            if (type.IsStatic) return "static classes are not supported";
            if (type.IsAbstract) return "abstract classes are not supported, since the generator adds a constructor";
            return null;
        }

        /// <summary>
        /// The syntax of the argument bound to a constructor parameter (by position or by <c>name:</c>) or to a property
        /// (<c>Name = …</c>; pass position −1); the whole attribute when the argument is implicit.
        /// </summary>
        private static Location ArgumentLocation(AttributeSyntax? syntax, string name, int position)
        {
            if (syntax is null) return Location.None;
            if (syntax.ArgumentList is { } list)
            {
                int positional = 0;
                foreach (AttributeArgumentSyntax argument in list.Arguments)
                {
                    string? given = argument.NameEquals?.Name.Identifier.ValueText ?? argument.NameColon?.Name.Identifier.ValueText;
                    if (given is not null)
                    {
                        if (given == name) return argument.GetLocation();
                        continue;
                    }
                    if (positional++ == position) return argument.GetLocation();
                }
            }
            return syntax.GetLocation();
        }

        private static string Format(int value) => value.ToString(CultureInfo.InvariantCulture);
    }
}
