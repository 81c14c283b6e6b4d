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
                var summary = await RunMerger.MergeAsync(parse.GetValue(output)!, parse.GetValue(shards)!, ct).ConfigureAwait(false);
                foreach (var condition in summary.Conditions)
                {
                    await stdout.WriteLineAsync($"[{condition.Mode.ToName()}] {condition.OriginalPrintout}").ConfigureAwait(false);
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
