using System.CommandLine;
using AlignmentFaking.Judging.Reporting;

namespace AlignmentFaking.Cli;

/// <summary>The run report's flags (<see cref="ReportOptions"/>), shared by <c>af report</c> and <c>af study report</c> (for each cell's report).</summary>
internal sealed class ReportFlags
{
    public Option<int> PageSize { get; } = new Option<int>("--page-size") { Description = "Rows per page of the HTML sample table.", DefaultValueFactory = _ => 100 }.InRange(1);

    public Option<bool> NoTranscripts { get; } = new("--no-transcripts") { Description = "Do not embed transcripts in report.html (smaller file for very large runs)." };

    public Option<int> MaxChars { get; } = new Option<int>("--max-message-chars") { Description = "Characters kept of each transcript message in report.html.", DefaultValueFactory = _ => 20_000 }.InRange(100);

    public void AddTo(Command command)
    {
        command.Options.Add(PageSize);
        command.Options.Add(NoTranscripts);
        command.Options.Add(MaxChars);
    }

    /// <summary>Whether any of the flags was given on the command line (not only their defaults).</summary>
    public bool AnyGiven(ParseResult parse) =>
        new Option[] { PageSize, NoTranscripts, MaxChars }.Any(o => parse.GetResult(o) is { Implicit: false });

    /// <summary>The validated options.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public ReportOptions Bind(ParseResult parse)
    {
        var options = new ReportOptions
        {
            PageSize = parse.GetValue(PageSize),
            IncludeTranscripts = !parse.GetValue(NoTranscripts),
            MaxMessageChars = parse.GetValue(MaxChars),
        };
        options.Validate();
        return options;
    }
}
