using System;
using System.IO;
using System.Linq;
using FishLeg.Experiments.Reports;
using Xunit;

namespace FishLeg.Tests.Samples.Reports;

public class LinePlotTests
{
    [Theory]
    [InlineData(0, 10, false, "0 2 4 6 8 10")]
    [InlineData(-0.33, 0.33, false, "-0.3 -0.2 -0.1 0 0.1 0.2 0.3")]
    [InlineData(1e-6, 1, true, "1e-06 1e-05 0.0001 0.001 0.01 0.1 1")]
    [InlineData(60, 550, true, "100 200 500")]
    [InlineData(1e-9, 1e9, true, "1e-09 1e-06 0.001 1 1e+03 1e+06 1e+09")]
    public void TicksAreRoundNumbersInsideTheRange(double min, double max, bool log, string expected) =>
        Assert.Equal(expected, string.Join(' ', LinePlot.Ticks(min, max, log).Select(LinePlot.FormatTick)));

    [Fact]
    public void DrawsEachSeriesInItsColourAndTheReferenceLineDashed()
    {
        var plot = new LinePlot("title", "x", "y") { LogY = true }
            .AddSeries("rising", [0, 1, 2], [1, 10, 100])
            .AddSeries("with gaps", [0, 1, 2], [double.NaN, -5, 50]) // nothing drawable but a point: no line
            .AddReferenceLine("floor", 3);
        var canvas = new Canvas(600, 400);
        plot.Draw(canvas, 0, 0, 600, 400);

        int blue = Count(canvas, Rgb.Palette(0)), orange = Count(canvas, Rgb.Palette(1)), gray = Count(canvas, Rgb.Gray);
        Assert.True(blue > 500, $"{blue} pixels of the first series");  // the line and its legend sample
        Assert.True(orange is > 0 and < 100, $"{orange} pixels of the second series: its legend sample only");
        Assert.True(gray > 300, $"{gray} pixels of the reference line and the legend frame");
        Assert.True(Count(canvas, Rgb.Black) > 1000, "text and frame");
    }

    [Fact]
    public void YMaxKeepsADivergingSeriesFromSquashingTheOthers()
    {
        var fitted = new LinePlot("t", "x", "y").AddSeries("diverged", [0, 1, 2], [500, 400, 1e22]).AddSeries("fine", [0, 1, 2], [500, 300, 250]);
        Assert.True(fitted.YAxis().Max > 1e21);
        var capped = new LinePlot("t", "x", "y") { YMax = 520 }.AddSeries("diverged", [0, 1, 2], [500, 400, 1e22]).AddSeries("fine", [0, 1, 2], [500, 300, 250]);
        var (min, max) = capped.YAxis();
        Assert.Equal(250 - 0.04 * 250, min, 1e-9);
        Assert.Equal(500 + 0.04 * 250, max, 1e-9);
    }

    [Fact]
    public void SavesPanelsSideBySide()
    {
        string path = Path.Combine(Path.GetTempPath(), $"fishleg-plot-{Guid.NewGuid():N}.png");
        try
        {
            LinePlot.Save(path, [new LinePlot("a", "x", "y").AddSeries("s", [0, 1], [0, 1]), new LinePlot("b", "x", "y")], 300, 200);
            var (width, height, _) = PngTests.Decode(File.ReadAllBytes(path));
            Assert.Equal((600, 200), (width, height));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void MismatchedSeriesLengthsAreRejected()
    {
        var error = Assert.Throws<ArgumentException>(() => new LinePlot("t", "x", "y").AddSeries("loss", [1, 2], [1]));
        Assert.Contains("Series 'loss' has 2 x values but 1 y values", error.Message);
    }

    private static int Count(Canvas canvas, Rgb color) =>
        Enumerable.Range(0, canvas.Width * canvas.Height).Count(i => canvas[i % canvas.Width, i / canvas.Width] == color);
}
