using System;
using System.Collections.Generic;

namespace FishLeg.Generators.Symbolic;

/// <summary>One node of a <see cref="Graph"/>: an operation, its constant and up to three argument ids (−1 when unused).</summary>
internal readonly record struct Node(Op Op, double Value, int A, int B, int C);

/// <summary>
/// An activation, its derivatives and their shared subexpressions as one graph (docs/activations.md). Every node is
/// built through the constructors below, which fold constants, drop the identities of + and ×, order the arguments of
/// commutative operations and intern the result: a subexpression written or derived twice is one node, so f, f′ and
/// f″ share it and the code computes it once. <see cref="Import"/> also rewrites the unstable forms of the logistic
/// and softplus functions into their stable ones.
/// </summary>
internal sealed class Graph
{
    private readonly List<Node> _nodes = [];
    private readonly Dictionary<Node, int> _ids = [];
    private readonly Dictionary<int, int> _derivatives = [];

    public Graph()
    {
        Argument = Intern(new Node(Op.Argument, 0, -1, -1, -1));
        Zero = Constant(0);
        One = Constant(1);
    }

    public int Argument { get; }

    public int Zero { get; }

    public int One { get; }

    public Node this[int id] => _nodes[id];

    public int Count => _nodes.Count;

    public bool IsConstant(int id, out double value)
    {
        Node node = _nodes[id];
        value = node.Value;
        return node.Op == Op.Constant;
    }

    public bool IsConstant(int id, double value) => IsConstant(id, out double v) && v.Equals(value);

    public int Constant(double value) => Intern(new Node(Op.Constant, value, -1, -1, -1));

    /// <summary>The user's expression, with the logistic's and softplus's unstable spellings replaced by stable nodes.</summary>
    public int Import(Expr expr)
    {
        if (expr.Op == Op.Constant) return Constant(expr.Value);
        if (expr.Op == Op.Argument) return Argument;
        int a = expr.Args.Count > 0 ? Import(expr.Args[0]) : -1;
        int b = expr.Args.Count > 1 ? Import(expr.Args[1]) : -1;
        int c = expr.Args.Count > 2 ? Import(expr.Args[2]) : -1;
        switch (expr.Op)
        {
            case Op.Divide when OnePlusExp(b) is int u:
                // n/(1 + eᵘ) = n·σ(−u), and eᵘ/(1 + eᵘ) = σ(u): no ∞/∞ where eᵘ overflows.
                return _nodes[a].Op == Op.Exp && _nodes[a].A == u ? Sigmoid(u) : Multiply(a, Sigmoid(Negate(u)));
            case Op.Log when OnePlusExp(a) is int u:
                return Unary(Op.Softplus, u);
            case Op.Log when OnePlus(a) is int v:
                return Unary(Op.Log1P, v);
            case Op.Log when _nodes[a].Op == Op.Exp:
                return _nodes[a].A;
        }
        return Make(expr.Op, expr.Value, a, b, c);
    }

    /// <summary>The node for an operation of already-built arguments, through the simplifying constructors.</summary>
    public int Make(Op op, double value, int a, int b = -1, int c = -1) => op switch
    {
        Op.Constant => Constant(value),
        Op.Argument => Argument,
        Op.Add => Add(a, b),
        Op.Multiply => Multiply(a, b),
        Op.Divide => Divide(a, b),
        Op.Negate => Negate(a),
        Op.Power => Power(a, value),
        Op.Max or Op.Min => Bound(op, a, value),
        _ when Expr.IsChoice(op) => When(op, a, value, b, c),
        _ => Unary(op, a),
    };

    public int Add(int a, int b)
    {
        if (IsConstant(a, out double x) && IsConstant(b, out double y)) return Constant(x + y);
        if (IsConstant(a, 0)) return b;
        if (IsConstant(b, 0)) return a;
        if (a == b) return Multiply(Constant(2), a);
        // (a + c₁) + c₂ = a + (c₁ + c₂): the constants of a sum meet.
        if (IsConstant(a, out _)) (a, b) = (b, a);
        if (IsConstant(b, out double k) && _nodes[a].Op == Op.Add && IsConstant(_nodes[a].A, out double k2)) return Add(_nodes[a].B, Constant(k + k2));
        if (IsConstant(b, out k) && _nodes[a].Op == Op.Add && IsConstant(_nodes[a].B, out k2)) return Add(_nodes[a].A, Constant(k + k2));
        return Intern(new Node(Op.Add, 0, Math.Min(a, b), Math.Max(a, b), -1));
    }

    public int Subtract(int a, int b) => Add(a, Negate(b));

    public int Multiply(int a, int b)
    {
        if (IsConstant(a, out double x) && IsConstant(b, out double y)) return Constant(x * y);
        if (IsConstant(b, out _)) (a, b) = (b, a); // a constant factor first
        if (IsConstant(a, 0)) return Zero;
        if (IsConstant(a, 1)) return b;
        if (IsConstant(a, -1)) return Negate(b);
        // A sign comes out of the product: −a·b, so that (−a)·b and a·(−b) are one node.
        if (_nodes[a].Op == Op.Negate) return Negate(Multiply(_nodes[a].A, b));
        if (_nodes[b].Op == Op.Negate) return Negate(Multiply(a, _nodes[b].A));
        // c₁·(c₂·b) = (c₁c₂)·b.
        if (IsConstant(a, out double k) && _nodes[b].Op == Op.Multiply && IsConstant(_nodes[b].A, out double k2)) return Multiply(Constant(k * k2), _nodes[b].B);
        if (!IsConstant(a, out _) && a > b) (a, b) = (b, a);
        return Intern(new Node(Op.Multiply, 0, a, b, -1));
    }

    public int Divide(int a, int b)
    {
        if (IsConstant(a, out double x) && IsConstant(b, out double y)) return Constant(x / y);
        if (IsConstant(b, 1)) return a;
        if (IsConstant(a, 0)) return Zero;
        if (_nodes[a].Op == Op.Negate) return Negate(Divide(_nodes[a].A, b));
        return Intern(new Node(Op.Divide, 0, a, b, -1));
    }

    public int Negate(int a)
    {
        if (IsConstant(a, out double x)) return Constant(-x);
        if (_nodes[a].Op == Op.Negate) return _nodes[a].A;
        return Intern(new Node(Op.Negate, 0, a, -1, -1));
    }

    public int Unary(Op op, int a)
    {
        if (IsConstant(a, out double x)) return Constant(Evaluate(op, 0, x));
        return Intern(new Node(op, 0, a, -1, -1));
    }

    public int Sigmoid(int a) => Unary(Op.Sigmoid, a);

    public int Power(int a, double p)
    {
        if (p == 0) return One;
        if (p == 1) return a;
        if (IsConstant(a, out double x)) return Constant(Math.Pow(x, p));
        return Intern(new Node(Op.Power, p, a, -1, -1));
    }

    /// <summary>max(a, c) or min(a, c).</summary>
    public int Bound(Op op, int a, double c)
    {
        if (IsConstant(a, out double x)) return Constant(op == Op.Max ? Math.Max(x, c) : Math.Min(x, c));
        return Intern(new Node(op, c, a, -1, -1));
    }

    /// <summary><c>lhs OP c ? then : otherwise</c>.</summary>
    public int When(Op op, int lhs, double c, int then, int otherwise)
    {
        if (then == otherwise) return then;
        if (IsConstant(lhs, out double x)) return Compare(op, x, c) ? then : otherwise;
        return Intern(new Node(op, c, lhs, then, otherwise));
    }

    /// <summary>d/dx of node <paramref name="id"/>, by the rules of docs/activations.md; memoized, so f″ reuses f′'s nodes.</summary>
    public int Derivative(int id)
    {
        if (_derivatives.TryGetValue(id, out int known)) return known;
        Node n = _nodes[id];
        int result = n.Op switch
        {
            Op.Constant => Zero,
            Op.Argument => One,
            Op.Add => Add(Derivative(n.A), Derivative(n.B)),
            Op.Multiply => Add(Multiply(Derivative(n.A), n.B), Multiply(n.A, Derivative(n.B))),
            // (a/b)′ = a′/b − (a/b)·b′/b: the quotient itself is reused.
            Op.Divide => Subtract(Divide(Derivative(n.A), n.B), Multiply(id, Divide(Derivative(n.B), n.B))),
            Op.Negate => Negate(Derivative(n.A)),
            Op.Exp => Multiply(id, Derivative(n.A)),
            Op.Log => Divide(Derivative(n.A), n.A),
            Op.Log1P => Divide(Derivative(n.A), Add(One, n.A)),
            Op.Tanh => Multiply(Subtract(One, Multiply(id, id)), Derivative(n.A)),
            Op.Sqrt => Divide(Derivative(n.A), Multiply(Constant(2), id)),
            Op.Abs => When(Op.WhenLess, n.A, 0, Negate(Derivative(n.A)), Derivative(n.A)),
            Op.Sigmoid => Multiply(Multiply(id, Subtract(One, id)), Derivative(n.A)),
            Op.Softplus => Multiply(Sigmoid(n.A), Derivative(n.A)),
            Op.Power => Multiply(Multiply(Constant(n.Value), Power(n.A, n.Value - 1)), Derivative(n.A)),
            Op.Max => When(Op.WhenGreater, n.A, n.Value, Derivative(n.A), Zero),
            Op.Min => When(Op.WhenLess, n.A, n.Value, Derivative(n.A), Zero),
            _ => When(n.Op, n.A, n.Value, Derivative(n.B), Derivative(n.C)),
        };
        _derivatives[id] = result;
        return result;
    }

    /// <summary>The value of node <paramref name="id"/> at x, in double precision, by the same formulas the code uses.</summary>
    public double Evaluate(int id, double x)
    {
        Node n = _nodes[id];
        return n.Op switch
        {
            Op.Constant => n.Value,
            Op.Argument => x,
            Op.Add => Evaluate(n.A, x) + Evaluate(n.B, x),
            Op.Multiply => Evaluate(n.A, x) * Evaluate(n.B, x),
            Op.Divide => Evaluate(n.A, x) / Evaluate(n.B, x),
            _ when Expr.IsChoice(n.Op) => Compare(n.Op, Evaluate(n.A, x), n.Value) ? Evaluate(n.B, x) : Evaluate(n.C, x),
            _ => Evaluate(n.Op, n.Value, Evaluate(n.A, x)),
        };
    }

    private static double Evaluate(Op op, double value, double a) => op switch
    {
        Op.Negate => -a,
        Op.Exp => Math.Exp(a),
        Op.Log => Math.Log(a),
        Op.Log1P => Log1P(a),
        Op.Tanh => Math.Tanh(a),
        Op.Sqrt => Math.Sqrt(a),
        Op.Abs => Math.Abs(a),
        Op.Sigmoid => 1 / (1 + Math.Exp(-a)),
        Op.Softplus => Math.Max(a, 0) + Log1P(Math.Exp(-Math.Abs(a))),
        Op.Power => Math.Pow(a, value),
        Op.Max => Math.Max(a, value),
        Op.Min => Math.Min(a, value),
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, "Not a function of one argument."),
    };

    private static double Log1P(double x)
    {
        double u = 1 + x;
        return u == 1 ? x : double.IsPositiveInfinity(u) ? u : Math.Log(u) * x / (u - 1);
    }

    public static bool Compare(Op op, double lhs, double c) => op switch
    {
        Op.WhenLess => lhs < c,
        Op.WhenLessOrEqual => lhs <= c,
        Op.WhenGreater => lhs > c,
        _ => lhs >= c,
    };

    /// <summary>u when <paramref name="id"/> is 1 + eᵘ (in either order), else null.</summary>
    private int? OnePlusExp(int id) => OnePlus(id) is int v && _nodes[v].Op == Op.Exp ? _nodes[v].A : null;

    /// <summary>v when <paramref name="id"/> is 1 + v, else null.</summary>
    private int? OnePlus(int id)
    {
        Node n = _nodes[id];
        if (n.Op != Op.Add) return null;
        if (IsConstant(n.A, 1)) return n.B;
        if (IsConstant(n.B, 1)) return n.A;
        return null;
    }

    private int Intern(Node node)
    {
        if (_ids.TryGetValue(node, out int id)) return id;
        _nodes.Add(node);
        _ids[node] = _nodes.Count - 1;
        return _nodes.Count - 1;
    }
}
