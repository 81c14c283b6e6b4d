namespace AlignmentFaking.Statistics;

/// <summary>
/// Score-based confidence intervals for proportions and their differences (Wilson 1927; Newcombe 1998).
/// </summary>
internal static class ConfidenceIntervals
{
    /// <summary>Method name of the unpaired Newcombe hybrid score interval.</summary>
    public const string NewcombeMethod = "newcombe";

    /// <summary>Method name of the paired Newcombe hybrid score interval.</summary>
    public const string NewcombePairedMethod = "newcombe-paired";

    /// <summary>
    /// The Wilson score interval (without continuity correction) for <paramref name="successes"/> out of
    /// <paramref name="n"/>, as R's <c>prop.test(correct = FALSE)</c> and statsmodels' <c>proportion_confint(method="wilson")</c>.
    /// </summary>
    /// <param name="successes">The number of successes, 0 ≤ successes ≤ n.</param>
    /// <param name="n">The number of trials, ≥ 0. With n = 0 the rate is NaN and the interval is [0, 1] (no information).</param>
    /// <param name="level">The confidence level, strictly between 0 and 1.</param>
    /// <returns>The interval; the limits are exactly 0 for 0/n and exactly 1 for n/n.</returns>
    /// <exception cref="ArgumentOutOfRangeException">Counts out of range, or level not in (0, 1).</exception>
    public static ProportionInterval Wilson(int successes, int n, double level = 0.95)
    {
        ValidateLevel(level);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(successes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(successes, n);
        if (n == 0)
        {
            return new ProportionInterval(0, 0, double.NaN, 0.0, 1.0, level);
        }

        double z = StandardNormal.TwoSidedCritical(level);
        double z2 = z * z;
        double nd = n;
        double x = successes;
        double denominator = nd + z2;
        double centre = (x + (0.5 * z2)) / denominator;
        double half = z / denominator * Math.Sqrt((x * (nd - x) / nd) + (0.25 * z2));
        double lower = successes == 0 ? 0.0 : Math.Max(0.0, centre - half);
        double upper = successes == n ? 1.0 : Math.Min(1.0, centre + half);
        return new ProportionInterval(successes, n, x / nd, lower, upper, level);
    }

    /// <summary>
    /// Newcombe's hybrid score interval for the difference p1 - p2 of two independent proportions
    /// (Newcombe 1998, Statistics in Medicine 17:873-890, method 10): the square-and-add combination of
    /// the two Wilson intervals.
    /// </summary>
    /// <param name="successes1">Successes in the first sample.</param>
    /// <param name="n1">Size of the first sample.</param>
    /// <param name="successes2">Successes in the second sample.</param>
    /// <param name="n2">Size of the second sample.</param>
    /// <param name="level">The confidence level, strictly between 0 and 1.</param>
    /// <returns>The interval; if either sample is empty the estimate is NaN and the interval [-1, 1].</returns>
    /// <exception cref="ArgumentOutOfRangeException">Counts out of range, or level not in (0, 1).</exception>
    public static DifferenceInterval NewcombeUnpaired(int successes1, int n1, int successes2, int n2, double level = 0.95)
    {
        ProportionInterval first = Wilson(successes1, n1, level);
        ProportionInterval second = Wilson(successes2, n2, level);
        if (n1 == 0 || n2 == 0)
        {
            return new DifferenceInterval(double.NaN, -1.0, 1.0, level, NewcombeMethod);
        }

        double p1 = first.Rate;
        double p2 = second.Rate;
        double estimate = p1 - p2;
        double lower = estimate - Hypot(p1 - first.Lower, second.Upper - p2);
        double upper = estimate + Hypot(first.Upper - p1, p2 - second.Lower);
        return new DifferenceInterval(estimate, Math.Max(-1.0, lower), Math.Min(1.0, upper), level, NewcombeMethod);
    }

    /// <summary>
    /// Newcombe's hybrid score interval for the difference of two proportions measured on the same units
    /// (Newcombe 1998, Statistics in Medicine 17:2635-2650, method 10). The paired 2×2 table is
    /// <c>[[both, firstOnly], [secondOnly, neither]]</c>; p1 = (both + firstOnly)/n, p2 = (both + secondOnly)/n.
    /// </summary>
    /// <remarks>
    /// The Wilson intervals of the two marginal proportions are combined with the correlation correction
    /// φ = C / √(product of the four marginal totals), where, with A = both·neither - firstOnly·secondOnly,
    /// C = A - n/2 if A &gt; n/2, C = 0 if 0 ≤ A ≤ n/2 and C = A if A &lt; 0; φ = 0 when any marginal total is
    /// zero. This is the form in the paper and in R (contingencytables::Newcombe_square_and_add_CI_paired_2x2,
    /// biostatUZH::confIntPairedProportion).
    /// </remarks>
    /// <param name="both">Units with success in both measurements.</param>
    /// <param name="firstOnly">Units with success in the first measurement only.</param>
    /// <param name="secondOnly">Units with success in the second measurement only.</param>
    /// <param name="neither">Units with success in neither measurement.</param>
    /// <param name="level">The confidence level, strictly between 0 and 1.</param>
    /// <returns>The interval for p1 - p2; with no units the estimate is NaN and the interval [-1, 1].</returns>
    /// <exception cref="ArgumentOutOfRangeException">A negative count, or level not in (0, 1).</exception>
    public static DifferenceInterval NewcombePaired(int both, int firstOnly, int secondOnly, int neither, double level = 0.95)
    {
        ValidateLevel(level);
        ArgumentOutOfRangeException.ThrowIfNegative(both);
        ArgumentOutOfRangeException.ThrowIfNegative(firstOnly);
        ArgumentOutOfRangeException.ThrowIfNegative(secondOnly);
        ArgumentOutOfRangeException.ThrowIfNegative(neither);
        int n = checked(both + firstOnly + secondOnly + neither);
        if (n == 0)
        {
            return new DifferenceInterval(double.NaN, -1.0, 1.0, level, NewcombePairedMethod);
        }

        ProportionInterval first = Wilson(both + firstOnly, n, level);
        ProportionInterval second = Wilson(both + secondOnly, n, level);
        double p1 = first.Rate;
        double p2 = second.Rate;
        double estimate = (double)(firstOnly - secondOnly) / n;

        double row1 = both + firstOnly;
        double row2 = secondOnly + neither;
        double col1 = both + secondOnly;
        double col2 = firstOnly + neither;
        double phi = 0.0;
        if (row1 > 0 && row2 > 0 && col1 > 0 && col2 > 0)
        {
            double a = ((double)both * neither) - ((double)firstOnly * secondOnly);
            double corrected = a > 0.5 * n ? a - (0.5 * n) : (a >= 0 ? 0.0 : a);
            phi = corrected / Math.Sqrt(row1 * row2 * col1 * col2);
        }

        double dl1 = p1 - first.Lower;
        double du2 = second.Upper - p2;
        double du1 = first.Upper - p1;
        double dl2 = p2 - second.Lower;
        double lower = estimate - Math.Sqrt(Math.Max(0.0, (dl1 * dl1) + (du2 * du2) - (2.0 * phi * dl1 * du2)));
        double upper = estimate + Math.Sqrt(Math.Max(0.0, (du1 * du1) + (dl2 * dl2) - (2.0 * phi * du1 * dl2)));
        return new DifferenceInterval(estimate, Math.Max(-1.0, lower), Math.Min(1.0, upper), level, NewcombePairedMethod);
    }

    internal static void ValidateLevel(double level)
    {
        if (!(level > 0.0 && level < 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(level), level, "The confidence level must be strictly between 0 and 1.");
        }
    }

    private static double Hypot(double a, double b) => Math.Sqrt((a * a) + (b * b));
}
