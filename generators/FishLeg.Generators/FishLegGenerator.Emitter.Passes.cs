using FishLeg.Generators.Model;

namespace FishLeg.Generators;

public sealed partial class FishLegGenerator
{
    internal static partial class Emitter
    {
        private static void EmitForward(SourceWriter w, ModelSpec model, Layout layout)
        {
            string T = layout.T;
            w.Line("/// <summary>Runs every layer on a batch and returns the last layer's output; keeps Z and A for the other passes.</summary>");
            w.Open($"public {ReadOnlySpan}<{T}> Forward({ReadOnlySpan}<{T}> parameters, {ReadOnlySpan}<{T}> inputs, int batch)");
            for (int l = 1; l <= model.Layers.Count; l++)
            {
                LayerSpec layer = model.Layers[l - 1];
                string units = I(layer.Units), columns = I(layer.Columns);
                if (l > 1) w.Line();
                w.Line($"// Layer {l}: {I(layer.Inputs)} → {units}, {layer.Activation}. W{l} is {units}×{columns} at offset {I(layout.Offsets[l - 1])}{(layer.Bias ? $", bias in column {I(layer.Inputs)}" : "")}.");
                w.Line($"// Z = {(layer.Bias ? "[A | 1]" : "A")}·Wᵀ{(HasActivation(model, l) ? ", and A = σ(Z) on each finished tile" : "")}.");
                w.Line($"{ReadOnlySpan}<{T}> w{l} = {LayerWeights("parameters", layout, model, l)};");
                w.Line($"{Span}<{T}> z{l} = {Slice("_z", model, l)};");
                string epilogue = "";
                if (HasActivation(model, l))
                {
                    w.Line($"{Span}<{T}> a{l} = {Slice("_a", model, l)};");
                    epilogue = $", epilogue: {Epilogue(T)}.Activate({ActivationName(layer)}, a{l})";
                }
                w.Line($"Gemm.NT<{T}>(batch, {units}, {columns}, {LayerInput(model, l, forward: true)}, {I(layer.Inputs)}, w{l}, {columns}, z{l}, {units}{Ones(layer, "A")}{epilogue});");
            }
            w.Line($"return {Output(model, model.Layers.Count, forward: true)};");
            w.Close();
            w.Line();
        }

        private static void EmitBackward(SourceWriter w, ModelSpec model, Layout layout)
        {
            string T = layout.T;
            int count = model.Layers.Count;
            w.Line($"/// <summary>Back-propagates D{I(count)} = ∂loss/∂A{I(count)} (in _d{I(count)}) through every layer, keeping each D and E, and writes the gradient.</summary>");
            w.Open($"public void Backward({ReadOnlySpan}<{T}> parameters, {ReadOnlySpan}<{T}> inputs, int batch, {Span}<{T}> gradient)");
            w.Line($"{Span}<{T}> d{count} = {Slice("_d", model, count)};");
            if (HasActivation(model, count))
            {
                LayerSpec top = model.Layers[count - 1];
                w.Line($"{Span}<{T}> e{count} = {Slice("_e", model, count)};");
                w.Line($"Activations.{top.Activation}Backward<{T}>({Slice("_z", model, count)}, {Slice("_a", model, count)}, d{count}, e{count});");
            }
            for (int l = count; l >= 1; l--)
            {
                LayerSpec layer = model.Layers[l - 1];
                string units = I(layer.Units), columns = I(layer.Columns), inputs = I(layer.Inputs);
                string e = HasActivation(model, l) ? $"e{l}" : $"d{l}";
                w.Line();
                w.Line($"// Layer {l}: G = Eᵀ·{(layer.Bias ? "[A | 1]" : "A")}{(l > 1 ? $", D below = E·{(layer.Bias ? "W̃" : "W")}{(HasActivation(model, l - 1) ? " and E below = D ⊙ σ'(Z) on each finished tile" : "")}" : "")}.");
                w.Line($"{Span}<{T}> g{l} = {LayerWeights("gradient", layout, model, l)};");
                w.Line($"Gemm.TN<{T}>({units}, {columns}, batch, {e}, {units}, {LayerInput(model, l, forward: false)}, {inputs}, g{l}, {columns}{Ones(layer, "B")});");
                if (l > 1)
                {
                    w.Line($"{Span}<{T}> d{l - 1} = {Slice("_d", model, l - 1)};");
                    string epilogue = "";
                    if (HasActivation(model, l - 1))
                    {
                        w.Line($"{Span}<{T}> e{l - 1} = {Slice("_e", model, l - 1)};");
                        epilogue = $", epilogue: {Differentiate(model, l - 1, T, $"e{l - 1}")}";
                    }
                    w.Line($"Gemm.NN<{T}>(batch, {inputs}, {units}, {e}, {units}, {LayerWeights("parameters", layout, model, l)}, {columns}, d{l - 1}, {inputs}{epilogue});");
                }
            }
            w.Close();
            w.Line();
        }

        private static void EmitTangentForward(SourceWriter w, ModelSpec model, Layout layout)
        {
            string T = layout.T;
            w.Line("/// <summary>");
            w.Line("/// The R-op (FishLeg.Gen docs/math.md §2.1): pushes a parameter direction V through the network after Forward, keeping Ż and Ȧ");
            w.Line("/// per layer, and returns Ȧ of the last layer, the output's directional derivative J·v.");
            w.Line("/// </summary>");
            w.Open($"public {ReadOnlySpan}<{T}> TangentForward({ReadOnlySpan}<{T}> parameters, {ReadOnlySpan}<{T}> inputs, int batch, {ReadOnlySpan}<{T}> direction)");
            for (int l = 1; l <= model.Layers.Count; l++)
            {
                LayerSpec layer = model.Layers[l - 1];
                string units = I(layer.Units), columns = I(layer.Columns), inputs = I(layer.Inputs);
                w.Line();
                w.Line($"// Layer {l}: Ż = {(layer.Bias ? "[A | 1]" : "A")}·Vᵀ{(l > 1 ? $" + Ȧ·{(layer.Bias ? "W̃" : "W")}ᵀ" : "")}{(HasActivation(model, l) ? ", Ȧ = σ'(Z) ⊙ Ż on each finished tile of the last product" : "")}.");
                w.Line($"{ReadOnlySpan}<{T}> v{l} = {LayerWeights("direction", layout, model, l)};");
                w.Line($"{Span}<{T}> zDot{l} = {Slice("_zDot", model, l)};");
                string epilogue = "";
                if (HasActivation(model, l))
                {
                    w.Line($"{Span}<{T}> aDot{l} = {Slice("_aDot", model, l)};");
                    epilogue = $", epilogue: {Differentiate(model, l, T, $"aDot{l}")}";
                }
                w.Line($"Gemm.NT<{T}>(batch, {units}, {columns}, {LayerInput(model, l, forward: false)}, {inputs}, v{l}, {columns}, zDot{l}, {units}{Ones(layer, "A")}{(l == 1 ? epilogue : "")});");
                if (l > 1)
                    w.Line($"Gemm.NT<{T}>(batch, {units}, {inputs}, {TangentOutput(model, l - 1)}, {inputs}, {LayerWeights("parameters", layout, model, l)}, {columns}, zDot{l}, {units}, accumulate: true{epilogue});");
            }
            w.Line($"return {TangentOutput(model, model.Layers.Count)};");
            w.Close();
            w.Line();
        }

        private static void EmitTangentBackward(SourceWriter w, ModelSpec model, Layout layout)
        {
            string T = layout.T;
            int count = model.Layers.Count;
            w.Line("/// <summary>");
            w.Line($"/// Back-propagates Ḋ{I(count)} (in _eDot{I(count)}) into <paramref name=\"product\"/>, keeping every layer's Ė. Without <paramref name=\"hessian\"/> this is the");
            w.Line("/// Gauss–Newton (Fisher) product (FishLeg.Gen docs/math.md §2.2); with it, the terms of the primal deltas D and E are added, giving the exact");
            w.Line("/// Hessian-vector product (§2.3 there; Backward must have run on the same batch).");
            w.Line("/// </summary>");
            w.Open($"public void TangentBackward({ReadOnlySpan}<{T}> parameters, {ReadOnlySpan}<{T}> inputs, int batch, {ReadOnlySpan}<{T}> direction, {Span}<{T}> product, bool hessian)");
            w.Line($"{Span}<{T}> eDot{count} = {Slice("_eDot", model, count)};");
            if (HasActivation(model, count))
                w.Line($"Activations.{model.Layers[count - 1].Activation}Backward<{T}>({Slice("_z", model, count)}, {Slice("_a", model, count)}, eDot{count}, eDot{count});");
            for (int l = count; l >= 1; l--)
            {
                LayerSpec layer = model.Layers[l - 1];
                string units = I(layer.Units), columns = I(layer.Columns), inputs = I(layer.Inputs);
                string primalE = HasActivation(model, l) ? Slice("_e", model, l) : Slice("_d", model, l);
                w.Line();
                w.Line($"// Layer {l}: Ė = Ḋ ⊙ σ'(Z) [+ D ⊙ σ''(Z) ⊙ Ż], product = Ėᵀ·{(layer.Bias ? "[A | 1]" : "A")}{(l > 1 ? $" [+ Eᵀ·Ȧ], Ḋ below = Ė·{(layer.Bias ? "W̃" : "W")} [+ E·Ṽ]" : "")}.");
                if (HasCurvature(layer.Activation))
                    w.Line($"if (hessian) Activations.{layer.Activation}Curvature<{T}>({Slice("_z", model, l)}, {Slice("_a", model, l)}, {Slice("_d", model, l)}, {Slice("_zDot", model, l)}, eDot{l});");
                w.Line($"{Span}<{T}> p{l} = {LayerWeights("product", layout, model, l)};");
                w.Line($"Gemm.TN<{T}>({units}, {columns}, batch, eDot{l}, {units}, {LayerInput(model, l, forward: false)}, {inputs}, p{l}, {columns}{Ones(layer, "B")});");
                if (l > 1)
                {
                    w.Line($"if (hessian) Gemm.TN<{T}>({units}, {inputs}, batch, {primalE}, {units}, {TangentSlice(model, l - 1)}, {inputs}, p{l}, {columns}, accumulate: true);");
                    w.Line($"{Span}<{T}> eDot{l - 1} = {Slice("_eDot", model, l - 1)};");
                    string below = "Gemm.NN<" + T + ">(batch, " + inputs + ", " + units + ", ";
                    string into = $", {columns}, eDot{l - 1}, {inputs}";
                    // Ḋ ⊙ σ'(Z) below runs on the tiles of the last product into Ḋ: the second one when the Hessian adds E·Ṽ.
                    string? differentiate = HasActivation(model, l - 1) ? Differentiate(model, l - 1, T, $"eDot{l - 1}") : null;
                    string first = differentiate is null ? "" : $", epilogue: hessian ? default : {differentiate}";
                    string second = differentiate is null ? "" : $", epilogue: {differentiate}";
                    w.Line($"{below}eDot{l}, {units}, {LayerWeights("parameters", layout, model, l)}{into}{first});");
                    w.Line($"if (hessian) {below}{primalE}, {units}, {LayerWeights("direction", layout, model, l)}{into}, accumulate: true{second});");
                }
            }
            w.Close();
        }

        /// <summary>The GEMM argument that makes op(A) or op(B) end in the bias's column of ones, for a layer with a bias.</summary>
        private static string Ones(LayerSpec layer, string operand) => layer.Bias ? $", ones: OnesColumn.{operand}" : "";

        private static string Epilogue(string T) => $"GemmEpilogue<{T}>";

        private static string ActivationName(LayerSpec layer) => $"Activation.{layer.Activation}";

        /// <summary>The epilogue writing C ⊙ σ'(Z) of layer <paramref name="l"/> into <paramref name="output"/>.</summary>
        private static string Differentiate(ModelSpec model, int l, string T, string output) =>
            $"{Epilogue(T)}.Differentiate({ActivationName(model.Layers[l - 1])}, {Slice("_z", model, l)}, {Slice("_a", model, l)}, {output})";

        /// <summary>Activations whose second derivative is not identically zero.</summary>
        private static bool HasCurvature(ActivationKind activation) => activation is not (ActivationKind.Identity or ActivationKind.Relu);

        /// <summary>Layer <paramref name="l"/>'s block of a parameter-shaped span.</summary>
        private static string LayerWeights(string span, Layout layout, ModelSpec model, int l) =>
            $"{span}.Slice({I(layout.Offsets[l - 1])}, {I(model.Layers[l - 1].ParameterCount)})";

        /// <summary>The batch rows of a per-layer workspace array.</summary>
        private static string Slice(string field, ModelSpec model, int l) =>
            $"{field}{l}.AsSpan(0, batch * {I(model.Layers[l - 1].Units)})";

        /// <summary>Ȧ of layer <paramref name="l"/> inside TangentForward (a local).</summary>
        private static string TangentOutput(ModelSpec model, int l) => HasActivation(model, l) ? $"aDot{l}" : $"zDot{l}";

        /// <summary>Ȧ of layer <paramref name="l"/> after TangentForward (a workspace slice).</summary>
        private static string TangentSlice(ModelSpec model, int l) => Slice(HasActivation(model, l) ? "_aDot" : "_zDot", model, l);

        private static string Bool(bool value) => value ? "true" : "false";
    }
}
