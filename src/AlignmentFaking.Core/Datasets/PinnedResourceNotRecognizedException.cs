namespace AlignmentFaking.Datasets;

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
