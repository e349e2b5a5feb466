using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using FishLeg.Kernels;
using FishLeg.Optimizers;
using System.Globalization;

namespace FishLeg.Training;

/// <summary>
/// Saves and restores a training run in the safetensors layout (8-byte little-endian header length, a JSON header,
/// raw little-endian tensors; run metadata in <c>__metadata__</c>), so Python tools can read the weights:
/// <c>layers.{l}.weight</c> [outputs, inputs] (a convolution's [outputs, input channels, kernel, kernel], as PyTorch orders it;
/// a layer normalization's scale [units]) and
/// <c>layers.{l}.bias</c> [outputs], then the optimizer's state.
/// The metadata also records the optimizer's kind and a CRC-32C of the header and of every tensor.
/// Writes are atomic (temporary file, flush, rename; stale temporary files of the same checkpoint are removed). A load
/// checks everything (format, header checksum, model, every tensor's presence, type, shape and checksum, the optimizer's
/// kind and scalars) before it changes anything: it applies all of the file or none of it.
/// </summary>
public static class Checkpoint
{
    private const string FormatKey = "format", FormatValue = "fishleg-checkpoint-2", ModelKey = "model", OptimizerKey = "optimizer";
    internal const string ChecksumPrefix = "crc32c.", HeaderChecksumKey = ChecksumPrefix + "__header__";
    // The header checksum is computed with its own value written as this placeholder, then patched in.
    internal const string ChecksumPlaceholder = "00000000";

    /// <summary>Writes the model's parameters, the optimizer's whole state (if any) and <paramref name="metadata"/>.</summary>
    /// <exception cref="ArgumentException">A metadata key is one the checkpoint writes itself.</exception>
    public static void Save<T>(string path, IFishLegModel<T> model, IOptimizerState<T>? optimizer = null, IReadOnlyDictionary<string, string>? metadata = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var tensors = ModelTensors(model).Select(t => (t.Name, t.Shape, Values: t.Read())).ToList();
        if (optimizer is not null) tensors.AddRange(optimizer.StateTensors.Select(t => (t.Key, new[] { t.Value.Length }, t.Value)));

        var meta = new Dictionary<string, string>
        {
            [FormatKey] = FormatValue,
            [ModelKey] = model.Description.Name,
            [HeaderChecksumKey] = ChecksumPlaceholder,
        };
        if (optimizer is not null)
        {
            meta[OptimizerKey] = optimizer.Kind;
            foreach (var (key, value) in optimizer.StateScalars) meta[key] = value;
        }
        foreach (var (name, _, values) in tensors) meta[ChecksumPrefix + name] = Hex(Crc32C.Compute(MemoryMarshal.AsBytes(values.AsSpan())));
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>())
            if (!meta.TryAdd(key, value))
                throw new ArgumentException($"The metadata key '{key}' is one the checkpoint writes itself; choose another.", nameof(metadata));

        int size = ElementSize<T>();
        using var header = new MemoryStream();
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            json.WriteStartObject("__metadata__");
            foreach (var (key, value) in meta.OrderBy(p => p.Key, StringComparer.Ordinal)) json.WriteString(key, value);
            json.WriteEndObject();
            long offset = 0;
            foreach (var (name, shape, values) in tensors)
            {
                json.WriteStartObject(name);
                json.WriteString("dtype", DType<T>());
                json.WriteStartArray("shape");
                foreach (int d in shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset += (long)values.Length * size);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        // Pad the header with spaces to 8-byte alignment, as safetensors does.
        while (header.Length % 8 != 0) header.WriteByte((byte)' ');
        byte[] prefixedHeader = WithLengthAndChecksum(header.ToArray());

        string full = Path.GetFullPath(path), directory = Path.GetDirectoryName(full)!, fileName = Path.GetFileName(full);
        RemoveStaleTemporaryFiles(directory, fileName);
        string temporary = Path.Combine(directory, $".{fileName}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                file.Write(prefixedHeader);
                foreach (var (_, _, values) in tensors) file.Write(MemoryMarshal.AsBytes(values.AsSpan()));
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>
    /// Restores the model's parameters and the optimizer's state from <paramref name="path"/>; returns the metadata.
    /// Nothing is changed unless the whole file checks out.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is corrupt or truncated, or belongs to another model or optimizer; the message says which tensor or value.</exception>
    public static IReadOnlyDictionary<string, string> Load<T>(string path, IFishLegModel<T> model, IOptimizerState<T>? optimizer = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!File.Exists(path)) throw new FileNotFoundException($"The checkpoint '{path}' does not exist.", path);
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < 8) throw new InvalidDataException($"Checkpoint '{path}' is truncated: it has {bytes.Length} bytes, fewer than the 8 of its header length.");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > (ulong)(bytes.Length - 8))
            throw new InvalidDataException($"Checkpoint '{path}' is truncated: its header claims {headerLength} bytes but only {bytes.Length - 8} follow.");
        int dataStart = 8 + (int)headerLength;

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Checkpoint '{path}' has a corrupt header: {e.Message}", e);
        }
        using (document)
        {
            JsonElement root = document.RootElement;
            Dictionary<string, string> metadata = ReadMetadata(path, root);
            string format = metadata.GetValueOrDefault(FormatKey, "(none)");
            if (format != FormatValue)
                throw new InvalidDataException($"Checkpoint '{path}' has format '{format}'; this version reads '{FormatValue}'.");
            CheckHeaderChecksum(path, bytes.AsSpan(0, dataStart), metadata);
            string savedModel = metadata.GetValueOrDefault(ModelKey, "(none)");
            if (savedModel != model.Description.Name)
                throw new InvalidDataException($"Checkpoint '{path}' was saved from model '{savedModel}', not '{model.Description.Name}'.");
            Action? restoreScalars = null;
            if (optimizer is not null)
            {
                if (!metadata.TryGetValue(OptimizerKey, out string? savedOptimizer))
                    throw new InvalidDataException($"Checkpoint '{path}' holds no optimizer state; load it without an optimizer to restore the weights alone.");
                if (savedOptimizer != optimizer.Kind)
                    throw new InvalidDataException($"Checkpoint '{path}' holds the state of optimizer '{savedOptimizer}', not '{optimizer.Kind}'.");
                try
                {
                    restoreScalars = optimizer.PrepareRestore(metadata);
                }
                catch (InvalidDataException e)
                {
                    throw new InvalidDataException($"Checkpoint '{path}': {e.Message}", e);
                }
            }

            // Check everything first, then copy: a bad file changes nothing.
            var copies = new List<(int Offset, Action<ReadOnlySpan<T>> Write, int Count)>();
            foreach (var tensor in ModelTensors(model))
                copies.Add(Locate(path, root, metadata, bytes, dataStart, tensor.Name, tensor.Shape, tensor.Write));
            if (optimizer is not null)
                foreach (var (name, values) in optimizer.StateTensors)
                    copies.Add(Locate<T>(path, root, metadata, bytes, dataStart, name, [values.Length], source => source.CopyTo(values)));
            foreach (var (offset, write, count) in copies)
                write(MemoryMarshal.Cast<byte, T>(bytes.AsSpan(offset, count * ElementSize<T>())));
            restoreScalars?.Invoke();
            return metadata;
        }
    }

    private static Dictionary<string, string> ReadMetadata(string path, JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("__metadata__", out JsonElement meta) || meta.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"Checkpoint '{path}' has no '__metadata__' object in its header.");
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            foreach (JsonProperty p in meta.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String || !metadata.TryAdd(p.Name, p.Value.GetString()!))
                    throw new InvalidDataException($"Checkpoint '{path}': metadata entry '{p.Name}' is not a single string.");
            }
        }
        catch (InvalidOperationException e) // a name or value that is not valid UTF-8
        {
            throw new InvalidDataException($"Checkpoint '{path}' has corrupt metadata: {e.Message}", e);
        }
        return metadata;
    }

    /// <summary>The length prefix and the header, with the CRC-32C of both (taken with the placeholder in place) patched in.</summary>
    internal static byte[] WithLengthAndChecksum(byte[] header)
    {
        byte[] prefixed = new byte[8 + header.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(prefixed, (ulong)header.Length);
        header.CopyTo(prefixed, 8);
        int at = HeaderChecksumPosition(prefixed, ChecksumPlaceholder);
        Encoding.ASCII.GetBytes(Hex(Crc32C.Compute(prefixed))).CopyTo(prefixed, at);
        return prefixed;
    }

    private static void CheckHeaderChecksum(string path, ReadOnlySpan<byte> prefixedHeader, Dictionary<string, string> metadata)
    {
        string saved = metadata.GetValueOrDefault(HeaderChecksumKey, "");
        byte[] copy = prefixedHeader.ToArray();
        int at = saved.Length == ChecksumPlaceholder.Length ? HeaderChecksumPosition(copy, saved) : -1;
        if (at < 0) throw new InvalidDataException($"Checkpoint '{path}' has no valid header checksum.");
        Encoding.ASCII.GetBytes(ChecksumPlaceholder).CopyTo(copy, at);
        if (Hex(Crc32C.Compute(copy)) != saved)
            throw new InvalidDataException($"Checkpoint '{path}' fails its header checksum: the header is corrupt.");
    }

    /// <summary>Where the header checksum's value starts, if the key and <paramref name="value"/> occur exactly once; else −1.</summary>
    private static int HeaderChecksumPosition(byte[] prefixedHeader, string value)
    {
        byte[] pattern = Encoding.ASCII.GetBytes($"\"{HeaderChecksumKey}\":\"{value}\"");
        int first = prefixedHeader.AsSpan().IndexOf(pattern);
        if (first < 0 || prefixedHeader.AsSpan(first + 1).IndexOf(pattern) >= 0) return -1;
        return first + pattern.Length - value.Length - 1;
    }

    /// <summary>Deletes the temporary files an interrupted save of the same checkpoint left (".name.{32 hex digits}.tmp").</summary>
    private static void RemoveStaleTemporaryFiles(string directory, string name)
    {
        string prefix = $".{name}.";
        foreach (string file in Directory.EnumerateFiles(directory, ".*.tmp"))
        {
            string candidate = Path.GetFileName(file);
            if (candidate.Length == prefix.Length + 32 + 4 && candidate.StartsWith(prefix, StringComparison.Ordinal) &&
                candidate.AsSpan(prefix.Length, 32).ContainsAnyExcept("0123456789abcdef") is false)
                File.Delete(file);
        }
    }

    private static (int Offset, Action<ReadOnlySpan<T>> Write, int Count) Locate<T>(string path, JsonElement root, Dictionary<string, string> metadata,
        byte[] bytes, int dataStart, string name, int[] shape, Action<ReadOnlySpan<T>> write) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!root.TryGetProperty(name, out JsonElement entry))
            throw new InvalidDataException($"Checkpoint '{path}' has no tensor '{name}'.");
        int count, offset;
        try
        {
            string? dtype = entry.GetProperty("dtype").GetString();
            if (dtype != DType<T>())
                throw new InvalidDataException($"Checkpoint '{path}': tensor '{name}' is {dtype}, but the model uses {DType<T>()}.");
            int[] saved = entry.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();
            if (!saved.SequenceEqual(shape))
                throw new InvalidDataException($"Checkpoint '{path}': tensor '{name}' has shape [{string.Join(", ", saved)}], but [{string.Join(", ", shape)}] is expected.");
            long[] offsets = entry.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            count = shape.Aggregate(1, (product, d) => product * d);
            if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] - offsets[0] != (long)count * ElementSize<T>())
                throw new InvalidDataException($"Checkpoint '{path}': tensor '{name}' has data offsets [{string.Join(", ", offsets)}] that do not fit its shape.");
            if (dataStart + offsets[1] > bytes.Length)
                throw new InvalidDataException($"Checkpoint '{path}' is truncated: tensor '{name}' ends at byte {dataStart + offsets[1]} but the file has {bytes.Length}.");
            offset = (int)(dataStart + offsets[0]);
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"Checkpoint '{path}': the header entry of tensor '{name}' is malformed ({e.Message}).", e);
        }
        string checksum = Hex(Crc32C.Compute(bytes.AsSpan(offset, count * ElementSize<T>())));
        if (metadata.GetValueOrDefault(ChecksumPrefix + name) != checksum)
            throw new InvalidDataException($"Checkpoint '{path}': tensor '{name}' fails its checksum: its data is corrupt.");
        return (offset, write, count);
    }

    private static string Hex(uint checksum) => checksum.ToString("x8", CultureInfo.InvariantCulture);

    /// <summary>
    /// Each layer's weight (without the bias column) and bias, as separate tensors in the PyTorch layout: a dense weight
    /// [outputs, inputs] as <c>nn.Linear</c>'s, a convolution's [outputs, input channels, kernel, kernel] as
    /// <c>nn.Conv2d</c>'s (its rows hold each filter as (kernel row, kernel column, channel): the transpose is here), a
    /// layer normalization's scale and shift [units] each as <c>nn.LayerNorm</c>'s.
    /// </summary>
    private static IEnumerable<(string Name, int[] Shape, Func<T[]> Read, Action<ReadOnlySpan<T>> Write)> ModelTensors<T>(IFishLegModel<T> model)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var layers = model.Description.Layers;
        for (int l = 0; l < layers.Count; l++)
        {
            LayerDescription layer = layers[l];
            if (layer.Kind == LayerKind.Conv2d)
                yield return ($"layers.{l}.weight", [layer.Outputs, layer.InputChannels, layer.Kernel, layer.Kernel],
                    () => Filters(layer, toPyTorch: true, Columns(model, layer, 0, layer.Inputs)),
                    values => SetColumns(model, layer, 0, layer.Inputs, Filters(layer, toPyTorch: false, values.ToArray())));
            else
                // A layer normalization's scale is one value per unit: nn.LayerNorm's weight [n].
                yield return ($"layers.{l}.weight", layer.Kind == LayerKind.LayerNorm ? [layer.Outputs] : [layer.Outputs, layer.Inputs],
                    () => Columns(model, layer, 0, layer.Inputs),
                    values => SetColumns(model, layer, 0, layer.Inputs, values));
            if (layer.HasBias)
                yield return ($"layers.{l}.bias", [layer.Outputs],
                    () => Columns(model, layer, layer.Inputs, 1),
                    values => SetColumns(model, layer, layer.Inputs, 1, values));
        }
    }

    /// <summary>
    /// Each filter reordered from (kernel row, kernel column, channel) to PyTorch's (channel, kernel row, kernel column),
    /// or back: a filter is a (kernel positions × channels) map, so the reordering is the flatten's transpose.
    /// </summary>
    private static T[] Filters<T>(LayerDescription layer, bool toPyTorch, T[] values)
    {
        int area = layer.Kernel * layer.Kernel;
        var reordered = new T[values.Length];
        if (toPyTorch) Spatial.ToChannelsFirst<T>(values, layer.Outputs, area, layer.InputChannels, reordered);
        else Spatial.ToChannelsLast<T>(values, layer.Outputs, area, layer.InputChannels, reordered);
        return reordered;
    }

    private static T[] Columns<T>(IFishLegModel<T> model, LayerDescription layer, int first, int count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var values = new T[layer.Outputs * count];
        Span<T> w = model.Parameters.Slice(layer.Offset, layer.ParameterCount);
        for (int r = 0; r < layer.Outputs; r++) w.Slice(r * layer.Columns + first, count).CopyTo(values.AsSpan(r * count, count));
        return values;
    }

    private static void SetColumns<T>(IFishLegModel<T> model, LayerDescription layer, int first, int count, ReadOnlySpan<T> values)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Span<T> w = model.Parameters.Slice(layer.Offset, layer.ParameterCount);
        for (int r = 0; r < layer.Outputs; r++) values.Slice(r * count, count).CopyTo(w.Slice(r * layer.Columns + first, count));
    }

    private static string DType<T>() => typeof(T) == typeof(float) ? "F32" : typeof(T) == typeof(double) ? "F64" : throw new NotSupportedException(typeof(T).Name);

    private static int ElementSize<T>() where T : unmanaged => System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
}
