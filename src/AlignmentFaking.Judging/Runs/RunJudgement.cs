using AlignmentFaking.Judging.Agreement;
using AlignmentFaking.Running;
using AlignmentFaking.Storage;

namespace AlignmentFaking.Judging.Runs;

/// <summary>The result of judging a run directory.</summary>
public sealed record RunJudgement
{
    /// <summary>The samples, judged, in file order.</summary>
    public required IReadOnlyList<ExperimentSample> Samples { get; init; }

    /// <summary>The recomputed summary (as written to <c>summary.json</c>).</summary>
    public required RunSummary Summary { get; init; }

    /// <summary>Proxy-vs-judge agreement.</summary>
    public required AgreementReport Agreement { get; init; }

    /// <summary>Samples judged in this pass (the others already had verdicts).</summary>
    public required int Judged { get; init; }

    /// <summary>
    /// The 1-based number of the torn last line of <c>samples.jsonl</c> the judgement dropped before judging
    /// (<see cref="Storage.RunDirectory.RepairTornLineAsync"/>); <see langword="null"/> when there was none.
    /// </summary>
    public int? RepairedTornLine { get; init; }
}
