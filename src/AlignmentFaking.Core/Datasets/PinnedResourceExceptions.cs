namespace AlignmentFaking.Datasets;

/// <summary>
/// Thrown when a downloaded pinned file does not have the expected SHA-256. The file is discarded, never cached and
/// never used in place of the expected one; the message gives both hashes and how to accept the new one explicitly.
/// </summary>
public sealed class PinnedResourceHashMismatchException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="resource">The resource that was downloaded.</param>
    /// <param name="expectedSha256">The hash the file had to have (pinned, or accepted through <see cref="PinnedResourceCacheOptions.AcceptedSha256"/>).</param>
    /// <param name="actualSha256">The hash of the downloaded bytes.</param>
    public PinnedResourceHashMismatchException(PinnedResource resource, string expectedSha256, string actualSha256)
        : base(FormatMessage(resource, expectedSha256, actualSha256))
    {
        ResourceName = resource.Name;
        Uri = resource.Uri;
        ExpectedSha256 = expectedSha256;
        ActualSha256 = actualSha256;
    }

    /// <summary>The <see cref="PinnedResource.Name"/> of the resource.</summary>
    public string ResourceName { get; }

    /// <summary>The address the file was downloaded from.</summary>
    public Uri Uri { get; }

    /// <summary>The hash the file had to have.</summary>
    public string ExpectedSha256 { get; }

    /// <summary>The hash of the downloaded bytes.</summary>
    public string ActualSha256 { get; }

    private static string FormatMessage(PinnedResource resource, string expectedSha256, string actualSha256)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(expectedSha256);
        ArgumentNullException.ThrowIfNull(actualSha256);
        return $"sha256 mismatch for {resource.Name} downloaded from {resource.Uri}: expected {expectedSha256}, " +
            $"got {actualSha256}. The file was discarded and nothing was cached. If you have checked the new content " +
            $"and want to use it, accept its hash explicitly (PinnedResourceCacheOptions.AcceptedSha256[\"{resource.Name}\"] = " +
            $"\"{actualSha256}\"), or download the file yourself and pass its path.";
    }
}

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

/// <summary>
/// Thrown by <see cref="PinnedResourceCache.ImportAsync"/> when a file's SHA-256 is not the hash of any pinned file:
/// the file is not cached. The message gives the file's hash and the names of the pinned files.
/// </summary>
public sealed class PinnedResourceNotRecognizedException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="filePath">The file that was offered.</param>
    /// <param name="sha256">Its SHA-256.</param>
    /// <param name="known">The pinned files it was compared with, each with the hash a copy must have.</param>
    internal PinnedResourceNotRecognizedException(string filePath, string sha256, IReadOnlyList<(PinnedResource Resource, string ExpectedSha256)> known)
        : base(FormatMessage(filePath, sha256, known))
    {
        FilePath = filePath;
        Sha256 = sha256;
        KnownNames = known.Select(k => k.Resource.Name).ToArray();
    }

    /// <summary>The file that was offered.</summary>
    public string FilePath { get; }

    /// <summary>Its SHA-256.</summary>
    public string Sha256 { get; }

    /// <summary>The <see cref="PinnedResource.Name"/>s of the pinned files it was compared with.</summary>
    public IReadOnlyList<string> KnownNames { get; }

    private static string FormatMessage(string filePath, string sha256, IReadOnlyList<(PinnedResource Resource, string ExpectedSha256)> known)
    {
        ArgumentNullException.ThrowIfNull(filePath);
        ArgumentNullException.ThrowIfNull(sha256);
        ArgumentNullException.ThrowIfNull(known);
        string fileName = Path.GetFileName(filePath);
        var sameName = known.FirstOrDefault(k => string.Equals(k.Resource.FileName, fileName, StringComparison.Ordinal));
        string hint = sameName.Resource is null
            ? string.Empty
            : $" (a copy of {sameName.Resource.Name} must have sha256 {sameName.ExpectedSha256}; a changed file can be used by passing its path)";
        return $"{filePath} (sha256 {sha256}) is not a pinned file{hint}; pinned: {string.Join(", ", known.Select(k => k.Resource.Name))}";
    }
}

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
