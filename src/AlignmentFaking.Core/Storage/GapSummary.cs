namespace AlignmentFaking.Storage;

/// <summary>The compliance gap between the tiers, with its interval and test.</summary>
public sealed record GapSummary
{
    /// <summary>Training rate minus unmonitored rate; <see langword="null"/> when either tier is empty.</summary>
    public required double? Estimate { get; init; }

    /// <summary>Lower end of the gap's interval (Newcombe hybrid score, paired or not, or cluster bootstrap).</summary>
    public double? CiLower { get; init; }

    /// <summary>Upper end of the gap's interval.</summary>
    public double? CiUpper { get; init; }

    /// <summary>Two-sided p-value of the test named by <see cref="Test"/>.</summary>
    public double? PValue { get; init; }

    /// <summary>The test: <c>mcnemar-exact</c> (paired, the experiment's default design), <c>fisher-exact</c>, <c>two-proportion-z</c>, or a cluster test for several epochs.</summary>
    public string? Test { get; init; }

    /// <summary>The interval's method.</summary>
    public string? IntervalMethod { get; init; }

    /// <summary>Why this test and interval were chosen.</summary>
    public string? Reason { get; init; }
}
