using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace FishLeg.Kernels;

/// <summary>The bias-column parts of a dense layer that are not a GEMM, and its initialization.</summary>
public static class Dense
{
    /// <summary>
    /// Fills every row of <paramref name="z"/> (batch × rows) with the bias, the last column of the rows×columns matrix
    /// <paramref name="weights"/>, so that a following accumulating GEMM yields <c>[A | 1]·Wᵀ</c>.
    /// </summary>
    public static void BroadcastBias<T>(ReadOnlySpan<T> weights, int columns, Span<T> z) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = weights.Length / columns;
        Span<T> first = z[..rows];
        for (int r = 0; r < rows; r++) first[r] = weights[r * columns + columns - 1];
        BroadcastRow<T>(first, z[rows..]);
    }

    /// <summary>Copies <paramref name="row"/> into every row of <paramref name="matrix"/>.</summary>
    public static void BroadcastRow<T>(ReadOnlySpan<T> row, Span<T> matrix) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int start = 0; start < matrix.Length; start += row.Length) row.CopyTo(matrix.Slice(start, row.Length));
    }

    /// <summary>Writes the column sums of <paramref name="e"/> (batch × rows) into the bias column of <paramref name="gradient"/> (rows × columns).</summary>
    public static void BiasGradient<T>(ReadOnlySpan<T> e, int columns, Span<T> gradient) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = gradient.Length / columns;
        int batch = e.Length / rows;
        for (int r = 0; r < rows; r++) gradient[r * columns + columns - 1] = T.Zero;
        // Accumulate row by row (contiguous) into a strided column: cache-friendly on e, and batch is small.
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<T> row = e.Slice(n * rows, rows);
            for (int r = 0; r < rows; r++) gradient[r * columns + columns - 1] += row[r];
        }
    }

    /// <summary>Draws every entry of a layer's weight matrix (bias included) uniformly from [−1/√fanIn, 1/√fanIn].</summary>
    public static void InitializeUniform<T>(Span<T> weights, int fanIn, ref SeededRandom random) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double bound = 1.0 / Math.Sqrt(fanIn);
        for (int i = 0; i < weights.Length; i++) weights[i] = T.CreateChecked((2.0 * random.NextDouble() - 1.0) * bound);
    }
}
