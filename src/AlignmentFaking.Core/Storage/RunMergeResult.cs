namespace AlignmentFaking.Storage;

/// <summary>The result of <see cref="RunMerger.MergeAsync"/>.</summary>
public sealed record RunMergeResult
{
    /// <summary>The merged run's summary (as in its <c>summary.json</c>).</summary>
    public required RunSummary Summary { get; init; }

    /// <summary>The merged run's manifest (as in its <c>manifest.json</c>).</summary>
    public required RunManifest Manifest { get; init; }

    /// <summary>Whether the output already held this complete merge, so nothing was written.</summary>
    public bool AlreadyMerged { get; init; }

    /// <summary>Why the merged run is not complete (shards missing or incomplete, samples missing); empty when it is.</summary>
    public required IReadOnlyList<string> Incomplete { get; init; }
}
