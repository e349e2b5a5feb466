using System;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Xunit;

namespace FishLeg.Tests.Samples;

public class QuickStartTests
{
    [Fact]
    public void TrainsTheSpiralClassifierWithTheThreeOptimizers()
    {
        // The sample is a top-level program: run its entry point and read what it prints.
        var output = new StringWriter();
        TextWriter console = Console.Out;
        Console.SetOut(output);
        try
        {
            typeof(SpiralNet).Assembly.EntryPoint!.Invoke(null, [new[] { "1" }]);
        }
        finally
        {
            Console.SetOut(console);
        }

        string text = output.ToString();
        string[] sections = text.Split(["\nSGD-momentum\n", "\nAdam\n", "\nFishLeg\n"], StringSplitOptions.None);
        Assert.Equal(4, sections.Length);
        foreach (string section in sections.Skip(1))
        {
            double[] losses = Regex.Matches(section, @"loss (\d+\.\d+)").Select(m => double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(7, losses.Length); // epochs 1, 5, 10, …, 30
            Assert.True(losses[^1] < losses[0] / 5, $"the loss went from {losses[0]} to {losses[^1]}");
            Assert.Matches(@"epoch  30  loss \d+\.\d+  accuracy 9\d\.\d %", section);
        }
    }
}
