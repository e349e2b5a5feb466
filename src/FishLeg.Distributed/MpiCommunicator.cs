using System;
using System.Numerics;

namespace FishLeg.Distributed;

/// <summary>
/// The ranks of an MPI job (started with <c>mpirun -np N</c>) as data-parallel training sees them: this process's rank,
/// how many there are, and the collective operations on parameter-shaped vectors. One per process: it initializes MPI
/// if nobody has, and finalizes it when disposed if it did.
/// </summary>
public sealed unsafe class MpiCommunicator : IDisposable
{
    private readonly Mpi _mpi;
    private readonly bool _owns;
    // Each rank's count and where its values start, for gathers.
    private readonly int[] _counts, _displacements;
    private bool _disposed;

    private MpiCommunicator(Mpi mpi, bool owns)
    {
        _mpi = mpi;
        _owns = owns;
        Rank = mpi.Rank;
        Size = mpi.Size;
        _counts = new int[Size];
        _displacements = new int[Size];
    }

    /// <summary>Loads OpenMPI or MPICH and joins the job; a process started without mpirun is a job of one rank.</summary>
    /// <exception cref="DllNotFoundException">No MPI library is installed; the message says what to install.</exception>
    public static MpiCommunicator Initialize()
    {
        var mpi = Mpi.Load();
        if (mpi.Finalized) throw new InvalidOperationException("MPI has already been finalized in this process; it cannot start again.");
        bool owns = !mpi.Initialized;
        if (owns) mpi.Init();
        return new MpiCommunicator(mpi, owns);
    }

    /// <summary>This process's rank, 0 to <see cref="Size"/> − 1.</summary>
    public int Rank { get; }

    /// <summary>The number of ranks.</summary>
    public int Size { get; }

    /// <summary>The MPI library in use (its file name).</summary>
    public string Library => _mpi.Library;

    /// <summary>values ← the sum of every rank's values, in place (every rank gets the same bits).</summary>
    public void AllReduceSum<T>(Span<T> values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        nint type = Type<T>();
        fixed (T* p = values)
            for (int start = 0; start < values.Length; start += int.MaxValue / 2)
                _mpi.AllReduceSum(p + start, Math.Min(int.MaxValue / 2, values.Length - start), type);
    }

    /// <summary>
    /// <paramref name="gathered"/> ← every rank's <paramref name="values"/> (of any length) concatenated in rank order, on
    /// every rank; returns their total length.
    /// </summary>
    /// <exception cref="ArgumentException">The ranks' values do not fit in <paramref name="gathered"/> (on every rank alike; nothing was gathered).</exception>
    public int AllGather<T>(ReadOnlySpan<T> values, Span<T> gathered) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        nint type = Type<T>();
        fixed (int* counts = _counts, displacements = _displacements)
        {
            _mpi.AllGatherCounts(values.Length, counts);
            long total = 0;
            for (int r = 0; r < Size; r++)
            {
                displacements[r] = (int)Math.Min(total, int.MaxValue);
                total += counts[r];
            }
            if (total > gathered.Length)
                throw new ArgumentException($"The {Size} ranks' {total:N0} values do not fit in the {gathered.Length:N0} given to gather them.", nameof(gathered));
            fixed (T* mine = values, all = gathered)
                _mpi.AllGather(mine, values.Length, type, all, counts, displacements);
            return (int)total;
        }
    }

    /// <summary>values ← rank <paramref name="root"/>'s values, on every rank.</summary>
    public void Broadcast<T>(Span<T> values, int root = 0) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if ((uint)root >= (uint)Size) throw new ArgumentOutOfRangeException(nameof(root), root, $"The job has ranks 0 to {Size - 1}.");
        nint type = Type<T>();
        fixed (T* p = values)
            for (int start = 0; start < values.Length; start += int.MaxValue / 2)
                _mpi.Broadcast(p + start, Math.Min(int.MaxValue / 2, values.Length - start), type, root);
    }

    /// <summary>Waits until every rank has called it.</summary>
    public void Barrier()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _mpi.Barrier();
    }

    private nint Type<T>() => typeof(T) == typeof(float) ? _mpi.Float : typeof(T) == typeof(double) ? _mpi.Double
        : throw new NotSupportedException($"MPI collectives here carry float or double, not {typeof(T).Name}.");

    /// <summary>Finalizes MPI if this communicator initialized it.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_owns && !_mpi.Finalized) _mpi.Shutdown();
    }
}
