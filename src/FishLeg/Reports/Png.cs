using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;
using System.Text;

namespace FishLeg.Reports;

/// <summary>A minimal PNG encoder (8-bit RGB, no interlacing), enough for plots and image grids without a dependency.</summary>
public static class Png
{
    private static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
    private static readonly uint[] CrcTable = MakeCrcTable();

    /// <summary>Writes a width×height image of row-major RGB triples.</summary>
    public static void Write(Stream stream, int width, int height, ReadOnlySpan<byte> rgb)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (rgb.Length != 3L * width * height)
            throw new ArgumentException($"A {width}×{height} RGB image needs {3L * width * height} bytes, not {rgb.Length}.", nameof(rgb));

        stream.Write(Signature);
        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], height);
        header[8] = 8;  // bits per channel
        header[9] = 2;  // colour type: RGB
        WriteChunk(stream, "IHDR", header);

        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            for (int y = 0; y < height; y++)
            {
                zlib.WriteByte(0); // filter: none
                zlib.Write(rgb.Slice(3 * width * y, 3 * width));
            }
        }
        WriteChunk(stream, "IDAT", compressed.GetBuffer().AsSpan(0, (int)compressed.Length));
        WriteChunk(stream, "IEND", []);
    }

    /// <summary>
    /// Writes grayscale images (values in [0, 1], each height×width, row-major, one after another) as a grid with
    /// <paramref name="columns"/> images per row and a 1-pixel gray border.
    /// </summary>
    public static void WriteGrid(string path, ReadOnlySpan<float> images, int count, int height, int width, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        if (images.Length != count * height * width)
            throw new ArgumentException($"{count} images of {height}×{width} need {count * height * width} values, not {images.Length}.", nameof(images));
        int rows = (count + columns - 1) / columns;
        int gridWidth = columns * (width + 1) + 1, gridHeight = rows * (height + 1) + 1;
        var rgb = new byte[3 * gridWidth * gridHeight];
        rgb.AsSpan().Fill(128);
        for (int n = 0; n < count; n++)
        {
            int top = 1 + n / columns * (height + 1), left = 1 + n % columns * (width + 1);
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    byte value = (byte)Math.Round(255 * Math.Clamp(images[(n * height + y) * width + x], 0f, 1f));
                    int at = 3 * ((top + y) * gridWidth + left + x);
                    rgb[at] = rgb[at + 1] = rgb[at + 2] = value;
                }
        }
        using FileStream file = File.Create(path);
        Write(file, gridWidth, gridHeight, rgb);
    }

    private static void WriteChunk(Stream stream, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        stream.Write(word);
        Span<byte> typeBytes = stackalloc byte[4];
        Encoding.ASCII.GetBytes(type, typeBytes);
        stream.Write(typeBytes);
        stream.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc(Crc(0xFFFFFFFFu, typeBytes), data) ^ 0xFFFFFFFFu);
        stream.Write(word);
    }

    /// <summary>The CRC-32 of PNG chunks (ISO 3309), continued from <paramref name="crc"/>.</summary>
    internal static uint Crc(uint crc, ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes) crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    private static uint[] MakeCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }
}
