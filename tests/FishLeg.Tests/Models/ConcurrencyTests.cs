using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using FishLeg.Experiments;
using Xunit;

namespace FishLeg.Tests.Models;

public class ConcurrencyTests
{
    /// <summary>
    /// Two threads calling one model: every call either returns exactly the single-threaded value or throws naming the
    /// misuse; never a mixed, wrong value. Runs until both outcomes have been seen (the calls do overlap on two cores).
    /// </summary>
    [Fact]
    public async Task ConcurrentUseThrowsInsteadOfReturningWrongValues()
    {
        var model = new Autoencoder(64, seed: 3);
        var (inputs, _) = SmallNets.Batch(model.Description, 64, seed: 4);
        float[] pixels = Array.ConvertAll(inputs, x => (float)(1 / (1 + Math.Exp(-x))));
        float expected = model.Loss(pixels, pixels);
        int wrong = 0, refused = 0, succeeded = 0;
        var clock = Stopwatch.StartNew();
        void Hammer()
        {
            while ((Volatile.Read(ref refused) == 0 || Volatile.Read(ref succeeded) < 10) && clock.Elapsed < TimeSpan.FromSeconds(20))
            {
                try
                {
                    if (model.Loss(pixels, pixels) != expected) Interlocked.Increment(ref wrong);
                    else Interlocked.Increment(ref succeeded);
                }
                catch (InvalidOperationException e)
                {
                    Assert.Contains("Model 'Autoencoder' is in use on another thread", e.Message);
                    Interlocked.Increment(ref refused);
                }
            }
        }
        await Task.WhenAll(Task.Run(Hammer), Task.Run(Hammer));
        Assert.Equal(0, wrong);
        Assert.True(refused > 0, "the two threads never overlapped");
        Assert.Equal(expected, model.Loss(pixels, pixels)); // the guard is released after every call
    }
}
