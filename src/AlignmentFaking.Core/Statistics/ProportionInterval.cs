namespace AlignmentFaking.Statistics;

/// <summary>A confidence interval for one binomial proportion.</summary>
/// <param name="Successes">The number of successes.</param>
/// <param name="N">The number of trials.</param>
/// <param name="Rate">The observed proportion <c>Successes / N</c>; NaN when <paramref name="N"/> is 0.</param>
/// <param name="Lower">The lower confidence limit, in [0, 1].</param>
/// <param name="Upper">The upper confidence limit, in [0, 1].</param>
/// <param name="ConfidenceLevel">The confidence level, e.g. 0.95.</param>
internal sealed record ProportionInterval(int Successes, int N, double Rate, double Lower, double Upper, double ConfidenceLevel);
