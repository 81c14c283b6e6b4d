using System.CommandLine;
using AlignmentFaking.Judging.Reporting;
using AlignmentFaking.Storage;

namespace AlignmentFaking.Cli;

/// <summary><c>af report</c>: writes report.md, a self-contained report.html and chart.svg for one run or a comparison of several.</summary>
internal static class ReportCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var runs = new Option<string[]>("--run") { Description = "A run directory (repeat for a comparison of several runs).", Required = true, Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false };
        var output = new Option<string?>("--out") { Description = "Where to write report.md, report.html and chart.svg. Default: the run directory for one run; required for several." };
        var flags = new ReportFlags();
        var command = new Command("report", "Write a report of a run (report.md, self-contained report.html, chart.svg), or a comparison table and chart of several runs.")
        {
            runs, output,
        };
        flags.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var dirs = parse.GetValue(runs) ?? [];
            var outDir = parse.GetValue(output);
            try
            {
                if (dirs.Length == 0)
                {
                    throw new ArgumentException("give at least one --run DIR");
                }

                if (outDir is null && dirs.Length > 1)
                {
                    throw new ArgumentException("--out DIR is required with several --run directories");
                }

                var options = flags.Bind(parse);
                var reports = dirs.Select(RunReport.Load).ToArray();
                var written = await ReportWriter.WriteAsync(reports, outDir ?? dirs[0], options, ct).ConfigureAwait(false);
                foreach (var c in reports.SelectMany(r => r.Summary.Conditions.Select(c => (r, c))))
                {
                    await stdout.WriteLineAsync($"[{Scenarios.ScenarioNames.ToName(c.c.Mode)}] {c.c.OriginalPrintout}").ConfigureAwait(false);
                }

                foreach (var file in written)
                {
                    await stdout.WriteLineAsync("wrote " + file).ConfigureAwait(false);
                }

                return AfCli.Success;
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or ArgumentException or UnauthorizedAccessException)
            {
                await stderr.WriteLineAsync("error: " + ex.Message).ConfigureAwait(false);
                return AfCli.Failure;
            }
        });
        return command;
    }
}
