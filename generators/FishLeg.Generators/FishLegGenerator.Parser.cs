using System;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Threading;
using FishLeg.Generators.Diagnostics;
using FishLeg.Generators.Model;
using FishLeg.Generators.Symbolic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace FishLeg.Generators;

public sealed partial class FishLegGenerator
{
    /// <summary>Turns one [FishLegModel] declaration into a <see cref="ModelSpec"/> and its diagnostics. Never throws on bad input.</summary>
    internal static class Parser
    {
        /// <summary>The layer an attribute declares, or null for any other attribute.</summary>
        private static LayerKind? LayerAttributeKind(AttributeData attribute) => attribute.AttributeClass?.ToDisplayString() switch
        {
            "FishLeg.DenseAttribute" => LayerKind.Dense,
            "FishLeg.Conv2dAttribute" => LayerKind.Conv2d,
            "FishLeg.MaxPool2dAttribute" => LayerKind.MaxPool2d,
            "FishLeg.AvgPool2dAttribute" => LayerKind.AvgPool2d,
            "FishLeg.LayerNormAttribute" => LayerKind.LayerNorm,
            _ => null,
        };

        public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            var type = (INamedTypeSymbol)context.TargetSymbol;
            var node = (TypeDeclarationSyntax)context.TargetNode;
            string name = type.Name;
            var diagnostics = ImmutableArray.CreateBuilder<Diagnostic>();
            void Report(DiagnosticDescriptor descriptor, Location? location, params string[] args) =>
                diagnostics.Add(Diagnostic.Create(descriptor, location ?? Location.None, args));

            Location identifier = node.Identifier.GetLocation();
            // Two [FishLegModel] on one class is already a compiler error (CS0579): add nothing to it.
            if (type.GetAttributes().Count(a => a.AttributeClass?.ToDisplayString() == ModelAttributeName) > 1)
                return Result(null, diagnostics);
            if (!node.Modifiers.Any(SyntaxKind.PartialKeyword))
                Report(DiagnosticDescriptors.ClassMustBePartial, identifier, name);
            string? unsupported = UnsupportedShape(type, node);
            if (unsupported is not null)
                Report(DiagnosticDescriptors.UnsupportedDeclaration, identifier, name, unsupported);

            AttributeData model = context.Attributes[0];
            var modelSyntax = model.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
            // A constructor the compiler could not bind is already a compiler error; add nothing to it.
            int modelArguments = model.ConstructorArguments.Length;
            if (modelArguments is not (2 or 4) || model.ConstructorArguments.Any(a => a.Kind == TypedConstantKind.Error))
                return Result(null, diagnostics);

            // (inputs, likelihood) or (channels, height, width, likelihood): a vector is 1×1×inputs.
            int[] shape = modelArguments == 2 ? [1, 1, 0] : [0, 0, 0];
            string[] shapeNames = modelArguments == 2 ? ["", "", "inputs"] : ["channels", "height", "width"];
            for (int d = 3 - (modelArguments - 1); d < 3; d++)
            {
                int position = d - (3 - (modelArguments - 1));
                shape[d] = model.ConstructorArguments[position].Value is int size ? size : 0;
                if (shape[d] <= 0)
                    Report(DiagnosticDescriptors.SizeMustBePositive, ArgumentLocation(modelSyntax, shapeNames[d], position),
                        modelArguments == 2 ? "Inputs" : $"Input {shapeNames[d]}", name, Format(shape[d]), "1");
            }
            if (modelArguments == 4 && (decimal)shape[0] * shape[1] * shape[2] > MaxArrayLength)
                Report(DiagnosticDescriptors.UnsupportedDeclaration, modelSyntax?.GetLocation() ?? identifier, name,
                    $"its input has more values per example than one array can hold ({MaxArrayLength.ToString(CultureInfo.InvariantCulture)})");

            int likelihoodValue = model.ConstructorArguments[modelArguments - 1].Value is int l ? l : -1;
            Location likelihoodLocation = ArgumentLocation(modelSyntax, "likelihood", modelArguments - 1);
            bool likelihoodKnown = Enum.IsDefined(typeof(LikelihoodKind), likelihoodValue);
            if (!likelihoodKnown)
                Report(DiagnosticDescriptors.UnknownEnumValue, likelihoodLocation, "Likelihood", name, Format(likelihoodValue), "Likelihood");
            ReportClashes(type, gaussian: likelihoodValue == (int)LikelihoodKind.Gaussian, Report, cancellationToken);

            double sigma = 1.0;
            Location? sigmaLocation = null;
            PrecisionKind precision = PrecisionKind.Single;
            QFormKind modelQForm = QFormKind.KroneckerTriangular;
            foreach (var named in model.NamedArguments)
            {
                if (named.Key == "Sigma" && named.Value.Value is double s)
                {
                    sigma = s;
                    if (!(s > 0) || double.IsInfinity(s))
                        Report(DiagnosticDescriptors.SigmaMustBePositive, ArgumentLocation(modelSyntax, "Sigma", -1), name, s.ToString("R", CultureInfo.InvariantCulture));
                    sigmaLocation = ArgumentLocation(modelSyntax, "Sigma", -1);
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
            var elementwise = new ElementwiseParser(type, node, context.SemanticModel, Report, cancellationToken);
            bool unusable = false; // an activation function that cannot be read: no model, whatever else is right
            // The feature map the next layer reads; null once a geometry error makes the rest unknowable.
            (int Channels, int Height, int Width)? map = shape.All(size => size > 0) ? (shape[0], shape[1], shape[2]) : null;
            bool dense = false; // a dense layer has run: its output is a vector, which no spatial layer takes
            LayerKind? previous = null; // the layer before this one, as declared
            var declared = type.GetAttributes()
                .Where(a => LayerAttributeKind(a) is not null)
                .Select(a => (Data: a, Syntax: a.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax))
                .OrderBy(a => a.Syntax?.SpanStart ?? int.MaxValue)
                .ToList();
            foreach (var (data, syntax) in declared)
            {
                cancellationToken.ThrowIfCancellationRequested();
                LayerKind kind = LayerAttributeKind(data)!.Value;
                LayerKind? below = previous;
                previous = kind;
                string attribute = kind == LayerKind.Dense ? "Dense" : kind.ToString();
                if (syntax is null || syntax.SyntaxTree != node.SyntaxTree || !node.AttributeLists.Any(list => list.Span.Contains(syntax.Span)))
                {
                    Report(DiagnosticDescriptors.UnsupportedDeclaration, syntax?.GetLocation(), name,
                        $"[{attribute}] layers must be on the same declaration as [FishLegModel], so that their order is the source order");
                    continue;
                }
                int expected = kind switch { LayerKind.Dense => 2, LayerKind.Conv2d => 4, _ => 1 }; // pooling: size; LayerNorm: activation
                if (data.ConstructorArguments.Length != expected || data.ConstructorArguments.Any(a => a.Kind == TypedConstantKind.Error))
                    return Result(null, diagnostics);
                int index = layers.Count + 1;
                string what = kind == LayerKind.Dense ? $"layer {index}" : $"layer {index} ([{attribute}])";
                int Argument(int position) => data.ConstructorArguments[position].Value is int value ? value : 0;
                int Named(string key, int fallback) =>
                    data.NamedArguments.FirstOrDefault(n => n.Key == key).Value.Value is int value ? value : fallback;
                bool Positive(int value, string argument, int position, string label, int least = 1)
                {
                    if (value >= least) return true;
                    Report(DiagnosticDescriptors.SizeMustBePositive, ArgumentLocation(syntax, argument, position), $"{label} of {what}", name, Format(value), Format(least));
                    return false;
                }

                ActivationKind activation = ActivationKind.Identity;
                if (kind is LayerKind.Dense or LayerKind.Conv2d or LayerKind.LayerNorm)
                {
                    int activationPosition = kind switch { LayerKind.Dense => 1, LayerKind.Conv2d => 3, _ => 0 };
                    int value = data.ConstructorArguments[activationPosition].Value is int act ? act : -1;
                    if (Enum.IsDefined(typeof(ActivationKind), value)) activation = (ActivationKind)value;
                    else Report(DiagnosticDescriptors.UnknownEnumValue, ArgumentLocation(syntax, "activation", activationPosition), $"Activation of {what}", name, Format(value), "Activation");
                }
                bool bias = kind is LayerKind.Dense or LayerKind.Conv2d;
                QFormKind qForm = modelQForm; // a layer without its own QForm takes the model's
                ElementwiseSpec? function = null;
                foreach (var named in data.NamedArguments)
                {
                    if (named.Key == "ActivationFunction" && named.Value.Value is string functionName)
                    {
                        Location at = ArgumentLocation(syntax, "ActivationFunction", -1);
                        string? problem = activation != ActivationKind.Identity
                            ? $"the layer also sets Activation = {activation}; give one or the other"
                            : !elementwise.Declares(functionName) ? $"the class has no [Elementwise] method of that name" : null;
                        if (problem is not null) Report(DiagnosticDescriptors.UnknownActivationFunction, at, what, name, functionName, problem);
                        else if (elementwise.Parse(functionName) is { } definition)
                            function = new ElementwiseSpec(functionName, definition, ElementwiseParser.SourceText(elementwise.Method(functionName)!, cancellationToken) ?? "");
                        else unusable = true; // its errors are reported, ours or the compiler's
                    }
                    else if (named.Key == "Bias" && named.Value.Value is bool b) bias = b;
                    else if (named.Key == "QForm" && named.Value.Value is int q)
                    {
                        if (Enum.IsDefined(typeof(QFormKind), q)) qForm = (QFormKind)q;
                        else Report(DiagnosticDescriptors.UnknownEnumValue, ArgumentLocation(syntax, "QForm", -1), $"QForm of {what}", name, Format(q), "QForm");
                    }
                }

                if (kind == LayerKind.LayerNorm)
                {
                    bool fits = below == LayerKind.Dense;
                    if (!fits)
                        Report(DiagnosticDescriptors.LayerOrder, syntax.GetLocation(), $"Layer {index} ([LayerNorm])", name,
                            $"{(below is null ? "comes first" : $"follows a [{below}] layer")}; it normalizes the features of a dense layer: put it right after a [Dense] layer");
                    double epsilon = data.NamedArguments.FirstOrDefault(n => n.Key == "Epsilon").Value.Value is double e ? e : 1e-5;
                    bool single = precision == PrecisionKind.Single;
                    // ε is added to the variance in the element type: a subnormal or zero ε leaves a constant row dividing by zero.
                    double least = single ? 1.1754943508222875e-38 : 2.2250738585072014e-308, most = single ? 3.4028234663852886e38 : double.MaxValue;
                    if (!(epsilon >= least && epsilon <= most))
                    {
                        Report(DiagnosticDescriptors.EpsilonOutOfRange, ArgumentLocation(syntax, "Epsilon", -1), $"Epsilon of {what}", name,
                            epsilon.ToString("R", CultureInfo.InvariantCulture), single ? "float" : "double",
                            least.ToString("G3", CultureInfo.InvariantCulture), most.ToString("G3", CultureInfo.InvariantCulture));
                        fits = false;
                    }
                    if (fits && map is { } features)
                        layers.Add(new LayerSpec(kind, features.Channels, 1, 1, features.Channels, 1, 1, 0, 1, 0, activation, true, QFormKind.Diagonal, epsilon, function));
                    continue;
                }

                if (kind == LayerKind.Dense)
                {
                    int units = Argument(0);
                    bool valid = Positive(units, "units", 0, "Units");
                    if (map is { } input && valid)
                        layers.Add(new LayerSpec(kind, input.Channels, input.Height, input.Width, units, 1, 1, 0, 1, 0, activation, bias, qForm, Function: function));
                    map = valid && map is not null ? (units, 1, 1) : null;
                    dense = true;
                    continue;
                }

                if (dense)
                    Report(DiagnosticDescriptors.LayerOrder, syntax.GetLocation(), $"Layer {index} ([{attribute}])", name,
                        "follows a dense layer, whose output has no height or width; put the convolution and pooling layers before the dense ones");
                bool convolution = kind == LayerKind.Conv2d;
                int channels = convolution ? Argument(0) : 0;
                int window = convolution ? Argument(1) : Argument(0);
                int padding = convolution ? Argument(2) : 0;
                // A pooling layer's unset stride (0) is its window, as in PyTorch.
                int stride = Named("Stride", convolution ? 1 : 0);
                bool strideDefaulted = !convolution && stride == 0;
                if (strideDefaulted) stride = window;
                bool ok = (!convolution || Positive(channels, "channels", 0, "Channels"))
                    & Positive(window, convolution ? "kernel" : "size", convolution ? 1 : 0, convolution ? "Kernel" : "Size")
                    & (!convolution || Positive(padding, "padding", 2, "Padding", least: 0))
                    & (strideDefaulted || Positive(stride, "Stride", -1, "Stride"));
                if (dense || !ok || map is not { } spatial)
                {
                    map = null;
                    continue;
                }
                int paddedHeight = spatial.Height + 2 * padding, paddedWidth = spatial.Width + 2 * padding;
                string inputText = $"its input is {Format(spatial.Channels)}×{Format(spatial.Height)}×{Format(spatial.Width)}";
                if (window > paddedHeight || window > paddedWidth)
                {
                    Report(DiagnosticDescriptors.WindowDoesNotFit, ArgumentLocation(syntax, convolution ? "kernel" : "size", convolution ? 1 : 0), $"Layer {index} ([{attribute}])", name,
                        $"the {Format(window)}×{Format(window)} window is larger than its {(padding > 0 ? "padded " : "")}input ({inputText}{(padding > 0 ? $", {Format(paddedHeight)}×{Format(paddedWidth)} padded" : "")})");
                    map = null;
                    continue;
                }
                if (!convolution && ((spatial.Height - window) % stride != 0 || (spatial.Width - window) % stride != 0))
                {
                    Report(DiagnosticDescriptors.WindowDoesNotFit, syntax.GetLocation(), $"Layer {index} ([{attribute}])", name,
                        $"windows of {Format(window)} every {Format(stride)} do not tile the input ({inputText}): the last rows or columns would be dropped; choose a size and stride that cover it");
                    map = null;
                    continue;
                }
                int outHeight = (paddedHeight - window) / stride + 1, outWidth = (paddedWidth - window) / stride + 1;
                int outChannels = convolution ? channels : spatial.Channels;
                if ((decimal)outHeight * outWidth * outChannels > MaxArrayLength || (decimal)outHeight * outWidth * spatial.Channels * window * window > MaxArrayLength)
                {
                    Report(DiagnosticDescriptors.UnsupportedDeclaration, syntax.GetLocation(), name,
                        $"layer {index} has more values per example than one array can hold ({MaxArrayLength.ToString(CultureInfo.InvariantCulture)})");
                    map = null;
                    continue;
                }
                layers.Add(new LayerSpec(kind, spatial.Channels, spatial.Height, spatial.Width, outChannels, outHeight, outWidth,
                    window, stride, padding, activation, convolution && bias, qForm, Function: function));
                map = (outChannels, outHeight, outWidth);
            }

            Location modelLocation = modelSyntax?.GetLocation() ?? identifier;
            if (declared.Count == 0)
                Report(DiagnosticDescriptors.NoLayers, modelLocation, name);
            else if (previous != LayerKind.Dense)
                Report(DiagnosticDescriptors.LayerOrder, declared[declared.Count - 1].Syntax?.GetLocation(), "The last layer", name,
                    $"is {(previous == LayerKind.LayerNorm ? "a layer normalization" : "a convolution or pooling layer")}; end the model with a [Dense] layer, which the likelihood reads");
            else if (likelihoodKnown && (LikelihoodKind)likelihoodValue == LikelihoodKind.Categorical && map is { Channels: > 0 and < 2 })
                Report(DiagnosticDescriptors.LikelihoodDoesNotFitOutput, likelihoodLocation, "Categorical", name, "at least 2 classes", Format(map.Value.Channels));

            // Decimal: sixty layers of int.MaxValue² weights overflow a long.
            decimal parameters = layers.Sum(layer => (decimal)layer.ParameterCount);
            if (parameters > MaxArrayLength)
                Report(DiagnosticDescriptors.UnsupportedDeclaration, modelLocation, name,
                    $"it has {parameters.ToString(CultureInfo.InvariantCulture)} parameters, more than the {MaxArrayLength.ToString(CultureInfo.InvariantCulture)} one parameter array can hold");

            // σ enters the likelihood as σ²: it must be a normal number of the element type, or the loss is 0 or ∞.
            if (sigmaLocation is not null && sigma > 0 && !double.IsInfinity(sigma) && (LikelihoodKind)likelihoodValue == LikelihoodKind.Gaussian)
            {
                bool single = precision == PrecisionKind.Single;
                double low = single ? 1.0842021724855044e-19 : 1.4916681462400413e-154, high = single ? 1.8446742974197924e19 : 1.3407807929942596e154;
                if (!(sigma >= low && sigma <= high))
                    Report(DiagnosticDescriptors.SigmaOutOfRange, sigmaLocation, name, sigma.ToString("R", CultureInfo.InvariantCulture),
                        single ? "float" : "double", low.ToString("G3", CultureInfo.InvariantCulture), high.ToString("G3", CultureInfo.InvariantCulture));
            }

            if (unusable || diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error))
                return Result(null, diagnostics);
            // A declaration the compiler already rejects (a class named 'scoped', a base class less accessible than the
            // class) gets no code: its own error stands, and generated code would only repeat or add to it.
            if (context.SemanticModel.GetDeclarationDiagnostics(node.Identifier.Span, cancellationToken).Any(d => d.Severity == DiagnosticSeverity.Error))
                return Result(null, diagnostics);
            string ns = type.ContainingNamespace.IsGlobalNamespace ? "" : type.ContainingNamespace.ToDisplayString(NamespaceFormat);
            var spec = new ModelSpec(UniqueName(type), ns, name, shape[0], shape[1], shape[2], (LikelihoodKind)likelihoodValue, sigma, precision,
                new EquatableArray<LayerSpec>(layers.ToImmutable()));
            return Result(spec, diagnostics);
        }

        // The largest array .NET allocates (Array.MaxLength, which netstandard2.0 does not have).
        private const long MaxArrayLength = 0x7FFFFFC7;

        private static readonly SymbolDisplayFormat NamespaceFormat = SymbolDisplayFormat.FullyQualifiedFormat
            .WithGlobalNamespaceStyle(SymbolDisplayGlobalNamespaceStyle.Omitted);

        /// <summary>
        /// A name unique under the case-insensitive comparison Roslyn applies to hint names, and valid as one for any
        /// type: the metadata name (no '@'), with anything but ASCII letters, digits and dots as '_', and a hash of the
        /// exact name.
        /// </summary>
        private static string UniqueName(INamedTypeSymbol type)
        {
            string full = type.MetadataName;
            for (INamespaceSymbol ns = type.ContainingNamespace; !ns.IsGlobalNamespace; ns = ns.ContainingNamespace)
                full = ns.MetadataName + "." + full;
            var safe = new System.Text.StringBuilder(full.Length);
            foreach (char c in full) safe.Append(c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '.' ? c : '_');
            uint hash = 2166136261; // FNV-1a over the UTF-16 code units: stable across runs and platforms
            foreach (char c in full) hash = (hash ^ c) * 16777619;
            return $"{safe}.{hash.ToString("x8", CultureInfo.InvariantCulture)}";
        }

        /// <summary>The names of the members the generator adds, and what each is.</summary>
        private static string? GeneratedMemberKind(string name, bool gaussian)
        {
            switch (name)
            {
                case "InputCount" or "OutputCount" or "LayerCount" or "ParameterCount": return "constant";
                case "Sigma": return gaussian ? "constant" : null;
                case "Description" or "MaxBatchSize" or "Parameters" or "Gradient": return "property";
                case "InitializeParameters" or "Predict" or "Loss" or "LossAndGradient"
                    or "FisherVectorProduct" or "OuterProductFisherVectorProduct" or "SampleTargets" or "HessianVectorProduct":
                    return "method";
            }
            // Private members start with two underscores, a prefix the C# specification reserves for the implementation.
            return name.StartsWith("__", StringComparison.Ordinal) ? "private members (names starting with '__' are reserved)" : null;
        }

        /// <summary>What in the user's class would clash with what the generator adds: its name, base, constructors, members.</summary>
        private static void ReportClashes(INamedTypeSymbol type, bool gaussian, Action<DiagnosticDescriptor, Location?, string[]> report, CancellationToken cancellationToken)
        {
            string name = type.Name;
            Location identifier = type.Locations.FirstOrDefault() ?? Location.None;
            if (GeneratedMemberKind(name, gaussian) is not null)
                report(DiagnosticDescriptors.UnsupportedDeclaration, identifier,
                    [name, $"its name is the name of a member the generator adds, and a member cannot share its class's name; rename the class"]);
            if (type.IsFileLocal)
                report(DiagnosticDescriptors.UnsupportedDeclaration, identifier,
                    [name, "file-local classes are not supported, since the generated part is in another file; remove the 'file' modifier"]);
            if (type.BaseType is { SpecialType: not SpecialType.System_Object } baseType && type.TypeKind == TypeKind.Class)
                report(DiagnosticDescriptors.UnsupportedDeclaration, BaseTypeLocation(type, cancellationToken) ?? identifier,
                    [name, $"it derives from '{baseType.ToDisplayString()}'; a model derives from object, so that no inherited member or constructor clashes with the generated ones"]);
            foreach (SyntaxReference reference in type.DeclaringSyntaxReferences)
                if (reference.GetSyntax(cancellationToken) is TypeDeclarationSyntax { ParameterList: { } parameters })
                    report(DiagnosticDescriptors.UnsupportedDeclaration, parameters.GetLocation(),
                        [name, "primary constructors are not supported, since the generator adds the model's constructor (maxBatchSize, seed)"]);
            foreach (ISymbol member in type.GetMembers())
            {
                if (member.IsImplicitlyDeclared) continue;
                Location location = member.Locations.FirstOrDefault() ?? identifier;
                if (member is IMethodSymbol { MethodKind: MethodKind.Constructor } constructor)
                {
                    if (constructor.DeclaringSyntaxReferences.Any(r => r.GetSyntax(cancellationToken) is ConstructorDeclarationSyntax))
                        report(DiagnosticDescriptors.UnsupportedDeclaration, location,
                            [name, "it declares a constructor; the generator adds the model's constructor (maxBatchSize, seed), so set up other state in a method"]);
                    continue;
                }
                if (GeneratedMemberKind(member.Name, gaussian) is { } kind)
                    report(DiagnosticDescriptors.MemberNameTaken, location, [name, member.Name, kind]);
            }
        }

        private static Location? BaseTypeLocation(INamedTypeSymbol type, CancellationToken cancellationToken)
        {
            foreach (SyntaxReference reference in type.DeclaringSyntaxReferences)
                if (reference.GetSyntax(cancellationToken) is TypeDeclarationSyntax { BaseList.Types.Count: > 0 } declaration)
                    return declaration.BaseList!.Types[0].GetLocation();
            return null;
        }

        private static ParseResult Result(ModelSpec? spec, ImmutableArray<Diagnostic>.Builder diagnostics) =>
            new(spec, new EquatableArray<Diagnostic>(diagnostics.ToImmutable()));

        private static string? UnsupportedShape(INamedTypeSymbol type, TypeDeclarationSyntax node)
        {
            if (node is RecordDeclarationSyntax) return "records are not supported; declare a class";
            if (type.TypeKind != TypeKind.Class) return "only classes are supported";
            if (type.ContainingType is not null) return "nested classes are not supported; declare the model at namespace level";
            if (type.IsGenericType) return "generic classes are not supported";
            if (type.IsStatic) return "static classes are not supported";
            if (type.IsAbstract) return "abstract classes are not supported, since the generator adds a constructor";
            if (type.ContainingNamespace.IsGlobalNamespace && type.Name is "System" or "FishLeg")
                return $"a class named '{type.Name}' in the global namespace hides the namespace the generated code uses; declare it in a namespace or rename it";
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
