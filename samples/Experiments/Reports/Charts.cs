using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using ScottPlot;
using ScottPlot.TickGenerators;

namespace FishLeg.Experiments.Reports;

/// <summary>The samples' line charts, drawn with ScottPlot: titled panels saved side by side as one PNG.</summary>
internal static class Charts
{
    public const int PanelWidth = 720, PanelHeight = 520;

    /// <summary>An empty chart with a title and axis labels; <paramref name="logY"/> puts the y axis on a log scale.</summary>
    public static Plot Create(string title, string xLabel, string yLabel, bool logY = false)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.Legend.Alignment = Alignment.UpperRight;
        if (logY)
        {
            // ScottPlot draws log axes as log10 of the data with decade labels.
            plot.Axes.Left.TickGenerator = new NumericAutomatic
            {
                MinorTickGenerator = new LogMinorTickGenerator(),
                IntegerTicksOnly = true,
                LabelFormatter = y => Math.Pow(10, y).ToString("G3", CultureInfo.InvariantCulture),
            };
        }
        return plot;
    }

    /// <summary>
    /// A line through (x[i], y[i]), leaving out the points that cannot be drawn (not finite, or not positive on a log
    /// axis), so that a diverged run does not distort the axes.
    /// </summary>
    public static void AddLine(Plot plot, string name, IReadOnlyList<double> x, IReadOnlyList<double> y, Color? color = null, bool dashed = false)
    {
        if (x.Count != y.Count) throw new ArgumentException($"Series '{name}' has {x.Count} x values but {y.Count} y values.", nameof(y));
        bool log = HasLogY(plot);
        var points = Enumerable.Range(0, x.Count).Where(i => double.IsFinite(x[i]) && double.IsFinite(y[i]) && (!log || y[i] > 0)).ToList();
        var line = plot.Add.ScatterLine(points.Select(i => x[i]).ToArray(), points.Select(i => log ? Math.Log10(y[i]) : y[i]).ToArray());
        line.LegendText = name;
        line.LineWidth = 2;
        if (color is Color c) line.Color = c;
        if (dashed) line.LinePattern = LinePattern.Dashed;
    }

    /// <summary>A dashed horizontal line across the chart, such as a noise floor.</summary>
    public static void AddReference(Plot plot, string name, double y)
    {
        bool log = HasLogY(plot);
        var line = plot.Add.HorizontalLine(log ? Math.Log10(y) : y);
        line.LegendText = name;
        line.Color = Colors.Gray;
        line.LinePattern = LinePattern.Dashed;
        line.LineWidth = 2;
    }

    /// <summary>Whether <see cref="Create"/> gave the chart a log y axis (its data is then drawn as log10).</summary>
    private static bool HasLogY(Plot plot) => plot.Axes.Left.TickGenerator is NumericAutomatic { MinorTickGenerator: LogMinorTickGenerator };

    /// <summary>Frames the y axis on [<paramref name="bottom"/>, <paramref name="top"/>] (data units), padded by 4%.</summary>
    public static void FrameY(Plot plot, double bottom, double top)
    {
        double pad = 0.04 * Math.Max(top - bottom, 1e-12 * Math.Max(1, Math.Abs(top)));
        plot.Axes.SetLimitsY(bottom - pad, top + pad);
    }

    /// <summary>Saves the charts side by side, each <see cref="PanelWidth"/>×<see cref="PanelHeight"/> pixels, as one PNG.</summary>
    public static void Save(string path, params Plot[] plots)
    {
        ArgumentOutOfRangeException.ThrowIfZero(plots.Length);
        var multiplot = new Multiplot(plots[0]);
        foreach (Plot plot in plots.Skip(1)) multiplot.AddPlot(plot);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        multiplot.SavePng(path, plots.Length * PanelWidth, PanelHeight);
    }
}
