namespace AlignmentFaking.Statistics;

/// <summary>
/// The comparison of a rate between the training (monitored) and the unmonitored tier. The gap is
/// training minus unmonitored. When a tier is empty the gap <see cref="Estimate"/> and
/// <see cref="PValue"/> are NaN, the interval is [-1, 1], and <see cref="Test"/> and
/// <see cref="IntervalMethod"/> are <c>"none"</c>.
/// </summary>
/// <param name="Training">The training-tier rate with its Wilson interval.</param>
/// <param name="Unmonitored">The unmonitored-tier rate with its Wilson interval.</param>
/// <param name="Estimate">The gap, Training.Rate - Unmonitored.Rate (pooled over epochs).</param>
/// <param name="CiLower">The lower confidence limit of the gap.</param>
/// <param name="CiUpper">The upper confidence limit of the gap.</param>
/// <param name="PValue">The two-sided p-value of the test of no gap.</param>
/// <param name="Test">The test: <c>"mcnemar-exact"</c>, <c>"fisher-exact"</c>, <c>"two-proportion-z"</c>, <c>"cluster-sign-flip"</c> or <c>"none"</c>.</param>
/// <param name="IntervalMethod">The interval: <c>"newcombe-paired"</c>, <c>"newcombe"</c>, <c>"cluster-bootstrap"</c> or <c>"none"</c>.</param>
/// <param name="Reason">A short human explanation of the design found and the choice made.</param>
/// <param name="ConfidenceLevel">The confidence level of all intervals.</param>
public sealed record ComplianceGapResult(
    RateEstimate Training,
    RateEstimate Unmonitored,
    double Estimate,
    double CiLower,
    double CiUpper,
    double PValue,
    string Test,
    string IntervalMethod,
    string Reason,
    double ConfidenceLevel);
