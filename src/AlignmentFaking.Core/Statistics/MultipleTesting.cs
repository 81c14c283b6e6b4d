namespace AlignmentFaking.Statistics;

/// <summary>Adjustments of p-values for a family of tests.</summary>
public static class MultipleTesting
{
    /// <summary>
    /// Holm's (1979) step-down adjustment, controlling the family-wise error rate: with the m p-values sorted ascending,
    /// adjusted p(i) = max over j ≤ i of min(1, (m - j + 1)·p(j)), returned in the input's order (as R's
    /// <c>p.adjust(p, "holm")</c>). A test is rejected at level alpha when its adjusted p-value is at most alpha. NaN
    /// p-values (no test possible) stay NaN and do not count in m.
    /// </summary>
    /// <param name="pValues">The p-values, each in [0, 1] or NaN.</param>
    /// <returns>The adjusted p-values, in the same order.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A p-value is outside [0, 1].</exception>
    public static double[] Holm(IReadOnlyList<double> pValues)
    {
        ArgumentNullException.ThrowIfNull(pValues);
        var order = new List<int>();
        for (int i = 0; i < pValues.Count; i++)
        {
            double p = pValues[i];
            if (double.IsNaN(p))
            {
                continue;
            }

            if (p is < 0.0 or > 1.0)
            {
                throw new ArgumentOutOfRangeException(nameof(pValues), p, "A p-value must be in [0, 1].");
            }

            order.Add(i);
        }

        order.Sort((x, y) => pValues[x] != pValues[y] ? pValues[x].CompareTo(pValues[y]) : x.CompareTo(y));
        var adjusted = Enumerable.Repeat(double.NaN, pValues.Count).ToArray();
        int m = order.Count;
        double running = 0.0;
        for (int j = 0; j < m; j++)
        {
            running = Math.Max(running, Math.Min(1.0, (m - j) * pValues[order[j]]));
            adjusted[order[j]] = running;
        }

        return adjusted;
    }
}
