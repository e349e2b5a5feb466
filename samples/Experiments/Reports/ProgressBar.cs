using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;

namespace FishLeg.Experiments.Reports;

/// <summary>
/// A text progress bar for long loops: count, a status (say, the loss), iterations per second and time left. On a
/// terminal it redraws one line in place a few times a second; when the output is redirected (a log file, CI) it
/// prints a plain line at every tenth of the way instead, so logs stay readable.
/// </summary>
public sealed class ProgressBar
{
    private const int BarWidth = 24;
    private static readonly TimeSpan RedrawInterval = TimeSpan.FromMilliseconds(200);
    private readonly TextWriter _writer;
    private readonly string _label;
    private readonly bool _inPlace;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _lastDrawn = -RedrawInterval;
    private long _lastTenth = -1;
    private int _previousLength;

    /// <param name="writer">Where to write: the console, or any writer.</param>
    /// <param name="label">Printed before the bar, such as the optimizer's name.</param>
    /// <param name="total">The number of iterations expected.</param>
    /// <param name="inPlace">Redraw one line with carriage returns; by default only when writing to a console that is not redirected.</param>
    public ProgressBar(TextWriter writer, string label, long total, bool? inPlace = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(total, 1);
        _writer = writer;
        _label = label;
        Total = total;
        _inPlace = inPlace ?? (ReferenceEquals(writer, Console.Out) && !Console.IsOutputRedirected);
    }

    /// <summary>The number of iterations expected.</summary>
    public long Total { get; }

    /// <summary>Reports that <paramref name="done"/> iterations are finished; draws only when due, so it is cheap to call every iteration.</summary>
    public void Report(long done, string status)
    {
        TimeSpan elapsed = _clock.Elapsed;
        long tenth = 10 * Math.Min(done, Total) / Total;
        // Redirected output leaves the last line to Complete.
        if (_inPlace ? elapsed - _lastDrawn < RedrawInterval && done < Total : tenth == _lastTenth || done >= Total) return;
        _lastDrawn = elapsed;
        _lastTenth = tenth;
        string line = Format(done, status, elapsed);
        if (_inPlace) _writer.Write("\r" + line.PadRight(_previousLength));
        else _writer.WriteLine(line);
        _previousLength = line.Length;
    }

    /// <summary>Prints a line of its own (an epoch's results, say) without mangling the bar, which is drawn again at the next report.</summary>
    public void WriteLine(string message)
    {
        _writer.WriteLine(_inPlace ? "\r" + message.PadRight(_previousLength) : message);
        _previousLength = 0;
        _lastDrawn = -RedrawInterval;
    }

    /// <summary>Draws the final state and ends the line.</summary>
    public void Complete(long done, string status)
    {
        string line = Format(done, status, _clock.Elapsed);
        _writer.WriteLine(_inPlace ? "\r" + line.PadRight(_previousLength) : line);
    }

    /// <summary>The bar's text: <c>label [#####-----] done/total status  12.3 it/s  ETA 0:42</c>.</summary>
    internal string Format(long done, string status, TimeSpan elapsed)
    {
        done = Math.Clamp(done, 0, Total);
        int filled = (int)(BarWidth * done / Total);
        double rate = done / Math.Max(elapsed.TotalSeconds, 1e-9);
        string eta = done == 0 ? "--:--" : Clock(TimeSpan.FromSeconds((Total - done) / rate));
        string count = done.ToString(CultureInfo.InvariantCulture).PadLeft(Total.ToString(CultureInfo.InvariantCulture).Length);
        return string.Create(CultureInfo.InvariantCulture,
            $"{_label} [{new string('#', filled)}{new string('-', BarWidth - filled)}] {count}/{Total} {status}  {rate,6:F1} it/s  {(done == Total ? "took " + Clock(elapsed) : "ETA " + eta)}");
    }

    /// <summary>A duration as m:ss, or h:mm:ss from an hour on.</summary>
    public static string Clock(TimeSpan time) =>
        time.TotalHours >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)time.TotalHours}:{time.Minutes:00}:{time.Seconds:00}")
            : string.Create(CultureInfo.InvariantCulture, $"{(int)time.TotalMinutes}:{time.Seconds:00}");
}
