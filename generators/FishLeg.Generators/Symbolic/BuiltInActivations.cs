using FishLeg.Generators.Model;

namespace FishLeg.Generators.Symbolic;

/// <summary>
/// The built-in activations as definitions in the same language as the user's [Elementwise] methods: one mechanism
/// derives, simplifies and emits both (docs/activations.md). Identity is no activation at all.
/// </summary>
internal static class BuiltInActivations
{
    private static readonly Expr X = Expr.Argument;

    public static ElementwiseSpec? For(ActivationKind kind) => kind switch
    {
        // max, not x > 0 ? x : 0, so that a NaN stays NaN.
        ActivationKind.Relu => Spec(kind, "Math.Max(x, 0)", Expr.Of(Op.Max, 0, X)),
        ActivationKind.Tanh => Spec(kind, "Math.Tanh(x)", Expr.Of(Op.Tanh, X)),
        ActivationKind.Sigmoid => Spec(kind, "ElementwiseMath.Sigmoid(x)", Expr.Of(Op.Sigmoid, X)),
        ActivationKind.Softplus => Spec(kind, "ElementwiseMath.Softplus(x)", Expr.Of(Op.Softplus, X)),
        ActivationKind.GeluTanh => Spec(kind, "0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)))",
            Expr.Of(Op.Multiply, Expr.Of(Op.Multiply, Expr.Constant(0.5), X), Expr.Of(Op.Add, Expr.Constant(1), Expr.Of(Op.Tanh,
                Expr.Of(Op.Multiply, Expr.Constant(System.Math.Sqrt(2 / System.Math.PI)),
                    Expr.Of(Op.Add, X, Expr.Of(Op.Multiply, Expr.Constant(0.044715), Expr.Of(Op.Power, 3, X)))))))),
        _ => null,
    };

    private static ElementwiseSpec Spec(ActivationKind kind, string source, Expr definition) => new(kind.ToString(), definition, source, BuiltIn: true);
}
