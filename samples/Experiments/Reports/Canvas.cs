using System;
using System.IO;

namespace FishLeg.Experiments.Reports;

/// <summary>An 8-bit RGB colour.</summary>
public readonly record struct Rgb(byte R, byte G, byte B)
{
    /// <summary>Background.</summary>
    public static readonly Rgb White = new(255, 255, 255);
    /// <summary>Text and frames.</summary>
    public static readonly Rgb Black = new(0, 0, 0);
    /// <summary>Reference lines and borders.</summary>
    public static readonly Rgb Gray = new(128, 128, 128);
    /// <summary>Grid lines.</summary>
    public static readonly Rgb LightGray = new(225, 225, 225);

    /// <summary>Distinguishable line colours (the usual ten-colour plotting palette), cycled by index.</summary>
    public static Rgb Palette(int index) => PaletteColors[index % PaletteColors.Length];

    private static readonly Rgb[] PaletteColors =
    [
        new(31, 119, 180), new(255, 127, 14), new(44, 160, 44), new(214, 39, 40), new(148, 103, 189),
        new(140, 86, 75), new(227, 119, 194), new(127, 127, 127), new(188, 189, 34), new(23, 190, 207),
    ];
}

/// <summary>A white RGB raster with the few drawing operations reports need: rectangles, lines, text, images; saved as PNG.</summary>
public sealed class Canvas
{
    private readonly byte[] _rgb;

    /// <summary>A white canvas of the given size in pixels.</summary>
    public Canvas(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        Width = width;
        Height = height;
        _rgb = new byte[3 * width * height];
        _rgb.AsSpan().Fill(255);
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }
    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>The colour at (x, y); (0, 0) is the top-left corner.</summary>
    public Rgb this[int x, int y]
    {
        get
        {
            int at = 3 * (y * Width + x);
            return new Rgb(_rgb[at], _rgb[at + 1], _rgb[at + 2]);
        }
    }

    /// <summary>Sets one pixel; points outside the canvas are ignored, so callers can draw without clipping.</summary>
    public void SetPixel(int x, int y, Rgb color)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height) return;
        int at = 3 * (y * Width + x);
        _rgb[at] = color.R;
        _rgb[at + 1] = color.G;
        _rgb[at + 2] = color.B;
    }

    /// <summary>Fills a rectangle, clipped to the canvas.</summary>
    public void FillRectangle(int x, int y, int width, int height, Rgb color)
    {
        for (int row = Math.Max(y, 0); row < Math.Min(y + height, Height); row++)
            for (int column = Math.Max(x, 0); column < Math.Min(x + width, Width); column++)
                SetPixel(column, row, color);
    }

    /// <summary>A one-pixel rectangle outline.</summary>
    public void DrawRectangle(int x, int y, int width, int height, Rgb color)
    {
        FillRectangle(x, y, width, 1, color);
        FillRectangle(x, y + height - 1, width, 1, color);
        FillRectangle(x, y, 1, height, color);
        FillRectangle(x + width - 1, y, 1, height, color);
    }

    /// <summary>
    /// A straight line of the given thickness (a square pen stepped along the longer axis), clipped to
    /// <paramref name="clip"/> when given. Every `dash`-th run of `dash` steps is left out when <paramref name="dash"/> &gt; 0.
    /// </summary>
    public void DrawLine(double x0, double y0, double x1, double y1, Rgb color, int thickness = 1, int dash = 0,
        (int X, int Y, int Width, int Height)? clip = null)
    {
        if (!double.IsFinite(x0) || !double.IsFinite(y0) || !double.IsFinite(x1) || !double.IsFinite(y1)) return;
        var (cx, cy, cw, ch) = clip ?? (0, 0, Width, Height);
        double length = Math.Max(Math.Abs(x1 - x0), Math.Abs(y1 - y0));
        // Lines far off the canvas (a diverged run on a fixed axis) are not walked pixel by pixel.
        int steps = (int)Math.Min(Math.Ceiling(length), 4 * (Width + Height));
        int offset = (thickness - 1) / 2;
        for (int i = 0; i <= steps; i++)
        {
            if (dash > 0 && i / dash % 2 == 1) continue;
            double t = steps == 0 ? 0 : (double)i / steps;
            int x = (int)Math.Round(x0 + t * (x1 - x0)) - offset, y = (int)Math.Round(y0 + t * (y1 - y0)) - offset;
            for (int dy = 0; dy < thickness; dy++)
                for (int dx = 0; dx < thickness; dx++)
                    if (x + dx >= cx && x + dx < cx + cw && y + dy >= cy && y + dy < cy + ch)
                        SetPixel(x + dx, y + dy, color);
        }
    }

    /// <summary>The width in pixels of <paramref name="text"/> drawn at <paramref name="scale"/>.</summary>
    public static int TextWidth(string text, int scale) => text.Length == 0 ? 0 : (text.Length * Font.Advance - 1) * scale;

    /// <summary>The height in pixels of a line of text at <paramref name="scale"/>.</summary>
    public static int TextHeight(int scale) => Font.GlyphHeight * scale;

    /// <summary>Draws <paramref name="text"/> with its top-left corner at (x, y), each font pixel a scale×scale block.</summary>
    public void DrawText(string text, int x, int y, Rgb color, int scale = 1) => DrawGlyphs(text, x, y, color, scale, upwards: false);

    /// <summary>Draws <paramref name="text"/> rotated a quarter turn anticlockwise (reading upwards), its bottom-left corner at (x, y).</summary>
    public void DrawTextUpwards(string text, int x, int y, Rgb color, int scale = 1) => DrawGlyphs(text, x, y, color, scale, upwards: true);

    private void DrawGlyphs(string text, int x, int y, Rgb color, int scale, bool upwards)
    {
        foreach (char c in text)
        {
            ReadOnlySpan<byte> glyph = Font.Glyph(c);
            for (int row = 0; row < Font.GlyphHeight; row++)
                for (int column = 0; column < Font.GlyphWidth; column++)
                    if ((glyph[row] >> (Font.GlyphWidth - 1 - column) & 1) != 0)
                    {
                        if (upwards) FillRectangle(x + row * scale, y - (column + 1) * scale, scale, scale, color);
                        else FillRectangle(x + column * scale, y + row * scale, scale, scale, color);
                    }
            if (upwards) y -= Font.Advance * scale;
            else x += Font.Advance * scale;
        }
    }

    /// <summary>Draws a grayscale image (values in [0, 1], row-major, height×width) with its top-left corner at (x, y).</summary>
    public void DrawGrayImage(ReadOnlySpan<float> pixels, int height, int width, int x, int y, int scale = 1)
    {
        if (pixels.Length != height * width)
            throw new ArgumentException($"A {height}×{width} image needs {height * width} values, not {pixels.Length}.", nameof(pixels));
        for (int row = 0; row < height; row++)
            for (int column = 0; column < width; column++)
            {
                float value = pixels[row * width + column];
                byte level = (byte)Math.Round(255 * Math.Clamp(float.IsNaN(value) ? 0f : value, 0f, 1f));
                FillRectangle(x + column * scale, y + row * scale, scale, scale, new Rgb(level, level, level));
            }
    }

    /// <summary>Writes the canvas as a PNG file, through a temporary file so a reader never sees half an image.</summary>
    public void Save(string path)
    {
        string temporary = path + ".tmp";
        using (FileStream file = File.Create(temporary))
            Png.Write(file, Width, Height, _rgb);
        File.Move(temporary, path, overwrite: true);
    }
}
