using AlignmentFaking.Classification;
using AlignmentFaking.Running;
using AlignmentFaking.Statistics;

namespace AlignmentFaking.Storage;

/// <summary>
/// The compliance rates of one mode by the LLM judge, in the same shape as the proxy's (the <c>judge</c> field of a
/// condition in <c>summary.json</c>). Judge replies that are unparseable or refused are counted in
/// <see cref="TierSummary.Outcomes"/> and <see cref="TierSummary.Errors"/>, never in <see cref="TierSummary.N"/>.
/// </summary>
public sealed record JudgeRates
{
    /// <summary>The training tier by the judge.</summary>
    public required TierSummary Training { get; init; }

    /// <summary>The unmonitored tier by the judge.</summary>
    public required TierSummary Unmonitored { get; init; }

    /// <summary>The judge's compliance gap, training minus unmonitored.</summary>
    public required GapSummary Gap { get; init; }

    /// <summary>
    /// Computes the judge's rates of one mode's samples (both tiers), as <see cref="RunSummary.Compute(RunManifest, IEnumerable{ExperimentSample})"/>
    /// does for each condition: samples without a judge verdict are left out, and the judge's <c>error</c>,
    /// <c>judge-refused</c> and <c>unparseable</c> are counted in <see cref="TierSummary.Outcomes"/> and
    /// <see cref="TierSummary.Errors"/> but not in <see cref="TierSummary.N"/> or the test (unlike the proxy's
    /// <c>unparseable</c>).
    /// </summary>
    /// <param name="samples">The samples of one mode.</param>
    /// <param name="statistics">Interval level, test choice and bootstrap settings; defaults when <see langword="null"/>.</param>
    /// <returns>The rates; <see langword="null"/> when no sample has a judge verdict.</returns>
    public static JudgeRates? Compute(IEnumerable<ExperimentSample> samples, ComplianceGapOptions? statistics = null)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var judged = samples.Where(s => s.Judge is not null).ToList();
        if (judged.Count == 0)
        {
            return null;
        }

        var rates = ComplianceRates.Compute(judged, s => s.Judge, statistics, o => OutcomeNames.IsVerdict(o) && o != ComplianceOutcome.Unparseable);
        return new JudgeRates { Training = rates.Training, Unmonitored = rates.Unmonitored, Gap = rates.Gap };
    }
}
