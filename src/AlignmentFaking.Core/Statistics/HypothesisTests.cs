namespace AlignmentFaking.Statistics;

/// <summary>
/// Two-sided tests for a difference between two proportions. Exact tests compute their probabilities as
/// ratios of probability-mass terms anchored at the mode of the distribution (equivalent to working in log
/// space and normalising by the largest term), so they neither overflow nor underflow harmfully for
/// thousands of observations.
/// </summary>
internal static class HypothesisTests
{
    /// <summary>Test name of <see cref="McNemarExact"/>.</summary>
    public const string McNemarExactName = "mcnemar-exact";

    /// <summary>Test name of <see cref="FisherExact"/>.</summary>
    public const string FisherExactName = "fisher-exact";

    /// <summary>Test name of <see cref="TwoProportionZ"/>.</summary>
    public const string TwoProportionZName = "two-proportion-z";

    /// <summary>
    /// R's relative tolerance for "as or less probable than the observed table" in exact two-sided tests.
    /// </summary>
    private const double RelativeTolerance = 1e-7;

    /// <summary>
    /// The exact (binomial) McNemar test, two-sided: p = min(1, 2·P(X ≤ min(b, c))) with X ~ Bin(b + c, 1/2),
    /// as R's <c>exact2x2::mcnemar.exact</c> / <c>binom.test(b, b + c)</c> and statsmodels' <c>mcnemar(exact=True)</c>.
    /// </summary>
    /// <param name="firstOnly">Discordant pairs with success in the first measurement only (b).</param>
    /// <param name="secondOnly">Discordant pairs with success in the second measurement only (c).</param>
    /// <returns>The p-value; 1 when there are no discordant pairs.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A negative count.</exception>
    public static double McNemarExact(int firstOnly, int secondOnly)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(firstOnly);
        ArgumentOutOfRangeException.ThrowIfNegative(secondOnly);
        int m = checked(firstOnly + secondOnly);
        int k = Math.Min(firstOnly, secondOnly);
        if (2 * k >= m)
        {
            return 1.0; // b == c (including b = c = 0).
        }

        // Unnormalised Bin(m, 1/2) weights relative to the mode; both the total and the tail are summed from
        // the smallest term upwards.
        int mode = m / 2;
        double[] w = BinomialHalfWeights(m, mode);
        double tail = 0.0;
        for (int i = 0; i <= k; i++)
        {
            tail += w[i];
        }

        double total = SumAscending(w, mode);
        return Math.Min(1.0, 2.0 * tail / total);
    }

    /// <summary>
    /// Fisher's exact test for the 2×2 table <c>[[a, b], [c, d]]</c>, two-sided by summing the probabilities
    /// of all tables with the same margins that are no more probable than the observed one (relative tolerance
    /// 1e-7), as R's <c>fisher.test</c> and scipy's <c>fisher_exact</c>.
    /// </summary>
    /// <param name="a">Row 1, column 1 (e.g. first sample, successes).</param>
    /// <param name="b">Row 1, column 2 (e.g. first sample, failures).</param>
    /// <param name="c">Row 2, column 1 (e.g. second sample, successes).</param>
    /// <param name="d">Row 2, column 2 (e.g. second sample, failures).</param>
    /// <returns>The p-value, in (0, 1]; 1 when a margin is zero.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A negative count.</exception>
    public static double FisherExact(int a, int b, int c, int d)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(a);
        ArgumentOutOfRangeException.ThrowIfNegative(b);
        ArgumentOutOfRangeException.ThrowIfNegative(c);
        ArgumentOutOfRangeException.ThrowIfNegative(d);
        int row1 = checked(a + b);
        int col1 = checked(a + c);
        int n = checked(row1 + c + d);
        int lo = Math.Max(0, col1 - (n - row1));
        int hi = Math.Min(row1, col1);
        if (lo == hi)
        {
            return 1.0;
        }

        // Hypergeometric weights over the support [lo, hi] relative to the mode, via the exact ratio
        // f(x+1)/f(x) = (row1 - x)(col1 - x) / ((x + 1)(n - row1 - col1 + x + 1)).
        int size = hi - lo + 1;
        double[] w = new double[size];
        int mode = (int)Math.Floor((row1 + 1.0) * (col1 + 1.0) / (n + 2.0));
        mode = Math.Clamp(mode, lo, hi);
        w[mode - lo] = 1.0;
        for (int x = mode; x < hi; x++)
        {
            double ratio = (double)(row1 - x) * (col1 - x) / ((x + 1.0) * (n - row1 - col1 + x + 1.0));
            w[x + 1 - lo] = w[x - lo] * ratio;
        }

        for (int x = mode; x > lo; x--)
        {
            double ratio = x * (n - row1 - col1 + (double)x) / ((double)(row1 - x + 1) * (col1 - x + 1));
            w[x - 1 - lo] = w[x - lo] * ratio;
        }

        double observed = w[a - lo] * (1.0 + RelativeTolerance);
        double total = SumAscending(w, mode - lo);
        double extreme = 0.0;

        // Sum from both ends of the support towards the mode: smallest terms first.
        for (int i = 0; i < mode - lo; i++)
        {
            if (w[i] <= observed)
            {
                extreme += w[i];
            }
        }

        for (int i = size - 1; i >= mode - lo; i--)
        {
            if (w[i] <= observed)
            {
                extreme += w[i];
            }
        }

        return Math.Min(1.0, extreme / total);
    }

    /// <summary>
    /// The pooled two-proportion z-test (score test) for p1 = p2, two-sided, without continuity correction,
    /// as R's <c>prop.test(correct = FALSE)</c> and statsmodels' <c>proportions_ztest</c>.
    /// </summary>
    /// <param name="successes1">Successes in the first sample.</param>
    /// <param name="n1">Size of the first sample.</param>
    /// <param name="successes2">Successes in the second sample.</param>
    /// <param name="n2">Size of the second sample.</param>
    /// <returns>
    /// The p-value. NaN if a sample is empty; 1 if the pooled proportion is 0 or 1 (both samples all failures or
    /// all successes: the statistic is 0/0 and the data show no difference).
    /// </returns>
    /// <exception cref="ArgumentOutOfRangeException">Counts out of range.</exception>
    public static double TwoProportionZ(int successes1, int n1, int successes2, int n2)
    {
        double z = TwoProportionZStatistic(successes1, n1, successes2, n2);
        if (double.IsNaN(z))
        {
            return n1 == 0 || n2 == 0 ? double.NaN : 1.0;
        }

        return 2.0 * StandardNormal.Cdf(-Math.Abs(z));
    }

    /// <summary>The pooled z statistic (p1 - p2) / √(p̄(1 - p̄)(1/n1 + 1/n2)); NaN when undefined.</summary>
    internal static double TwoProportionZStatistic(int successes1, int n1, int successes2, int n2)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n1);
        ArgumentOutOfRangeException.ThrowIfNegative(n2);
        ArgumentOutOfRangeException.ThrowIfNegative(successes1);
        ArgumentOutOfRangeException.ThrowIfNegative(successes2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(successes1, n1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(successes2, n2);
        if (n1 == 0 || n2 == 0)
        {
            return double.NaN;
        }

        double p1 = (double)successes1 / n1;
        double p2 = (double)successes2 / n2;
        double pooled = ((double)successes1 + successes2) / ((double)n1 + n2);
        double variance = pooled * (1.0 - pooled) * ((1.0 / n1) + (1.0 / n2));
        if (!(variance > 0.0))
        {
            return double.NaN;
        }

        return (p1 - p2) / Math.Sqrt(variance);
    }

    /// <summary>Weights C(m, i)/C(m, mode), i = 0..m, by exact ratios from the mode.</summary>
    private static double[] BinomialHalfWeights(int m, int mode)
    {
        double[] w = new double[m + 1];
        w[mode] = 1.0;
        for (int i = mode; i < m; i++)
        {
            w[i + 1] = w[i] * (m - i) / (i + 1.0);
        }

        for (int i = mode; i > 0; i--)
        {
            w[i - 1] = w[i] * i / (m - i + 1.0);
        }

        return w;
    }

    /// <summary>Sums a unimodal array from both ends towards the mode, smallest terms first.</summary>
    private static double SumAscending(double[] w, int modeIndex)
    {
        double left = 0.0;
        for (int i = 0; i < modeIndex; i++)
        {
            left += w[i];
        }

        double right = 0.0;
        for (int i = w.Length - 1; i > modeIndex; i--)
        {
            right += w[i];
        }

        return left + right + w[modeIndex];
    }
}
