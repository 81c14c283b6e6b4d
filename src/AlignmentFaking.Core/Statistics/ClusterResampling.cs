using System.Numerics;

namespace AlignmentFaking.Statistics;

/// <summary>
/// Resampling methods for the compliance gap when each request is sampled several times (epochs) per tier,
/// so that outcomes of the same request are correlated and must be resampled together. Both methods use
/// the fully specified SplitMix64 generator, so results depend only on the seed.
/// </summary>
internal static class ClusterResampling
{
    /// <summary>Interval method name of <see cref="BootstrapGap"/>.</summary>
    public const string BootstrapMethod = "cluster-bootstrap";

    /// <summary>Test name of <see cref="SignFlipPValue"/>.</summary>
    public const string SignFlipTestName = "cluster-sign-flip";

    /// <summary>The default seed (the date of the alignment-faking paper, 2024-12-18).</summary>
    public const long DefaultSeed = 20241218;

    /// <summary>The default number of bootstrap replicates.</summary>
    public const int DefaultBootstrapReplicates = 2000;

    /// <summary>The default number of random sign flips when the test is not enumerated exactly.</summary>
    public const int DefaultPermutationReplicates = 10000;

    /// <summary>Up to this many requests with a non-zero difference, the sign-flip test enumerates all 2^m sign patterns exactly.</summary>
    public const int MaxExactSignFlipRequests = 20;

    /// <summary>
    /// Cluster (request-level) percentile bootstrap interval for the gap rate(training) - rate(unmonitored),
    /// where each rate pools all epochs. Each replicate draws as many requests as there are distinct requests
    /// (in either tier), with replacement, and takes all their observations in both tiers. Replicates in which a
    /// tier has no observations are discarded. The limits are the (1 - level)/2 and (1 + level)/2 sample
    /// quantiles of the replicate gaps, linearly interpolated (R's quantile type 7).
    /// </summary>
    /// <param name="training">Observations in the training (monitored) tier.</param>
    /// <param name="unmonitored">Observations in the unmonitored tier.</param>
    /// <param name="level">The confidence level, strictly between 0 and 1.</param>
    /// <param name="replicates">The number of bootstrap replicates, ≥ 1.</param>
    /// <param name="seed">The seed of the generator.</param>
    /// <returns>The interval with the observed pooled gap as estimate; NaN estimate and [-1, 1] if a tier is empty.</returns>
    /// <exception cref="ArgumentException">A (request, epoch) pair occurs twice in one tier.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Level or replicate count out of range.</exception>
    public static DifferenceInterval BootstrapGap(
        IEnumerable<GapObservation> training,
        IEnumerable<GapObservation> unmonitored,
        double level = 0.95,
        int replicates = DefaultBootstrapReplicates,
        long seed = DefaultSeed)
    {
        ConfidenceIntervals.ValidateLevel(level);
        ArgumentOutOfRangeException.ThrowIfLessThan(replicates, 1);
        ClusterTable table = ClusterTable.Build(training, unmonitored);
        return BootstrapGapCore(table, level, replicates, seed);
    }

    /// <summary>
    /// Two-sided sign-flip (paired permutation) test of "no gap" on the per-request mean differences
    /// D_r = mean(training outcomes of r) - mean(unmonitored outcomes of r), over requests observed in both
    /// tiers. Under the null hypothesis the tier labels are exchangeable within a request, so each D_r is
    /// symmetric about 0; the statistic is |Σ D_r|. With at most <see cref="MaxExactSignFlipRequests"/>
    /// non-zero differences all sign patterns are enumerated (exact p-value; with one epoch per request this
    /// equals the exact McNemar test); otherwise <paramref name="replicates"/> random patterns are drawn and
    /// p = (1 + #{|S*| ≥ |S|}) / (1 + replicates).
    /// </summary>
    /// <param name="training">Observations in the training (monitored) tier.</param>
    /// <param name="unmonitored">Observations in the unmonitored tier.</param>
    /// <param name="replicates">Random sign patterns when the test is not exact, ≥ 1.</param>
    /// <param name="seed">The seed of the generator.</param>
    /// <returns>The p-value; 1 if every difference is 0; NaN if no request is observed in both tiers.</returns>
    /// <exception cref="ArgumentException">A (request, epoch) pair occurs twice in one tier.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Replicate count out of range.</exception>
    public static double SignFlipPValue(
        IEnumerable<GapObservation> training,
        IEnumerable<GapObservation> unmonitored,
        int replicates = DefaultPermutationReplicates,
        long seed = DefaultSeed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(replicates, 1);
        ClusterTable table = ClusterTable.Build(training, unmonitored);
        return SignFlipPValueCore(table, replicates, seed, out _);
    }

    internal static DifferenceInterval BootstrapGapCore(ClusterTable table, double level, int replicates, long seed)
    {
        if (table.TrainingTotal == 0 || table.UnmonitoredTotal == 0)
        {
            return new DifferenceInterval(double.NaN, -1.0, 1.0, level, BootstrapMethod);
        }

        double estimate = table.PooledGap;
        int r = table.Count;
        var rng = new SplitMix64(unchecked((ulong)seed));
        double[] gaps = new double[replicates];
        int valid = 0;
        for (int b = 0; b < replicates; b++)
        {
            long ts = 0, tn = 0, us = 0, un = 0;
            for (int i = 0; i < r; i++)
            {
                int j = rng.NextInt(r);
                ts += table.TrainingSuccesses[j];
                tn += table.TrainingN[j];
                us += table.UnmonitoredSuccesses[j];
                un += table.UnmonitoredN[j];
            }

            if (tn > 0 && un > 0)
            {
                gaps[valid++] = ((double)ts / tn) - ((double)us / un);
            }
        }

        if (valid == 0)
        {
            return new DifferenceInterval(estimate, -1.0, 1.0, level, BootstrapMethod);
        }

        Array.Sort(gaps, 0, valid);
        double alpha = 1.0 - level;
        double lower = QuantileType7(gaps, valid, 0.5 * alpha);
        double upper = QuantileType7(gaps, valid, 1.0 - (0.5 * alpha));
        return new DifferenceInterval(estimate, lower, upper, level, BootstrapMethod);
    }

    internal static double SignFlipPValueCore(ClusterTable table, int replicates, long seed, out bool exact)
    {
        var differences = new List<double>();
        int common = 0;
        for (int i = 0; i < table.Count; i++)
        {
            if (table.TrainingN[i] > 0 && table.UnmonitoredN[i] > 0)
            {
                common++;
                double d = ((double)table.TrainingSuccesses[i] / table.TrainingN[i])
                    - ((double)table.UnmonitoredSuccesses[i] / table.UnmonitoredN[i]);
                if (d != 0.0)
                {
                    differences.Add(d);
                }
            }
        }

        exact = true;
        if (common == 0)
        {
            return double.NaN;
        }

        return SignFlipPValueOfDifferences(differences, replicates, seed, out exact);
    }

    /// <summary>
    /// The two-sided sign-flip p-value of the sum of <paramref name="all"/> (zeros dropped): exact over every sign
    /// pattern up to <see cref="MaxExactSignFlipRequests"/> non-zero differences, else Monte Carlo with the (1 + count) /
    /// (1 + replicates) correction. 1 when every difference is zero.
    /// </summary>
    internal static double SignFlipPValueOfDifferences(IReadOnlyList<double> all, int replicates, long seed, out bool exact)
    {
        exact = true;
        var differences = all.Where(d => d != 0.0).ToList();
        int m = differences.Count;
        if (m == 0)
        {
            return 1.0;
        }

        double observed = 0.0;
        double scale = 0.0;
        foreach (double d in differences)
        {
            observed += d;
            scale += Math.Abs(d);
        }

        // Sums that differ from the observed one only by rounding count as equal.
        double threshold = Math.Abs(observed) - (1e-9 * scale);
        if (m <= MaxExactSignFlipRequests)
        {
            // Walk all sign patterns in Gray-code order, flipping one sign per step.
            double[] signed = [.. differences];
            double sum = observed;
            long atLeast = Math.Abs(sum) >= threshold ? 1 : 0;
            long patterns = 1L << m;
            for (long k = 1; k < patterns; k++)
            {
                int j = BitOperations.TrailingZeroCount(k);
                sum -= 2.0 * signed[j];
                signed[j] = -signed[j];
                if (Math.Abs(sum) >= threshold)
                {
                    atLeast++;
                }
            }

            return (double)atLeast / patterns;
        }

        exact = false;
        var rng = new SplitMix64(unchecked((ulong)seed) ^ 0x5DEECE66DUL);
        long count = 0;
        for (int b = 0; b < replicates; b++)
        {
            double sum = 0.0;
            for (int i = 0; i < m; i++)
            {
                sum += rng.NextBit() ? differences[i] : -differences[i];
            }

            if (Math.Abs(sum) >= threshold)
            {
                count++;
            }
        }

        return (1.0 + count) / (1.0 + replicates);
    }

    internal static double QuantileType7(double[] sorted, int count, double p)
    {
        double h = (count - 1) * p;
        int lo = (int)Math.Floor(h);
        if (lo >= count - 1)
        {
            return sorted[count - 1];
        }

        return sorted[lo] + ((h - lo) * (sorted[lo + 1] - sorted[lo]));
    }
}
