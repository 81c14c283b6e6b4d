namespace AlignmentFaking.Studies;

/// <summary>The power of one comparison of a <see cref="StudyPlan"/>.</summary>
public sealed class StudyComparisonPlan
{
    internal StudyComparisonPlan(StudyComparison comparison, int requests, int epochs, double alpha, double power, double minimumDetectableDifference)
    {
        Comparison = comparison;
        Requests = requests;
        Epochs = epochs;
        Alpha = alpha;
        Power = power;
        MinimumDetectableDifference = minimumDetectableDifference;
    }

    /// <summary>The comparison, with its defaults resolved.</summary>
    public StudyComparison Comparison { get; }

    /// <summary>Requests in each cell (the same requests in both: the paired design).</summary>
    public int Requests { get; }

    /// <summary>Epochs per request and tier.</summary>
    public int Epochs { get; }

    /// <summary>The level the comparison is planned at: the study's alpha divided by the number of comparisons (Holm's first step).</summary>
    public double Alpha { get; }

    /// <summary>The power planned for.</summary>
    public double Power { get; }

    /// <summary>The smallest |gap(a) - gap(b)| detected with <see cref="Power"/> (<see cref="Statistics.PowerAnalysis.MinimumDetectableGapDifference"/>, paired); NaN when no difference reaches the power (too few requests; <c>null</c> in JSON).</summary>
    public double MinimumDetectableDifference { get; }
}
