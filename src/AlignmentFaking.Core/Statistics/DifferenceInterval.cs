namespace AlignmentFaking.Statistics;

/// <summary>A confidence interval for a difference of two proportions (first minus second).</summary>
/// <param name="Estimate">The observed difference; NaN when it is undefined (an empty sample).</param>
/// <param name="Lower">The lower confidence limit, in [-1, 1].</param>
/// <param name="Upper">The upper confidence limit, in [-1, 1].</param>
/// <param name="ConfidenceLevel">The confidence level, e.g. 0.95.</param>
/// <param name="Method">The method: <c>"newcombe"</c>, <c>"newcombe-paired"</c> or <c>"cluster-bootstrap"</c>.</param>
internal sealed record DifferenceInterval(double Estimate, double Lower, double Upper, double ConfidenceLevel, string Method);
