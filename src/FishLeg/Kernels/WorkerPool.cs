using System;
using System.Threading;

namespace FishLeg.Kernels;

/// <summary>A piece of work split into parts that run on different threads.</summary>
internal interface IParallelWork
{
    void Execute(int part, int parts);
}

/// <summary>
/// Persistent worker threads, one per core, that run the parts of a kernel in parallel without allocating:
/// workers sleep on their own semaphore and the calling thread runs part 0 itself.
/// </summary>
public sealed class WorkerPool : IDisposable
{
    /// <summary>The pool the kernels use: one thread per processor (the caller counts as one).</summary>
    public static WorkerPool Shared { get; } = new(Environment.ProcessorCount);

    private readonly SemaphoreSlim[] _wake;
    private IParallelWork? _work;
    private int _parts;
    private int _pending;
    private int _busy;
    private int _parallelism;
    private volatile bool _disposed;
    private Exception? _error;

    /// <summary>Creates a pool with <paramref name="threads"/> threads in all, the caller included.</summary>
    public WorkerPool(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ThreadCount = threads;
        _parallelism = threads;
        _wake = new SemaphoreSlim[threads - 1];
        for (int i = 0; i < _wake.Length; i++)
        {
            _wake[i] = new SemaphoreSlim(0);
            int part = i + 1;
            new Thread(() => WorkerLoop(part)) { IsBackground = true, Name = $"FishLeg worker {part}" }.Start();
        }
    }

    /// <summary>Threads the pool owns, the caller included.</summary>
    public int ThreadCount { get; }

    /// <summary>How many threads a kernel may use, between 1 and <see cref="ThreadCount"/>. Default: all of them.</summary>
    public int Parallelism
    {
        get => _parallelism;
        set => _parallelism = Math.Clamp(value, 1, ThreadCount);
    }

    /// <summary>
    /// Runs parts 0..parts-1 of <paramref name="work"/> and returns when all are done. When the pool is already busy
    /// (a call from another thread, or from inside a part) the parts run on the calling thread instead.
    /// </summary>
    internal void Run(IParallelWork work, int parts)
    {
        parts = Math.Min(parts, _parallelism);
        if (parts <= 1 || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            for (int p = 0; p < parts; p++) work.Execute(p, parts);
            return;
        }

        try
        {
            _work = work;
            _parts = parts;
            _error = null;
            Volatile.Write(ref _pending, parts - 1);
            for (int w = 1; w < parts; w++) _wake[w - 1].Release();
            try
            {
                work.Execute(0, parts);
            }
            finally
            {
                // Never return while a worker still uses the caller's buffers.
                SpinWait spin = default;
                while (Volatile.Read(ref _pending) != 0) spin.SpinOnce(sleep1Threshold: -1);
            }
            if (_error is { } error) throw new AggregateException("A parallel kernel part failed.", error);
        }
        finally
        {
            _work = null;
            Volatile.Write(ref _busy, 0);
        }
    }

    private void WorkerLoop(int part)
    {
        SemaphoreSlim wake = _wake[part - 1];
        while (true)
        {
            wake.Wait();
            if (_disposed) return;
            try
            {
                _work!.Execute(part, _parts);
            }
            catch (Exception e)
            {
                _error = e;
            }
            Interlocked.Decrement(ref _pending);
        }
    }

    /// <summary>Stops the worker threads.</summary>
    public void Dispose()
    {
        _disposed = true;
        foreach (SemaphoreSlim wake in _wake) wake.Release();
    }
}
