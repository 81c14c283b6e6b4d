namespace AlignmentFaking.Datasets;

/// <summary>Which rule chose the directory of a <see cref="PinnedResourceCache"/> (see <see cref="PinnedResourceCache.CacheDirectorySource"/>).</summary>
public enum CacheDirectorySource
{
    /// <summary><see cref="PinnedResourceCacheOptions.CacheDirectory"/> was set.</summary>
    Options,

    /// <summary>The environment variable <c>AF_CACHE_DIR</c> (<see cref="PinnedResourceCacheOptions.CacheDirectoryEnvironmentVariable"/>).</summary>
    EnvironmentVariable,

    /// <summary><c>$XDG_CACHE_HOME/alignmentfaking</c> (<c>AF_CACHE_DIR</c> unset, <c>XDG_CACHE_HOME</c> an absolute path).</summary>
    XdgCacheHome,

    /// <summary><c>~/.cache/alignmentfaking</c> (neither variable set).</summary>
    HomeDirectory,
}
