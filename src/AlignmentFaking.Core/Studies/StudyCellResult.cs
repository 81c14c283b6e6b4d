using AlignmentFaking.Running;

namespace AlignmentFaking.Studies;

/// <summary>The samples of one cell in one mode, the input of <see cref="StudySummary.ForStudy"/>.</summary>
public sealed record StudyCellResult
{
    /// <summary>The cell and mode (<c>subject</c>, <c>variant</c>, <c>mode</c> all set).</summary>
    public required StudyCellReference Cell { get; init; }

    /// <summary>The cell's samples (those of other modes are ignored).</summary>
    public required IReadOnlyList<ExperimentSample> Samples { get; init; }

    /// <summary>The cell's run directory, if it has one.</summary>
    public string? RunDirectory { get; init; }

    /// <summary>Whether every planned sample of the cell is in <see cref="Samples"/> (the manifest's <c>complete</c>).</summary>
    public bool Complete { get; init; }

    /// <summary>
    /// The results of one cell and mode read from a run directory (<c>af run</c>'s, or a study cell's): its samples of
    /// that mode (without their texts) and its manifest's <c>complete</c>.
    /// </summary>
    /// <param name="cell">The cell and mode (<c>subject</c>, <c>variant</c>, <c>mode</c> all set).</param>
    /// <param name="directory">The run directory.</param>
    /// <exception cref="InvalidDataException">The directory's files are unreadable (a torn <c>samples.jsonl</c>, no manifest).</exception>
    public static StudyCellResult FromRunDirectory(StudyCellReference cell, string directory)
    {
        ArgumentNullException.ThrowIfNull(cell);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var mode = Scenarios.ScenarioNames.ParseMode(cell.Mode ?? throw new ArgumentException("the cell's mode is required", nameof(cell)));
        var manifest = Storage.RunDirectory.ReadManifest(directory);
        return new StudyCellResult
        {
            Cell = cell,
            Samples = [.. Storage.RunDirectory.EnumerateSamples(directory, includeText: false).Where(s => s.Mode == mode)],
            RunDirectory = directory,
            Complete = manifest.Complete,
        };
    }
}
