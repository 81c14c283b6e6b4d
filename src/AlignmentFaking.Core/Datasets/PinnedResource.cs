namespace AlignmentFaking.Datasets;

/// <summary>
/// A third-party file the library downloads at run time instead of shipping it: where it comes from and the SHA-256
/// its bytes must have. Obtain the local copy with <see cref="PinnedResourceCache.GetAsync"/>.
/// </summary>
public sealed record PinnedResource
{
    /// <summary>Describes a pinned file.</summary>
    /// <param name="name">
    /// A short, stable name used in messages and as the key of <see cref="PinnedResourceCacheOptions.AcceptedSha256"/>,
    /// e.g. <c>advbench</c>.
    /// </param>
    /// <param name="uri">The absolute <c>http</c> or <c>https</c> address to download from.</param>
    /// <param name="sha256">The SHA-256 of the expected bytes, 64 hexadecimal characters (stored in lowercase).</param>
    /// <param name="fileName">The name of the local copy (a plain file name, no directories), e.g. <c>harmful_behaviors.csv</c>.</param>
    /// <exception cref="ArgumentException">An argument is empty or malformed.</exception>
    public PinnedResource(string name, Uri uri, string sha256, string fileName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(uri);
        ArgumentNullException.ThrowIfNull(sha256);
        ArgumentException.ThrowIfNullOrWhiteSpace(fileName);
        if (!uri.IsAbsoluteUri || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"The address of '{name}' must be an absolute http or https URI: {uri}", nameof(uri));
        }

        if (!ContentHash.IsSha256Hex(sha256))
        {
            throw new ArgumentException($"The sha256 of '{name}' must be 64 hexadecimal characters: '{sha256}'", nameof(sha256));
        }

        if (fileName is "." or ".." || fileName.IndexOfAny(['/', '\\', '\0']) >= 0 ||
            fileName.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
        {
            throw new ArgumentException($"'{fileName}' is not a plain file name.", nameof(fileName));
        }

        Name = name;
        Uri = uri;
        Sha256 = sha256.ToLowerInvariant();
        FileName = fileName;
    }

    /// <summary>The short, stable name (the key of <see cref="PinnedResourceCacheOptions.AcceptedSha256"/>).</summary>
    public string Name { get; }

    /// <summary>The upstream address.</summary>
    public Uri Uri { get; }

    /// <summary>The pinned SHA-256 of the file, 64 lowercase hexadecimal characters.</summary>
    public string Sha256 { get; }

    /// <summary>The file name of the local copy.</summary>
    public string FileName { get; }
}
