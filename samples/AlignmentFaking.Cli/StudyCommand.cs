using System.CommandLine;
using System.Globalization;
using AlignmentFaking.Datasets;
using AlignmentFaking.Diagnostics;
using AlignmentFaking.Storage;
using AlignmentFaking.Studies;

namespace AlignmentFaking.Cli;

/// <summary><c>af study</c>: one study file of subjects x variants x modes (see <see cref="Study"/>). <c>plan</c> calls nothing.</summary>
internal static class StudyCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var command = new Command("study", "A study: subjects x prompt variants x modes in one file (study.json), one plan, one budget, comparisons of gaps.");
        command.Subcommands.Add(CreatePlan(stdout, stderr));
        command.Subcommands.Add(CreateRun(stdout, stderr));
        command.Subcommands.Add(StudyReportCommand.Create(stdout, stderr));
        return command;
    }

    /// <summary>Exit code of <c>af study run</c> when a subject failed fatally (its cells stopped; the other subjects' ran).</summary>
    public const int SubjectFailed = 5;

    private static Command CreateRun(TextWriter stdout, TextWriter stderr)
    {
        var file = new Argument<string>("FILE") { Description = "The study file (study.json)." };
        var output = new Option<string?>("--out") { Description = "The study directory: one run directory per cell under cells/subject/variant, study.json pinned, study-summary.json at the end (default: studies/<name>). Rerun the same command to resume." };
        var newCell = new Option<bool>("--new-cell") { Description = "Run a cell whose definition changed since the directory was pinned as a new cell (its old run directory is kept as variant.replaced-N) instead of refusing." };
        var budget = new Option<decimal?>("--budget-usd") { Description = "The study's spending cap for the subjects' calls of every cell together, earlier sessions included (overrides the file's budgetUsd)." }.InRange(0m, minExclusive: true);
        var retryErrors = new Option<bool>("--retry-errors") { Description = "When resuming, call again the samples whose call failed after all retries." };
        var cellsAtOnce = new Option<int?>("--max-concurrent-cells") { Description = "Cells running at the same time (default: all; cells of one subject share its rpm, tpm and concurrency anyway)." }.InRange(1, 1000);
        var json = new Option<bool>("--json") { Description = "Print study-summary.json to stdout (human output goes to stderr)." };
        var pollSeconds = new Option<double>("--batch-poll-seconds") { Description = "For the batch cells (batch: true): seconds between two checks of the batches in flight.", DefaultValueFactory = _ => 30 }.InRange(0.0);
        var maxAttempts = new Option<int>("--batch-max-attempts") { Description = "For the batch cells: times one request is sent before its conversation becomes an error sample.", DefaultValueFactory = _ => 3 }.InRange(1);
        var command = new Command("run", "Run every cell of a study (subject x variant, modes inside) as a run directory of its own, under one lock, one budget and one progress display; cells of one subject share its limits; a subject's fatal failure stops only its cells (exit 5). Killed and rerun, it resumes every cell.")
        {
            file, output, newCell, budget, retryErrors, cellsAtOnce, json, pollSeconds, maxAttempts,
        };
        command.SetAction(async (parse, ct) =>
        {
            var human = parse.GetValue(json) ? stderr : stdout;
            StudySession? session = null;
            try
            {
                var path = parse.GetValue(file)!;
                var study = Study.Load(path);
                var inputs = await StudyInputs.LoadAsync(study, PinnedCaches.Create(), ct).ConfigureAwait(false);
                var dir = parse.GetValue(output) ?? Path.Combine("studies", study.Name);
                session = await StudySession.OpenAsync(study, inputs, new StudySessionOptions
                {
                    Directory = dir,
                    Providers = ProviderNames.Catalog,
                    StudyFile = path,
                    NewCells = parse.GetValue(newCell),
                    BudgetUsd = parse.GetValue(budget),
                    RetryErrors = parse.GetValue(retryErrors),
                    MaxConcurrentCells = parse.GetValue(cellsAtOnce),
                    BatchOptions = new Running.Batch.BatchRunOptions { PollInterval = TimeSpan.FromSeconds(Math.Min(parse.GetValue(pollSeconds), 86_400)), MaxAttemptsPerTurn = parse.GetValue(maxAttempts) },
                    Log = message => human.WriteLine(SecretRedaction.Redact(message)),
                }, ct).ConfigureAwait(false);
                var cells = session.Cells;
                await human.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"study {study.Name}: {cells.Count} cells, {cells.Sum(c => c.Planned)} samples ({cells.Sum(c => c.DoneBefore)} done before) | study directory {session.FullPath}")).ConfigureAwait(false);
                foreach (var note in session.Notes)
                {
                    await human.WriteLineAsync(note).ConfigureAwait(false);
                }

                if (session.Budget is { } b)
                {
                    var expected = session.Plan.Expected.SubjectCost ?? 0m;
                    var warning = expected > b.LimitUsd
                        ? string.Create(CultureInfo.InvariantCulture, $"; the plan expects ${expected:0.##} for the subjects' calls of the whole study, more than the budget: it will stop before the end (af study plan shows each cell's estimate)")
                        : string.Create(CultureInfo.InvariantCulture, $"; the plan expects ${expected:0.##} for the subjects' calls of the whole study");
                    await human.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"budget ${b.LimitUsd} for every cell together (${b.Spent:0.####} spent before this session){warning}")).ConfigureAwait(false);
                }

                var printer = new StudyProgressPrinter(human);
                var result = await session.RunAsync(printer, ct).ConfigureAwait(false);
                printer.Finish();
                await human.WriteLineAsync().ConfigureAwait(false);
                foreach (var cell in result.Cells)
                {
                    await human.WriteLineAsync($"{cell.Cell.Id,-32} {cell.Kept,6}/{cell.Planned,-6} {cell.Message}").ConfigureAwait(false);
                }

                foreach (var line in DescribeSummary(result.Summary))
                {
                    await human.WriteLineAsync(line).ConfigureAwait(false);
                }

                await human.WriteLineAsync($"study-summary.json written to {result.Directory}; the report: af study report {result.Directory}").ConfigureAwait(false);
                if (parse.GetValue(json))
                {
                    await stdout.WriteLineAsync(result.Summary.ToJson()).ConfigureAwait(false);
                }

                switch (result.Status)
                {
                    case StudySessionStatus.Cancelled:
                        await human.WriteLineAsync("cancelled: finished samples are kept in every cell; rerun the same command to resume.").ConfigureAwait(false);
                        return AfCli.Cancelled;
                    case StudySessionStatus.SubjectsFailed:
                        foreach (var (subject, why) in result.FailedSubjects)
                        {
                            await human.WriteLineAsync($"subject {subject} failed: {why}; its cells stopped (the other subjects' cells ran). Fix the cause and rerun the same command to resume.").ConfigureAwait(false);
                        }

                        return SubjectFailed;
                    case StudySessionStatus.BudgetExhausted:
                        await human.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"stopped: the study's budget of ${result.BudgetUsd} would be passed (spent ${result.Spent ?? 0m:0.####}); rerun with a higher --budget-usd to continue.")).ConfigureAwait(false);
                        return RunCommand.BudgetExhausted;
                    case StudySessionStatus.FinishedWithErrors:
                        await human.WriteLineAsync("finished with errors: some samples have no verdict; rerun with --retry-errors.").ConfigureAwait(false);
                        return RunCommand.FinishedWithErrors;
                    default:
                        return AfCli.Success;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                await human.WriteLineAsync("cancelled: finished samples are kept; rerun the same command to resume.").ConfigureAwait(false);
                return AfCli.Cancelled;
            }
            catch (Exception ex) when (IsInputError(ex) || ex is ArgumentException or RunDirectoryLockedException or NotARunDirectoryException or InvalidDataException)
            {
                await stderr.WriteLineAsync("error: " + SecretRedaction.Redact(AfCli.MessageOf(ex))).ConfigureAwait(false);
                return AfCli.Failure;
            }
            finally
            {
                if (session is not null)
                {
                    await session.DisposeAsync().ConfigureAwait(false);
                }
            }
        });
        return command;
    }

    /// <summary>A study file, its dataset or its prompts cannot be read: one line, exit 1.</summary>
    private static bool IsInputError(Exception ex) =>
        ex is StudyValidationException or FileNotFoundException or CliException or DatasetFormatException
            or PinnedResourceUnavailableException or PinnedResourceHashMismatchException or PinnedResourceCacheException;

    /// <summary>The cells' gaps and the comparisons, as lines.</summary>
    internal static IEnumerable<string> DescribeSummary(StudySummary summary)
    {
        var inv = CultureInfo.InvariantCulture;
        yield return string.Empty;
        foreach (var c in summary.Cells)
        {
            yield return string.Create(inv, $"{c.Subject}/{c.Variant} [{c.Mode}] {c.Measure}: training {c.Training.Complied}/{c.Training.N}, unmonitored {c.Unmonitored.Complied}/{c.Unmonitored.N}, gap {Pct(c.Gap)} (95% CI {Pct(c.Ci.Lower)} to {Pct(c.Ci.Upper)}){(c.Complete ? string.Empty : " INCOMPLETE")}");
        }

        foreach (var c in summary.Comparisons)
        {
            yield return string.Create(inv, $"compare {c.A} - {c.B} ({c.Measure}): difference {Pct(c.Difference)} (95% CI {Pct(c.Ci.Lower)} to {Pct(c.Ci.Upper)}), p {P(c.P)}, Holm {P(c.PHolm)}{(c.Rejected ? " REJECTED" : string.Empty)} at alpha {summary.Alpha}");
        }
    }

    private static string P(double? p) => p switch
    {
        null => "n/a",
        < 1e-4 => p.Value.ToString("0.0e+0", CultureInfo.InvariantCulture),
        _ => p.Value.ToString("0.####", CultureInfo.InvariantCulture),
    };

    private static string Pct(double? value) => value is null ? "n/a" : string.Create(CultureInfo.InvariantCulture, $"{value.Value * 100:0.0}%");

    /// <summary>Prints the study's progress: a line when a cell changes state, and at most every 2 s otherwise.</summary>
    private sealed class StudyProgressPrinter(TextWriter w) : IProgress<StudyProgress>
    {
        private readonly Lock _gate = new();
        private string _states = string.Empty;
        private long _last;
        private StudyProgress? _latest;

        public void Report(StudyProgress value)
        {
            lock (_gate)
            {
                _latest = value;
                var states = string.Join(",", value.Cells.Select(c => c.State));
                long now = TimeProvider.System.GetTimestamp();
                if (states == _states && TimeProvider.System.GetElapsedTime(_last, now) < TimeSpan.FromSeconds(2))
                {
                    return;
                }

                _states = states;
                _last = now;
                w.WriteLine(Line(value));
            }
        }

        public void Finish()
        {
            lock (_gate)
            {
                if (_latest is { } p)
                {
                    w.WriteLine(Line(p));
                }
            }
        }

        private static string Line(StudyProgress p)
        {
            var eta = p.EstimatedRemaining is { } left ? $", ETA {(left.TotalHours >= 1 ? $"{(int)left.TotalHours}h{left.Minutes:00}m" : $"{left.Minutes}m{left.Seconds:00}s")}" : string.Empty;
            // Up to 6 cells each by name; more as counts by state, with the running ones named.
            var cells = p.Cells.Count <= 6
                ? string.Join(" | ", p.Cells.Select(Cell))
                : string.Join(", ", p.Cells.GroupBy(c => c.State).Select(g => $"{g.Count()} {g.Key}")) + " | running: " + string.Join(" | ", p.Cells.Where(c => c.State == "running").Take(6).Select(Cell));
            return string.Create(CultureInfo.InvariantCulture, $"{cells} || total {p.Completed}/{p.Total}{eta}");

            static string Cell(StudyCellProgress c) => $"{c.Cell} {c.Completed}/{c.Total}{(c.State is "running" or "waiting" ? string.Empty : " " + c.State)}";
        }
    }

    private static Command CreatePlan(TextWriter stdout, TextWriter stderr)
    {
        var file = new Argument<string>("FILE") { Description = "The study file (study.json; comments and trailing commas allowed)." };
        var json = new Option<bool>("--json") { Description = "Print the plan as JSON to stdout." };
        var command = new Command("plan", "Per cell (subject x variant, modes inside): samples, calls, tokens and cost as 'af estimate' computes them; the total; per comparison the smallest difference of gaps detectable at the planned power (Holm-adjusted alpha). Calls nothing.")
        {
            file, json,
        };
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                var study = Study.Load(parse.GetValue(file)!);
                var inputs = await StudyInputs.LoadAsync(study, PinnedCaches.Create(), ct).ConfigureAwait(false);
                var plan = StudyPlan.Create(study, inputs);
                if (parse.GetValue(json))
                {
                    await stdout.WriteLineAsync(plan.ToJson()).ConfigureAwait(false);
                    return AfCli.Success;
                }

                await stdout.WriteLineAsync($"study {study.Name}: {plan.Cells.Count} cells ({study.Subjects.Count} subjects x {study.Variants.Count} variants), {inputs.Requests.Count} requests x 2 tiers x {study.Modes.Count} mode(s) x {study.Epochs} epoch(s) each").ConfigureAwait(false);
                foreach (var line in plan.Describe())
                {
                    await stdout.WriteLineAsync(line).ConfigureAwait(false);
                }

                return AfCli.Success;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return AfCli.Cancelled;
            }
            catch (Exception ex) when (IsInputError(ex))
            {
                await stderr.WriteLineAsync("error: " + SecretRedaction.Redact(ex.Message)).ConfigureAwait(false);
                return AfCli.Failure;
            }
        });
        return command;
    }
}
