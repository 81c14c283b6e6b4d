namespace AlignmentFaking.Datasets;

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
