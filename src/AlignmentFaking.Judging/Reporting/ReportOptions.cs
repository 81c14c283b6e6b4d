namespace AlignmentFaking.Judging.Reporting;

/// <summary>Options of the HTML report.</summary>
public sealed class ReportOptions
{
    /// <summary>Rows per page of the HTML sample table. Default: 100.</summary>
    public int PageSize { get; set; } = 100;

    /// <summary>Whether the HTML report embeds the transcripts (shown when a row is expanded). Default: <see langword="true"/>.</summary>
    public bool IncludeTranscripts { get; set; } = true;

    /// <summary>Characters kept of each transcript message in the HTML report (the rest is cut with a note). Default: 20,000.</summary>
    public int MaxMessageChars { get; set; } = 20_000;

    /// <summary>Sample ids listed at most per list (disagreements, AF verdicts) in the Markdown report. Default: 200.</summary>
    public int MaxListedSamples { get; set; } = 200;

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(PageSize, 1, nameof(PageSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxMessageChars, 100, nameof(MaxMessageChars));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxListedSamples, nameof(MaxListedSamples));
    }
}
