using System.Collections.Immutable;
using FishLeg.Generators.Model;

namespace FishLeg.Generators.Symbolic;

/// <summary>
/// The operations of an activation's expression. <see cref="WhenLess"/> and its siblings are a choice,
/// <c>lhs OP c ? then : else</c>, with the constant c in the node's value and [lhs, then, else] as its arguments;
/// <see cref="Power"/>, <see cref="Max"/> and <see cref="Min"/> keep their constant there too.
/// </summary>
internal enum Op
{
    Constant, Argument, Add, Multiply, Divide, Negate,
    Exp, Log, Log1P, Tanh, Sqrt, Abs, Sigmoid, Softplus,
    Power, Max, Min,
    WhenLess, WhenLessOrEqual, WhenGreater, WhenGreaterOrEqual,
}

/// <summary>
/// An activation's definition as parsed from the user's method, with every call to another [Elementwise] method
/// inlined: plain values compared structurally, so a model spec holding one caches in the incremental pipeline.
/// </summary>
internal sealed record Expr(Op Op, double Value, EquatableArray<Expr> Args)
{
    public static Expr Constant(double value) => new(Op.Constant, value, default);

    public static readonly Expr Argument = new(Op.Argument, 0, default);

    public static Expr Of(Op op, params Expr[] args) => new(op, 0, new EquatableArray<Expr>(ImmutableArray.Create(args)));

    public static Expr Of(Op op, double value, params Expr[] args) => new(op, value, new EquatableArray<Expr>(ImmutableArray.Create(args)));

    /// <summary>The expression with <see cref="Op.Argument"/> replaced by <paramref name="argument"/>: a call inlined.</summary>
    public Expr Substitute(Expr argument) => Op == Op.Argument ? argument
        : Args.Count == 0 ? this
        : new Expr(Op, Value, new EquatableArray<Expr>(ImmutableArray.CreateRange(System.Linq.Enumerable.Select(Args, a => a.Substitute(argument)))));

    public static bool IsChoice(Op op) => op is Op.WhenLess or Op.WhenLessOrEqual or Op.WhenGreater or Op.WhenGreaterOrEqual;
}
