using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;
using System.Linq;

namespace FishLeg.Experiments.Data;

/// <summary>An IDX array of unsigned bytes, the format of MNIST and Fashion-MNIST: its dimensions and its data, row-major.</summary>
public sealed class IdxArray
{
    /// <summary>Wraps <paramref name="data"/>, whose length must be the product of <paramref name="dimensions"/>.</summary>
    public IdxArray(int[] dimensions, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        ArgumentNullException.ThrowIfNull(data);
        if (dimensions.Length is 0 or > 255 || dimensions.Any(d => d < 0))
            throw new ArgumentException("An IDX array has 1 to 255 non-negative dimensions.", nameof(dimensions));
        long length = dimensions.Aggregate(1L, (product, d) => product * d);
        if (length != data.Length)
            throw new ArgumentException($"Dimensions {string.Join('×', dimensions)} need {length} bytes, not {data.Length}.", nameof(data));
        Dimensions = dimensions;
        Data = data;
    }

    /// <summary>The size of each dimension; the first counts the items.</summary>
    public int[] Dimensions { get; }

    /// <summary>The values, row-major.</summary>
    public byte[] Data { get; }
}

/// <summary>Reads and writes IDX files, gzip-compressed or not, with errors that name the file and the problem.</summary>
public static class Idx
{
    private const byte UnsignedByte = 0x08;

    /// <summary>Reads an IDX file; a gzip-compressed file is recognized by its content, not its name.</summary>
    public static IdxArray Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"The IDX file '{path}' does not exist.", path);
        using FileStream file = File.OpenRead(path);
        return Read(file, path);
    }

    /// <summary>
    /// Reads an IDX array from <paramref name="stream"/>; <paramref name="name"/> names it in errors. A gzip stream is
    /// inflated only as far as its header declares, so a small file that inflates to gigabytes is refused, not read.
    /// </summary>
    public static IdxArray Read(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        byte[] bytes = ReadAll(stream);
        bool compressed = bytes.Length >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B;
        using Stream source = compressed ? new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress) : new MemoryStream(bytes);
        try
        {
            return Parse(source, name);
        }
        catch (InvalidDataException e) when (compressed && !e.Message.StartsWith($"'{name}'", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"'{name}' is not a valid gzip file: {e.Message}", e);
        }
    }

    private static IdxArray Parse(Stream source, string name)
    {
        Span<byte> magic = stackalloc byte[4];
        int read = source.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
        if (read < 4 || magic[0] != 0 || magic[1] != 0)
            throw new InvalidDataException($"'{name}' is not an IDX file: it does not start with the magic bytes 00 00.");
        if (magic[2] != UnsignedByte)
            throw new InvalidDataException($"'{name}' holds IDX type 0x{magic[2]:X2}; only unsigned bytes (0x08) are supported.");
        int rank = magic[3], header = 4 + 4 * rank;
        if (rank == 0) throw new InvalidDataException($"'{name}' declares no dimensions.");
        byte[] sizes = new byte[4 * rank];
        read = source.ReadAtLeast(sizes, sizes.Length, throwOnEndOfStream: false);
        if (read < sizes.Length)
            throw new InvalidDataException($"'{name}' is truncated: its header needs {header} bytes but the file has {4 + read}.");
        var dimensions = new int[rank];
        long length = 1;
        for (int d = 0; d < rank; d++)
        {
            dimensions[d] = BinaryPrimitives.ReadInt32BigEndian(sizes.AsSpan(4 * d));
            if (dimensions[d] < 0) throw new InvalidDataException($"'{name}' declares a negative size {dimensions[d]} for dimension {d}.");
            // Checked before multiplying, so no product can overflow past the test.
            if (dimensions[d] > 0 && length > Array.MaxLength / dimensions[d])
                throw new InvalidDataException($"'{name}' declares {string.Join('×', dimensions[..(d + 1)])}… values, more than the {Array.MaxLength} one array holds.");
            length *= dimensions[d];
        }
        byte[] data = new byte[length];
        read = source.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
        if (read < length)
            throw new InvalidDataException($"'{name}' is truncated: its header ({string.Join('×', dimensions)}) promises {length} bytes of data but only {read} follow.");
        long extra = CountRemaining(source, TrailingLimit);
        if (extra > 0)
            throw new InvalidDataException($"'{name}' has {(extra > TrailingLimit ? $"more than {TrailingLimit}" : extra)} bytes after the {length} its header ({string.Join('×', dimensions)}) declares.");
        return new IdxArray(dimensions, data);
    }

    // How far past the declared data a reader looks to say how much is left over.
    private const int TrailingLimit = 1 << 20;

    /// <summary>Reads and discards up to <paramref name="limit"/> + 1 bytes; returns how many there were.</summary>
    private static long CountRemaining(Stream source, int limit)
    {
        Span<byte> buffer = stackalloc byte[4096];
        long count = 0;
        int read;
        while (count <= limit && (read = source.Read(buffer)) > 0) count += read;
        return count;
    }

    /// <summary>Writes <paramref name="array"/> as an IDX file of unsigned bytes, gzip-compressed when <paramref name="compress"/>.</summary>
    public static void Write(Stream stream, IdxArray array, bool compress)
    {
        ArgumentNullException.ThrowIfNull(array);
        using Stream target = compress ? new GZipStream(stream, CompressionLevel.Optimal, leaveOpen: true) : new NonClosing(stream);
        Span<byte> header = stackalloc byte[4 + 4 * array.Dimensions.Length];
        header[2] = UnsignedByte;
        header[3] = (byte)array.Dimensions.Length;
        for (int d = 0; d < array.Dimensions.Length; d++) BinaryPrimitives.WriteInt32BigEndian(header[(4 + 4 * d)..], array.Dimensions[d]);
        target.Write(header);
        target.Write(array.Data);
    }

    private static byte[] ReadAll(Stream stream)
    {
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }

    /// <summary>Lets the uncompressed path share the compressed path's <c>using</c> without closing the caller's stream.</summary>
    private sealed class NonClosing(Stream inner) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
        public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);
    }
}

/// <summary>Images with one class label each, pixels scaled to [0, 1], row-major: image n is row n of <see cref="Pixels"/>.</summary>
/// <param name="Pixels">Count × Rows·Columns values in [0, 1].</param>
/// <param name="Labels">Count class indices.</param>
/// <param name="Rows">Image height.</param>
/// <param name="Columns">Image width.</param>
public sealed record LabeledImages(float[] Pixels, int[] Labels, int Rows, int Columns)
{
    /// <summary>Number of images.</summary>
    public int Count => Labels.Length;

    /// <summary>Pixels per image.</summary>
    public int PixelsPerImage => Rows * Columns;

    /// <summary>Reads an images file (3-D IDX) and its labels file (1-D IDX), checking that they belong together.</summary>
    public static LabeledImages Load(string imagesPath, string labelsPath)
    {
        IdxArray images = Idx.Read(imagesPath), labels = Idx.Read(labelsPath);
        if (images.Dimensions.Length != 3)
            throw new InvalidDataException($"'{imagesPath}' should hold images (3 dimensions) but has {images.Dimensions.Length}.");
        if (labels.Dimensions.Length != 1)
            throw new InvalidDataException($"'{labelsPath}' should hold labels (1 dimension) but has {labels.Dimensions.Length}.");
        if (images.Dimensions[0] != labels.Dimensions[0])
            throw new InvalidDataException($"'{imagesPath}' holds {images.Dimensions[0]} images but '{labelsPath}' holds {labels.Dimensions[0]} labels.");
        var pixels = new float[images.Data.Length];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = images.Data[i] / 255f;
        return new LabeledImages(pixels, labels.Data.Select(b => (int)b).ToArray(), images.Dimensions[1], images.Dimensions[2]);
    }
}
