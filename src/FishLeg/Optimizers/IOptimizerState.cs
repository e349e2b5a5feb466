using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Numerics;

namespace FishLeg.Optimizers;

/// <summary>An optimizer's whole state, as a checkpoint saves and restores it.</summary>
public interface IOptimizerState<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The optimizer's kind as a checkpoint records it: a checkpoint loads only into an optimizer of the same kind.</summary>
    string Kind { get; }

    /// <summary>The arrays of the state, by name: a checkpoint writes them and, on load, fills them in place.</summary>
    IEnumerable<KeyValuePair<string, T[]>> StateTensors { get; }

    /// <summary>The scalar state (step counters, random-number state, settings that must match) as invariant strings.</summary>
    IReadOnlyDictionary<string, string> StateScalars { get; }

    /// <summary>
    /// Parses and checks the scalars saved from <see cref="StateScalars"/> without changing anything, and returns the
    /// action that applies them, which cannot fail: a checkpoint calls it only once everything else has checked out.
    /// </summary>
    /// <exception cref="InvalidDataException">A scalar is missing, malformed or out of range, or does not match this optimizer.</exception>
    Action PrepareRestore(IReadOnlyDictionary<string, string> scalars);
}

internal static class ScalarReader
{
    public static string Get(IReadOnlyDictionary<string, string> scalars, string key) =>
        scalars.TryGetValue(key, out string? value) ? value
            : throw new InvalidDataException($"The checkpoint has no optimizer value '{key}'.");

    /// <summary>A counter: a non-negative integer.</summary>
    public static long GetCount(IReadOnlyDictionary<string, string> scalars, string key) =>
        long.TryParse(Get(scalars, key), NumberStyles.None, CultureInfo.InvariantCulture, out long value)
            ? value : throw new InvalidDataException($"The checkpoint's optimizer value '{key}' is not a non-negative integer.");

    /// <summary>A positive, finite number written round-trip.</summary>
    public static double GetPositive(IReadOnlyDictionary<string, string> scalars, string key) =>
        double.TryParse(Get(scalars, key), NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && value > 0 && double.IsFinite(value)
            ? value : throw new InvalidDataException($"The checkpoint's optimizer value '{key}' is not a positive finite number.");

    /// <summary>A random generator's state as <see cref="Format"/> writes it: four hexadecimal words, not all zero.</summary>
    public static SeededRandom GetRandom(IReadOnlyDictionary<string, string> scalars, string key)
    {
        string[] words = Get(scalars, key).Split(' ');
        var state = new ulong[4];
        if (words.Length != 4 || !words.Select((w, i) => w.Length == 16 && ulong.TryParse(w, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out state[i])).All(ok => ok)
            || state.All(word => word == 0))
            throw new InvalidDataException($"The checkpoint's optimizer value '{key}' is not four hexadecimal words of a valid generator state.");
        return SeededRandom.FromState((state[0], state[1], state[2], state[3]));
    }

    /// <summary>A random generator's state as four hexadecimal words.</summary>
    public static string Format(SeededRandom random)
    {
        var (s0, s1, s2, s3) = random.State;
        return string.Create(CultureInfo.InvariantCulture, $"{s0:x16} {s1:x16} {s2:x16} {s3:x16}");
    }

    /// <summary>A flag written as 0 or 1.</summary>
    public static bool GetFlag(IReadOnlyDictionary<string, string> scalars, string key) => Get(scalars, key) switch
    {
        "0" => false,
        "1" => true,
        _ => throw new InvalidDataException($"The checkpoint's optimizer value '{key}' is not 0 or 1."),
    };
}

/// <summary>The optimizer FishLeg runs on λ: a first-order rule with a learning rate it can ramp and a step count.</summary>
internal interface IAuxiliaryOptimizer<T> : IOptimizer<T>, IOptimizerState<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    double LearningRate { get; set; }
    long StepCount { get; }
}
