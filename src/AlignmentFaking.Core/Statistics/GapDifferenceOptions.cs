namespace AlignmentFaking.Statistics;

/// <summary>Options of <see cref="GapDifference.Compute"/>.</summary>
public sealed record GapDifferenceOptions
{
    /// <summary>The confidence level of the interval, strictly between 0 and 1. Default 0.95.</summary>
    public double ConfidenceLevel { get; init; } = 0.95;

    /// <summary>Replicates of the paired cluster bootstrap interval. Default 2000.</summary>
    public int BootstrapReplicates { get; init; } = ClusterResampling.DefaultBootstrapReplicates;

    /// <summary>Seed of the resampling generator (results are reproducible across runtimes). Default 20241218.</summary>
    public long Seed { get; init; } = ClusterResampling.DefaultSeed;
}
