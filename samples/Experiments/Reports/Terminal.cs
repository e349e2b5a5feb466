using System;
using System.IO;
using Spectre.Console;

namespace FishLeg.Experiments.Reports;

/// <summary>The samples' Spectre.Console output: live progress bars on a terminal, plain lines in a log or a test.</summary>
internal static class Terminal
{
    /// <summary>
    /// A console writing to <paramref name="writer"/>: interactive (progress redrawn in place, colours) only when it is
    /// the process's console and that is not redirected; otherwise plain text, 160 columns wide.
    /// </summary>
    public static IAnsiConsole For(TextWriter writer)
    {
        bool live = ReferenceEquals(writer, Console.Out) && !Console.IsOutputRedirected;
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = live ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = live ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = live ? InteractionSupport.Yes : InteractionSupport.No,
        });
        if (!live) console.Profile.Width = 160;
        return console;
    }

    /// <summary>A progress display with the optimizer's status, a bar, the count, the rate and the time left.</summary>
    public static Progress Progress(IAnsiConsole console) =>
        console.Progress().AutoClear(false).HideCompleted(false).Columns(
            new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn { Width = 24 }, new PercentageColumn(),
            new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn());
}
