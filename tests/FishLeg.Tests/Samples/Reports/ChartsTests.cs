using System;
using System.IO;
using System.Linq;
using FishLeg.Experiments;
using FishLeg.Experiments.Reports;
using ScottPlot;
using SkiaSharp;
using Xunit;

namespace FishLeg.Tests.Samples.Reports;

public class ChartsTests
{
    private static Coordinates[] Points(Plot plot) =>
        plot.GetPlottables().OfType<ScottPlot.Plottables.Scatter>().Single().Data.GetScatterPoints().ToArray();

    [Fact]
    public void LinesLeaveOutPointsThatCannotBeDrawn()
    {
        Plot linear = Charts.Create("t", "x", "y");
        Charts.AddLine(linear, "diverged", [0, 1, 2, 3, 4], [500, double.NaN, 400, double.PositiveInfinity, -3]);
        Assert.Equal([new(0, 500), new(2, 400), new(4, -3)], Points(linear));

        // On a log axis the values are drawn as log10, and those ≤ 0 are left out too.
        Plot log = Charts.Create("t", "x", "y", logY: true);
        Charts.AddLine(log, "loss", [0, 1, 2, 3], [100, 0, 1e-3, -1]);
        Assert.Equal([new(0, 2), new(2, -3)], Points(log));
    }

    [Fact]
    public void MismatchedSeriesAreRefused()
    {
        var error = Assert.Throws<ArgumentException>(() => Charts.AddLine(Charts.Create("t", "x", "y"), "loss", [1, 2], [1]));
        Assert.Contains("'loss' has 2 x values but 1 y values", error.Message);
    }

    [Fact]
    public void FramingPadsTheGivenRange()
    {
        Plot plot = Charts.Create("t", "x", "y");
        Charts.AddLine(plot, "loss", [0, 1, 2], [540, 300, 250]);
        Charts.FrameY(plot, 250, 300);
        AxisLimits limits = plot.Axes.GetLimits();
        Assert.Equal(248, limits.Bottom, 9);
        Assert.Equal(302, limits.Top, 9);
    }

    [Fact]
    public void ChartsAreSavedSideBySide()
    {
        string path = Path.Combine(Path.GetTempPath(), $"fishleg-charts-{Guid.NewGuid():N}.png");
        try
        {
            Plot a = Charts.Create("a", "x", "y"), b = Charts.Create("b", "x", "y", logY: true);
            Charts.AddLine(a, "s", [0, 1], [0, 1]);
            Charts.AddReference(b, "floor", 0.1);
            Charts.Save(path, a, b);
            using SKBitmap image = SKBitmap.Decode(path);
            Assert.Equal((2 * Charts.PanelWidth, Charts.PanelHeight), (image.Width, image.Height));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void DurationsReadAsClockTime()
    {
        Assert.Equal("0:07", Comparison.Clock(TimeSpan.FromSeconds(7.9)));
        Assert.Equal("1:01:05", Comparison.Clock(TimeSpan.FromSeconds(3665)));
    }
}
