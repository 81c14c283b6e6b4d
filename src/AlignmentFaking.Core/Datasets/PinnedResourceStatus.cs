namespace AlignmentFaking.Datasets;

/// <summary>The state of the cached copy of a pinned file (<see cref="PinnedResourceStatus.State"/>).</summary>
public enum PinnedResourceState
{
    /// <summary>No copy is cached: it will be downloaded when needed, or can be imported.</summary>
    Missing,

    /// <summary>A copy with the expected hash is cached and is used without the network.</summary>
    Cached,

    /// <summary>A copy is cached but its hash is not the expected one: it is never used; a download or an import replaces it.</summary>
    HashMismatch,

    /// <summary>The copy's place cannot be read or written (a file where a directory should be, no permission, ...): see <see cref="PinnedResourceStatus.Problem"/>.</summary>
    Inaccessible,
}

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

/// <summary>What <see cref="PinnedResourceCache.ImportAsync"/> did with a local file.</summary>
public sealed class PinnedResourceImport
{
    internal PinnedResourceImport(string sourcePath, PinnedResource resource, string path, string sha256, bool alreadyCached)
    {
        SourcePath = sourcePath;
        Resource = resource;
        Path = path;
        Sha256 = sha256;
        AlreadyCached = alreadyCached;
    }

    /// <summary>The full path of the imported file.</summary>
    public string SourcePath { get; }

    /// <summary>The pinned file it was identified as (by its hash).</summary>
    public PinnedResource Resource { get; }

    /// <summary>The full path of the verified copy in the cache.</summary>
    public string Path { get; }

    /// <summary>The file's SHA-256, 64 lowercase hexadecimal characters.</summary>
    public string Sha256 { get; }

    /// <summary>Whether a verified copy was already cached (nothing was written).</summary>
    public bool AlreadyCached { get; }
}
