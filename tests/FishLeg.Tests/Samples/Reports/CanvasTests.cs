using System;
using System.IO;
using System.Linq;
using FishLeg.Experiments.Reports;
using Xunit;

namespace FishLeg.Tests.Samples.Reports;

public class CanvasTests
{
    private static readonly Rgb Red = new(255, 0, 0);

    /// <summary>The glyph's set bits, as '#' and '.' rows, read back from the canvas.</summary>
    private static string[] Rows(Canvas canvas, int x, int y, int width, int height) =>
        Enumerable.Range(y, height).Select(row => new string(Enumerable.Range(x, width)
            .Select(column => canvas[column, row] == Rgb.Black ? '#' : '.').ToArray())).ToArray();

    [Fact]
    public void TextDrawsTheFontsGlyphs()
    {
        var canvas = new Canvas(20, 10);
        canvas.DrawText("1T", 1, 1, Rgb.Black);
        Assert.Equal(
            [
                "..#...#####",
                ".##.....#..",
                "..#.....#..",
                "..#.....#..",
                "..#.....#..",
                "..#.....#..",
                ".###....#..",
            ], Rows(canvas, 1, 1, 11, 7));
        Assert.Equal(11, Canvas.TextWidth("1T", 1));
        Assert.Equal(22, Canvas.TextWidth("1T", 2));
    }

    [Fact]
    public void UpwardTextIsTheGlyphTurnedAnticlockwise()
    {
        var canvas = new Canvas(10, 10);
        canvas.DrawTextUpwards("L", 0, 5, Rgb.Black);
        // 'L' is a left column and a bottom row; turned a quarter anticlockwise they become the bottom row and the right column.
        Assert.Equal(
            [
                "......#",
                "......#",
                "......#",
                "......#",
                "#######",
            ], Rows(canvas, 0, 0, 7, 5));
    }

    [Fact]
    public void LinesAreClippedAndDashed()
    {
        var canvas = new Canvas(30, 5);
        canvas.DrawLine(0, 2, 29, 2, Red, clip: (5, 0, 10, 5));
        Assert.Equal(10, Enumerable.Range(0, 30).Count(x => canvas[x, 2] == Red));
        Assert.Equal(Rgb.White, canvas[4, 2]);
        Assert.Equal(Red, canvas[5, 2]);

        var dashed = new Canvas(30, 5);
        dashed.DrawLine(0, 2, 29, 2, Red, dash: 5);
        Assert.Equal("#####.....#####.....#####.....",
            new string(Enumerable.Range(0, 30).Select(x => dashed[x, 2] == Red ? '#' : '.').ToArray()));

        // A line to infinity or NaN is skipped rather than drawn as garbage.
        var empty = new Canvas(5, 5);
        empty.DrawLine(0, 0, double.NaN, 4, Red);
        empty.DrawLine(0, 0, 4, double.PositiveInfinity, Red);
        Assert.All(Enumerable.Range(0, 25), i => Assert.Equal(Rgb.White, empty[i % 5, i / 5]));
    }

    [Fact]
    public void GrayImagesAreScaledAndClamped()
    {
        var canvas = new Canvas(6, 4);
        canvas.DrawGrayImage([0f, 0.5f, 2f, float.NaN, -1f, 1f], height: 2, width: 3, x: 0, y: 0, scale: 2);
        Assert.Equal(new Rgb(0, 0, 0), canvas[1, 1]);
        Assert.Equal(new Rgb(128, 128, 128), canvas[2, 0]);
        Assert.Equal(new Rgb(255, 255, 255), canvas[5, 1]);
        Assert.Equal(new Rgb(0, 0, 0), canvas[0, 2]);       // NaN draws black
        Assert.Equal(new Rgb(0, 0, 0), canvas[3, 3]);       // below 0
        Assert.Equal(new Rgb(255, 255, 255), canvas[4, 3]);
        var error = Assert.Throws<ArgumentException>(() => canvas.DrawGrayImage(new float[5], 2, 3, 0, 0));
        Assert.Contains("A 2×3 image needs 6 values, not 5", error.Message);
    }

    [Fact]
    public void SavesAPngWithTheCanvasPixels()
    {
        string path = Path.Combine(Path.GetTempPath(), $"fishleg-canvas-{Guid.NewGuid():N}.png");
        try
        {
            var canvas = new Canvas(3, 2);
            canvas.SetPixel(2, 1, Red);
            canvas.SetPixel(7, 7, Red); // outside: ignored
            canvas.Save(path);
            var (width, height, rgb) = PngTests.Decode(File.ReadAllBytes(path));
            Assert.Equal((3, 2), (width, height));
            Assert.Equal(new byte[] { 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 0, 0 }, rgb);
            Assert.False(File.Exists(path + ".tmp"));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
