using System.CommandLine;
using AlignmentFaking.Diagnostics;
using AlignmentFaking.Studies;

namespace AlignmentFaking.Cli;

/// <summary><c>af study</c>: one study file of subjects x variants x modes (see <see cref="Study"/>). <c>plan</c> calls nothing.</summary>
internal static class StudyCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var command = new Command("study", "A study: subjects x prompt variants x modes in one file (study.json), one plan, one budget, comparisons of gaps.");
        command.Subcommands.Add(CreatePlan(stdout, stderr));
        command.Subcommands.Add(StudyReportCommand.Create(stdout, stderr));
        return command;
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
            catch (Exception ex) when (ex is StudyValidationException or FileNotFoundException or CliException)
            {
                await stderr.WriteLineAsync("error: " + SecretRedaction.Redact(ex.Message)).ConfigureAwait(false);
                return AfCli.Failure;
            }
        });
        return command;
    }
}
