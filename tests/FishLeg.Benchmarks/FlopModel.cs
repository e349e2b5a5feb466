using System.Linq;
using FishLeg;

namespace FishLeg.Benchmarks;

/// <summary>
/// Multiply-adds of one iteration by the speed issue's FLOP model, summed over the layers (o outputs, n inputs, i = n + 1
/// columns with the bias) at batch K, every layer taken in low-rank / factored form with triangular factors (their
/// products at half the dense size). Our optimizer keeps the two 30-wide layers of the autoencoder dense where that is
/// cheaper, so the model slightly overstates what runs (under 1%).
/// </summary>
internal static class FlopModel
{
    /// <summary>Forward (K·o·i), gradient (K·o·i) and the delta below (K·o·n, not for the first layer).</summary>
    public static double ForwardBackward(ModelDescription model, int k) =>
        model.Layers.Select((layer, l) => k * (2.0 * layer.Outputs * layer.Columns + (l > 0 ? (double)layer.Outputs * layer.Inputs : 0))).Sum();

    /// <summary>Q·g from the gradient's factors: K·(o² + i² + o·i) (paper A.7, docs/math.md §3b).</summary>
    public static double LowRankQTimesGradient(ModelDescription model, int k) =>
        model.Layers.Sum(layer => (double)k * ((double)layer.Outputs * layer.Outputs + (double)layer.Columns * layer.Columns + (double)layer.Outputs * layer.Columns));

    /// <summary>F·v: forward, then the tangent forward and tangent backward passes, each K·o·i plus K·o·n above the first layer.</summary>
    public static double FisherVectorProduct(ModelDescription model, int k) =>
        model.Layers.Select((layer, l) => k * (3.0 * layer.Outputs * layer.Columns + (l > 0 ? 2.0 * layer.Outputs * layer.Inputs : 0))).Sum();

    /// <summary>
    /// <c>KroneckerQ.LambdaGradientFromFactors</c> with K′ = K (K_c = 3K), reusing Q·u's products: (o² + i²)·K_c for the
    /// products with the factors and the lower-triangular gradients, 3·K_c·K·(o + i) for the thin ones.
    /// </summary>
    public static double FactoredAuxiliaryGradient(ModelDescription model, int k) =>
        model.Layers.Sum(layer =>
        {
            double o = layer.Outputs, i = layer.Columns, kc = 3.0 * k;
            return (o * o + i * i) * kc + 3 * kc * k * (o + i);
        });

    /// <summary>
    /// A FishLeg iteration with momentum on Q·g and an auxiliary update every <paramref name="updateAuxEvery"/> steps
    /// (0: never): forward-backward and Q·g, plus a 1/T share of F·v, Q·u and the factored λ gradient.
    /// </summary>
    public static double FishLegIteration(ModelDescription model, int k, int updateAuxEvery)
    {
        double step = ForwardBackward(model, k) + LowRankQTimesGradient(model, k);
        if (updateAuxEvery == 0) return step;
        double auxiliary = FisherVectorProduct(model, k) + LowRankQTimesGradient(model, k) + FactoredAuxiliaryGradient(model, k);
        return step + auxiliary / updateAuxEvery;
    }
}
