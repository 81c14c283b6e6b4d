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
}
