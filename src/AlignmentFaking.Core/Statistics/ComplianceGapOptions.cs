namespace AlignmentFaking.Statistics;

/// <summary>Options of <see cref="ComplianceGap.Compute"/>.</summary>
public sealed record ComplianceGapOptions
{
    /// <summary>The confidence level of all intervals, strictly between 0 and 1. Default 0.95.</summary>
    public double ConfidenceLevel { get; init; } = 0.95;

    /// <summary>The test to use; <see cref="GapTest.Auto"/> (default) chooses from the design.</summary>
    public GapTest Test { get; init; } = GapTest.Auto;

    /// <summary>Bootstrap replicates for the cluster bootstrap interval. Default 2000.</summary>
    public int BootstrapReplicates { get; init; } = ClusterResampling.DefaultBootstrapReplicates;

    /// <summary>Random sign patterns for the cluster sign-flip test when it is not enumerated exactly. Default 10000.</summary>
    public int PermutationReplicates { get; init; } = ClusterResampling.DefaultPermutationReplicates;

    /// <summary>Seed of the resampling generator (results are reproducible across runtimes). Default 20241218.</summary>
    public long Seed { get; init; } = ClusterResampling.DefaultSeed;
}
