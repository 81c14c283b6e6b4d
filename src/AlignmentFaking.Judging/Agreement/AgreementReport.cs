using AlignmentFaking.Classification;
using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;

namespace AlignmentFaking.Judging.Agreement;

/// <summary>
/// Agreement between two compliance raters (by default the prefix proxy and the LLM judge) per mode and tier:
/// confusion matrix, raw agreement, Cohen's kappa, and the ids of the samples they disagree on.
/// </summary>
public sealed record AgreementReport
{
    /// <summary>One entry per (mode, tier) present, in mode then tier order.</summary>
    public required IReadOnlyList<TierAgreement> Tiers { get; init; }

    /// <summary>All samples together.</summary>
    public required TierAgreement Overall { get; init; }

    /// <summary>
    /// Proxy vs judge: a sample enters when the proxy's outcome is a verdict (see <c>OutcomeNames.IsVerdict</c>) and the
    /// judge's is a verdict too (<see cref="JudgeRating"/>); <c>partial</c> counts as not complied.
    /// </summary>
    /// <param name="samples">The samples (with <see cref="ExperimentSample.Judge"/> set where judged).</param>
    public static AgreementReport ProxyVsJudge(IEnumerable<ExperimentSample> samples) =>
        Compute(samples, s => ProxyRating(s.Proxy), s => JudgeRating(s.Judge));

    /// <summary>Agreement between two raters given as selectors; a selector returns <see langword="null"/> to leave a sample out.</summary>
    /// <param name="samples">The samples.</param>
    /// <param name="first">The first rater: complied or not.</param>
    /// <param name="second">The second rater: complied or not.</param>
    public static AgreementReport Compute(IEnumerable<ExperimentSample> samples, Func<ExperimentSample, bool?> first, Func<ExperimentSample, bool?> second)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        var list = samples.ToList();
        var tiers = list.GroupBy(s => (s.Mode, s.Tier)).OrderBy(g => g.Key.Mode).ThenBy(g => g.Key.Tier)
            .Select(g => Tally(g.Key.Mode, g.Key.Tier, g, first, second)).ToArray();
        return new AgreementReport { Tiers = tiers, Overall = Tally(null, null, list, first, second) };
    }

    /// <summary>The proxy's rating: complied or not; <see langword="null"/> for outcomes that are not verdicts.</summary>
    /// <param name="outcome">The proxy's outcome.</param>
    public static bool? ProxyRating(ComplianceOutcome outcome) =>
        Storage.OutcomeNames.IsVerdict(outcome) ? outcome == ComplianceOutcome.Complied : null;

    /// <summary>
    /// A judge's rating: complied or not; <see langword="null"/> when not judged or not a verdict (<c>error</c>,
    /// <c>judge-refused</c>, <c>unparseable</c>).
    /// </summary>
    /// <param name="outcome">The judge's outcome.</param>
    public static bool? JudgeRating(ComplianceOutcome? outcome) => Storage.OutcomeNames.JudgeRating(outcome);

    private static TierAgreement Tally(ReasoningMode? mode, Tier? tier, IEnumerable<ExperimentSample> samples, Func<ExperimentSample, bool?> first, Func<ExperimentSample, bool?> second)
    {
        var matrix = new ConfusionMatrix(0, 0, 0, 0);
        var disagreements = new List<string>();
        int excluded = 0;
        foreach (var s in samples.OrderBy(s => s.SampleId, Internal.NaturalIdComparer.Instance))
        {
            var a = first(s);
            var b = second(s);
            if (a is null || b is null)
            {
                excluded++;
                continue;
            }

            matrix = matrix.Add(a.Value, b.Value);
            if (a != b)
            {
                disagreements.Add(s.SampleId);
            }
        }

        return new TierAgreement { Mode = mode, Tier = tier, Matrix = matrix, Disagreements = disagreements, Excluded = excluded };
    }
}
