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
}
