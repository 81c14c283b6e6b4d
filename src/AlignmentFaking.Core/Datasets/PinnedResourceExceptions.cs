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
