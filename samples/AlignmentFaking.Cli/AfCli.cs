using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using AlignmentFaking.Diagnostics;

namespace AlignmentFaking.Cli;

/// <summary>The <c>af</c> command line.</summary>
public static class AfCli
{
    /// <summary>Exit code of a successful command.</summary>
    public const int Success = 0;

    /// <summary>Exit code of a failed command (bad input, a usage error, unreachable endpoint, ...).</summary>
    public const int Failure = 1;

    /// <summary>Exit code of a run stopped by Ctrl+C; the run directory is resumable.</summary>
    public const int Cancelled = 130;

    /// <summary>Exit code of a command stopped by SIGTERM (128 + 15), cancelled as by Ctrl+C: finished work kept, resumable.</summary>
    public const int Terminated = 143;

    /// <summary>Parses and runs a command line.</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="stdout">Where results go.</param>
    /// <param name="stderr">Where diagnostics go.</param>
    /// <param name="cancellationToken">Cancels the command (as Ctrl+C does).</param>
    /// <returns>
    /// The exit code: <see cref="Success"/>, <see cref="Failure"/> (every usage error: one line <c>error: ...</c> on
    /// <paramref name="stderr"/>), <see cref="Cancelled"/>, or a command's own code.
    /// </returns>
    public static async Task<int> InvokeAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stderr);
        var parse = CreateRoot(stdout, stderr).Parse(args);
        if (parse.Action is ParseErrorAction)
        {
            await stderr.WriteLineAsync(UsageError(parse)).ConfigureAwait(false);
            return Failure;
        }

        // No exception reaches the user as a stack trace: whatever a command did not turn into its own message is one line.
        // Signals are the caller's (Program: SIGINT and SIGTERM cancel the token), so System.CommandLine registers none.
        var config = new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };
        try
        {
            return await parse.InvokeAsync(config, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await stderr.WriteLineAsync("cancelled").ConfigureAwait(false);
            return Cancelled;
        }
        catch (Exception ex)
        {
            await stderr.WriteLineAsync("error: " + OneLine(SecretRedaction.Redact(MessageOf(ex)))).ConfigureAwait(false);
            return Failure;
        }
    }

    /// <summary>The command tree (internal: tests walk it to check every flag).</summary>
    internal static RootCommand CreateRoot(TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("af: run the alignment-faking experiment (Greenblatt et al. 2024) against any model.");
        root.Subcommands.Add(RunCommand.Create(stdout, stderr));
        root.Subcommands.Add(MergeCommand.Create(stdout, stderr));
        root.Subcommands.Add(EstimateCommand.Create(stdout, stderr));
        root.Subcommands.Add(PlanCommand.Create(stdout, stderr));
        root.Subcommands.Add(JudgeCommand.Create(stdout, stderr));
        root.Subcommands.Add(ReportCommand.Create(stdout, stderr));
        root.Subcommands.Add(DataCommand.Create(stdout, stderr));
        root.Subcommands.Add(StudyCommand.Create(stdout, stderr));
        return root;
    }

    /// <summary>
    /// The one line that reports a command line the parser refused: the first error (the flag, what it allows, what was
    /// given, from the flag's own rule in <see cref="OptionRules"/>) and where the flags are listed.
    /// </summary>
    private static string UsageError(ParseResult parse)
    {
        var command = parse.CommandResult;
        var names = new List<string>();
        for (var c = command; c.Parent is CommandResult parent; c = parent)
        {
            names.Insert(0, c.Command.Name);
        }

        var path = string.Join(' ', ["af", .. names]);
        string message;
        if (parse.UnmatchedTokens.Count > 0)
        {
            var token = parse.UnmatchedTokens[0];
            message = token.StartsWith('-') ? $"unknown flag '{token}'"
                : command.Command.Subcommands.Count > 0 ? $"unknown command '{token}'"
                : $"unexpected argument '{token}'";
        }
        else if (command.Command.Options.FirstOrDefault(o => o.Required && command.GetResult(o) is not { IdentifierTokenCount: > 0 }) is { } option)
        {
            message = $"{option.Name} is required";
        }
        else if (command.Command.Arguments.FirstOrDefault(a => a.Arity.MinimumNumberOfValues > 0 && command.GetResult(a) is not { Tokens.Count: > 0 }) is { } argument)
        {
            message = $"{argument.Name} is required";
        }
        else if (command.Command.Subcommands.Count > 0 && command.Command.Action is null)
        {
            message = "give a command: " + string.Join(", ", command.Command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name));
        }
        else
        {
            var error = parse.Errors.FirstOrDefault(e => e.SymbolResult is OptionResult or ArgumentResult) ?? parse.Errors[0];
            message = error.SymbolResult is OptionResult { Tokens.Count: 0, Implicit: false } missing
                ? $"{missing.Option.Name} needs a value"
                : error.Message.TrimEnd('.');
        }

        return $"error: {OneLine(message)}; see '{path} --help'";
    }

    /// <summary>An exception's message for people: an <see cref="ArgumentException"/>'s without .NET's "(Parameter 'x')" suffix.</summary>
    internal static string MessageOf(Exception exception) =>
        exception is ArgumentException { ParamName: { } name } argument
            ? argument.Message.Replace($" (Parameter '{name}')", string.Empty, StringComparison.Ordinal)
            : exception.Message;

    private static string OneLine(string text) => string.Join(' ', text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
