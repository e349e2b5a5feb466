using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using FishLeg.Samples.Distributed;
using Xunit;

namespace FishLeg.Tests.Distributed;

/// <summary>
/// Data-parallel training over MPI (docs/distributed.md): two ranks of the Distributed sample, started by mpirun, each
/// with half of every global batch, end with bit-identical parameters on both ranks, equal to one process trained on the
/// whole batch up to the reordering of the batch sums. .ci/run installs OpenMPI for this test.
/// </summary>
public sealed class DataParallelTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "fishleg-mpi-" + Guid.NewGuid().ToString("N"));

    public DataParallelTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private const int Steps = 10, Batch = 32;

    /// <summary>Runs the sample on two ranks; returns rank 0's final parameters after checking rank 1 holds the same bits.</summary>
    private double[] TwoRanks(string optimizer, params string[] extra) => TwoRanks(optimizer, Batch, out _, extra);

    private double[] TwoRanks(string optimizer, int batch, out string stdout, params string[] extra)
    {
        string output = Path.Combine(_directory, optimizer);
        string sample = typeof(Program).Assembly.Location;
        var start = new ProcessStartInfo("mpirun", ["-np", "2", "--oversubscribe", "dotnet", sample, "--optimizer", optimizer,
            "--steps", Steps.ToString(), "--batch", batch.ToString(), "--out", output, .. extra])
        { RedirectStandardOutput = true, RedirectStandardError = true };
        // OpenMPI refuses to run as root (CI containers) unless told it is meant.
        start.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
        start.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
        Process mpirun;
        try { mpirun = Process.Start(start)!; }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("mpirun is not installed: install OpenMPI (Debian: apt-get install openmpi-bin), as .ci/run does.", e);
        }
        stdout = mpirun.StandardOutput.ReadToEnd();
        string stderr = mpirun.StandardError.ReadToEnd();
        mpirun.WaitForExit();
        Assert.True(mpirun.ExitCode == 0, $"mpirun exited with {mpirun.ExitCode}: {stdout} {stderr}");
        Assert.Contains("2 rank(s)", stdout);

        byte[] rank0 = File.ReadAllBytes(output + ".0"), rank1 = File.ReadAllBytes(output + ".1");
        Assert.Equal(rank0, rank1); // every rank holds the same bits
        double[] two = new double[rank0.Length / sizeof(double)];
        Buffer.BlockCopy(rank0, 0, two, 0, rank0.Length);
        return two;
    }

    /// <summary>
    /// At global batch 32 (16 rows per rank) FishLeg's Q·g is dense on both layers; at 4 (2 per rank) it comes from the
    /// gradient's factors on both, each rank's from its shard's and then averaged over the ranks, and the auxiliary
    /// gradient from every rank's factors of g and F·v, gathered. At 5 the shards are unequal (2 and 3 rows): every
    /// mean over the ranks is weighted by their rows, and the gathers take shards of different lengths. AdaFisher's are
    /// unequal at 33 (16 and 17): at a handful of rows its min-max normalization of S makes the run itself sensitive to
    /// rounding — one ulp more in every initial parameter moves one process's parameters after ten steps by 5.8e-14 at
    /// 5 rows, 3.4e-13 at 4, 1.7e-15 at 32 — and the two ranks differ from one process by as much (9.5e-14, 1.1e-13).
    /// </summary>
    [Theory]
    [InlineData("sgd", Batch)]
    [InlineData("sgd", 5)]
    [InlineData("adam", Batch)]
    [InlineData("fishleg", Batch)]
    [InlineData("fishleg", 4)]
    [InlineData("fishleg", 5)]
    [InlineData("kfac", Batch)]
    [InlineData("kfac", 5)]
    [InlineData("adafisher", Batch)]
    [InlineData("adafisher", 33)]
    public void TwoRanksMatchOneProcessOnTheWholeBatch(string optimizer, int batch)
    {
        double[] two = TwoRanks(optimizer, batch, out string stdout);
        var single = new TeacherStudentNet(batch, seed: 1);
        TrainingRun run = Program.Train(single, optimizer, Steps, batch, rank: 0, size: 1);
        Assert.Contains("0 bytes allocated after the first two steps", stdout); // the collectives allocate nothing either
        // The ranks took the paths one process took on the whole batch (at 5 rows, the ranks' 2 and 3 price them differently
        // from one process's 5), and at 4 rows those are the factored ones.
        if (optimizer == "fishleg" && batch != 5) Assert.Contains($"low-rank layers {run.LowRankLayers}, factored {run.FactoredLayers}", stdout);
        if (optimizer == "fishleg" && batch == 4) Assert.Equal((2, 2), (run.LowRankLayers, run.FactoredLayers));
        double[] one = single.Parameters.ToArray();
        Assert.NotEqual(one, new TeacherStudentNet(Batch, seed: 1).Parameters.ToArray()); // it trained
        // The ranks sum their halves and the all-reduce adds the two: the batch's sum in another order, which moves a
        // gradient by an ulp or so; over ten steps the parameters stay within a few ulps (measured: 1e-16 for all three).
        double worst = one.Zip(two, (a, b) => Math.Abs(a - b) / Math.Max(1, Math.Abs(a))).Max();
        Assert.True(worst < 1e-14, $"{optimizer}: two ranks differ from one process by {worst:E2}");
    }

    /// <summary>
    /// Rank 0 saves the two-rank run halfway; one process resumes it and ends where the two ranks did (to the same few
    /// ulps): the optimizer's state is the same on every rank, so a checkpoint resumes on any number of them.
    /// </summary>
    [Theory]
    [InlineData("fishleg")]
    [InlineData("kfac")]
    [InlineData("adam")]
    public void ACheckpointOfTwoRanksResumesInOneProcess(string optimizer)
    {
        string checkpoint = Path.Combine(_directory, optimizer + ".safetensors");
        double[] two = TwoRanks(optimizer, "--checkpoint", checkpoint, "--save-at", "5");
        var resumed = new TeacherStudentNet(Batch, seed: 2); // other parameters: the checkpoint must replace them
        Program.Train(resumed, optimizer, Steps, Batch, rank: 0, size: 1, resume: checkpoint);
        double worst = resumed.Parameters.ToArray().Zip(two, (a, b) => Math.Abs(a - b) / Math.Max(1, Math.Abs(a))).Max();
        Assert.True(worst < 1e-14, $"{optimizer}: the resumed run differs from the two ranks' by {worst:E2}");
    }
}
