using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

namespace FishLeg.Experiments;

/// <summary>
/// A run's log inside its checkpoint's metadata, so that a resumed run's CSV and plots show the whole run, not only
/// the epochs after the resume. Rows are ';'-separated, fields ',', numbers invariant and round-trip exact.
/// </summary>
internal static class RunHistory
{
    private const string EpochsKey = "history.epochs", BatchesKey = "history.batches";

    public static void Save(RunLog log, IDictionary<string, string> metadata)
    {
        metadata[EpochsKey] = string.Join(";", log.Epochs.Select(e => string.Create(CultureInfo.InvariantCulture,
            $"{e.Epoch},{e.Iteration},{e.Seconds:R},{e.TrainLoss:R},{e.TestLoss:R},{e.TestAccuracy:R}")));
        metadata[BatchesKey] = string.Join(";", log.Batches.Select((b, i) => string.Create(CultureInfo.InvariantCulture,
            $"{b.Epoch},{b.Iteration},{b.Seconds:R},{b.Loss:R},{log.IterationMilliseconds[i]:R}")));
    }

    /// <summary>Fills an empty log from a checkpoint's metadata.</summary>
    /// <exception cref="InvalidDataException">The history is missing or malformed.</exception>
    public static void Restore(IReadOnlyDictionary<string, string> metadata, RunLog log)
    {
        foreach (double[] row in Rows(metadata, EpochsKey, 6))
            log.Epochs.Add(new EpochResult((int)row[0], (long)row[1], row[2], row[3], row[4], row[5]));
        foreach (double[] row in Rows(metadata, BatchesKey, 5))
        {
            log.Batches.Add(((int)row[0], (long)row[1], row[2], row[3]));
            log.IterationMilliseconds.Add(row[4]);
        }
    }

    /// <summary>A non-negative whole number saved under <paramref name="key"/>.</summary>
    public static int Count(IReadOnlyDictionary<string, string> metadata, string key) =>
        int.TryParse(metadata.GetValueOrDefault(key), NumberStyles.None, CultureInfo.InvariantCulture, out int value) ? value
            : throw new InvalidDataException($"The checkpoint's '{key}' is '{metadata.GetValueOrDefault(key, "(none)")}', not a non-negative whole number.");

    /// <summary>A finite, non-negative duration saved under <paramref name="key"/>.</summary>
    public static double Seconds(IReadOnlyDictionary<string, string> metadata, string key) =>
        double.TryParse(metadata.GetValueOrDefault(key), NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && value >= 0 && double.IsFinite(value)
            ? value : throw new InvalidDataException($"The checkpoint's '{key}' is '{metadata.GetValueOrDefault(key, "(none)")}', not a duration in seconds.");

    private static IEnumerable<double[]> Rows(IReadOnlyDictionary<string, string> metadata, string key, int fields)
    {
        if (!metadata.TryGetValue(key, out string? text))
            throw new InvalidDataException($"The checkpoint has no '{key}': it was not saved by this program.");
        if (text.Length == 0) yield break;
        foreach (string row in text.Split(';'))
        {
            string[] parts = row.Split(',');
            var values = new double[fields];
            if (parts.Length != fields || !parts.Select((p, i) => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out values[i])).All(ok => ok))
                throw new InvalidDataException($"The checkpoint's '{key}' has a malformed row '{row}'.");
            yield return values;
        }
    }
}
