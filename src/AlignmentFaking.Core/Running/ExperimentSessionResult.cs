using AlignmentFaking.Storage;

namespace AlignmentFaking.Running;

/// <summary>How an <see cref="ExperimentSession"/> ended, with the figures a caller reports.</summary>
public sealed record ExperimentSessionResult
{
    /// <summary>How the session ended.</summary>
    public required ExperimentSessionStatus Status { get; init; }

    /// <summary>
    /// One line: why the session ended; for <see cref="ExperimentSessionStatus.Fatal"/>, the cause (what failed and
    /// what to check; credentials removed).
    /// </summary>
    public required string Message { get; init; }

    /// <summary>The run directory (full path).</summary>
    public required string Directory { get; init; }

    /// <summary>The summary, computed from the samples and the manifest, as <c>summary.json</c> holds it.</summary>
    public required RunSummary Summary { get; init; }

    /// <summary>Samples the plan has (this shard's, when sharded).</summary>
    public required int Planned { get; init; }

    /// <summary>Planned samples now in the run directory (earlier sessions' included).</summary>
    public required int Kept { get; init; }

    /// <summary>Planned samples that were in the run directory before this session.</summary>
    public required int DoneBefore { get; init; }

    /// <summary>Whether the run was complete already: nothing was called and no file changed.</summary>
    public bool AlreadyComplete { get; init; }

    /// <summary>What the kept samples cost (<c>summary.json</c>'s actual cost); <see langword="null"/> without a price.</summary>
    public decimal? Spent { get; init; }

    /// <summary>
    /// For <see cref="ExperimentSessionStatus.BudgetExhausted"/>: what calls of conversations the stop cut short cost
    /// (paid, but in no sample); otherwise 0.
    /// </summary>
    public decimal SpentCutShort { get; init; }

    /// <summary>For <see cref="ExperimentSessionStatus.BudgetExhausted"/>: the budget in USD.</summary>
    public decimal? BudgetUsd { get; init; }

    /// <summary>Samples without a verdict (their call failed after all retries).</summary>
    public int ErrorCount => Summary.SamplesWithoutVerdict;
}
