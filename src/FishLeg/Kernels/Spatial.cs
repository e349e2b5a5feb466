using System;
using System.ComponentModel;
using System.Numerics;
using System.Numerics.Tensors;

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

    /// <summary>Values per patch, ordered (kernel row, kernel column, channel).</summary>
    public int PatchWidth => Input.Channels * Kernel * Kernel;
}

/// <summary>A pooling window (square, no padding) over a feature map.</summary>
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
/// Patches are ordered (kernel row, kernel column, channel): from a channels-last map a patch is k runs of k·C
/// contiguous values, copied (and added back) whole. Large batches are split by examples over the worker pool.
/// </summary>
/// <remarks>For use by generated code.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static unsafe class Spatial
{
    /// <summary>
    /// Writes every example's patches as rows (example-major, then output row, then output column) of
    /// <see cref="ConvolutionGeometry.PatchWidth"/> values; a window's values outside the input are the zero padding.
    /// </summary>
    public static void Patches<T>(ReadOnlySpan<T> input, int batch, in ConvolutionGeometry geometry, Span<T> patches)
        where T : unmanaged, INumberBase<T>
    {
        BatchShape.RequireAtLeast(input.Length, batch * geometry.Input.Size, nameof(input));
        BatchShape.RequireAtLeast(patches.Length, batch * geometry.Positions * geometry.PatchWidth, nameof(patches));
        fixed (T* from = input, to = patches)
            SpatialJob<T>.Run(&PatchesOf, batch, geometry.Positions * geometry.PatchWidth, from, to, null, geometry, default);
    }

    /// <summary>
    /// The transpose of <see cref="Patches{T}"/> for a channels-last input: overwrites <paramref name="input"/> with, at
    /// each input value, the sum of the <paramref name="patches"/> entries it was copied to (padding entries are dropped).
    /// </summary>
    public static void AddPatches<T>(ReadOnlySpan<T> patches, int batch, in ConvolutionGeometry geometry, Span<T> input)
        where T : unmanaged, INumberBase<T>
    {
        if (geometry.Input.ChannelsFirst)
            throw new ArgumentException("Patches are added back into channels-last maps only: a model's input has no delta.", nameof(geometry));
        BatchShape.RequireAtLeast(input.Length, batch * geometry.Input.Size, nameof(input));
        BatchShape.RequireAtLeast(patches.Length, batch * geometry.Positions * geometry.PatchWidth, nameof(patches));
        fixed (T* from = patches, to = input)
            SpatialJob<T>.Run(&AddPatchesOf, batch, geometry.Positions * geometry.PatchWidth, from, to, null, geometry, default);
    }

    /// <summary>
    /// Max pooling: each output (channels-last) is its window's largest input, the first one on ties (a NaN wins, so
    /// that it shows); the input's index within its example goes to <paramref name="argmax"/>, which routes the
    /// derivative and the tangent.
    /// </summary>
    public static void MaxPool<T>(ReadOnlySpan<T> input, int batch, in PoolGeometry geometry, Span<T> output, Span<int> argmax)
        where T : unmanaged, INumber<T> =>
        Pool(&MaxPoolOf, input, output, argmax, batch, geometry, fromInput: true, geometry.Input.Size);

    /// <summary>The derivative (or tangent-delta) pass of max pooling: overwrites <paramref name="input"/> with each output's value added at its argmax.</summary>
    public static void MaxPoolBackward<T>(ReadOnlySpan<T> output, ReadOnlySpan<int> argmax, int batch, in PoolGeometry geometry, Span<T> input)
        where T : unmanaged, INumber<T> =>
        Pool(&MaxPoolBackwardOf, output, input, argmax, batch, geometry, fromInput: false, geometry.Input.Size);

    /// <summary>The tangent of max pooling: each output takes its argmax's value of <paramref name="input"/>.</summary>
    public static void MaxPoolTangent<T>(ReadOnlySpan<T> input, ReadOnlySpan<int> argmax, int batch, in PoolGeometry geometry, Span<T> output)
        where T : unmanaged, INumber<T> =>
        Pool(&MaxPoolTangentOf, input, output, argmax, batch, geometry, fromInput: true, geometry.OutputSize);

    /// <summary>Average pooling (linear, so also its own tangent): each output (channels-last) is its window's mean.</summary>
    public static void AvgPool<T>(ReadOnlySpan<T> input, int batch, in PoolGeometry geometry, Span<T> output)
        where T : unmanaged, INumber<T> =>
        Pool(&AvgPoolOf, input, output, default, batch, geometry, fromInput: true, geometry.Input.Size, routed: false);

    /// <summary>The transpose of <see cref="AvgPool{T}"/> into a channels-last input: each output's value shared equally over its window.</summary>
    public static void AvgPoolBackward<T>(ReadOnlySpan<T> output, int batch, in PoolGeometry geometry, Span<T> input)
        where T : unmanaged, INumber<T>
    {
        if (geometry.Input.ChannelsFirst)
            throw new ArgumentException("Pooling deltas go back into channels-last maps only: a model's input has no delta.", nameof(geometry));
        Pool(&AvgPoolBackwardOf, output, input, default, batch, geometry, fromInput: false, geometry.Input.Size, routed: false);
    }

    /// <summary>
    /// Checks a pooling kernel's buffers (<paramref name="from"/> is the pooling's input when <paramref name="fromInput"/>,
    /// else its output; max pooling's <paramref name="argmax"/>, one index per output) and runs it over the batch.
    /// </summary>
    private static void Pool<T>(delegate*<SpatialJob<T>, int, int, void> kernel, ReadOnlySpan<T> from, Span<T> to, ReadOnlySpan<int> argmax,
        int batch, in PoolGeometry geometry, bool fromInput, int valuesPerExample, bool routed = true) where T : unmanaged
    {
        int inputs = batch * geometry.Input.Size, outputs = batch * geometry.OutputSize;
        BatchShape.RequireAtLeast(fromInput ? from.Length : to.Length, inputs, "input");
        BatchShape.RequireAtLeast(fromInput ? to.Length : from.Length, outputs, "output");
        if (routed) BatchShape.RequireAtLeast(argmax.Length, outputs, nameof(argmax));
        fixed (T* source = from, target = to)
        fixed (int* indices = argmax)
            SpatialJob<T>.Run(kernel, batch, valuesPerExample, source, target, indices, default, geometry);
    }

    /// <summary>
    /// Flattens channels-last maps (positions × channels per example) in PyTorch's order, channel after channel
    /// (channels × positions), so that a dense layer's weights match <c>nn.Flatten</c> followed by <c>nn.Linear</c>.
    /// </summary>
    public static void ToChannelsFirst<T>(ReadOnlySpan<T> channelsLast, int batch, int positions, int channels, Span<T> channelsFirst)
    {
        BatchShape.RequireAtLeast(channelsLast.Length, batch * positions * channels, nameof(channelsLast));
        BatchShape.RequireAtLeast(channelsFirst.Length, batch * positions * channels, nameof(channelsFirst));
        TransposeEach(channelsLast, batch, positions, channels, channelsFirst);
    }

    /// <summary>The inverse (and transpose) of <see cref="ToChannelsFirst{T}"/>.</summary>
    public static void ToChannelsLast<T>(ReadOnlySpan<T> channelsFirst, int batch, int positions, int channels, Span<T> channelsLast)
    {
        BatchShape.RequireAtLeast(channelsFirst.Length, batch * positions * channels, nameof(channelsFirst));
        BatchShape.RequireAtLeast(channelsLast.Length, batch * positions * channels, nameof(channelsLast));
        TransposeEach(channelsFirst, batch, channels, positions, channelsLast);
    }

    /// <summary>Each example's <paramref name="rows"/> × <paramref name="columns"/> block of <paramref name="source"/>, transposed.</summary>
    private static void TransposeEach<T>(ReadOnlySpan<T> source, int batch, int rows, int columns, Span<T> target)
    {
        int size = rows * columns;
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<T> from = source.Slice(n * size, size);
            Span<T> to = target.Slice(n * size, size);
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < columns; c++) to[c * rows + r] = from[r * columns + c];
        }
    }

    // The kernels below each take examples [first, last) of a job.

    private static void PatchesOf<T>(SpatialJob<T> job, int first, int last) where T : unmanaged, INumberBase<T>
    {
        ref readonly ConvolutionGeometry g = ref job.Convolution;
        FeatureMap map = g.Input;
        int k = g.Kernel, width = g.PatchWidth, run = k * map.Channels;
        T* patch = job.To + (long)first * g.Positions * width;
        for (int n = first; n < last; n++)
        {
            T* example = job.From + (long)n * map.Size;
            for (int oh = 0; oh < g.OutputHeight; oh++)
                for (int ow = 0; ow < g.OutputWidth; ow++, patch += width)
                {
                    int top = oh * g.Stride - g.Padding, left = ow * g.Stride - g.Padding;
                    int kjFirst = Math.Max(0, -left), kjEnd = Math.Min(k, map.Width - left);
                    for (int ki = 0; ki < k; ki++)
                    {
                        T* row = patch + ki * run;
                        int ih = top + ki, from = kjFirst * map.Channels, to = kjEnd * map.Channels;
                        if ((uint)ih >= (uint)map.Height || from >= to) from = to = run;
                        if (!map.ChannelsFirst || map.Channels == 1)
                        {
                            // Channels-last (or one channel): the in-bounds part of the kernel row is one contiguous run
                            // of the input; short runs (a first layer's few channels) copy faster element by element.
                            T* source = example + (long)ih * map.RowStride + (long)left * map.Channels;
                            if (run < 32)
                                for (int t = 0; t < run; t++) row[t] = t >= from && t < to ? source[t] : T.Zero;
                            else
                            {
                                new Span<T>(row, from).Clear();
                                new ReadOnlySpan<T>(source + from, to - from).CopyTo(new Span<T>(row + from, to - from));
                                new Span<T>(row + to, run - to).Clear();
                            }
                            continue;
                        }
                        for (int t = 0; t < run; t++) row[t] = T.Zero;
                        for (int kj = kjFirst; kj < kjEnd && from < to; kj++)
                        {
                            T* source = example + (long)ih * map.RowStride + (left + kj);
                            for (int c = 0; c < map.Channels; c++) row[kj * map.Channels + c] = source[(long)c * map.ChannelStride];
                        }
                    }
                }
        }
    }

    private static void AddPatchesOf<T>(SpatialJob<T> job, int first, int last) where T : unmanaged, INumberBase<T>
    {
        ref readonly ConvolutionGeometry g = ref job.Convolution;
        FeatureMap map = g.Input;
        int k = g.Kernel, width = g.PatchWidth, run = k * map.Channels;
        new Span<T>(job.To + (long)first * map.Size, (last - first) * map.Size).Clear();
        T* patch = job.From + (long)first * g.Positions * width;
        for (int n = first; n < last; n++)
        {
            T* example = job.To + (long)n * map.Size;
            for (int oh = 0; oh < g.OutputHeight; oh++)
                for (int ow = 0; ow < g.OutputWidth; ow++, patch += width)
                {
                    int top = oh * g.Stride - g.Padding, left = ow * g.Stride - g.Padding;
                    int kjFirst = Math.Max(0, -left), kjEnd = Math.Min(k, map.Width - left);
                    if (kjFirst >= kjEnd) continue;
                    for (int ki = 0; ki < k; ki++)
                    {
                        int ih = top + ki;
                        if ((uint)ih >= (uint)map.Height) continue;
                        var target = new Span<T>(example + (long)ih * map.RowStride + (left + kjFirst) * map.Channels, (kjEnd - kjFirst) * map.Channels);
                        TensorPrimitives.Add(target, new ReadOnlySpan<T>(patch + ki * run + kjFirst * map.Channels, target.Length), target);
                    }
                }
        }
    }

    private static void MaxPoolOf<T>(SpatialJob<T> job, int first, int last) where T : unmanaged, INumber<T>
    {
        ref readonly PoolGeometry g = ref job.Pool;
        FeatureMap map = g.Input;
        int channels = map.Channels, outputs = g.OutputSize, channelStride = map.ChannelStride;
        for (int n = first; n < last; n++)
        {
            T* example = job.From + (long)n * map.Size, output = job.To + (long)n * outputs;
            int* argmax = job.Indices + (long)n * outputs;
            for (int oh = 0; oh < g.OutputHeight; oh++)
                for (int ow = 0; ow < g.OutputWidth; ow++, output += channels, argmax += channels)
                {
                    int corner = oh * g.Stride * map.RowStride + ow * g.Stride * map.ColumnStride;
                    for (int c = 0, at = corner; c < channels; c++, at += channelStride) (output[c], argmax[c]) = (example[at], at);
                    for (int ki = 0; ki < g.Size; ki++)
                        for (int kj = ki == 0 ? 1 : 0; kj < g.Size; kj++)
                        {
                            int at = corner + ki * map.RowStride + kj * map.ColumnStride, c = 0;
                            // A NaN wins over a number, so that a non-finite input shows in the output.
                            if (typeof(T) == typeof(float) && channelStride == 1)
                                for (; c + Vector<int>.Count <= channels; c += Vector<int>.Count)
                                {
                                    // Channels-last float: a vector of channels at a time; the same mask picks the argmax.
                                    Vector<float> value = Vector.Load((float*)example + at + c), max = Vector.Load((float*)output + c);
                                    Vector<int> wins = Vector.GreaterThan(value, max) | Vector.AndNot(Vector.Equals(max, max), Vector.Equals(value, value));
                                    Vector.ConditionalSelect(wins, value, max).Store((float*)output + c);
                                    Vector.ConditionalSelect(wins, new Vector<int>(at + c) + Vector<int>.Indices, Vector.Load(argmax + c)).Store(argmax + c);
                                }
                            for (; c < channels; c++)
                            {
                                int index = at + c * channelStride;
                                T value = example[index], max = output[c];
                                if (value > max || T.IsNaN(value) && !T.IsNaN(max)) (output[c], argmax[c]) = (value, index);
                            }
                        }
                }
        }
    }

    private static void MaxPoolBackwardOf<T>(SpatialJob<T> job, int first, int last) where T : unmanaged, INumber<T>
    {
        ref readonly PoolGeometry g = ref job.Pool;
        int size = g.Input.Size, outputs = g.OutputSize;
        new Span<T>(job.To + (long)first * size, (last - first) * size).Clear();
        for (int n = first; n < last; n++)
        {
            T* example = job.To + (long)n * size, output = job.From + (long)n * outputs;
            int* argmax = job.Indices + (long)n * outputs;
            for (int j = 0; j < outputs; j++) example[argmax[j]] += output[j];
        }
    }

    private static void MaxPoolTangentOf<T>(SpatialJob<T> job, int first, int last) where T : unmanaged, INumber<T>
    {
        ref readonly PoolGeometry g = ref job.Pool;
        int size = g.Input.Size, outputs = g.OutputSize;
        for (int n = first; n < last; n++)
        {
            T* example = job.From + (long)n * size, output = job.To + (long)n * outputs;
            int* argmax = job.Indices + (long)n * outputs;
            for (int j = 0; j < outputs; j++) output[j] = example[argmax[j]];
        }
    }

    private static void AvgPoolOf<T>(SpatialJob<T> job, int first, int last) where T : unmanaged, INumber<T>
    {
        ref readonly PoolGeometry g = ref job.Pool;
        FeatureMap map = g.Input;
        int channels = map.Channels, outputs = g.OutputSize;
        T scale = T.One / T.CreateChecked(g.Size * g.Size);
        for (int n = first; n < last; n++)
        {
            T* example = job.From + (long)n * map.Size, output = job.To + (long)n * outputs;
            for (int oh = 0; oh < g.OutputHeight; oh++)
                for (int ow = 0; ow < g.OutputWidth; ow++, output += channels)
                {
                    var sum = new Span<T>(output, channels);
                    sum.Clear();
                    for (int ki = 0; ki < g.Size; ki++)
                        for (int kj = 0; kj < g.Size; kj++)
                        {
                            T* window = example + (oh * g.Stride + ki) * map.RowStride + (ow * g.Stride + kj) * map.ColumnStride;
                            if (!map.ChannelsFirst) TensorPrimitives.Add(sum, new ReadOnlySpan<T>(window, channels), sum);
                            else for (int c = 0; c < channels; c++) sum[c] += window[(long)c * map.ChannelStride];
                        }
                    TensorPrimitives.Multiply(sum, scale, sum);
                }
        }
    }

    private static void AvgPoolBackwardOf<T>(SpatialJob<T> job, int first, int last) where T : unmanaged, INumber<T>
    {
        ref readonly PoolGeometry g = ref job.Pool;
        FeatureMap map = g.Input;
        int channels = map.Channels, outputs = g.OutputSize;
        T scale = T.One / T.CreateChecked(g.Size * g.Size);
        new Span<T>(job.To + (long)first * map.Size, (last - first) * map.Size).Clear();
        for (int n = first; n < last; n++)
        {
            T* example = job.To + (long)n * map.Size, output = job.From + (long)n * outputs;
            for (int oh = 0; oh < g.OutputHeight; oh++)
                for (int ow = 0; ow < g.OutputWidth; ow++, output += channels)
                {
                    var share = new ReadOnlySpan<T>(output, channels);
                    for (int ki = 0; ki < g.Size; ki++)
                        for (int kj = 0; kj < g.Size; kj++)
                        {
                            var window = new Span<T>(example + (oh * g.Stride + ki) * map.RowStride + (ow * g.Stride + kj) * channels, channels);
                            TensorPrimitives.MultiplyAdd(share, scale, window, window);
                        }
                }
        }
    }
}

/// <summary>
/// One spatial kernel over a batch, split by examples over the worker pool: the kernel, its pinned operands (valid only
/// during <see cref="Run"/>) and its geometry. One instance per calling thread, so nothing is allocated per call.
/// </summary>
internal sealed unsafe class SpatialJob<T> : IParallelWork where T : unmanaged
{
    // Below this many values touched, waking a worker costs more than it saves.
    private const long ParallelThreshold = 1 << 15;

    [ThreadStatic] private static SpatialJob<T>? s_forThisThread;

    private delegate*<SpatialJob<T>, int, int, void> _kernel;
    private int _batch;
    public T* From, To;
    public int* Indices;
    public ConvolutionGeometry Convolution;
    public PoolGeometry Pool;

    public static void Run(delegate*<SpatialJob<T>, int, int, void> kernel, int batch, int valuesPerExample, T* from, T* to, int* indices,
        in ConvolutionGeometry convolution, in PoolGeometry pool)
    {
        SpatialJob<T> job = s_forThisThread ??= new SpatialJob<T>();
        job._kernel = kernel;
        job._batch = batch;
        job.From = from;
        job.To = to;
        job.Indices = indices;
        job.Convolution = convolution;
        job.Pool = pool;
        int parts = (long)batch * valuesPerExample < ParallelThreshold ? 1 : Math.Min(batch, WorkerPool.Shared.Parallelism);
        WorkerPool.Shared.Run(job, parts);
        job.From = job.To = null;
        job.Indices = null;
    }

    public void Execute(int part, int parts)
    {
        int first = (int)((long)_batch * part / parts), last = (int)((long)_batch * (part + 1) / parts);
        if (first < last) _kernel(this, first, last);
    }
}
