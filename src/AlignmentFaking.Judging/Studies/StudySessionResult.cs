using AlignmentFaking.Running;

namespace AlignmentFaking.Studies;

/// <summary>How a <see cref="StudySession"/> ended, the worst of its cells first.</summary>
public enum StudySessionStatus
{
    /// <summary>Every cell is complete and every sample has a verdict.</summary>
    Complete,

    /// <summary>Every cell ran to its end, some samples have no verdict (their calls failed after all retries).</summary>
    FinishedWithErrors,

    /// <summary>The study's budget would have been passed: cells stopped launching calls (resumable with a higher budget).</summary>
    BudgetExhausted,

    /// <summary>A subject failed fatally (a 401, an unknown model): its cells stopped, the other subjects' ran on.</summary>
    SubjectsFailed,

    /// <summary>Cancelled: finished samples are kept; a new session resumes.</summary>
    Cancelled,
}

/// <summary>A cell as a study session opened it (<see cref="StudySession.Cells"/>).</summary>
/// <param name="Cell">The cell.</param>
/// <param name="Directory">Its run directory (full path).</param>
/// <param name="Planned">Its planned samples.</param>
/// <param name="DoneBefore">Planned samples already in its directory.</param>
/// <param name="Complete">Whether it is complete already (nothing to call).</param>
public sealed record StudyCellStart(StudyCell Cell, string Directory, int Planned, int DoneBefore, bool Complete);

/// <summary>How one cell of a study session ended.</summary>
public sealed record StudyCellOutcome
{
    /// <summary>The cell.</summary>
    public required StudyCell Cell { get; init; }

    /// <summary>The cell's run directory (full path).</summary>
    public required string Directory { get; init; }

    /// <summary>The cell session's status; <see cref="ExperimentSessionStatus.Fatal"/> also for a cell stopped because its subject failed in another cell.</summary>
    public required ExperimentSessionStatus Status { get; init; }

    /// <summary>What happened, in words (redacted).</summary>
    public required string Message { get; init; }

    /// <summary>Planned samples of the cell.</summary>
    public required int Planned { get; init; }

    /// <summary>Samples of the cell in its directory now.</summary>
    public required int Kept { get; init; }

    /// <summary>Samples without a verdict (their calls failed).</summary>
    public int Errors { get; init; }

    /// <summary>Whether the cell was stopped because its subject failed fatally (in this cell or another).</summary>
    public bool SubjectFailed { get; init; }
}

/// <summary>The result of <see cref="StudySession.RunAsync"/>.</summary>
public sealed record StudySessionResult
{
    /// <summary>How the study ended.</summary>
    public required StudySessionStatus Status { get; init; }

    /// <summary>The study directory (full path).</summary>
    public required string Directory { get; init; }

    /// <summary>Every cell, in the study's order.</summary>
    public required IReadOnlyList<StudyCellOutcome> Cells { get; init; }

    /// <summary>The subjects that failed fatally, with the reason (redacted).</summary>
    public required IReadOnlyDictionary<string, string> FailedSubjects { get; init; }

    /// <summary>The summary written to <c>study-summary.json</c> (every cell as it stands, complete or not).</summary>
    public required StudySummary Summary { get; init; }

    /// <summary>With a budget: what the subjects' calls of every cell cost so far, earlier sessions included.</summary>
    public decimal? Spent { get; init; }

    /// <summary>The budget in USD, when there was one.</summary>
    public decimal? BudgetUsd { get; init; }
}

/// <summary>Progress of one cell.</summary>
/// <param name="Cell">The cell id (<c>subject/variant</c>).</param>
/// <param name="Completed">Samples done (earlier sessions' included).</param>
/// <param name="Total">Planned samples.</param>
/// <param name="State"><c>waiting</c>, <c>running</c>, <c>done</c> or the cell's final status.</param>
public sealed record StudyCellProgress(string Cell, int Completed, int Total, string State);

/// <summary>Progress of a study session, reported after every finished sample of any cell.</summary>
/// <param name="Cells">Every cell.</param>
/// <param name="Completed">Samples done in every cell (earlier sessions' included).</param>
/// <param name="Total">Planned samples of every cell.</param>
/// <param name="Elapsed">Time since the session started running.</param>
/// <param name="CompletedThisSession">Samples this session finished.</param>
public sealed record StudyProgress(IReadOnlyList<StudyCellProgress> Cells, int Completed, int Total, TimeSpan Elapsed, int CompletedThisSession)
{
    /// <summary>Estimated time left at this session's rate, or <see langword="null"/> before its first sample.</summary>
    public TimeSpan? EstimatedRemaining =>
        CompletedThisSession > 0 && Elapsed > TimeSpan.Zero
            ? TimeSpan.FromSeconds(Math.Max(0, Total - Completed) * Elapsed.TotalSeconds / CompletedThisSession)
            : null;
}
