namespace AlignmentFaking.Datasets;

/// <summary>Where a pinned file is (or would be) cached and in which state: an answer of <see cref="PinnedResourceCache.GetStatusAsync"/>.</summary>
public sealed class PinnedResourceStatus
{
    internal PinnedResourceStatus(PinnedResource resource, string expectedSha256, string path, PinnedResourceState state, string? actualSha256 = null, string? problem = null)
    {
        Resource = resource;
        ExpectedSha256 = expectedSha256;
        Path = path;
        State = state;
        ActualSha256 = actualSha256;
        Problem = problem;
    }

    /// <summary>The pinned file.</summary>
    public PinnedResource Resource { get; }

    /// <summary>The hash a copy must have (pinned, or accepted through <see cref="PinnedResourceCacheOptions.AcceptedSha256"/>).</summary>
    public string ExpectedSha256 { get; }

    /// <summary>The full path of the cached copy, <c>{CacheDirectory}/{ExpectedSha256}/{FileName}</c>, whether or not it exists.</summary>
    public string Path { get; }

    /// <summary>Whether a verified copy is there.</summary>
    public PinnedResourceState State { get; }

    /// <summary>The hash of the copy that is there, when <see cref="State"/> is <see cref="PinnedResourceState.HashMismatch"/>; otherwise <see langword="null"/>.</summary>
    public string? ActualSha256 { get; }

    /// <summary>Why the copy's place cannot be used, one line, when <see cref="State"/> is <see cref="PinnedResourceState.Inaccessible"/>; otherwise <see langword="null"/>.</summary>
    public string? Problem { get; }
}
