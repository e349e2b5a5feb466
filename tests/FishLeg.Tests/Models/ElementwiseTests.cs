using System;
using System.Linq;
using Xunit;

namespace FishLeg.Tests.Models;

/// <summary>
/// Activations from [Elementwise] methods: the model computes what the user's own method gives (the generated vector
/// and scalar code against the C# the user wrote), in double and in float, and stays finite where naive derivatives of
/// the same definitions would give ∞/∞.
/// </summary>
public class ElementwiseTests
{
    /// <summary>
    /// SwishSeluNet's predictions equal a forward pass written with the user's methods; a batch of 11 examples of 6 and
    /// 4 units runs both the vector loops and the scalar tails.
    /// </summary>
    [Fact]
    public void TheModelComputesTheUsersOwnFunctions()
    {
        const int Batch = 11;
        var model = new SwishSeluNet(Batch, seed: 4);
        var (inputs, _) = SmallNets.Batch(model.Description, Batch, seed: 5);
        for (int i = 0; i < inputs.Length; i++) inputs[i] *= 3; // well into both pieces of SELU
        var predictions = new double[Batch * 3];
        model.Predict(inputs, predictions);
        double[] w = model.Parameters.ToArray();
        var layers = model.Description.Layers;
        double[] Layer(int l, double[] x, Func<double, double> f)
        {
            LayerDescription d = layers[l];
            return [.. Enumerable.Range(0, d.Outputs).Select(o => f(w[d.Offset + o * d.Columns + d.Inputs] +
                Enumerable.Range(0, d.Inputs).Sum(i => w[d.Offset + o * d.Columns + i] * x[i])))];
        }
        for (int n = 0; n < Batch; n++)
        {
            double[] x = inputs[(n * 5)..(n * 5 + 5)];
            double[] output = Layer(2, Layer(1, Layer(0, x, SwishSeluNet.Swish), SwishSeluNet.Selu), v => v);
            for (int o = 0; o < 3; o++) Assert.Equal(output[o], predictions[n * 3 + o], 1e-13);
        }
        Assert.Equal(("Swish", Activation.Identity), (layers[0].ActivationFunction, layers[0].Activation));
    }

    /// <summary>
    /// A float model whose pre-activations reach ±1000: Swish written as x/(1 + e⁻ˣ) and Mish through log(1 + eˣ)
    /// (rewritten to σ and softplus) give finite losses, gradients and curvature products.
    /// </summary>
    [Fact]
    public void HugePreActivationsStayFiniteInFloat()
    {
        const int Batch = 9;
        var model = new NormalizedClassifier(Batch, seed: 2);
        var inputs = new float[Batch * NormalizedClassifier.InputCount];
        for (int i = 0; i < inputs.Length; i++) inputs[i] = (i % 7 - 3) * 400f;
        var targets = new float[Batch * NormalizedClassifier.OutputCount];
        for (int n = 0; n < Batch; n++) targets[n * NormalizedClassifier.OutputCount + n % NormalizedClassifier.OutputCount] = 1;
        float loss = model.LossAndGradient(inputs, targets);
        Assert.True(float.IsFinite(loss));
        Assert.All(model.Gradient.ToArray(), g => Assert.True(float.IsFinite(g)));
        var direction = Enumerable.Range(0, NormalizedClassifier.ParameterCount).Select(i => (float)Math.Sin(i)).ToArray();
        var product = new float[NormalizedClassifier.ParameterCount];
        model.HessianVectorProduct(inputs, targets, direction, product);
        Assert.All(product, p => Assert.True(float.IsFinite(p)));
        model.FisherVectorProduct(inputs, direction, product);
        Assert.All(product, p => Assert.True(float.IsFinite(p)));
    }
}
