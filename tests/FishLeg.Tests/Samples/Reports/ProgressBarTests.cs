using System;
using System.IO;
using System.Linq;
using FishLeg.Experiments.Reports;
using Xunit;

namespace FishLeg.Tests.Samples.Reports;

public class ProgressBarTests
{
    [Fact]
    public void ShowsCountStatusRateAndTimeLeft()
    {
        var bar = new ProgressBar(TextWriter.Null, "Adam", total: 200, inPlace: false);
        Assert.Equal("Adam [######------------------]  50/200 loss 1.5    25.0 it/s  ETA 0:06",
            bar.Format(50, "loss 1.5", TimeSpan.FromSeconds(2)));
        Assert.Equal("Adam [########################] 200/200 loss 1    50.0 it/s  took 0:04",
            bar.Format(200, "loss 1", TimeSpan.FromSeconds(4)));
        Assert.Equal("1:01:05", ProgressBar.Clock(TimeSpan.FromSeconds(3665)));
    }

    [Fact]
    public void RedirectedOutputGetsOneLinePerTenth()
    {
        var writer = new StringWriter();
        var bar = new ProgressBar(writer, "SGD", total: 50, inPlace: false);
        for (int done = 1; done <= 50; done++) bar.Report(done, "loss 2");
        bar.Complete(50, "loss 2");
        string[] lines = writer.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(11, lines.Length); // tenths 0 to 9 (done = 1 is tenth 0), then the final line
        Assert.All(lines, line => Assert.StartsWith("SGD [", line));
        Assert.DoesNotContain('\r', writer.ToString());
    }

    [Fact]
    public void InPlaceOutputRedrawsOneLine()
    {
        var writer = new StringWriter();
        var bar = new ProgressBar(writer, "FishLeg", total: 3, inPlace: true);
        bar.Report(1, "x");
        bar.Report(2, "x"); // within the redraw interval: not drawn
        bar.Complete(3, "y");
        string text = writer.ToString();
        Assert.Single(text.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(2, text.Count(c => c == '\r'));
    }

    [Fact]
    public void MessagesOverwriteTheBarAndTheBarComesBack()
    {
        var writer = new StringWriter();
        var bar = new ProgressBar(writer, "FishLeg", total: 3, inPlace: true);
        bar.Report(1, "x");
        bar.WriteLine("epoch 1");
        bar.Report(2, "x"); // drawn at once after a message
        string[] lines = writer.ToString().Split(Environment.NewLine);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("\rFishLeg [", lines[0]);
        Assert.Contains("\repoch 1", lines[0]);
        Assert.StartsWith("\rFishLeg [", lines[1]);
    }
}
