namespace AlignmentFaking.Statistics;

/// <summary>The difference of two cells' compliance gaps, gap(a) - gap(b), with its interval and test.</summary>
/// <param name="GapA">Cell a's gap (training minus unmonitored rate, pooled over epochs); NaN when a tier is empty.</param>
/// <param name="GapB">Cell b's gap.</param>
/// <param name="Difference">GapA - GapB; NaN when either is undefined.</param>
/// <param name="CiLower">The lower confidence limit (paired cluster bootstrap over requests).</param>
/// <param name="CiUpper">The upper confidence limit.</param>
/// <param name="PValue">The two-sided p-value of the paired sign-flip test; NaN when no request is observed in all four cell-tier groups.</param>
/// <param name="PairedRequests">Requests with a verdict in both tiers of both cells (the test's units).</param>
/// <param name="Exact">Whether the p-value enumerated every sign pattern (else the normal approximation).</param>
/// <param name="ConfidenceLevel">The confidence level of the interval.</param>
public sealed record GapDifferenceResult(
    double GapA,
    double GapB,
    double Difference,
    double CiLower,
    double CiUpper,
    double PValue,
    int PairedRequests,
    bool Exact,
    double ConfidenceLevel);
