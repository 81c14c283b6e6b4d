namespace AlignmentFaking.Judging.Runs;

/// <summary>The result of judging a run directory through batches.</summary>
public sealed record BatchJudgement
{
    /// <summary>The judgement written to the run directory (as <see cref="RunJudge.JudgeDirectoryAsync"/> returns it).</summary>
    public required RunJudgement Judgement { get; init; }

    /// <summary>The last round number (rounds of earlier processes included).</summary>
    public required int Rounds { get; init; }

    /// <summary>Batches created by this call.</summary>
    public required int BatchesCreated { get; init; }

    /// <summary>Batches of an earlier process taken in (re-attached) by this call.</summary>
    public required int BatchesReattached { get; init; }

    /// <summary>Requests submitted by this call.</summary>
    public required int RequestsSubmitted { get; init; }

    /// <summary>Requests that failed (each failure of each attempt counts).</summary>
    public required int RequestsFailed { get; init; }

    /// <summary>Judge calls left without a reply after their last attempt: their votes or verdicts are <c>error</c>.</summary>
    public required int CallsWithoutReply { get; init; }
}
