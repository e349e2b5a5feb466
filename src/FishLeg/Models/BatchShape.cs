using System;
using System.ComponentModel;

namespace FishLeg;

/// <summary>Shape checks shared by generated models, with errors that say which buffer is wrong and how.</summary>
/// <remarks>For use by generated code.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class BatchShape
{
    /// <summary>Length of a workspace buffer of <paramref name="width"/> values per example for batches up to <paramref name="maxBatchSize"/>.</summary>
    public static int BufferLength(int maxBatchSize, int width)
    {
        if (maxBatchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(maxBatchSize), maxBatchSize, "The maximum batch size must be at least 1.");
        long length = (long)maxBatchSize * width;
        if (length > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(maxBatchSize), maxBatchSize,
                $"A batch of {maxBatchSize} examples of width {width} needs {length} values, more than one array can hold.");
        return (int)length;
    }

    /// <summary>Number of rows (examples) in a batch buffer of <paramref name="length"/> values, <paramref name="width"/> per row.</summary>
    public static int Rows(int length, int width, int maxBatchSize, string name)
    {
        if (length == 0 || length % width != 0)
            throw new ArgumentException(
                $"'{name}' holds {length} values, which is not a whole, non-empty number of rows of {width}.", name);
        int rows = length / width;
        if (rows > maxBatchSize)
            throw new ArgumentException(
                $"'{name}' holds {rows} examples, more than the maximum batch size of {maxBatchSize} the model was created with.", name);
        return rows;
    }

    /// <summary>Checks that a buffer holds exactly <paramref name="rows"/> rows of <paramref name="width"/> values.</summary>
    public static void RequireLength(int length, int rows, int width, string name)
    {
        if (length != rows * width)
            throw new ArgumentException(
                $"'{name}' holds {length} values but a batch of {rows} examples needs {rows * width} ({rows}×{width}).", name);
    }

    /// <summary>Checks that a kernel's buffer holds at least the <paramref name="needed"/> values a batch needs.</summary>
    public static void RequireAtLeast(int length, long needed, string name)
    {
        if (length < needed) throw new ArgumentException($"'{name}' holds {length} values but the batch needs {needed}.", name);
    }

    /// <summary>Checks that a parameter-shaped buffer (a direction or a product) holds exactly <paramref name="parameterCount"/> values.</summary>
    public static void RequireParameterLength(int length, int parameterCount, string name)
    {
        if (length != parameterCount)
            throw new ArgumentException($"'{name}' holds {length} values but the model has {parameterCount} parameters.", name);
    }

    /// <summary>Checks that a product will not overwrite the direction it is computed from.</summary>
    public static void RequireSeparate<T>(ReadOnlySpan<T> direction, ReadOnlySpan<T> product)
    {
        if (direction.Overlaps(product))
            throw new ArgumentException("'product' overlaps 'direction'; the product must be written to a separate buffer.", "product");
    }
}
