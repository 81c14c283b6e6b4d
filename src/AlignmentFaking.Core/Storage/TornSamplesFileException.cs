namespace AlignmentFaking.Storage;

/// <summary>
/// The last line of a run's <c>samples.jsonl</c> is torn: it has no newline and is not a whole sample (a write cut short
/// by a crash, a full disk or a copy that stopped early). Readers refuse such a file rather than report a run from part
/// of it; a writer repairs it with <see cref="RunDirectory.RepairTornLineAsync"/> (resuming the run does), which drops
/// the line so that its sample is run again.
/// </summary>
public sealed class TornSamplesFileException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The samples file.</param>
    /// <param name="lineNumber">The 1-based number of the torn line.</param>
    public TornSamplesFileException(string path, int lineNumber)
        : base($"{path} line {lineNumber} is torn: it has no newline and is not a whole sample (a write was cut short); resuming the run (af run with the same --out) or judging it (af judge) repairs it by dropping that line, whose sample is then run again")
    {
        Path = path;
        LineNumber = lineNumber;
    }

    /// <summary>The samples file.</summary>
    public string Path { get; }

    /// <summary>The 1-based number of the torn line.</summary>
    public int LineNumber { get; }
}
