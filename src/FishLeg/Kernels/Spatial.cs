using System;
using System.ComponentModel;
using System.Numerics;

namespace FishLeg.Kernels;

/// <summary>
/// A stack of feature maps per example: <see cref="Channels"/> planes of <see cref="Height"/>×<see cref="Width"/>.
/// A model's own input is channels-first (NCHW, as PyTorch); every convolution and pooling stage writes channels-last
/// (NHWC), so that each output position is a row and a convolution is one GEMM over all positions of the batch.
/// </summary>
/// <remarks>For use by generated code.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly record struct FeatureMap(int Channels, int Height, int Width, bool ChannelsFirst)
{
    /// <summary>Values per example.</summary>
    public int Size => Channels * Height * Width;

    internal int ChannelStride => ChannelsFirst ? Height * Width : 1;
    internal int RowStride => ChannelsFirst ? Width : Width * Channels;
    internal int ColumnStride => ChannelsFirst ? 1 : Channels;
}

/// <summary>A convolution's input, square kernel, stride and zero padding; its output has one row per position.</summary>
/// <remarks>For use by generated code.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly record struct ConvolutionGeometry(FeatureMap Input, int Kernel, int Stride, int Padding)
{
    /// <summary>Output rows per example.</summary>
    public int OutputHeight => (Input.Height + 2 * Padding - Kernel) / Stride + 1;

    /// <summary>Output columns per example.</summary>
    public int OutputWidth => (Input.Width + 2 * Padding - Kernel) / Stride + 1;

    /// <summary>Output positions per example: the rows each example adds to the patch matrix.</summary>
    public int Positions => OutputHeight * OutputWidth;

    /// <summary>Values per patch, in PyTorch's weight order (channel, kernel row, kernel column).</summary>
    public int PatchWidth => Input.Channels * Kernel * Kernel;
}

/// <summary>A pooling window (square, no padding, the last partial window dropped as PyTorch does) over a feature map.</summary>
/// <remarks>For use by generated code.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly record struct PoolGeometry(FeatureMap Input, int Size, int Stride)
{
    /// <summary>Output rows per example.</summary>
    public int OutputHeight => (Input.Height - Size) / Stride + 1;

    /// <summary>Output columns per example.</summary>
    public int OutputWidth => (Input.Width - Size) / Stride + 1;

    /// <summary>Values per example of the (channels-last) output.</summary>
    public int OutputSize => OutputHeight * OutputWidth * Input.Channels;
}

/// <summary>
/// The data movement of convolutional models: patches (im2col) and their transpose, max and average pooling with
/// their derivatives, and the flatten between the last spatial stage and the first dense one. Pooling and flattening
/// are linear (max pooling piecewise, routed by the forward pass's argmax), so one kernel serves a value and its tangent.
/// </summary>
/// <remarks>For use by generated code.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Spatial
{
    /// <summary>
    /// Writes every example's patches as rows (example-major, then output row, then output column) of
    /// <see cref="ConvolutionGeometry.PatchWidth"/> values; a window's values outside the input are the zero padding.
    /// </summary>
    public static void Patches<T>(ReadOnlySpan<T> input, int batch, in ConvolutionGeometry geometry, Span<T> patches)
        where T : unmanaged, INumberBase<T>
    {
        FeatureMap map = geometry.Input;
        int k = geometry.Kernel, width = geometry.PatchWidth, row = 0;
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<T> example = input.Slice(n * map.Size, map.Size);
            for (int oh = 0; oh < geometry.OutputHeight; oh++)
                for (int ow = 0; ow < geometry.OutputWidth; ow++, row++)
                {
                    Span<T> patch = patches.Slice(row * width, width);
                    int top = oh * geometry.Stride - geometry.Padding, left = ow * geometry.Stride - geometry.Padding;
                    for (int c = 0, at = 0; c < map.Channels; c++)
                        for (int ki = 0; ki < k; ki++)
                        {
                            int ih = top + ki;
                            if ((uint)ih >= (uint)map.Height) { patch.Slice(at, k).Clear(); at += k; continue; }
                            int source = c * map.ChannelStride + ih * map.RowStride;
                            for (int kj = 0; kj < k; kj++, at++)
                            {
                                int iw = left + kj;
                                patch[at] = (uint)iw < (uint)map.Width ? example[source + iw * map.ColumnStride] : T.Zero;
                            }
                        }
                }
        }
    }

    /// <summary>
    /// The transpose of <see cref="Patches{T}"/>: overwrites <paramref name="input"/> with, at each input value, the sum of
    /// the <paramref name="patches"/> entries it was copied to (entries in the padding are dropped).
    /// </summary>
    public static void AddPatches<T>(ReadOnlySpan<T> patches, int batch, in ConvolutionGeometry geometry, Span<T> input)
        where T : unmanaged, INumberBase<T>
    {
        FeatureMap map = geometry.Input;
        int k = geometry.Kernel, width = geometry.PatchWidth, row = 0;
        input[..(batch * map.Size)].Clear();
        for (int n = 0; n < batch; n++)
        {
            Span<T> example = input.Slice(n * map.Size, map.Size);
            for (int oh = 0; oh < geometry.OutputHeight; oh++)
                for (int ow = 0; ow < geometry.OutputWidth; ow++, row++)
                {
                    ReadOnlySpan<T> patch = patches.Slice(row * width, width);
                    int top = oh * geometry.Stride - geometry.Padding, left = ow * geometry.Stride - geometry.Padding;
                    for (int c = 0, at = 0; c < map.Channels; c++)
                        for (int ki = 0; ki < k; ki++)
                        {
                            int ih = top + ki;
                            if ((uint)ih >= (uint)map.Height) { at += k; continue; }
                            int target = c * map.ChannelStride + ih * map.RowStride;
                            for (int kj = 0; kj < k; kj++, at++)
                            {
                                int iw = left + kj;
                                if ((uint)iw < (uint)map.Width) example[target + iw * map.ColumnStride] += patch[at];
                            }
                        }
                }
        }
    }

    /// <summary>
    /// Max pooling: each output (channels-last) is its window's largest input, the first one on ties; the input's index
    /// within its example goes to <paramref name="argmax"/>, which routes the derivative and the tangent.
    /// </summary>
    public static void MaxPool<T>(ReadOnlySpan<T> input, int batch, in PoolGeometry geometry, Span<T> output, Span<int> argmax)
        where T : unmanaged, INumber<T>
    {
        FeatureMap map = geometry.Input;
        int channels = map.Channels, at = 0;
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<T> example = input.Slice(n * map.Size, map.Size);
            for (int oh = 0; oh < geometry.OutputHeight; oh++)
                for (int ow = 0; ow < geometry.OutputWidth; ow++)
                    for (int c = 0; c < channels; c++, at++)
                    {
                        int best = -1;
                        T max = T.Zero;
                        for (int ki = 0; ki < geometry.Size; ki++)
                            for (int kj = 0; kj < geometry.Size; kj++)
                            {
                                int index = c * map.ChannelStride + (oh * geometry.Stride + ki) * map.RowStride + (ow * geometry.Stride + kj) * map.ColumnStride;
                                T value = example[index];
                                // NaN wins, so that a non-finite input shows in the output rather than vanishing.
                                if (best < 0 || value > max || T.IsNaN(value) && !T.IsNaN(max)) (best, max) = (index, value);
                            }
                        output[at] = max;
                        argmax[at] = best;
                    }
        }
    }

    /// <summary>The derivative (or tangent-delta) pass of max pooling: overwrites <paramref name="input"/> with each output's value added at its argmax.</summary>
    public static void MaxPoolBackward<T>(ReadOnlySpan<T> output, ReadOnlySpan<int> argmax, int batch, in PoolGeometry geometry, Span<T> input)
        where T : unmanaged, INumberBase<T>
    {
        int size = geometry.Input.Size, outputs = geometry.OutputSize;
        input[..(batch * size)].Clear();
        for (int n = 0, at = 0; n < batch; n++)
        {
            Span<T> example = input.Slice(n * size, size);
            for (int j = 0; j < outputs; j++, at++) example[argmax[at]] += output[at];
        }
    }

    /// <summary>The tangent of max pooling: each output takes its argmax's value of <paramref name="input"/>.</summary>
    public static void MaxPoolTangent<T>(ReadOnlySpan<T> input, ReadOnlySpan<int> argmax, int batch, in PoolGeometry geometry, Span<T> output)
        where T : unmanaged, INumberBase<T>
    {
        int size = geometry.Input.Size, outputs = geometry.OutputSize;
        for (int n = 0, at = 0; n < batch; n++)
        {
            ReadOnlySpan<T> example = input.Slice(n * size, size);
            for (int j = 0; j < outputs; j++, at++) output[at] = example[argmax[at]];
        }
    }

    /// <summary>Average pooling (linear, so also its own tangent): each output (channels-last) is its window's mean.</summary>
    public static void AvgPool<T>(ReadOnlySpan<T> input, int batch, in PoolGeometry geometry, Span<T> output)
        where T : unmanaged, INumberBase<T>
    {
        FeatureMap map = geometry.Input;
        T scale = T.One / T.CreateChecked(geometry.Size * geometry.Size);
        int at = 0;
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<T> example = input.Slice(n * map.Size, map.Size);
            for (int oh = 0; oh < geometry.OutputHeight; oh++)
                for (int ow = 0; ow < geometry.OutputWidth; ow++)
                    for (int c = 0; c < map.Channels; c++, at++)
                    {
                        T sum = T.Zero;
                        for (int ki = 0; ki < geometry.Size; ki++)
                            for (int kj = 0; kj < geometry.Size; kj++)
                                sum += example[c * map.ChannelStride + (oh * geometry.Stride + ki) * map.RowStride + (ow * geometry.Stride + kj) * map.ColumnStride];
                        output[at] = sum * scale;
                    }
        }
    }

    /// <summary>The transpose of <see cref="AvgPool{T}"/>: overwrites <paramref name="input"/> with each output's value shared equally over its window.</summary>
    public static void AvgPoolBackward<T>(ReadOnlySpan<T> output, int batch, in PoolGeometry geometry, Span<T> input)
        where T : unmanaged, INumberBase<T>
    {
        FeatureMap map = geometry.Input;
        T scale = T.One / T.CreateChecked(geometry.Size * geometry.Size);
        input[..(batch * map.Size)].Clear();
        int at = 0;
        for (int n = 0; n < batch; n++)
        {
            Span<T> example = input.Slice(n * map.Size, map.Size);
            for (int oh = 0; oh < geometry.OutputHeight; oh++)
                for (int ow = 0; ow < geometry.OutputWidth; ow++)
                    for (int c = 0; c < map.Channels; c++, at++)
                    {
                        T share = output[at] * scale;
                        for (int ki = 0; ki < geometry.Size; ki++)
                            for (int kj = 0; kj < geometry.Size; kj++)
                                example[c * map.ChannelStride + (oh * geometry.Stride + ki) * map.RowStride + (ow * geometry.Stride + kj) * map.ColumnStride] += share;
                    }
        }
    }

    /// <summary>
    /// Flattens channels-last maps (positions × channels per example) in PyTorch's order, channel after channel
    /// (channels × positions), so that a dense layer's weights match <c>nn.Flatten</c> followed by <c>nn.Linear</c>.
    /// </summary>
    public static void ToChannelsFirst<T>(ReadOnlySpan<T> channelsLast, int batch, int positions, int channels, Span<T> channelsFirst)
    {
        int size = positions * channels;
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<T> source = channelsLast.Slice(n * size, size);
            Span<T> target = channelsFirst.Slice(n * size, size);
            for (int p = 0; p < positions; p++)
                for (int c = 0; c < channels; c++) target[c * positions + p] = source[p * channels + c];
        }
    }

    /// <summary>The inverse (and transpose) of <see cref="ToChannelsFirst{T}"/>.</summary>
    public static void ToChannelsLast<T>(ReadOnlySpan<T> channelsFirst, int batch, int positions, int channels, Span<T> channelsLast)
    {
        int size = positions * channels;
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<T> source = channelsFirst.Slice(n * size, size);
            Span<T> target = channelsLast.Slice(n * size, size);
            for (int c = 0; c < channels; c++)
                for (int p = 0; p < positions; p++) target[p * channels + c] = source[c * positions + p];
        }
    }
}
