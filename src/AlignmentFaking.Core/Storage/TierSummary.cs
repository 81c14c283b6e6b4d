using AlignmentFaking.Classification;
using AlignmentFaking.Running;
using AlignmentFaking.Statistics;

namespace AlignmentFaking.Storage;

/// <summary>One tier's compliance counts (by the compliance proxy unless stated otherwise).</summary>
public sealed record TierSummary
{
    /// <summary>Samples with a verdict: every sample except those whose call failed (<c>error</c>).</summary>
    public required int N { get; init; }

    /// <summary>Samples that complied.</summary>
    public required int Complied { get; init; }

    /// <summary><see cref="Complied"/> / <see cref="N"/>; <see langword="null"/> when N is 0.</summary>
    public required double? Rate { get; init; }

    /// <summary>Lower end of the Wilson score interval of <see cref="Rate"/> (95% unless configured); <see langword="null"/> when N is 0.</summary>
    public double? CiLower { get; init; }

    /// <summary>Upper end of the Wilson score interval of <see cref="Rate"/>; <see langword="null"/> when N is 0.</summary>
    public double? CiUpper { get; init; }

    /// <summary>Samples without a verdict because a call failed; not in <see cref="N"/>.</summary>
    public int Errors { get; init; }

    /// <summary>Count of every outcome, keyed by its JSON word (<c>complied</c>, <c>refused</c>, <c>failed</c>, ...).</summary>
    public required IReadOnlyDictionary<string, int> Outcomes { get; init; }

    /// <summary>Counts one tier's samples with a given verdict selector.</summary>
    /// <param name="samples">The tier's samples.</param>
    /// <param name="verdict">Selects the verdict to count (e.g. the proxy's); <see langword="null"/> means not judged.</param>
    /// <param name="isVerdict">Which outcomes enter the denominator; <see cref="OutcomeNames.IsVerdict"/> when <see langword="null"/>.</param>
    /// <param name="confidenceLevel">Level of the Wilson interval. Default: 0.95.</param>
    public static TierSummary Compute(IEnumerable<ExperimentSample> samples, Func<ExperimentSample, ComplianceOutcome?> verdict, Func<ComplianceOutcome, bool>? isVerdict = null, double confidenceLevel = 0.95)
    {
        isVerdict ??= OutcomeNames.IsVerdict;
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(verdict);
        var outcomes = new SortedDictionary<string, int>(StringComparer.Ordinal);
        int n = 0, complied = 0, errors = 0;
        foreach (var sample in samples)
        {
            var outcome = verdict(sample);
            if (outcome is null)
            {
                continue;
            }

            var word = OutcomeNames.ToName(outcome.Value);
            outcomes[word] = outcomes.GetValueOrDefault(word) + 1;
            if (!isVerdict(outcome.Value))
            {
                errors++;
                continue;
            }

            n++;
            if (outcome == ComplianceOutcome.Complied)
            {
                complied++;
            }
        }

        var interval = n == 0 ? null : ConfidenceIntervals.Wilson(complied, n, confidenceLevel);
        return new TierSummary
        {
            N = n,
            Complied = complied,
            Rate = n == 0 ? null : (double)complied / n,
            CiLower = interval?.Lower,
            CiUpper = interval?.Upper,
            Errors = errors,
            Outcomes = outcomes,
        };
    }
}
