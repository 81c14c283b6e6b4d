namespace AlignmentFaking.Datasets;

/// <summary>
/// Thrown when the directory of a <see cref="PinnedResourceCache"/> cannot be used: a file stands where a directory
/// should be, a permission is missing, the disk is full. The message names the directory and the cause in one line.
/// </summary>
public sealed class PinnedResourceCacheException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="cacheDirectory">The cache directory.</param>
    /// <param name="reason">What went wrong, one line, e.g. <c>/x/cache is a file, not a directory</c>.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public PinnedResourceCacheException(string cacheDirectory, string reason, Exception? innerException = null)
        : base(FormatMessage(cacheDirectory, reason), innerException)
    {
        CacheDirectory = cacheDirectory;
        Reason = reason;
    }

    /// <summary>The cache directory.</summary>
    public string CacheDirectory { get; }

    /// <summary>What went wrong.</summary>
    public string Reason { get; }

    private static string FormatMessage(string cacheDirectory, string reason)
    {
        ArgumentNullException.ThrowIfNull(cacheDirectory);
        ArgumentNullException.ThrowIfNull(reason);
        return $"the cache directory {cacheDirectory} cannot be used ({reason}); set {PinnedResourceCacheOptions.CacheDirectoryEnvironmentVariable} " +
            "to a writable directory, or pass the file's path instead";
    }
}
