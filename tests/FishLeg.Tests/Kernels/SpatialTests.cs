using System;
using System.Linq;
using FishLeg.Kernels;
using FishLeg.Tests.Models;
using Xunit;

namespace FishLeg.Tests.Kernels;

/// <summary>
/// The spatial kernels: each transpose is the adjoint of its forward map (⟨f(x), y⟩ = ⟨x, fᵀ(y)⟩, over padding, strides,
/// overlapping windows), and a batch split over the worker pool gives what one example at a time gives.
/// </summary>
public class SpatialTests
{
    public static TheoryData<int, int, int, int, int, int> Convolutions => new()
    {
        // channels, height, width, kernel, stride, padding
        { 3, 7, 5, 3, 1, 1 },
        { 2, 9, 8, 3, 2, 0 },
        { 4, 6, 6, 2, 2, 1 },   // stride 2 over a padded 8×8: the last padded row and column are never read
        { 1, 5, 5, 5, 1, 2 },
    };

    [Theory]
    [MemberData(nameof(Convolutions))]
    public void AddingPatchesBackIsTheTransposeOfTakingThem(int channels, int height, int width, int kernel, int stride, int padding)
    {
        const int Batch = 3;
        var geometry = new ConvolutionGeometry(new FeatureMap(channels, height, width, ChannelsFirst: false), kernel, stride, padding);
        double[] x = SmallNets.Gaussian(Batch * geometry.Input.Size, seed: 1);
        double[] y = SmallNets.Gaussian(Batch * geometry.Positions * geometry.PatchWidth, seed: 2);
        var patches = new double[y.Length];
        var back = new double[x.Length];
        Spatial.Patches<double>(x, Batch, geometry, patches);
        Spatial.AddPatches<double>(y, Batch, geometry, back);
        Assert.Equal(Dot(patches, y), Dot(x, back), 1e-12);
    }

    [Theory]
    [InlineData(3, 6, 8, 2, 2)]
    [InlineData(2, 7, 7, 3, 2)] // overlapping windows
    public void PoolingTransposesAreAdjoint(int channels, int height, int width, int size, int stride)
    {
        const int Batch = 3;
        var geometry = new PoolGeometry(new FeatureMap(channels, height, width, ChannelsFirst: false), size, stride);
        double[] x = SmallNets.Gaussian(Batch * geometry.Input.Size, seed: 3), y = SmallNets.Gaussian(Batch * geometry.OutputSize, seed: 4);
        var output = new double[y.Length];
        var back = new double[x.Length];
        Spatial.AvgPool<double>(x, Batch, geometry, output);
        Spatial.AvgPoolBackward<double>(y, Batch, geometry, back);
        Assert.Equal(Dot(output, y), Dot(x, back), 1e-12);

        var argmax = new int[y.Length];
        Spatial.MaxPool<double>(SmallNets.Gaussian(x.Length, seed: 5), Batch, geometry, new double[y.Length], argmax);
        Spatial.MaxPoolTangent<double>(x, argmax, Batch, geometry, output);
        Spatial.MaxPoolBackward<double>(y, argmax, Batch, geometry, back);
        Assert.Equal(Dot(output, y), Dot(x, back), 1e-12);
    }

    /// <summary>A batch large enough to split over both threads, against one example per call.</summary>
    [Fact]
    public void SplittingTheBatchChangesNothing()
    {
        const int Batch = 64;
        var map = new FeatureMap(8, 12, 12, ChannelsFirst: false);
        var convolution = new ConvolutionGeometry(map, Kernel: 3, Stride: 1, Padding: 1);
        var pool = new PoolGeometry(map, Size: 2, Stride: 2);
        float[] x = [.. SmallNets.Gaussian(Batch * map.Size, seed: 6).Select(v => (float)v)];
        int patchSize = convolution.Positions * convolution.PatchWidth;
        float[] y = [.. SmallNets.Gaussian(Batch * patchSize, seed: 7).Select(v => (float)v)];
        var whole = new float[y.Length];
        var each = new float[y.Length];
        Spatial.Patches<float>(x, Batch, convolution, whole);
        for (int n = 0; n < Batch; n++) Spatial.Patches<float>(x.AsSpan(n * map.Size, map.Size), 1, convolution, each.AsSpan(n * patchSize, patchSize));
        Assert.Equal(each, whole);

        var back = new float[x.Length];
        var backEach = new float[x.Length];
        Spatial.AddPatches<float>(y, Batch, convolution, back);
        for (int n = 0; n < Batch; n++) Spatial.AddPatches<float>(y.AsSpan(n * patchSize, patchSize), 1, convolution, backEach.AsSpan(n * map.Size, map.Size));
        Assert.Equal(backEach, back);

        var pooled = new float[Batch * pool.OutputSize];
        var argmax = new int[pooled.Length];
        var pooledEach = new float[pooled.Length];
        var argmaxEach = new int[pooled.Length];
        Spatial.MaxPool<float>(x, Batch, pool, pooled, argmax);
        for (int n = 0; n < Batch; n++)
            Spatial.MaxPool<float>(x.AsSpan(n * map.Size, map.Size), 1, pool, pooledEach.AsSpan(n * pool.OutputSize, pool.OutputSize),
                argmaxEach.AsSpan(n * pool.OutputSize, pool.OutputSize));
        Assert.Equal(pooledEach, pooled);
        Assert.Equal(argmaxEach, argmax);
    }

    /// <summary>
    /// NaNs win and ties go to the first: the float path (channels a vector at a time) and the double path (a channel at
    /// a time) pick the same outputs and argmaxes on input full of both.
    /// </summary>
    [Fact]
    public void MaxPoolingLetsANaNThroughAndBreaksTiesToTheFirst()
    {
        var geometry = new PoolGeometry(new FeatureMap(19, 4, 4, ChannelsFirst: false), Size: 2, Stride: 2);
        var random = new SeededRandom(8);
        double[] x = [.. Enumerable.Range(0, geometry.Input.Size).Select(_ => random.NextInt(5) switch { 0 => double.NaN, 1 => 1.0, _ => random.NextInt(3) })];
        var doubles = new double[geometry.OutputSize];
        var floats = new float[geometry.OutputSize];
        int[] doubleArgmax = new int[doubles.Length], floatArgmax = new int[doubles.Length];
        Spatial.MaxPool<double>(x, 1, geometry, doubles, doubleArgmax);
        Spatial.MaxPool<float>([.. x.Select(v => (float)v)], 1, geometry, floats, floatArgmax);
        Assert.Equal(doubleArgmax, floatArgmax);
        Assert.Equal(doubles.Select(v => (float)v), floats);
        Assert.Contains(doubles, double.IsNaN);
        for (int j = 0; j < doubles.Length; j++)
        {
            int c = j % 19, p = j / 19, corner = (p / 2 * 2 * 4 + p % 2 * 2) * 19 + c;
            int[] window = [corner, corner + 19, corner + 4 * 19, corner + 5 * 19];
            int expected = window.FirstOrDefault(i => double.IsNaN(x[i]), window.First(i => x[i] == window.Max(w => x[w])));
            Assert.Equal(expected, doubleArgmax[j]);
        }
    }

    [Fact]
    public void BuffersTooShortForTheBatchAreNamed()
    {
        var geometry = new ConvolutionGeometry(new FeatureMap(2, 4, 4, ChannelsFirst: false), Kernel: 3, Stride: 1, Padding: 1);
        var error = Assert.Throws<ArgumentException>(() => Spatial.Patches<double>(new double[64], 2, geometry, new double[10]));
        Assert.Equal("patches", error.ParamName);
        error = Assert.Throws<ArgumentException>(() => Spatial.AddPatches<double>(new double[2 * 16 * 18],
            1, geometry with { Input = geometry.Input with { ChannelsFirst = true } }, new double[32]));
        Assert.Contains("channels-last", error.Message);
        var pool = new PoolGeometry(new FeatureMap(1, 4, 4, ChannelsFirst: false), Size: 2, Stride: 2);
        error = Assert.Throws<ArgumentException>(() => Spatial.MaxPool<double>(new double[16], 1, pool, new double[4], new int[3]));
        Assert.Equal("argmax", error.ParamName);
        error = Assert.Throws<ArgumentException>(() => Spatial.AvgPoolBackward<double>(new double[3], 1, pool, new double[16]));
        Assert.Equal("output", error.ParamName);
        error = Assert.Throws<ArgumentException>(() => Spatial.ToChannelsFirst<double>(new double[24], 2, 4, 3, new double[23]));
        Assert.Equal("channelsFirst", error.ParamName);
    }

    private static double Dot(double[] a, double[] b) => a.Zip(b, (x, y) => x * y).Sum();
}
