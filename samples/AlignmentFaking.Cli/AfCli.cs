using System.CommandLine;

namespace AlignmentFaking.Cli;

/// <summary>The <c>af</c> command line.</summary>
public static class AfCli
{
    /// <summary>Exit code of a successful command.</summary>
    public const int Success = 0;

    /// <summary>Exit code of a failed command (bad input, unreachable endpoint, ...).</summary>
    public const int Failure = 1;

    /// <summary>Exit code of a run stopped by Ctrl+C; the run directory is resumable.</summary>
    public const int Cancelled = 130;

    /// <summary>Parses and runs a command line.</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="stdout">Where results go.</param>
    /// <param name="stderr">Where diagnostics go.</param>
    /// <param name="cancellationToken">Cancels the command (as Ctrl+C does).</param>
    public static async Task<int> InvokeAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        var root = new RootCommand("af: run the alignment-faking experiment (Greenblatt et al. 2024) against any model.");
        root.Subcommands.Add(RunCommand.Create(stdout, stderr));
        root.Subcommands.Add(MergeCommand.Create(stdout, stderr));
        root.Subcommands.Add(EstimateCommand.Create(stdout, stderr));
        root.Subcommands.Add(PlanCommand.Create(stdout, stderr));
        root.Subcommands.Add(JudgeCommand.Create(stdout, stderr));
        root.Subcommands.Add(ReportCommand.Create(stdout, stderr));
        var parse = root.Parse(args);
        var config = new InvocationConfiguration { Output = stdout, Error = stderr };
        return await parse.InvokeAsync(config, cancellationToken).ConfigureAwait(false);
    }
}
