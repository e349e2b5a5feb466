using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace FishLeg.Training;

/// <summary>
/// Saves and restores a training run in the safetensors layout (8-byte little-endian header length, a JSON header,
/// raw little-endian tensors; run metadata in <c>__metadata__</c>), so Python tools can read the weights:
/// <c>layers.{l}.weight</c> [outputs, inputs] and <c>layers.{l}.bias</c> [outputs], then the optimizer's state.
/// Writes are atomic (temporary file, flush, rename); loads check every tensor's presence, type and shape.
/// </summary>
public static class Checkpoint
{
    private const string FormatKey = "format", FormatValue = "fishleg-checkpoint-1", ModelKey = "model";

    /// <summary>Writes the model's parameters, the optimizer's whole state (if any) and <paramref name="metadata"/>.</summary>
    public static void Save<T>(string path, IFishLegModel<T> model, IOptimizerState<T>? optimizer = null, IReadOnlyDictionary<string, string>? metadata = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        var tensors = ModelTensors(model).Select(t => (t.Name, t.Shape, Values: t.Read())).ToList();
        if (optimizer is not null) tensors.AddRange(optimizer.StateTensors.Select(t => (t.Key, new[] { t.Value.Length }, t.Value)));

        var meta = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>())
        {
            [FormatKey] = FormatValue,
            [ModelKey] = model.Description.Name,
        };
        if (optimizer is not null) foreach (var (key, value) in optimizer.StateScalars) meta[key] = value;

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

        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                Span<byte> length = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
                file.Write(length);
                header.Position = 0;
                header.CopyTo(file);
                foreach (var (_, _, values) in tensors) file.Write(MemoryMarshal.AsBytes(values.AsSpan()));
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
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
            var metadata = new Dictionary<string, string>();
            if (root.TryGetProperty("__metadata__", out JsonElement meta) && meta.ValueKind == JsonValueKind.Object)
                foreach (JsonProperty p in meta.EnumerateObject()) metadata[p.Name] = p.Value.GetString() ?? "";
            if (metadata.TryGetValue(ModelKey, out string? savedModel) && savedModel != model.Description.Name)
                throw new InvalidDataException($"Checkpoint '{path}' was saved from model '{savedModel}', not '{model.Description.Name}'.");

            // Check everything first, then copy: a bad file changes nothing.
            var copies = new List<(int Offset, Action<ReadOnlySpan<T>> Write, int Count)>();
            foreach (var tensor in ModelTensors(model))
                copies.Add(Locate(path, root, bytes, dataStart, tensor.Name, tensor.Shape, tensor.Write));
            if (optimizer is not null)
                foreach (var (name, values) in optimizer.StateTensors)
                    copies.Add(Locate<T>(path, root, bytes, dataStart, name, [values.Length], source => source.CopyTo(values)));
            foreach (var (offset, write, count) in copies)
                write(MemoryMarshal.Cast<byte, T>(bytes.AsSpan(offset, count * ElementSize<T>())));
            optimizer?.RestoreStateScalars(metadata);
            return metadata;
        }
    }

    private static (int Offset, Action<ReadOnlySpan<T>> Write, int Count) Locate<T>(string path, JsonElement root, byte[] bytes, int dataStart,
        string name, int[] shape, Action<ReadOnlySpan<T>> write) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!root.TryGetProperty(name, out JsonElement entry))
            throw new InvalidDataException($"Checkpoint '{path}' has no tensor '{name}'.");
        try
        {
            string? dtype = entry.GetProperty("dtype").GetString();
            if (dtype != DType<T>())
                throw new InvalidDataException($"Checkpoint '{path}': tensor '{name}' is {dtype}, but the model uses {DType<T>()}.");
            int[] saved = entry.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();
            if (!saved.SequenceEqual(shape))
                throw new InvalidDataException($"Checkpoint '{path}': tensor '{name}' has shape [{string.Join(", ", saved)}], but [{string.Join(", ", shape)}] is expected.");
            long[] offsets = entry.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            int count = shape.Aggregate(1, (product, d) => product * d);
            if (offsets.Length != 2 || offsets[1] - offsets[0] != (long)count * ElementSize<T>() || offsets[0] < 0)
                throw new InvalidDataException($"Checkpoint '{path}': tensor '{name}' has data offsets [{string.Join(", ", offsets)}] that do not fit its shape.");
            if (dataStart + offsets[1] > bytes.Length)
                throw new InvalidDataException($"Checkpoint '{path}' is truncated: tensor '{name}' ends at byte {dataStart + offsets[1]} but the file has {bytes.Length}.");
            return ((int)(dataStart + offsets[0]), write, count);
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"Checkpoint '{path}': the header entry of tensor '{name}' is malformed ({e.Message}).", e);
        }
    }

    /// <summary>Each layer's weight (without the bias column) and bias, as separate tensors in the PyTorch layout.</summary>
    private static IEnumerable<(string Name, int[] Shape, Func<T[]> Read, Action<ReadOnlySpan<T>> Write)> ModelTensors<T>(IFishLegModel<T> model)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var layers = model.Description.Layers;
        for (int l = 0; l < layers.Count; l++)
        {
            LayerDescription layer = layers[l];
            yield return ($"layers.{l}.weight", [layer.Outputs, layer.Inputs],
                () => Columns(model, layer, 0, layer.Inputs),
                values => SetColumns(model, layer, 0, layer.Inputs, values));
            if (layer.HasBias)
                yield return ($"layers.{l}.bias", [layer.Outputs],
                    () => Columns(model, layer, layer.Inputs, 1),
                    values => SetColumns(model, layer, layer.Inputs, 1, values));
        }
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
