using FishLeg.Generators.Model;
using FishLeg.Generators.Symbolic;

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
                if (l > 1) w.Line();
                string input = LayerInput(model, l, forward: true);
                if (!layer.HasParameters)
                {
                    w.Line($"// Layer {l}: {Pool(layer)} of {Map(layer)}.");
                    w.Line($"{Span}<{T}> a{l} = {Slice("_a", model, l)};");
                    w.Line(layer.Kind == LayerKind.MaxPool2d
                        ? $"Spatial.MaxPool<{T}>({input}, batch, __geometry{l}, a{l}, {ArgmaxSlice(model, l)});"
                        : $"Spatial.AvgPool<{T}>({input}, batch, __geometry{l}, a{l});");
                    continue;
                }
                if (layer.Kind == LayerKind.LayerNorm)
                {
                    w.Line($"// Layer {l}: X̂ = the {I(layer.Units)} features normalized (ε = {Real(layer.Epsilon)}), Z = γ ⊙ X̂ + β{(HasActivation(model, l) ? ", A = σ(Z)" : "")}; [γⱼ, βⱼ] per unit at offset {I(layout.Offsets[l - 1])}.");
                    w.Line($"{Span}<{T}> z{l} = {Slice("_z", model, l)};");
                    w.Line($"Normalization.Forward<{T}>({input}, batch, {I(layer.Units)}, {Constant(layout, layer.Epsilon)}, {LayerWeights("parameters", layout, model, l)}, {Slice("_xhat", model, l)}, {Scales(l)}, z{l}, _scratch{l});");
                    if (HasActivation(model, l))
                    {
                        w.Line($"{Span}<{T}> a{l} = {Slice("_a", model, l)};");
                        w.Line($"{ActivationName(layer)}.Activate(z{l}, a{l});");
                    }
                    continue;
                }
                string units = I(layer.Units), columns = I(layer.Columns);
                w.Line($"// Layer {l}: {(layer.Kind == LayerKind.Dense ? $"{I(layer.Inputs)} → {units}, {layer.ActivationName}" : Describe(layer))}. W{l} is {units}×{columns} at offset {I(layout.Offsets[l - 1])}{(layer.Bias ? $", bias in column {I(layer.Inputs)}" : "")}.");
                w.Line($"// Z = {(layer.Bias ? $"[{X(layer)} | 1]" : X(layer))}·Wᵀ{(HasActivation(model, l) ? ", and A = σ(Z) on each finished tile" : "")}.");
                w.Line($"{ReadOnlySpan}<{T}> w{l} = {LayerWeights("parameters", layout, model, l)};");
                EmitLayerInput(w, model, l, T, "_p", "_f", input);
                w.Line($"{Span}<{T}> z{l} = {Slice("_z", model, l)};");
                string epilogue = "";
                if (HasActivation(model, l))
                {
                    w.Line($"{Span}<{T}> a{l} = {Slice("_a", model, l)};");
                    epilogue = $", epilogue: {Epilogue(T)}.Activate({ActivationName(layer)}, a{l})";
                }
                w.Line($"Gemm.NT<{T}>({Rows(layer)}, {units}, {columns}, {Operand(model, l, "_p", "_f", forward: true)}, {I(layer.Inputs)}, w{l}, {columns}, z{l}, {units}{Ones(layer, "A")}{epilogue});");
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
                w.Line($"{Span}<{T}> e{count} = {Slice("_e", model, count)};");
                EmitDifferentiate(w, model, count, T, "_d", "_e");
            }
            for (int l = count; l >= 1; l--)
            {
                LayerSpec layer = model.Layers[l - 1];
                bool below = HasParametersBelow(model, l);
                w.Line();
                if (!layer.HasParameters)
                {
                    if (!below) continue;
                    w.Line($"// Layer {l}: D below = the transpose of the {Pool(layer)}{(HasActivation(model, l - 1) ? ", then E below = D ⊙ σ'(Z)" : "")}.");
                    w.Line($"{Span}<{T}> d{l - 1} = {Slice("_d", model, l - 1)};");
                    EmitPoolTranspose(w, model, l, T, $"d{l}", $"d{l - 1}");
                    if (HasActivation(model, l - 1)) w.Line($"{Span}<{T}> e{l - 1} = {Slice("_e", model, l - 1)};");
                    EmitDifferentiate(w, model, l - 1, T, "_d", "_e");
                    continue;
                }
                string e = HasActivation(model, l) ? $"e{l}" : $"d{l}";
                if (layer.Kind == LayerKind.LayerNorm)
                {
                    w.Line($"// Layer {l}: G = [Σ E ⊙ X̂, Σ E] per unit, D below = J·(γ ⊙ E) with J the normalization's (symmetric) Jacobian{(HasActivation(model, l - 1) ? ", E below = D ⊙ σ'(Z)" : "")}.");
                    w.Line($"{Span}<{T}> d{l - 1} = {Slice("_d", model, l - 1)};");
                    w.Line($"Normalization.Backward<{T}>({e}, {Slice("_xhat", model, l)}, {Scales(l)}, {LayerWeights("parameters", layout, model, l)}, batch, {I(layer.Units)}, {LayerWeights("gradient", layout, model, l)}, d{l - 1}, _scratch{l});");
                    if (HasActivation(model, l - 1)) w.Line($"{Span}<{T}> e{l - 1} = {Slice("_e", model, l - 1)};");
                    EmitDifferentiate(w, model, l - 1, T, "_d", "_e");
                    continue;
                }
                string units = I(layer.Units), columns = I(layer.Columns), inputs = I(layer.Inputs);
                string xb = layer.Bias ? $"[{X(layer)} | 1]" : X(layer);
                bool fused = FusesBelow(model, l);
                w.Line($"// Layer {l}: G = Eᵀ·{xb}{(below ? $", D below = {Back(model, l, "E·" + (layer.Bias ? "W̃" : "W"))}{(HasActivation(model, l - 1) ? $" and E below = D ⊙ σ'(Z){(fused ? " on each finished tile" : "")}" : "")}" : "")}.");
                w.Line($"{Span}<{T}> g{l} = {LayerWeights("gradient", layout, model, l)};");
                w.Line($"Gemm.TN<{T}>({units}, {columns}, {Rows(layer)}, {e}, {units}, {Operand(model, l, "_p", "_f", forward: false)}, {inputs}, g{l}, {columns}{Ones(layer, "B")});");
                if (!below) continue;
                w.Line($"{Span}<{T}> d{l - 1} = {Slice("_d", model, l - 1)};");
                string epilogue = "";
                if (HasActivation(model, l - 1))
                {
                    w.Line($"{Span}<{T}> e{l - 1} = {Slice("_e", model, l - 1)};");
                    if (fused) epilogue = $", epilogue: {Differentiate(model, l - 1, T, $"e{l - 1}")}";
                }
                string target = fused ? $"d{l - 1}" : ScratchSlice(model, l);
                w.Line($"Gemm.NN<{T}>({Rows(layer)}, {inputs}, {units}, {e}, {units}, {LayerWeights("parameters", layout, model, l)}, {columns}, {target}, {inputs}{epilogue});");
                if (fused) continue;
                EmitInputTranspose(w, model, l, T, target, $"d{l - 1}");
                EmitDifferentiate(w, model, l - 1, T, "_d", "_e");
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
                bool below = HasParametersBelow(model, l);
                if (l > 1) w.Line();
                if (!layer.HasParameters)
                {
                    if (!below) continue; // nothing below depends on the parameters: Ȧ = 0, and no layer reads it
                    w.Line($"// Layer {l}: Ȧ = the {Pool(layer)} of Ȧ below{(layer.Kind == LayerKind.MaxPool2d ? ", routed by the forward pass's argmax" : "")}.");
                    w.Line($"{Span}<{T}> aDot{l} = {Slice("_aDot", model, l)};");
                    if (layer.Kind == LayerKind.MaxPool2d) w.Line($"Spatial.MaxPoolTangent<{T}>({TangentSlice(model, l - 1)}, {ArgmaxSlice(model, l)}, batch, __geometry{l}, aDot{l});");
                    else w.Line($"Spatial.AvgPool<{T}>({TangentSlice(model, l - 1)}, batch, __geometry{l}, aDot{l});");
                    continue;
                }
                if (layer.Kind == LayerKind.LayerNorm)
                {
                    w.Line($"// Layer {l}: Ẋ̂ = J·Ȧ below, Ż = γ̇ ⊙ X̂ + β̇ + γ ⊙ Ẋ̂{(HasActivation(model, l) ? ", Ȧ = σ'(Z) ⊙ Ż" : "")}.");
                    w.Line($"{Span}<{T}> zDot{l} = {Slice("_zDot", model, l)};");
                    w.Line($"Normalization.TangentForward<{T}>({TangentOutput(model, l - 1)}, {Slice("_xhat", model, l)}, {Scales(l)}, {LayerWeights("parameters", layout, model, l)}, {LayerWeights("direction", layout, model, l)}, batch, {I(layer.Units)}, {Slice("_xhatDot", model, l)}, zDot{l}, _scratch{l});");
                    if (HasActivation(model, l))
                    {
                        w.Line($"{Span}<{T}> aDot{l} = {Slice("_aDot", model, l)};");
                        EmitDifferentiate(w, model, l, T, "_zDot", "_aDot");
                    }
                    continue;
                }
                string units = I(layer.Units), columns = I(layer.Columns), inputs = I(layer.Inputs);
                string xb = layer.Bias ? $"[{X(layer)} | 1]" : X(layer);
                w.Line($"// Layer {l}: Ż = {xb}·Vᵀ{(below ? $" + {Dot(X(layer))}·{(layer.Bias ? "W̃" : "W")}ᵀ" : "")}{(HasActivation(model, l) ? ", Ȧ = σ'(Z) ⊙ Ż on each finished tile of the last product" : "")}.");
                w.Line($"{ReadOnlySpan}<{T}> v{l} = {LayerWeights("direction", layout, model, l)};");
                w.Line($"{Span}<{T}> zDot{l} = {Slice("_zDot", model, l)};");
                string epilogue = "";
                if (HasActivation(model, l))
                {
                    w.Line($"{Span}<{T}> aDot{l} = {Slice("_aDot", model, l)};");
                    epilogue = $", epilogue: {Differentiate(model, l, T, $"aDot{l}")}";
                }
                w.Line($"Gemm.NT<{T}>({Rows(layer)}, {units}, {columns}, {Operand(model, l, "_p", "_f", forward: false)}, {inputs}, v{l}, {columns}, zDot{l}, {units}{Ones(layer, "A")}{(below ? "" : epilogue)});");
                if (!below) continue;
                EmitLayerInput(w, model, l, T, "_pDot", "_fDot", TangentSlice(model, l - 1));
                w.Line($"Gemm.NT<{T}>({Rows(layer)}, {units}, {inputs}, {Operand(model, l, "_pDot", "_fDot", forward: true, tangent: true)}, {inputs}, {LayerWeights("parameters", layout, model, l)}, {columns}, zDot{l}, {units}, accumulate: true{epilogue});");
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
            EmitDifferentiate(w, model, count, T, "_eDot", "_eDot");
            for (int l = count; l >= 1; l--)
            {
                LayerSpec layer = model.Layers[l - 1];
                bool below = HasParametersBelow(model, l);
                w.Line();
                if (!layer.HasParameters)
                {
                    if (!below) continue;
                    w.Line($"// Layer {l}: Ḋ below = the transpose of the {Pool(layer)}{(HasActivation(model, l - 1) ? ", then Ė below = Ḋ ⊙ σ'(Z)" : "")}.");
                    w.Line($"{Span}<{T}> eDot{l - 1} = {Slice("_eDot", model, l - 1)};");
                    EmitPoolTranspose(w, model, l, T, $"eDot{l}", $"eDot{l - 1}");
                    EmitDifferentiate(w, model, l - 1, T, "_eDot", "_eDot");
                    continue;
                }
                string primalE = HasActivation(model, l) ? Slice("_e", model, l) : Slice("_d", model, l);
                if (layer.Kind == LayerKind.LayerNorm)
                {
                    w.Line($"// Layer {l}: Ė = Ḋ ⊙ σ'(Z) [+ D ⊙ σ''(Z) ⊙ Ż], product = [Σ Ė ⊙ X̂ [+ E ⊙ Ẋ̂], Σ Ė] per unit, Ḋ below = J·(γ ⊙ Ė [+ γ̇ ⊙ E]) [+ J̇·(γ ⊙ E)].");
                    EmitCurvature(w, model, l, T);
                    w.Line($"{Span}<{T}> eDot{l - 1} = {Slice("_eDot", model, l - 1)};");
                    w.Line($"Normalization.TangentBackward<{T}>(eDot{l}, {primalE}, {Slice("_xhat", model, l)}, {Scales(l)}, {TangentSlice(model, l - 1)}, {Slice("_xhatDot", model, l)},");
                    w.Line($"    {LayerWeights("parameters", layout, model, l)}, {LayerWeights("direction", layout, model, l)}, batch, {I(layer.Units)}, {LayerWeights("product", layout, model, l)}, eDot{l - 1}, hessian, _scratch{l});");
                    EmitDifferentiate(w, model, l - 1, T, "_eDot", "_eDot");
                    continue;
                }
                string units = I(layer.Units), columns = I(layer.Columns), inputs = I(layer.Inputs);
                string xb = layer.Bias ? $"[{X(layer)} | 1]" : X(layer), wb = layer.Bias ? "W̃" : "W";
                bool fused = FusesBelow(model, l);
                w.Line($"// Layer {l}: Ė = Ḋ ⊙ σ'(Z) [+ D ⊙ σ''(Z) ⊙ Ż], product = Ėᵀ·{xb}{(below ? $" [+ Eᵀ·{Dot(X(layer))}], Ḋ below = {Back(model, l, $"Ė·{wb} [+ E·Ṽ]")}" : "")}.");
                EmitCurvature(w, model, l, T);
                w.Line($"{Span}<{T}> p{l} = {LayerWeights("product", layout, model, l)};");
                w.Line($"Gemm.TN<{T}>({units}, {columns}, {Rows(layer)}, eDot{l}, {units}, {Operand(model, l, "_p", "_f", forward: false)}, {inputs}, p{l}, {columns}{Ones(layer, "B")});");
                if (!below) continue;
                // The tangent input is read here, before the delta below overwrites the buffer it shares with the scratch.
                w.Line($"if (hessian) Gemm.TN<{T}>({units}, {inputs}, {Rows(layer)}, {primalE}, {units}, {Operand(model, l, "_pDot", "_fDot", forward: false, tangent: true)}, {inputs}, p{l}, {columns}, accumulate: true);");
                w.Line($"{Span}<{T}> eDot{l - 1} = {Slice("_eDot", model, l - 1)};");
                string target = fused ? $"eDot{l - 1}" : ScratchSlice(model, l);
                string product = $"Gemm.NN<{T}>({Rows(layer)}, {inputs}, {units}, ";
                string into = $", {columns}, {target}, {inputs}";
                // Ḋ ⊙ σ'(Z) below runs on the tiles of the last product into Ḋ: the second one when the Hessian adds E·Ṽ.
                string? differentiate = fused && HasActivation(model, l - 1) ? Differentiate(model, l - 1, T, $"eDot{l - 1}") : null;
                string first = differentiate is null ? "" : $", epilogue: hessian ? default : {differentiate}";
                string second = differentiate is null ? "" : $", epilogue: {differentiate}";
                w.Line($"{product}eDot{l}, {units}, {LayerWeights("parameters", layout, model, l)}{into}{first});");
                w.Line($"if (hessian) {product}{primalE}, {units}, {LayerWeights("direction", layout, model, l)}{into}, accumulate: true{second});");
                if (fused) continue;
                EmitInputTranspose(w, model, l, T, target, $"eDot{l - 1}");
                EmitDifferentiate(w, model, l - 1, T, "_eDot", "_eDot");
            }
            w.Close();
        }

        /// <summary>
        /// Before layer <paramref name="l"/>'s products: its input as the GEMM reads it, from <paramref name="source"/>:
        /// a convolution's patches, or the flatten of a spatial map in PyTorch's order.
        /// </summary>
        private static void EmitLayerInput(SourceWriter w, ModelSpec model, int l, string T, string patches, string flat, string source)
        {
            LayerSpec layer = model.Layers[l - 1];
            if (layer.Kind == LayerKind.Conv2d)
                w.Line($"Spatial.Patches<{T}>({source}, batch, __geometry{l}, {WideSlice(patches, l, layer.Positions * layer.Inputs)});");
            else if (Flattens(model, l))
            {
                LayerSpec previous = model.Layers[l - 2];
                w.Line($"Spatial.ToChannelsFirst<{T}>({source}, batch, {I(previous.Positions)}, {I(previous.Units)}, {WideSlice(flat, l, layer.Inputs)});");
            }
        }

        /// <summary>After layer <paramref name="l"/>'s product into its input's shape: back to the layer below's layout (the transpose of <see cref="EmitLayerInput"/>).</summary>
        private static void EmitInputTranspose(SourceWriter w, ModelSpec model, int l, string T, string scratch, string target)
        {
            LayerSpec layer = model.Layers[l - 1], previous = model.Layers[l - 2];
            if (layer.Kind == LayerKind.Conv2d) w.Line($"Spatial.AddPatches<{T}>({scratch}, batch, __geometry{l}, {target});");
            else w.Line($"Spatial.ToChannelsLast<{T}>({scratch}, batch, {I(previous.Positions)}, {I(previous.Units)}, {target});");
        }

        /// <summary>The transpose of pooling layer <paramref name="l"/>, from its output's delta to its input's.</summary>
        private static void EmitPoolTranspose(SourceWriter w, ModelSpec model, int l, string T, string output, string input) =>
            w.Line(model.Layers[l - 1].Kind == LayerKind.MaxPool2d
                ? $"Spatial.MaxPoolBackward<{T}>({output}, {ArgmaxSlice(model, l)}, batch, __geometry{l}, {input});"
                : $"Spatial.AvgPoolBackward<{T}>({output}, batch, __geometry{l}, {input});");

        /// <summary>In place on layer <paramref name="l"/>'s buffers: <paramref name="to"/> = <paramref name="from"/> ⊙ σ'(Z), when the layer has an activation.</summary>
        private static void EmitDifferentiate(SourceWriter w, ModelSpec model, int l, string T, string from, string to)
        {
            if (!HasActivation(model, l)) return;
            w.Line($"{ActivationName(model.Layers[l - 1])}.Differentiate({Slice("_z", model, l)}, {Slice("_a", model, l)}, {Slice(from, model, l)}, {Slice(to, model, l)});");
        }

        /// <summary>The Hessian's term of layer <paramref name="l"/>'s activation curvature, D ⊙ σ''(Z) ⊙ Ż, added to Ė.</summary>
        private static void EmitCurvature(SourceWriter w, ModelSpec model, int l, string T)
        {
            LayerSpec layer = model.Layers[l - 1];
            if (layer.Elementwise is { } function && new ActivationWriter(function, T).HasCurvature)
                w.Line($"if (hessian) {ActivationName(layer)}.Curvature({Slice("_z", model, l)}, {Slice("_a", model, l)}, {Slice("_d", model, l)}, {Slice("_zDot", model, l)}, eDot{l});");
        }

        /// <summary>A layer normalization's r = 1/√(σ² + ε), one per example.</summary>
        private static string Scales(int l) => WideSlice("_r", l, 1);

        /// <summary>The GEMM argument that makes op(A) or op(B) end in the bias's column of ones, for a layer with a bias.</summary>
        private static string Ones(LayerSpec layer, string operand) => layer.Bias ? $", ones: OnesColumn.{operand}" : "";

        private static string Epilogue(string T) => $"GemmEpilogue<{T}>";

        /// <summary>The layer's generated activation (the epilogues' argument and the passes' kernels).</summary>
        private static string ActivationName(LayerSpec layer) => $"{ActivationWriter.ClassName(layer.Elementwise!)}.Instance";

        /// <summary>The epilogue writing C ⊙ σ'(Z) of layer <paramref name="l"/> into <paramref name="output"/>.</summary>
        private static string Differentiate(ModelSpec model, int l, string T, string output) =>
            $"{Epilogue(T)}.Differentiate({ActivationName(model.Layers[l - 1])}, {Slice("_z", model, l)}, {Slice("_a", model, l)}, {output})";

        /// <summary>Layer <paramref name="l"/>'s block of a parameter-shaped span.</summary>
        private static string LayerWeights(string span, Layout layout, ModelSpec model, int l) =>
            $"{span}.Slice({I(layout.Offsets[l - 1])}, {I(model.Layers[l - 1].ParameterCount)})";

        /// <summary>The batch rows of a per-layer workspace array as wide as the layer's output.</summary>
        private static string Slice(string field, ModelSpec model, int l) => WideSlice(field, l, model.Layers[l - 1].OutputSize);

        /// <summary>The batch rows of a per-layer workspace array of <paramref name="width"/> values per example.</summary>
        private static string WideSlice(string field, int l, int width) => $"{field}{l}.AsSpan(0, {(width == 1 ? "batch" : $"batch * {I(width)}")})";

        private static string ArgmaxSlice(ModelSpec model, int l) => Slice("_argmax", model, l);

        /// <summary>Where layer <paramref name="l"/>'s product back into its input's shape goes before it is moved to the layer below: the tangent input's buffer, free by then.</summary>
        private static string ScratchSlice(ModelSpec model, int l)
        {
            LayerSpec layer = model.Layers[l - 1];
            return layer.Kind == LayerKind.Conv2d ? WideSlice("_pDot", l, layer.Positions * layer.Inputs) : WideSlice("_fDot", l, layer.Inputs);
        }

        /// <summary>
        /// The matrix layer <paramref name="l"/> multiplies by its weights (rows × inputs): its patches, the flattened
        /// input, or the input itself; with <paramref name="tangent"/>, the same of the input's tangent. With
        /// <paramref name="forward"/> a layer's output is the (tangent) forward pass's local, else a workspace slice.
        /// </summary>
        private static string Operand(ModelSpec model, int l, string patches, string flat, bool forward, bool tangent = false)
        {
            LayerSpec layer = model.Layers[l - 1];
            if (layer.Kind == LayerKind.Conv2d) return WideSlice(patches, l, layer.Positions * layer.Inputs);
            if (Flattens(model, l)) return WideSlice(flat, l, layer.Inputs);
            if (!tangent) return LayerInput(model, l, forward);
            return forward ? TangentOutput(model, l - 1) : TangentSlice(model, l - 1);
        }

        /// <summary>Rows of layer <paramref name="l"/>'s products: one per example, times the output positions of a convolution.</summary>
        private static string Rows(LayerSpec layer) => layer.Positions == 1 ? "batch" : $"batch * {I(layer.Positions)}";

        /// <summary>Whether a dense layer reads a spatial map that must be reordered to PyTorch's flatten order (more than one channel and position).</summary>
        private static bool Flattens(ModelSpec model, int l) =>
            model.Layers[l - 1].Kind == LayerKind.Dense && l > 1 && model.Layers[l - 2].IsSpatial &&
            model.Layers[l - 2].Units > 1 && model.Layers[l - 2].Positions > 1;

        /// <summary>Whether layer <paramref name="l"/>'s product into the delta below is that delta itself (so σ' below fuses into its tiles).</summary>
        private static bool FusesBelow(ModelSpec model, int l) => model.Layers[l - 1].Kind == LayerKind.Dense && !Flattens(model, l);

        /// <summary>Whether a layer before <paramref name="l"/> has parameters: only then do deltas and tangents flow below it.</summary>
        private static bool HasParametersBelow(ModelSpec model, int l)
        {
            for (int j = 1; j < l; j++)
                if (model.Layers[j - 1].HasParameters) return true;
            return false;
        }

        /// <summary>The name the comments give a layer's input matrix.</summary>
        private static string X(LayerSpec layer) => layer.Kind == LayerKind.Conv2d ? "P" : "A";

        private static string Dot(string name) => name == "P" ? "Ṗ" : "Ȧ";

        /// <summary>How a comment says layer <paramref name="l"/>'s product reaches the layer below.</summary>
        private static string Back(ModelSpec model, int l, string product) =>
            model.Layers[l - 1].Kind == LayerKind.Conv2d ? $"the patches' transpose of {product}" : Flattens(model, l) ? $"{product} back in channels-last order" : product;

        private static string Pool(LayerSpec layer) =>
            $"{(layer.Kind == LayerKind.MaxPool2d ? "max" : "average")} pooling over {I(layer.Kernel)}×{I(layer.Kernel)} windows every {I(layer.Stride)}";

        private static string Map(LayerSpec layer) => $"{I(layer.InChannels)}×{I(layer.InHeight)}×{I(layer.InWidth)} → {I(layer.Units)}×{I(layer.OutHeight)}×{I(layer.OutWidth)}";

        /// <summary>Ȧ of layer <paramref name="l"/> inside TangentForward (a local).</summary>
        private static string TangentOutput(ModelSpec model, int l) => HasActivation(model, l) || !model.Layers[l - 1].HasParameters ? $"aDot{l}" : $"zDot{l}";

        /// <summary>Ȧ of layer <paramref name="l"/> after TangentForward (a workspace slice).</summary>
        private static string TangentSlice(ModelSpec model, int l) =>
            Slice(HasActivation(model, l) || !model.Layers[l - 1].HasParameters ? "_aDot" : "_zDot", model, l);

        private static string Bool(bool value) => value ? "true" : "false";
    }
}
