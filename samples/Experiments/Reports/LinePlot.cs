using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace FishLeg.Experiments.Reports;

/// <summary>
/// A line chart with axes, ticks, labels, a legend and optional dashed reference lines, drawn on a <see cref="Canvas"/>.
/// Several plots can be saved side by side with <see cref="Save"/>. Points that are not finite (or not positive on a
/// log axis) break the line instead of distorting the axes.
/// </summary>
public sealed class LinePlot(string title, string xLabel, string yLabel)
{
    private const int Scale = 2;
    private readonly List<(string Name, double[] X, double[] Y, Rgb Color)> _series = [];
    private readonly List<(string Name, double Y)> _references = [];

    /// <summary>Printed above the plot.</summary>
    public string Title { get; } = title;
    /// <summary>Printed under the x axis.</summary>
    public string XLabel { get; } = xLabel;
    /// <summary>Printed beside the y axis, reading upwards.</summary>
    public string YLabel { get; } = yLabel;

    /// <summary>A logarithmic y axis (losses spanning decades).</summary>
    public bool LogY { get; init; }

    /// <summary>
    /// Caps the y axis (say, at the initial loss, so a diverging run does not squash the others); lines leaving the
    /// plot are clipped. Null: fitted to the data.
    /// </summary>
    public double? YMax { get; init; }

    /// <summary>Adds a line through the points (x[i], y[i]); the colour follows the palette by default.</summary>
    public LinePlot AddSeries(string name, ReadOnlySpan<double> x, ReadOnlySpan<double> y, Rgb? color = null)
    {
        if (x.Length != y.Length)
            throw new ArgumentException($"Series '{name}' has {x.Length} x values but {y.Length} y values.", nameof(y));
        _series.Add((name, x.ToArray(), y.ToArray(), color ?? Rgb.Palette(_series.Count)));
        return this;
    }

    /// <summary>Adds a dashed horizontal line across the plot, such as a noise floor.</summary>
    public LinePlot AddReferenceLine(string name, double y)
    {
        _references.Add((name, y));
        return this;
    }

    /// <summary>Saves the plots side by side, each <paramref name="panelWidth"/>×<paramref name="panelHeight"/> pixels, as one PNG.</summary>
    public static void Save(string path, IReadOnlyList<LinePlot> plots, int panelWidth = 720, int panelHeight = 520)
    {
        ArgumentOutOfRangeException.ThrowIfZero(plots.Count);
        var canvas = new Canvas(plots.Count * panelWidth, panelHeight);
        for (int i = 0; i < plots.Count; i++) plots[i].Draw(canvas, i * panelWidth, 0, panelWidth, panelHeight);
        canvas.Save(path);
    }

    /// <summary>Draws the plot into the given rectangle of <paramref name="canvas"/>.</summary>
    public void Draw(Canvas canvas, int left, int top, int width, int height)
    {
        int line = Canvas.TextHeight(Scale);
        int plotLeft = left + 2 * line + 12 * Font.Advance * Scale / 2, plotTop = top + 2 * line;
        int plotWidth = left + width - 16 - plotLeft, plotHeight = top + height - 3 * line - 12 - plotTop;
        var clip = (plotLeft, plotTop, plotWidth, plotHeight);

        canvas.DrawText(Title, left + (width - Canvas.TextWidth(Title, Scale)) / 2, top + line / 2, Rgb.Black, Scale);
        canvas.DrawText(XLabel, plotLeft + (plotWidth - Canvas.TextWidth(XLabel, Scale)) / 2, top + height - line - 6, Rgb.Black, Scale);
        canvas.DrawTextUpwards(YLabel, left + 6, plotTop + (plotHeight + Canvas.TextWidth(YLabel, Scale)) / 2, Rgb.Black, Scale);

        var (xMin, xMax) = Range(_series.SelectMany(s => s.X), log: false);
        var (yMin, yMax) = YAxis();
        double Px(double x) => plotLeft + (x - xMin) / (xMax - xMin) * (plotWidth - 1);
        double Py(double y) => plotTop + plotHeight - 1 - (Map(y) - Map(yMin)) / (Map(yMax) - Map(yMin)) * (plotHeight - 1);

        foreach (double tick in Ticks(xMin, xMax, log: false))
        {
            int x = (int)Math.Round(Px(tick));
            canvas.FillRectangle(x, plotTop, 1, plotHeight, Rgb.LightGray);
            string label = FormatTick(tick);
            canvas.DrawText(label, x - Canvas.TextWidth(label, Scale) / 2, plotTop + plotHeight + 6, Rgb.Black, Scale);
        }
        foreach (double tick in Ticks(yMin, yMax, LogY))
        {
            int y = (int)Math.Round(Py(tick));
            canvas.FillRectangle(plotLeft, y, plotWidth, 1, Rgb.LightGray);
            string label = FormatTick(tick);
            canvas.DrawText(label, plotLeft - 6 - Canvas.TextWidth(label, Scale), y - line / 2, Rgb.Black, Scale);
        }
        canvas.DrawRectangle(plotLeft, plotTop, plotWidth, plotHeight, Rgb.Black);

        foreach (var (_, y) in _references)
            canvas.DrawLine(plotLeft, Py(y), plotLeft + plotWidth - 1, Py(y), Rgb.Gray, thickness: 2, dash: 8, clip);
        foreach (var (_, xs, ys, color) in _series)
            for (int i = 1; i < xs.Length; i++)
                if (Drawable(xs[i - 1], ys[i - 1]) && Drawable(xs[i], ys[i]))
                    canvas.DrawLine(Px(xs[i - 1]), Py(ys[i - 1]), Px(xs[i]), Py(ys[i]), color, thickness: 2, clip: clip);

        // Legend, top right inside the frame.
        var entries = _series.Select(s => (s.Name, s.Color, Dash: 0)).Concat(_references.Select(r => (r.Name, Rgb.Gray, Dash: 8))).ToList();
        int legendWidth = entries.Count == 0 ? 0 : entries.Max(e => Canvas.TextWidth(e.Name, Scale)) + 48;
        int legendX = plotLeft + plotWidth - legendWidth - 8, legendY = plotTop + 8;
        if (entries.Count > 0)
        {
            canvas.FillRectangle(legendX - 6, legendY - 6, legendWidth + 12, entries.Count * (line + 8) + 4, Rgb.White);
            canvas.DrawRectangle(legendX - 6, legendY - 6, legendWidth + 12, entries.Count * (line + 8) + 4, Rgb.Gray);
        }
        foreach (var (name, color, dash) in entries)
        {
            canvas.DrawLine(legendX, legendY + line / 2, legendX + 32, legendY + line / 2, color, thickness: 2, dash: dash == 0 ? 0 : 4);
            canvas.DrawText(name, legendX + 40, legendY, Rgb.Black, Scale);
            legendY += line + 8;
        }

        bool Drawable(double x, double y) => double.IsFinite(x) && double.IsFinite(y) && (!LogY || y > 0);
        double Map(double y) => LogY ? Math.Log10(y) : y;
    }

    /// <summary>The y axis's range: every series and reference line, without the values above <see cref="YMax"/>.</summary>
    internal (double Min, double Max) YAxis() =>
        Range(_series.SelectMany(s => s.Y).Where(y => !(y > YMax)).Concat(_references.Select(r => r.Y)), LogY);

    /// <summary>The axis range over the drawable values, padded by 5% (linear) or rounded out to 1-2-5 steps (log).</summary>
    private static (double Min, double Max) Range(IEnumerable<double> values, bool log)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (double v in values)
            if (double.IsFinite(v) && (!log || v > 0))
            {
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }
        if (min > max) return log ? (1, 10) : (0, 1);
        if (log)
        {
            if (max / min < 1.01) (min, max) = (min / 1.1, max * 1.1);
            return (min / Math.Pow(max / min, 0.04), max * Math.Pow(max / min, 0.04));
        }
        if (max - min < 1e-12 * Math.Max(1, Math.Abs(max))) (min, max) = (min - 0.5, max + 0.5);
        double pad = 0.04 * (max - min);
        return (min - pad, max + pad);
    }

    /// <summary>
    /// Tick values inside [min, max]: multiples of a 1-2-5 step on a linear axis; on a log axis decades (every k-th when
    /// there are many), with 2 and 5 between them when the range spans less than two decades.
    /// </summary>
    internal static IEnumerable<double> Ticks(double min, double max, bool log)
    {
        if (!log)
        {
            double step = NiceStep((max - min) / 6);
            for (double k = Math.Ceiling(min / step); k * step <= max; k++) yield return k * step == 0 ? 0 : k * step;
            yield break;
        }
        int low = (int)Math.Floor(Math.Log10(min)), high = (int)Math.Ceiling(Math.Log10(max));
        int stride = Math.Max(1, (high - low + 5) / 6);
        double[] mantissas = high - low <= 2 ? [1, 2, 5] : [1];
        for (int e = low; e <= high; e += stride)
            foreach (double m in mantissas)
            {
                double v = m * Math.Pow(10, e);
                if (v >= min && v <= max) yield return v;
            }
    }

    private static double NiceStep(double rough)
    {
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        double m = rough / magnitude;
        return magnitude * (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10);
    }

    /// <summary>Short, culture-invariant tick labels: 0.05, 120, 2.5e+04, 1e-06.</summary>
    internal static string FormatTick(double value) =>
        value.ToString("G3", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);
}
