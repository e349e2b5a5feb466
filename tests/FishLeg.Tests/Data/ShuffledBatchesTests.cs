using System;
using System.Linq;
using FishLeg.Data;
using Xunit;

namespace FishLeg.Tests.Data;

public class ShuffledBatchesTests
{
    [Fact]
    public void EachEpochIsASeededPermutationInFullBatches()
    {
        var batches = new ShuffledBatches(count: 23, batchSize: 5, seed: 3);
        Assert.Equal(4, batches.BatchesPerEpoch);
        int[] Epoch() => Enumerable.Range(0, batches.BatchesPerEpoch).SelectMany(b => batches.Rows(b).ToArray()).ToArray();
        int[] first = Epoch();
        Assert.Equal(20, first.Distinct().Count());
        Assert.All(first, i => Assert.InRange(i, 0, 22));
        Assert.NotEqual(Enumerable.Range(0, 20), first);

        batches.Shuffle();
        int[] second = Epoch();
        Assert.NotEqual(first, second);

        var again = new ShuffledBatches(23, 5, seed: 3);
        Assert.Equal(first, Enumerable.Range(0, 4).SelectMany(b => again.Rows(b).ToArray()));
        Assert.NotEqual(first, Enumerable.Range(0, 4).SelectMany(b => new ShuffledBatches(23, 5, seed: 4).Rows(b).ToArray()));
    }

    [Fact]
    public void GatherCopiesTheBatchRows()
    {
        var batches = new ShuffledBatches(count: 6, batchSize: 4, seed: 1);
        float[] source = Enumerable.Range(0, 12).Select(i => (float)i).ToArray(); // row r is (2r, 2r + 1)
        var batch = new float[8];
        batches.Gather<float>(0, source, rowLength: 2, batch);
        int[] rows = batches.Rows(0).ToArray();
        Assert.Equal(rows.SelectMany(r => new float[] { 2 * r, 2 * r + 1 }), batch);
    }

    [Fact]
    public void BadSizesAreRejected()
    {
        Assert.Contains("A dataset of 3 rows cannot fill one batch of 4",
            Assert.Throws<ArgumentException>(() => new ShuffledBatches(3, 4, 0)).Message);
        var batches = new ShuffledBatches(6, 2, 0);
        Assert.Contains("6 rows of 2 need 12 values, not 11",
            Assert.Throws<ArgumentException>(() => batches.Gather<float>(0, new float[11], 2, new float[4])).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => batches.Rows(3));
    }
}
