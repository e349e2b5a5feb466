using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using FishLeg.Experiments.Reports;
using Xunit;

namespace FishLeg.Tests.Samples.Reports;

/// <summary>Decodes what the encoder wrote, chunk by chunk: signature, CRCs, header, and the pixels themselves.</summary>
public class PngTests
{
    internal static (int Width, int Height, byte[] Rgb) Decode(byte[] png)
    {
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        int at = 8, width = 0, height = 0;
        using var idat = new MemoryStream();
        while (true)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at));
            string type = Encoding.ASCII.GetString(png, at + 4, 4);
            ReadOnlySpan<byte> data = png.AsSpan(at + 8, length);
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at + 8 + length));
            // The well-known CRC-32 of "IEND" with no data is 0xAE426082.
            if (type == "IEND") Assert.Equal(0xAE426082u, crc);
            Assert.Equal(crc, Png.Crc(0xFFFFFFFFu, png.AsSpan(at + 4, 4 + length)) ^ 0xFFFFFFFFu);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                Assert.Equal(new byte[] { 8, 2, 0, 0, 0 }, data[8..].ToArray());
            }
            if (type == "IDAT") idat.Write(data);
            at += 12 + length;
            if (type == "IEND") break;
        }
        Assert.Equal(png.Length, at);
        idat.Position = 0;
        using var zlib = new ZLibStream(idat, CompressionMode.Decompress);
        using var raw = new MemoryStream();
        zlib.CopyTo(raw);
        byte[] scanlines = raw.ToArray();
        Assert.Equal(height * (1 + 3 * width), scanlines.Length);
        var rgb = new byte[3 * width * height];
        for (int y = 0; y < height; y++)
        {
            Assert.Equal(0, scanlines[y * (1 + 3 * width)]);
            Array.Copy(scanlines, y * (1 + 3 * width) + 1, rgb, 3 * width * y, 3 * width);
        }
        return (width, height, rgb);
    }

    [Fact]
    public void RoundTripsPixels()
    {
        byte[] rgb = Enumerable.Range(0, 3 * 7 * 5).Select(i => (byte)(i * 37)).ToArray();
        using var stream = new MemoryStream();
        Png.Write(stream, 7, 5, rgb);
        var (width, height, decoded) = Decode(stream.ToArray());
        Assert.Equal((7, 5), (width, height));
        Assert.Equal(rgb, decoded);
    }

    [Fact]
    public void WrongBufferSizeIsRejected()
    {
        var error = Assert.Throws<ArgumentException>(() => Png.Write(Stream.Null, 4, 4, new byte[47]));
        Assert.Contains("A 4×4 RGB image needs 48 bytes, not 47", error.Message);
    }
}
