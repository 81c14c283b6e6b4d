using System.CommandLine;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Storage;

namespace AlignmentFaking.Cli;

internal static class MergeCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var output = new Option<string>("--out") { Description = "The merged run directory (new).", Required = true };
        var shards = new Argument<string[]>("SHARD_DIR") { Description = "Run directories of the shards.", Arity = ArgumentArity.OneOrMore };
        var command = new Command("merge", "Combine shard run directories (af run --shard i/n) into one run with one summary.") { output, shards };
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                var outDir = parse.GetValue(output)!;
                var result = await RunMerger.MergeAsync(outDir, parse.GetValue(shards)!, ct).ConfigureAwait(false);
                if (result.AlreadyMerged)
                {
                    await stderr.WriteLineAsync($"complete: {Path.GetFullPath(outDir)} already holds this merge; nothing changed.").ConfigureAwait(false);
                }

                foreach (var condition in result.Summary.Conditions)
                {
                    await stdout.WriteLineAsync($"[{condition.Mode.ToName()}] {condition.OriginalPrintout}").ConfigureAwait(false);
                }

                if (result.Incomplete.Count > 0)
                {
                    await stderr.WriteLineAsync($"the merged run is incomplete (complete: false): {string.Join("; ", result.Incomplete)}. Merge again with every shard once they are complete.").ConfigureAwait(false);
                }

                return AfCli.Success;
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or IncompatibleRunException or ArgumentException or UnauthorizedAccessException)
            {
                await stderr.WriteLineAsync("error: " + ex.Message).ConfigureAwait(false);
                return AfCli.Failure;
            }
        });
        return command;
    }
}
