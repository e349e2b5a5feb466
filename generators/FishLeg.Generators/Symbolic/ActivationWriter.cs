using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using FishLeg.Generators.Model;

namespace FishLeg.Generators.Symbolic;

/// <summary>
/// Writes one [Elementwise] activation as a class of the workspace: f, f′ and f″ from one <see cref="Graph"/>, each as a
/// loop over Vector512 or Vector256 lanes with a scalar tail, in the model's element type. A subexpression used twice in
/// a pass is a local; the rest is written inline, as a person would. In the derivatives' passes f itself is read from
/// the activations (y) wherever the derivative reuses it (f′ = 1 − y² for tanh).
/// </summary>
internal sealed class ActivationWriter
{
    private readonly Graph _graph = new();
    private readonly ElementwiseSpec _spec;
    private readonly string _t;
    private readonly int _f, _first, _second;

    public ActivationWriter(ElementwiseSpec spec, string elementType)
    {
        _spec = spec;
        _t = elementType;
        _f = _graph.Import(spec.Definition);
        _first = _graph.Derivative(_f);
        _second = _graph.Derivative(_first);
    }

    /// <summary>Whether f″ is not identically zero (a piecewise-linear activation adds nothing to the Hessian).</summary>
    public bool HasCurvature => !_graph.IsConstant(_second, 0);

    /// <summary>The class: a built-in activation's, or the user's function's (named apart, so a method may share a built-in's name).</summary>
    public static string ClassName(ElementwiseSpec spec) => spec.Name + (spec.BuiltIn ? "Activation" : "Function");

    public void Write(SourceWriter w)
    {
        string name = ClassName(_spec), T = _t;
        w.Line($"/// <summary>");
        w.Line($"/// {Escape(_spec.Name)}(x) = {Escape(_spec.Source)}, {(_spec.BuiltIn ? "the built-in activation's definition" : "from its [Elementwise] definition")}; simplified and differentiated:");
        foreach ((string label, int id) in new[] { ("f", _f), ("f′", _first), ("f″", _second) })
        {
            // A long derivative is better read in the code below, where its shared parts are locals.
            string formula = Formula(id);
            if (formula.Length <= 160) w.Line($"/// {label}(x) = {Escape(formula)}");
        }
        w.Line($"/// </summary>");
        w.Open($"private sealed class {name} : ElementwiseFunction<{T}>");
        w.Line($"public static readonly {name} Instance = new();");
        w.Line();
        WriteMethod(w, $"public override void Activate(ReadOnlySpan<{T}> z, Span<{T}> a)", _f, "a", useActivation: false,
            (v, value) => v.Scalar ? $"a[i] = {value.Text};" : $"{At(value, 4)}.CopyTo(a[i..]);");
        w.Line();
        WriteMethod(w, $"public override void Differentiate(ReadOnlySpan<{T}> z, ReadOnlySpan<{T}> a, ReadOnlySpan<{T}> d, Span<{T}> e)", _first, "e", useActivation: true,
            (v, value) => v.Scalar ? $"e[i] = d[i] * {Above(value, 2)};" : $"({v.Load("d")} * {Above(value, 2)}).CopyTo(e[i..]);");
        w.Line();
        string curvature = $"public override void Curvature(ReadOnlySpan<{T}> z, ReadOnlySpan<{T}> a, ReadOnlySpan<{T}> d, ReadOnlySpan<{T}> zDot, Span<{T}> eDot)";
        if (!HasCurvature)
        {
            w.Line($"{curvature} {{ }} // f″ = 0");
        }
        else
        {
            WriteMethod(w, curvature, _second, "eDot", useActivation: true,
                (v, value) => v.Scalar ? $"eDot[i] += d[i] * zDot[i] * {Above(value, 2)};"
                    : $"({v.Load("eDot")} + {v.Load("d")} * {v.Load("zDot")} * {Above(value, 2)}).CopyTo(eDot[i..]);");
        }
        w.Close();
    }

    /// <summary>A pass: the vector loops and the scalar tail, each computing <paramref name="root"/> at x = z[i].</summary>
    private void WriteMethod(SourceWriter w, string signature, int root, string output, bool useActivation, Func<Variant, Code, string> store)
    {
        // f's own node is read from the activations in the derivatives' passes (when the derivative uses it at all).
        int? activation = useActivation && root != _f ? _f : null;
        var plan = new Plan(_graph, root, activation);
        w.Open(signature);
        w.Line("int i = 0;");
        // Vector512 lanes where the hardware has them, then Vector256 for what is left of 8 or more floats, then one at a time.
        foreach (Variant vector in new[] { new Variant("Vector512", _t), new Variant("Vector256", _t) })
        {
            List<string> body = Body(plan, vector, store); // first: it names the constants the loop needs
            w.Open($"if ({vector.Width}.IsHardwareAccelerated)");
            foreach (var constant in vector.Constants) w.Line($"{vector.Type} {constant.Value} = {vector.Width}.Create({vector.Typed(constant.Key)});");
            w.Open($"for (; i + {vector.Width}<{_t}>.Count <= {output}.Length; i += {vector.Width}<{_t}>.Count)");
            foreach (string line in body) w.Line(line);
            w.Close();
            w.Close();
        }
        w.Open($"for (; i < {output}.Length; i++)");
        foreach (string line in Body(plan, new Variant(null, _t), store)) w.Line(line);
        w.Close();
        w.Close();
    }

    /// <summary>The statements computing a pass's value at one x (or one vector of them) and storing it.</summary>
    private List<string> Body(Plan plan, Variant v, Func<Variant, Code, string> store)
    {
        var lines = new List<string>();
        var names = new Dictionary<int, string>();
        if (plan.Reads(_graph.Argument)) lines.Add($"{v.Type} x = {v.Load("z")};");
        if (plan.Activation is int f && plan.Reads(f))
        {
            lines.Add($"{v.Type} y = {v.Load("a")};");
            names[f] = "y";
        }
        foreach (int id in plan.Locals)
        {
            string local = "t" + (names.Count(n => n.Value.StartsWith("t", StringComparison.Ordinal)) + 1).ToString(CultureInfo.InvariantCulture);
            lines.Add($"{v.Type} {local} = {Render(id, v, names).Text};");
            names[id] = local;
        }
        lines.Add(store(v, Render(plan.Root, v, names)));
        return lines;
    }

    /// <summary>What a pass computes: the nodes it reads below its root, and which of them are locals (used twice or more).</summary>
    private sealed class Plan
    {
        private readonly HashSet<int> _reached = [];

        public Plan(Graph graph, int root, int? activation)
        {
            Root = root;
            Activation = activation;
            var uses = new Dictionary<int, int>();
            var order = new List<int>();
            void Visit(int id)
            {
                uses[id] = uses.TryGetValue(id, out int n) ? n + 1 : 1;
                if (!_reached.Add(id)) return;
                Node node = graph[id];
                if (id != activation && node.Op is not (Op.Constant or Op.Argument))
                {
                    // An integer power writes its base several times: the base is a local.
                    int reads = node.Op == Op.Power && IsSmallInteger(node.Value) && Math.Abs(node.Value) >= 2 ? 2 : 1;
                    foreach (int child in new[] { node.A, node.B, node.C }.Where(c => c >= 0))
                        for (int r = 0; r < reads; r++) Visit(child);
                }
                order.Add(id); // after its arguments: the order locals are computed in
            }
            Visit(root);
            Locals = order.Where(id => id != root && id != activation && uses[id] > 1 && graph[id].Op is not (Op.Constant or Op.Argument)).ToList();
        }

        public int Root { get; }

        public int? Activation { get; }

        public IReadOnlyList<int> Locals { get; }

        public bool Reads(int id) => _reached.Contains(id);
    }

    /// <summary>
    /// How code is written: scalar (Width null) or over Vector512/Vector256 lanes, in float or double; or, with
    /// <see cref="Comment"/>, as a formula for the comments. A vector variant names each constant it meets (k1, k2, …),
    /// for the loop to create once.
    /// </summary>
    private sealed class Variant(string? width, string t, bool comment = false)
    {
        public string? Width { get; } = width;

        public string T { get; } = t;

        public bool Comment { get; } = comment;

        public bool Scalar => Width is null;

        public Dictionary<double, string> Constants { get; } = [];

        /// <summary>The type of a value, written out (a user's class may be named 'var').</summary>
        public string Type => Scalar ? T : $"{Width}<{T}>";

        public string Load(string span) => Scalar ? $"{span}[i]" : $"{Width}.Create<{T}>({span}[i..])";

        public string Literal(double value)
        {
            if (Comment) return value.ToString("R", CultureInfo.InvariantCulture);
            if (Scalar) return Typed(value);
            if (!Constants.TryGetValue(value, out string? name))
                Constants[value] = name = "k" + (Constants.Count + 1).ToString(CultureInfo.InvariantCulture);
            return name;
        }

        /// <summary>A constant as a literal of the element type.</summary>
        public string Typed(double value) => double.IsNaN(value) ? $"{T}.NaN"
            : double.IsInfinity(value) ? $"{T}.{(value > 0 ? "PositiveInfinity" : "NegativeInfinity")}"
            : T == "float" ? ((float)value).ToString("R", CultureInfo.InvariantCulture) + "f"
            : value.ToString("R", CultureInfo.InvariantCulture) + "d";

        /// <summary>A function of the BCL or of ElementwiseMath, called on one value or one vector.</summary>
        public string Call(Op op, string argument) => op switch
        {
            _ when Comment => $"{(op == Op.Sigmoid ? "σ" : op.ToString().ToLowerInvariant())}({argument})",
            Op.Exp or Op.Log or Op.Sqrt or Op.Abs => $"{Width ?? T}.{op}({argument})",
            _ => $"ElementwiseMath.{op}({argument})",
        };
    }

    // Precedence of what a rendering is: 0 conditional, 1 additive, 2 multiplicative, 3 unary, 4 primary.
    private readonly record struct Code(string Text, int Precedence);

    private Code Render(int id, Variant v, IReadOnlyDictionary<int, string> names)
    {
        if (names.TryGetValue(id, out string? local)) return new Code(local, 4);
        Node n = _graph[id];
        Code A() => Render(n.A, v, names);
        Code B() => Render(n.B, v, names);
        switch (n.Op)
        {
            case Op.Constant:
                return new Code(v.Literal(n.Value), (v.Scalar || v.Comment) && n.Value < 0 ? 3 : 4);
            case Op.Argument:
                return new Code("x", 4);
            case Op.Add:
                // a + (−b) is a − b.
                if (_graph[n.B].Op == Op.Negate) return new Code($"{At(A(), 1)} - {Above(Render(_graph[n.B].A, v, names), 1)}", 1);
                if (_graph[n.A].Op == Op.Negate) return new Code($"{At(B(), 1)} - {Above(Render(_graph[n.A].A, v, names), 1)}", 1);
                if (_graph.IsConstant(n.B, out double c) && c < 0) return new Code($"{At(A(), 1)} - {v.Literal(-c)}", 1);
                if (_graph.IsConstant(n.A, out c) && c < 0) return new Code($"{At(B(), 1)} - {v.Literal(-c)}", 1);
                return new Code($"{At(A(), 1)} + {At(B(), 1)}", 1);
            case Op.Multiply:
                return new Code($"{At(A(), 2)} * {Above(B(), 2)}", 2);
            case Op.Divide:
                return new Code($"{At(A(), 2)} / {Above(B(), 2)}", 2);
            case Op.Negate:
                Code negated = A();
                return new Code("-" + (negated.Precedence < 3 || negated.Text.StartsWith("-", StringComparison.Ordinal) ? $"({negated.Text})" : negated.Text), 3);
            case Op.Power:
                return Power(A(), n.Value, v);
            case Op.Max or Op.Min:
                return new Code($"{(v.Comment ? n.Op.ToString().ToLowerInvariant() : $"{v.Width ?? v.T}.{n.Op}")}({A().Text}, {v.Literal(n.Value)})", 4);
            case Op.WhenLess or Op.WhenLessOrEqual or Op.WhenGreater or Op.WhenGreaterOrEqual:
            {
                string lhs = A().Text, then = B().Text, otherwise = Render(n.C, v, names).Text;
                if (v.Scalar)
                    return new Code($"{At(A(), 1)} {Comparison(n.Op)} {v.Literal(n.Value)} ? {At(B(), 1)} : {Render(n.C, v, names).Text}", 0);
                string compare = n.Op switch
                {
                    Op.WhenLess => "LessThan",
                    Op.WhenLessOrEqual => "LessThanOrEqual",
                    Op.WhenGreater => "GreaterThan",
                    _ => "GreaterThanOrEqual",
                };
                return new Code($"{v.Width}.ConditionalSelect({v.Width}.{compare}({lhs}, {v.Literal(n.Value)}), {then}, {otherwise})", 4);
            }
            default:
                return new Code(v.Call(n.Op, A().Text), 4);
        }
    }

    /// <summary>aᵖ: repeated products for small integer p, a square root for ±½, else exp(p·log a).</summary>
    private static Code Power(Code a, double p, Variant v)
    {
        if (IsSmallInteger(p))
        {
            string product = string.Join(" * ", Enumerable.Repeat(At(a, 2), (int)Math.Abs(p)));
            return p > 0 ? new Code(product, 2) : new Code($"{v.Literal(1)} / {(Math.Abs(p) > 1 ? $"({product})" : Above(a, 2))}", 2);
        }
        if (Math.Abs(p) == 0.5)
        {
            string root = v.Call(Op.Sqrt, a.Text);
            return p > 0 ? new Code(root, 4) : new Code($"{v.Literal(1)} / {root}", 2);
        }
        return new Code(v.Call(Op.Exp, $"{v.Literal(p)} * {v.Call(Op.Log, a.Text)}"), 4);
    }

    private static bool IsSmallInteger(double p) => p == Math.Floor(p) && Math.Abs(p) <= 8;

    /// <summary>The code as an operand where precedence <paramref name="level"/> or higher needs no parentheses.</summary>
    private static string At(Code code, int level) => code.Precedence >= level ? code.Text : $"({code.Text})";

    /// <summary>As <see cref="At"/> for a right operand, which needs parentheses at its own level too (a − (b − c)).</summary>
    private static string Above(Code code, int level) => code.Precedence > level ? code.Text : $"({code.Text})";

    private static string Comparison(Op op) => op switch
    {
        Op.WhenLess => "<",
        Op.WhenLessOrEqual => "<=",
        Op.WhenGreater => ">",
        _ => ">=",
    };

    /// <summary>A node written out whole, for the comments.</summary>
    private string Formula(int id) => Render(id, new Variant(null, "double", comment: true), new Dictionary<int, string>()).Text;

    private static string Escape(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\r", " ").Replace("\n", " ");
}
