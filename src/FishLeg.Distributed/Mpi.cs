using System;
using System.Runtime.InteropServices;

namespace FishLeg.Distributed;

/// <summary>
/// The few MPI calls data-parallel training needs, bound at run time with <see cref="NativeLibrary"/> to OpenMPI
/// (libmpi.so.40) or MPICH (libmpich.so.12), so that nothing else in the library needs MPI installed. The two differ in
/// how they name handles: OpenMPI's are the addresses of exported objects, MPICH's are integer constants; both travel
/// in an integer register, so one set of function pointers serves both.
/// </summary>
internal sealed unsafe class Mpi
{
    private static readonly string[] Libraries = ["libmpi.so.40", "libmpich.so.12", "libmpi.so.12", "libmpi.so"];

    private readonly delegate* unmanaged<int*, byte***, int> _init;
    private readonly delegate* unmanaged<int*, int> _initialized, _finalized;
    private readonly delegate* unmanaged<int> _finalize;
    private readonly delegate* unmanaged<nint, int*, int> _rank, _size;
    private readonly delegate* unmanaged<void*, void*, int, nint, nint, nint, int> _allReduce;
    private readonly delegate* unmanaged<void*, int, nint, int, nint, int> _broadcast;
    private readonly delegate* unmanaged<nint, int> _barrier;
    private readonly delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int> _allGather;
    private readonly delegate* unmanaged<void*, int, nint, void*, int*, int*, nint, nint, int> _allGatherVaried;

    public nint World { get; }
    public nint Float { get; }
    public nint Double { get; }
    public nint Int { get; }
    public nint Sum { get; }
    public nint InPlace { get; }
    public string Library { get; }

    private Mpi(nint library, string name)
    {
        Library = name;
        nint Get(string symbol) => NativeLibrary.GetExport(library, symbol);
        _init = (delegate* unmanaged<int*, byte***, int>)Get("MPI_Init");
        _initialized = (delegate* unmanaged<int*, int>)Get("MPI_Initialized");
        _finalized = (delegate* unmanaged<int*, int>)Get("MPI_Finalized");
        _finalize = (delegate* unmanaged<int>)Get("MPI_Finalize");
        _rank = (delegate* unmanaged<nint, int*, int>)Get("MPI_Comm_rank");
        _size = (delegate* unmanaged<nint, int*, int>)Get("MPI_Comm_size");
        _allReduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)Get("MPI_Allreduce");
        _broadcast = (delegate* unmanaged<void*, int, nint, int, nint, int>)Get("MPI_Bcast");
        _barrier = (delegate* unmanaged<nint, int>)Get("MPI_Barrier");
        _allGather = (delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int>)Get("MPI_Allgather");
        _allGatherVaried = (delegate* unmanaged<void*, int, nint, void*, int*, int*, nint, nint, int>)Get("MPI_Allgatherv");
        if (NativeLibrary.TryGetExport(library, "ompi_mpi_comm_world", out nint world))
        {
            // OpenMPI (mpi.h: MPI_COMM_WORLD is &ompi_mpi_comm_world, MPI_IN_PLACE is (void*)1).
            (World, Float, Double, Int, Sum, InPlace) = (world, Get("ompi_mpi_float"), Get("ompi_mpi_double"), Get("ompi_mpi_int"), Get("ompi_mpi_op_sum"), 1);
        }
        else
        {
            // MPICH and its ABI (mpi.h: integer handles, MPI_IN_PLACE is (void*)-1).
            (World, Float, Double, Int, Sum, InPlace) = (0x44000000, 0x4c00040a, 0x4c00080b, 0x4c000405, 0x58000003, -1);
        }
    }

    /// <summary>The first MPI library that loads, or an exception naming what was tried and how to install one.</summary>
    public static Mpi Load()
    {
        foreach (string name in Libraries)
            if (NativeLibrary.TryLoad(name, out nint library)) return new Mpi(library, name);
        throw new DllNotFoundException(
            $"No MPI library could be loaded (tried {string.Join(", ", Libraries)}). Install OpenMPI (Debian: apt-get install openmpi-bin) " +
            "or MPICH, and start the ranks with mpirun.");
    }

    public bool Initialized { get { int flag; Check(_initialized(&flag), "MPI_Initialized"); return flag != 0; } }

    public bool Finalized { get { int flag; Check(_finalized(&flag), "MPI_Finalized"); return flag != 0; } }

    public void Init() => Check(_init(null, null), "MPI_Init");

    public void Shutdown() => Check(_finalize(), "MPI_Finalize");

    public int Rank { get { int rank; Check(_rank(World, &rank), "MPI_Comm_rank"); return rank; } }

    public int Size { get { int size; Check(_size(World, &size), "MPI_Comm_size"); return size; } }

    /// <summary>buffer ← the sum of every rank's buffer, in place.</summary>
    public void AllReduceSum(void* buffer, int count, nint type) => Check(_allReduce((void*)InPlace, buffer, count, type, Sum, World), "MPI_Allreduce");

    /// <summary>counts[r] ← rank r's count, on every rank.</summary>
    public void AllGatherCounts(int count, int* counts) => Check(_allGather(&count, 1, Int, counts, 1, Int, World), "MPI_Allgather");

    /// <summary>gathered ← every rank's values in rank order, rank r's counts[r] of them at displacements[r].</summary>
    public void AllGather(void* values, int count, nint type, void* gathered, int* counts, int* displacements) =>
        Check(_allGatherVaried(values, count, type, gathered, counts, displacements, type, World), "MPI_Allgatherv");

    public void Broadcast(void* buffer, int count, nint type, int root) => Check(_broadcast(buffer, count, type, root, World), "MPI_Bcast");

    public void Barrier() => Check(_barrier(World), "MPI_Barrier");

    private static void Check(int code, string call)
    {
        if (code != 0) throw new InvalidOperationException($"{call} failed with MPI error code {code}.");
    }
}
