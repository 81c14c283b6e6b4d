namespace AlignmentFaking.Datasets;

/// <summary>
/// Thrown when a pinned file could not be downloaded (no network, DNS failure, connection refused, timeout, HTTP
/// error status) and no verified copy is cached. The message tells the user to download the file and import it or pass its path.
/// </summary>
public sealed class PinnedResourceUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="resource">The resource that could not be obtained.</param>
    /// <param name="cacheDirectory">The cache directory that holds no verified copy.</param>
    /// <param name="expectedSha256">The hash a copy must have (pinned, or accepted through <see cref="PinnedResourceCacheOptions.AcceptedSha256"/>).</param>
    /// <param name="reason">Why the download failed, e.g. <c>Connection refused</c> or <c>HTTP 404 Not Found</c>.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public PinnedResourceUnavailableException(
        PinnedResource resource, string cacheDirectory, string expectedSha256, string reason, Exception? innerException = null)
        : base(FormatMessage(resource, cacheDirectory, expectedSha256, reason), innerException)
    {
        ResourceName = resource.Name;
        Uri = resource.Uri;
        CacheDirectory = cacheDirectory;
        Reason = reason;
    }

    /// <summary>The <see cref="PinnedResource.Name"/> of the resource.</summary>
    public string ResourceName { get; }

    /// <summary>The address the download was tried from.</summary>
    public Uri Uri { get; }

    /// <summary>The cache directory that holds no verified copy.</summary>
    public string CacheDirectory { get; }

    /// <summary>Why the download failed.</summary>
    public string Reason { get; }

    private static string FormatMessage(PinnedResource resource, string cacheDirectory, string expectedSha256, string reason)
    {
        ArgumentNullException.ThrowIfNull(expectedSha256);
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(cacheDirectory);
        ArgumentNullException.ThrowIfNull(reason);
        return $"could not download {resource.Name} from {resource.Uri} ({reason}) and no verified copy is cached in " +
            $"{cacheDirectory}; download it yourself (expected sha256 {expectedSha256}) and import it ('af data import FILE' " +
            $"or PinnedResourceCache.ImportAsync), or pass its path (for the dataset: --dataset PATH).";
    }
}
