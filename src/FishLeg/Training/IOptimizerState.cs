using System.Collections.Generic;
using System.Numerics;

namespace FishLeg.Training;

/// <summary>An optimizer's whole state, as a checkpoint saves and restores it.</summary>
public interface IOptimizerState<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The arrays of the state, by name: a checkpoint writes them and, on load, fills them in place.</summary>
    IEnumerable<KeyValuePair<string, T[]>> StateTensors { get; }

    /// <summary>The scalar state (step counters, random-number state) as invariant strings.</summary>
    IReadOnlyDictionary<string, string> StateScalars { get; }

    /// <summary>Restores the scalars saved from <see cref="StateScalars"/>.</summary>
    /// <exception cref="System.IO.InvalidDataException">A scalar is missing or malformed.</exception>
    void RestoreStateScalars(IReadOnlyDictionary<string, string> scalars);
}

internal static class ScalarReader
{
    public static string Get(IReadOnlyDictionary<string, string> scalars, string key) =>
        scalars.TryGetValue(key, out string? value) ? value
            : throw new System.IO.InvalidDataException($"The checkpoint has no optimizer value '{key}'.");

    public static long GetInt64(IReadOnlyDictionary<string, string> scalars, string key) =>
        long.TryParse(Get(scalars, key), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out long value)
            ? value : throw new System.IO.InvalidDataException($"The checkpoint's optimizer value '{key}' is not an integer.");
}
