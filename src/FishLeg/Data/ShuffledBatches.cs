using System;
using System.Numerics;

namespace FishLeg.Data;

/// <summary>
/// Seeded minibatches over a dataset of <see cref="Count"/> rows: a fresh permutation per epoch (Fisher–Yates on
/// xoshiro256**), full batches only, so the same seed gives the same batches on every machine and for every optimizer
/// compared on it. Rows are copied into caller-owned batch buffers with no allocation.
/// </summary>
public sealed class ShuffledBatches
{
    private readonly int[] _order;
    private SeededRandom _random;

    /// <summary>Batches of <paramref name="batchSize"/> rows out of <paramref name="count"/>, shuffled from <paramref name="seed"/>.</summary>
    public ShuffledBatches(int count, int batchSize, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (count < batchSize)
            throw new ArgumentException($"A dataset of {count} rows cannot fill one batch of {batchSize}.", nameof(count));
        BatchSize = batchSize;
        _order = new int[count];
        _random = new SeededRandom(seed);
        Shuffle();
    }

    /// <summary>The number of rows in the dataset.</summary>
    public int Count => _order.Length;
    /// <summary>Rows per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Full batches per epoch; the last Count mod BatchSize rows of each permutation are left out.</summary>
    public int BatchesPerEpoch => Count / BatchSize;

    /// <summary>Draws a new permutation: call at the start of every epoch after the first.</summary>
    public void Shuffle()
    {
        for (int i = 0; i < _order.Length; i++) _order[i] = i;
        for (int i = _order.Length - 1; i > 0; i--)
        {
            int j = _random.NextInt(i + 1);
            (_order[i], _order[j]) = (_order[j], _order[i]);
        }
    }

    /// <summary>The row indices of batch <paramref name="batch"/> of the current permutation.</summary>
    public ReadOnlySpan<int> Rows(int batch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(batch, BatchesPerEpoch);
        return _order.AsSpan(batch * BatchSize, BatchSize);
    }

    /// <summary>Copies the rows of batch <paramref name="batch"/> (each <paramref name="rowLength"/> values of <paramref name="source"/>) into <paramref name="destination"/>.</summary>
    public void Gather<T>(int batch, ReadOnlySpan<T> source, int rowLength, Span<T> destination) where T : unmanaged, INumberBase<T>
    {
        if (source.Length != Count * rowLength)
            throw new ArgumentException($"{Count} rows of {rowLength} need {(long)Count * rowLength} values, not {source.Length}.", nameof(source));
        if (destination.Length < BatchSize * rowLength)
            throw new ArgumentException($"A batch of {BatchSize} rows of {rowLength} needs {BatchSize * rowLength} values, not {destination.Length}.", nameof(destination));
        ReadOnlySpan<int> rows = Rows(batch);
        for (int n = 0; n < rows.Length; n++)
            source.Slice(rows[n] * rowLength, rowLength).CopyTo(destination.Slice(n * rowLength, rowLength));
    }
}
