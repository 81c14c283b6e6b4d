namespace AlignmentFaking.Datasets;

/// <summary>Settings of a <see cref="PinnedResourceCache"/>.</summary>
public sealed class PinnedResourceCacheOptions
{
    /// <summary>The environment variable that overrides the default cache directory: <c>AF_CACHE_DIR</c>.</summary>
    public const string CacheDirectoryEnvironmentVariable = "AF_CACHE_DIR";

    /// <summary>
    /// Where verified copies are kept. Default <see langword="null"/>: <see cref="GetDefaultCacheDirectory"/>, i.e. the
    /// environment variable <c>AF_CACHE_DIR</c>, else <c>$XDG_CACHE_HOME/alignmentfaking</c>, else
    /// <c>~/.cache/alignmentfaking</c>. Each file is stored as <c>{CacheDirectory}/{sha256}/{FileName}</c>, where
    /// <c>sha256</c> is the expected hash (<see cref="PinnedResourceCache.GetExpectedSha256"/>): a machine without
    /// internet can be filled by copying verified files there, or with <see cref="PinnedResourceCache.ImportAsync"/>.
    /// </summary>
    public string? CacheDirectory { get; init; }

    /// <summary>
    /// The client used for downloads. Default <see langword="null"/>: a shared client of the library with a 100-second
    /// timeout. The cache does not dispose a client given here; its <see cref="HttpClient.Timeout"/> applies.
    /// </summary>
    public HttpClient? HttpClient { get; init; }

    /// <summary>
    /// Hashes the user explicitly accepts instead of the pinned ones, keyed by <see cref="PinnedResource.Name"/>
    /// (ordinal, case-sensitive), e.g. <c>AcceptedSha256["advbench"] = "…"</c>. Default: empty. An accepted hash
    /// replaces the pinned one for that resource: the file must then have exactly that hash. Values must be 64
    /// hexadecimal characters; they are read when the cache is created.
    /// </summary>
    public IDictionary<string, string> AcceptedSha256 { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// The default cache directory: <c>AF_CACHE_DIR</c> if set; else <c>$XDG_CACHE_HOME/alignmentfaking</c> if
    /// <c>XDG_CACHE_HOME</c> is an absolute path; else <c>~/.cache/alignmentfaking</c>.
    /// </summary>
    /// <returns>A full path; the directory is not created.</returns>
    public static string GetDefaultCacheDirectory() =>
        ResolveDefaultCacheDirectory(
            Environment.GetEnvironmentVariable,
            Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));

    /// <summary>The rule of <see cref="GetDefaultCacheDirectory"/> with the environment and home directory given.</summary>
    internal static string ResolveDefaultCacheDirectory(Func<string, string?> getEnvironmentVariable, string homeDirectory) =>
        ResolveDefaultCacheDirectoryAndSource(getEnvironmentVariable, homeDirectory).Directory;

    /// <summary>The default cache directory and which rule chose it.</summary>
    internal static (string Directory, CacheDirectorySource Source) ResolveDefaultCacheDirectoryAndSource(
        Func<string, string?> getEnvironmentVariable, string homeDirectory)
    {
        string? explicitDirectory = getEnvironmentVariable(CacheDirectoryEnvironmentVariable);
        if (!string.IsNullOrEmpty(explicitDirectory))
        {
            return (Path.GetFullPath(explicitDirectory), CacheDirectorySource.EnvironmentVariable);
        }

        string? xdg = getEnvironmentVariable("XDG_CACHE_HOME");
        if (!string.IsNullOrEmpty(xdg) && Path.IsPathFullyQualified(xdg))
        {
            return (Path.Combine(xdg, "alignmentfaking"), CacheDirectorySource.XdgCacheHome);
        }

        return (Path.Combine(homeDirectory, ".cache", "alignmentfaking"), CacheDirectorySource.HomeDirectory);
    }

    /// <summary><see cref="ResolveDefaultCacheDirectoryAndSource"/> with this process's environment.</summary>
    internal static (string Directory, CacheDirectorySource Source) GetDefaultCacheDirectoryAndSource() =>
        ResolveDefaultCacheDirectoryAndSource(
            Environment.GetEnvironmentVariable,
            Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));
}
