using System.CommandLine;
using System.Globalization;
using AlignmentFaking.Diagnostics;
using AlignmentFaking.Judging.Reporting;

namespace AlignmentFaking.Cli;

/// <summary>
/// <c>af study report DIR</c>: writes study-report.md, a self-contained study-report.html and study-forest.svg into a
/// study directory (<see cref="StudyReport"/>, <see cref="ReportWriter.WriteStudyAsync"/>),
/// and each cell's own run report where it is missing or older than the cell's samples.
/// </summary>
internal static class StudyReportCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var directory = new Argument<string>("DIR") { Description = "The study directory (study-summary.json, cells/SUBJECT/VARIANT run directories)." };
        var command = new Command("report", "Write the study's report: study-report.md, a self-contained study-report.html (cell table, forest plot of the gaps, comparisons with Holm-adjusted p-values, links to each cell's report) and study-forest.svg; each cell's own report is (re)written where missing or older than its samples, or every one when a report flag is given.")
        {
            directory,
        };
        var flags = new ReportFlags();
        flags.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                var study = StudyReport.Load(parse.GetValue(directory)!);
                var written = await ReportWriter.WriteStudyAsync(study, flags.AnyGiven(parse) ? flags.Bind(parse) : null, ct).ConfigureAwait(false);
                var summary = study.Summary;
                int incomplete = summary.Cells.Count(c => !c.Complete);
                await stdout.WriteLineAsync(string.Create(
                    CultureInfo.InvariantCulture,
                    $"study {study.Name}: {summary.Cells.Count} cells, {summary.Comparisons.Count} comparisons ({summary.Comparisons.Count(c => c.Rejected)} rejected at alpha {summary.Alpha}){(incomplete > 0 ? $"; INCOMPLETE: {incomplete} cell(s) not complete" : string.Empty)}")).ConfigureAwait(false);
                foreach (var file in written)
                {
                    await stdout.WriteLineAsync("wrote " + file).ConfigureAwait(false);
                }

                return AfCli.Success;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return AfCli.Cancelled;
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException)
            {
                await stderr.WriteLineAsync("error: " + SecretRedaction.Redact(AfCli.MessageOf(ex))).ConfigureAwait(false);
                return AfCli.Failure;
            }
        });
        return command;
    }
}
