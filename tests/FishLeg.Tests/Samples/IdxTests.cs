using System;
using System.IO;
using System.Linq;
using FishLeg.Experiments.Data;
using Xunit;

namespace FishLeg.Tests.Samples;

public sealed class IdxTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fishleg-idx-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string WriteFile(string name, IdxArray array, bool compress)
    {
        string path = Path.Combine(_directory, name);
        using (FileStream file = File.Create(path)) Idx.Write(file, array, compress);
        return path;
    }

    private string WriteBytes(string name, byte[] bytes)
    {
        string path = Path.Combine(_directory, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RoundTripsPlainAndCompressed(bool compress)
    {
        var array = new IdxArray([3, 2, 4], Enumerable.Range(0, 24).Select(i => (byte)(i * 7)).ToArray());
        IdxArray read = Idx.Read(WriteFile("a.idx", array, compress));
        Assert.Equal(array.Dimensions, read.Dimensions);
        Assert.Equal(array.Data, read.Data);
    }

    [Fact]
    public void MissingFileIsNamed()
    {
        string path = Path.Combine(_directory, "nowhere.idx");
        var error = Assert.Throws<FileNotFoundException>(() => Idx.Read(path));
        Assert.Contains($"The IDX file '{path}' does not exist", error.Message);
    }

    [Fact]
    public void BadMagicIsRejected()
    {
        var error = Assert.Throws<InvalidDataException>(() => Idx.Read(WriteBytes("bad.idx", [0x12, 0x34, 0x08, 0x01, 0, 0, 0, 0])));
        Assert.Contains("is not an IDX file: it does not start with the magic bytes 00 00", error.Message);
        error = Assert.Throws<InvalidDataException>(() => Idx.Read(WriteBytes("float.idx", [0, 0, 0x0D, 0x01, 0, 0, 0, 0])));
        Assert.Contains("holds IDX type 0x0D; only unsigned bytes (0x08) are supported", error.Message);
    }

    [Fact]
    public void TruncatedDataIsRejected()
    {
        byte[] bytes;
        using (var memory = new MemoryStream())
        {
            Idx.Write(memory, new IdxArray([2, 3], new byte[6]), compress: false);
            bytes = memory.ToArray();
        }
        var error = Assert.Throws<InvalidDataException>(() => Idx.Read(WriteBytes("short.idx", bytes[..^2])));
        Assert.Contains("is truncated: its header (2×3) promises 6 bytes of data but only 4 follow", error.Message);
        error = Assert.Throws<InvalidDataException>(() => Idx.Read(WriteBytes("header.idx", bytes[..9])));
        Assert.Contains("is truncated: its header needs 12 bytes but the file has 9", error.Message);
        error = Assert.Throws<InvalidDataException>(() => Idx.Read(WriteBytes("long.idx", [.. bytes, 1, 2, 3])));
        Assert.Contains("has 3 bytes after the 6 its header (2×3) declares", error.Message);
    }

    [Fact]
    public void CorruptGzipIsRejected()
    {
        byte[] compressed;
        using (var memory = new MemoryStream())
        {
            Idx.Write(memory, new IdxArray([100], new byte[100]), compress: true);
            compressed = memory.ToArray();
        }
        var error = Assert.Throws<InvalidDataException>(() => Idx.Read(WriteBytes("cut.gz", compressed[..(compressed.Length / 2)])));
        Assert.Contains("cut.gz", error.Message);
    }

    [Fact]
    public void DimensionsWhoseProductOverflowsAreRejected()
    {
        // 65536⁴ = 2⁶⁴ wraps to 0 in a long, which the zero data bytes that follow would match.
        byte[] header = [0, 0, 0x08, 4, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0];
        var error = Assert.Throws<InvalidDataException>(() => Idx.Read(WriteBytes("huge.idx", header)));
        Assert.Contains("huge.idx' declares 65536×65536… values, more than the 2147483591 one array holds", error.Message);
    }

    /// <summary>
    /// A 100 MB run of zeros compressed to about 100 kB behind a header that declares 1,000 bytes: the reader
    /// inflates what the header declares and a bounded look past it, and names the file.
    /// </summary>
    [Fact]
    public void DecompressionStopsAtTheDeclaredSize()
    {
        string path = Path.Combine(_directory, "bomb.gz");
        using (FileStream file = File.Create(path))
        using (var gzip = new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionLevel.SmallestSize))
        {
            gzip.Write([0, 0, 0x08, 1, 0, 0, 0x03, 0xE8]);
            var zeros = new byte[1 << 20];
            for (int i = 0; i < 100; i++) gzip.Write(zeros);
        }
        Assert.True(new FileInfo(path).Length < 200_000, $"{new FileInfo(path).Length} bytes compressed");
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<InvalidDataException>(() => Idx.Read(path));
        Assert.Contains("bomb.gz' has more than 1048576 bytes after the 1000 its header (1000) declares", error.Message);
        long used = GC.GetAllocatedBytesForCurrentThread() - allocated;
        Assert.True(used < 8_000_000, $"the reader allocated {used} bytes: it inflated far past the declared size");
    }

    [Fact]
    public void ImagesAndLabelsMustMatchInCount()
    {
        string images = WriteFile("images.idx", new IdxArray([3, 2, 2], new byte[12]), compress: true);
        string labels = WriteFile("labels.idx", new IdxArray([2], new byte[2]), compress: true);
        var error = Assert.Throws<InvalidDataException>(() => LabeledImages.Load(images, labels));
        Assert.Contains($"'{images}' holds 3 images but '{labels}' holds 2 labels", error.Message);
        error = Assert.Throws<InvalidDataException>(() => LabeledImages.Load(labels, images));
        Assert.Contains("should hold images (3 dimensions) but has 1", error.Message);
    }

    [Fact]
    public void ShippedFashionMnistTestSplitLoads()
    {
        string directory = Path.Combine(AppContext.BaseDirectory, "Data", "FashionMnist");
        LabeledImages test = LabeledImages.Load(Path.Combine(directory, "t10k-images-idx3-ubyte.gz"), Path.Combine(directory, "t10k-labels-idx1-ubyte.gz"));
        Assert.Equal(10000, test.Count);
        Assert.Equal((28, 28), (test.Rows, test.Columns));
        Assert.Equal(784 * 10000, test.Pixels.Length);
        Assert.All(test.Pixels, p => Assert.InRange(p, 0f, 1f));
        // Fashion-MNIST's test split is balanced: 1000 images of each of the 10 classes.
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(1000, test.Labels.Count(l => l == c)));
    }
}
