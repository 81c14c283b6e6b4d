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
