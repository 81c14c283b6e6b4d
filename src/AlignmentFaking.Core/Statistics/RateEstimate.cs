namespace AlignmentFaking.Statistics;

/// <summary>
/// A one-tier rate (compliance, judged behaviour, alignment faking) with its Wilson score interval.
/// </summary>
/// <param name="N">The number of observations.</param>
/// <param name="Successes">The number of positive observations (e.g. complied).</param>
/// <param name="Rate">Successes / N; NaN when <paramref name="N"/> is 0.</param>
/// <param name="CiLower">The lower Wilson limit (0 when N is 0).</param>
/// <param name="CiUpper">The upper Wilson limit (1 when N is 0).</param>
/// <param name="ConfidenceLevel">The confidence level of the interval.</param>
public sealed record RateEstimate(int N, int Successes, double Rate, double CiLower, double CiUpper, double ConfidenceLevel)
{
    /// <summary>The rate of <paramref name="successes"/> out of <paramref name="n"/> with its Wilson interval.</summary>
    /// <param name="successes">The number of positive observations, 0 ≤ successes ≤ n.</param>
    /// <param name="n">The number of observations, ≥ 0.</param>
    /// <param name="level">The confidence level, strictly between 0 and 1.</param>
    /// <returns>The estimate.</returns>
    /// <exception cref="ArgumentOutOfRangeException">Counts or level out of range.</exception>
    public static RateEstimate FromCounts(int successes, int n, double level = 0.95)
    {
        ProportionInterval w = ConfidenceIntervals.Wilson(successes, n, level);
        return new RateEstimate(n, successes, w.Rate, w.Lower, w.Upper, level);
    }

    /// <summary>
    /// The rate of positive outcomes with its Wilson interval. Every outcome counts as an independent trial
    /// (with several epochs per request the interval is too narrow; use <see cref="ComplianceGap"/> for comparisons).
    /// </summary>
    /// <param name="outcomes">The outcomes.</param>
    /// <param name="level">The confidence level, strictly between 0 and 1.</param>
    /// <returns>The estimate.</returns>
    public static RateEstimate FromOutcomes(IEnumerable<bool> outcomes, double level = 0.95)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        int n = 0, successes = 0;
        foreach (bool outcome in outcomes)
        {
            n++;
            if (outcome)
            {
                successes++;
            }
        }

        return FromCounts(successes, n, level);
    }
}
