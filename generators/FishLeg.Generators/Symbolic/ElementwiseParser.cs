using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using FishLeg.Generators.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace FishLeg.Generators.Symbolic;

/// <summary>
/// Reads the [Elementwise] methods of a model's class into <see cref="Expr"/> trees (docs/activations.md has the
/// grammar). Anything outside the grammar is an FLG0015 diagnostic at its syntax node; a method that cannot be one is
/// FLG0014 at its name. Calls to other [Elementwise] methods are inlined; a cycle of calls is reported. Never throws.
/// </summary>
internal sealed class ElementwiseParser(INamedTypeSymbol type, TypeDeclarationSyntax declaration, SemanticModel semanticModel,
    Action<DiagnosticDescriptor, Location?, string[]> report, CancellationToken cancellationToken)
{
    public const string AttributeName = "FishLeg.ElementwiseAttribute";

    // Each method parsed so far: its tree, or null when it has errors (reported once).
    private readonly Dictionary<string, Expr?> _parsed = new(StringComparer.Ordinal);
    private readonly List<string> _calling = [];

    /// <summary>Whether the class has an [Elementwise] method named <paramref name="name"/>.</summary>
    public bool Declares(string name) => Method(name) is not null;

    /// <summary>The definition of the [Elementwise] method <paramref name="name"/> (which must exist), or null if it has errors.</summary>
    public Expr? Parse(string name)
    {
        if (_parsed.TryGetValue(name, out Expr? known)) return known;
        IMethodSymbol method = Method(name)!;
        _calling.Add(name);
        Expr? result = ParseMethod(method);
        _calling.RemoveAt(_calling.Count - 1);
        _parsed[name] = result;
        return result;
    }

    /// <summary>The user's expression as written, for the generated code's comments.</summary>
    public static string? SourceText(IMethodSymbol method, CancellationToken cancellationToken) =>
        Body(method, cancellationToken)?.ToString();

    public IMethodSymbol? Method(string name) => type.GetMembers(name).OfType<IMethodSymbol>()
        .FirstOrDefault(m => m.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == AttributeName));

    private Expr? ParseMethod(IMethodSymbol method)
    {
        Location location = method.Locations.FirstOrDefault() ?? Location.None;
        string? problem =
            !method.IsStatic || method.ReturnType.SpecialType != SpecialType.System_Double || method.Parameters.Length != 1 ||
            method.Parameters[0].Type.SpecialType != SpecialType.System_Double || method.Parameters[0].RefKind != RefKind.None || method.IsGenericMethod
                ? "must be 'static double Name(double x)'"
            : !method.DeclaringSyntaxReferences.Any(r => declaration.Span.Contains(r.Span) && r.SyntaxTree == declaration.SyntaxTree)
                ? "must be declared in the class declaration that carries [FishLegModel], so that an edit to it regenerates the model"
            : Body(method, cancellationToken) is null
                ? "must have one expression as its body: '=> expression' or '{ return expression; }'"
            : null;
        if (problem is not null)
        {
            report(DiagnosticDescriptors.UnsupportedElementwiseMethod, location, [method.Name, type.Name, problem]);
            return null;
        }
        var body = Body(method, cancellationToken)!;
        return Read(body, method);
    }

    private static ExpressionSyntax? Body(IMethodSymbol method, CancellationToken cancellationToken)
    {
        if (method.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) is not MethodDeclarationSyntax syntax) return null;
        if (syntax.ExpressionBody is { } arrow) return arrow.Expression;
        return syntax.Body is { Statements.Count: 1 } block && block.Statements[0] is ReturnStatementSyntax { Expression: { } returned } ? returned : null;
    }

    /// <summary>One subexpression; null after reporting when it is outside the grammar.</summary>
    private Expr? Read(ExpressionSyntax syntax, IMethodSymbol method)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // A compile-time constant (a literal, Math.PI, a const field, 2 * Math.PI) is a constant, whatever its spelling.
        if (semanticModel.GetConstantValue(syntax, cancellationToken) is { HasValue: true, Value: { } constant} && Numeric(constant) is double value)
            return Expr.Constant(value);
        switch (syntax)
        {
            case ParenthesizedExpressionSyntax parenthesized:
                return Read(parenthesized.Expression, method);
            case IdentifierNameSyntax identifier when semanticModel.GetSymbolInfo(identifier, cancellationToken).Symbol is IParameterSymbol parameter
                && SymbolEqualityComparer.Default.Equals(parameter, method.Parameters[0]):
                return Expr.Argument;
            case PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.UnaryMinusExpression } minus:
                return Read(minus.Operand, method) is { } negated ? Expr.Of(Op.Negate, negated) : null;
            case PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.UnaryPlusExpression } plus:
                return Read(plus.Operand, method);
            case BinaryExpressionSyntax binary when Arithmetic(binary.Kind()) is { } op:
            {
                Expr? left = Read(binary.Left, method), right = Read(binary.Right, method);
                if (left is null || right is null) return null;
                return binary.Kind() == SyntaxKind.SubtractExpression ? Expr.Of(Op.Add, left, Expr.Of(Op.Negate, right)) : Expr.Of(op, left, right);
            }
            case ConditionalExpressionSyntax conditional:
                return ReadChoice(conditional, method);
            case InvocationExpressionSyntax invocation:
                return ReadCall(invocation, method);
            case IdentifierNameSyntax or MemberAccessExpressionSyntax:
                return Unsupported(syntax, method, "it reads a variable, field or property; an activation may use only its argument and constants");
            default:
                return Unsupported(syntax, method, "an activation is one expression of its argument and constants with + − × ÷, unary minus, ?: and the calls docs/activations.md lists");
        }
    }

    private Expr? ReadChoice(ConditionalExpressionSyntax conditional, IMethodSymbol method)
    {
        const string Rule = "a condition must compare an expression of the argument with a constant (<, <=, > or >=)";
        if (conditional.Condition is not BinaryExpressionSyntax comparison || Comparison(comparison.Kind()) is not { } op)
            return Unsupported(conditional.Condition, method, Rule);
        double? left = ConstantOf(comparison.Left), right = ConstantOf(comparison.Right);
        if (left.HasValue == right.HasValue) return Unsupported(conditional.Condition, method, Rule);
        // c OP e is e (mirrored OP) c.
        if (left is double c) op = op switch
        {
            Op.WhenLess => Op.WhenGreater,
            Op.WhenLessOrEqual => Op.WhenGreaterOrEqual,
            Op.WhenGreater => Op.WhenLess,
            _ => Op.WhenLessOrEqual,
        };
        Expr? lhs = Read(left.HasValue ? comparison.Right : comparison.Left, method);
        Expr? then = Read(conditional.WhenTrue, method), otherwise = Read(conditional.WhenFalse, method);
        if (lhs is null || then is null || otherwise is null) return null;
        return Expr.Of(op, left ?? right!.Value, lhs, then, otherwise);
    }

    private Expr? ReadCall(InvocationExpressionSyntax invocation, IMethodSymbol method)
    {
        // A call that does not bind is already a compiler error: nothing to add to it (and no model).
        if (semanticModel.GetSymbolInfo(invocation, cancellationToken).Symbol is not IMethodSymbol target) return null;
        var arguments = invocation.ArgumentList.Arguments;
        string container = target.ContainingType?.ToDisplayString() ?? "";
        if (SymbolEqualityComparer.Default.Equals(target.ContainingType, type) && Method(target.Name) is { } callee
            && SymbolEqualityComparer.Default.Equals(callee, target))
        {
            if (_calling.Contains(target.Name))
                return Unsupported(invocation, method, $"'{target.Name}' calls itself (through {string.Join(" → ", _calling)}); an activation must be a finite expression");
            Expr? argument = arguments.Count == 1 ? Read(arguments[0].Expression, method) : null;
            Expr? definition = Parse(target.Name);
            return argument is null || definition is null ? null : definition.Substitute(argument);
        }
        Op? unary = (container, target.Name, arguments.Count) switch
        {
            ("System.Math", "Exp", 1) => Op.Exp,
            ("System.Math", "Log", 1) => Op.Log,
            ("System.Math", "Tanh", 1) => Op.Tanh,
            ("System.Math", "Sqrt", 1) => Op.Sqrt,
            ("System.Math", "Abs", 1) => Op.Abs,
            ("FishLeg.ElementwiseMath", "Sigmoid", 1) => Op.Sigmoid,
            ("FishLeg.ElementwiseMath", "Softplus", 1) => Op.Softplus,
            ("FishLeg.ElementwiseMath", "Log1P", 1) => Op.Log1P,
            _ => null,
        };
        if (unary is { } op)
            return target.Parameters[0].Type.SpecialType != SpecialType.System_Double
                ? Unsupported(invocation, method, "only the double overloads are supported")
                : Read(arguments[0].Expression, method) is { } a ? Expr.Of(op, a) : null;
        if (container == "System.Math" && target.Name == "Pow" && arguments.Count == 2)
        {
            if (ConstantOf(arguments[1].Expression) is not double exponent)
                return Unsupported(arguments[1].Expression, method, "Math.Pow needs a constant exponent");
            return Read(arguments[0].Expression, method) is { } a ? Expr.Of(Op.Power, exponent, a) : null;
        }
        if (container == "System.Math" && target.Name is "Max" or "Min" && arguments.Count == 2 && target.Parameters[0].Type.SpecialType == SpecialType.System_Double)
        {
            double? first = ConstantOf(arguments[0].Expression), second = ConstantOf(arguments[1].Expression);
            if (first.HasValue == second.HasValue)
                return Unsupported(invocation, method, $"Math.{target.Name} needs one constant argument");
            Expr? a = Read(arguments[first.HasValue ? 1 : 0].Expression, method);
            return a is null ? null : Expr.Of(target.Name == "Max" ? Op.Max : Op.Min, first ?? second!.Value, a);
        }
        return Unsupported(invocation, method,
            "only Math.Exp, Log, Tanh, Sqrt, Abs, Pow (constant exponent), Max and Min (one constant argument), ElementwiseMath.Sigmoid, Softplus, Log1P and the class's other [Elementwise] methods can be called");
    }

    private double? ConstantOf(ExpressionSyntax syntax) =>
        semanticModel.GetConstantValue(syntax, cancellationToken) is { HasValue: true, Value: { } value } ? Numeric(value) : null;

    private static double? Numeric(object value) => value switch
    {
        double d => d,
        float f => f,
        int i => i,
        long l => l,
        _ => null,
    };

    private static Op? Arithmetic(SyntaxKind kind) => kind switch
    {
        SyntaxKind.AddExpression => Op.Add,
        SyntaxKind.SubtractExpression => Op.Add,
        SyntaxKind.MultiplyExpression => Op.Multiply,
        SyntaxKind.DivideExpression => Op.Divide,
        _ => null,
    };

    private static Op? Comparison(SyntaxKind kind) => kind switch
    {
        SyntaxKind.LessThanExpression => Op.WhenLess,
        SyntaxKind.LessThanOrEqualExpression => Op.WhenLessOrEqual,
        SyntaxKind.GreaterThanExpression => Op.WhenGreater,
        SyntaxKind.GreaterThanOrEqualExpression => Op.WhenGreaterOrEqual,
        _ => null,
    };

    private Expr? Unsupported(SyntaxNode syntax, IMethodSymbol method, string reason)
    {
        report(DiagnosticDescriptors.UnsupportedElementwiseSyntax, syntax.GetLocation(), [syntax.ToString(), method.Name, type.Name, reason]);
        return null;
    }
}
