using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;

namespace AlignmentFaking.Datasets;

/// <summary>
/// Obtains pinned third-party files (<see cref="PinnedResource"/>): a verified cached copy if there is one, otherwise a
/// download that is verified against the expected SHA-256 before it is atomically moved into the cache. A file with
/// another hash is never used or cached. Safe to use from several threads and processes at once.
/// </summary>
public sealed class PinnedResourceCache
{
    private static readonly Lazy<HttpClient> SharedClient = new(CreateSharedClient);

    private readonly HttpClient? _httpClient;
    private readonly Dictionary<string, string> _accepted;

    /// <summary>Creates a cache.</summary>
    /// <param name="options">The settings; default: all defaults of <see cref="PinnedResourceCacheOptions"/>.</param>
    /// <exception cref="ArgumentException">A value of <see cref="PinnedResourceCacheOptions.AcceptedSha256"/> is not a SHA-256 hex string.</exception>
    public PinnedResourceCache(PinnedResourceCacheOptions? options = null)
    {
        options ??= new PinnedResourceCacheOptions();
        CacheDirectory = string.IsNullOrEmpty(options.CacheDirectory)
            ? PinnedResourceCacheOptions.GetDefaultCacheDirectory()
            : Path.GetFullPath(options.CacheDirectory);
        _httpClient = options.HttpClient;
        _accepted = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (KeyValuePair<string, string> pair in options.AcceptedSha256)
        {
            if (!ContentHash.IsSha256Hex(pair.Value))
            {
                throw new ArgumentException(
                    $"AcceptedSha256[\"{pair.Key}\"] must be 64 hexadecimal characters: '{pair.Value}'", nameof(options));
            }

            _accepted[pair.Key] = pair.Value.ToLowerInvariant();
        }
    }

    /// <summary>The full path of the cache directory (it is created on the first download).</summary>
    public string CacheDirectory { get; }

    /// <summary>
    /// The hash a copy of <paramref name="resource"/> must have: the one accepted in
    /// <see cref="PinnedResourceCacheOptions.AcceptedSha256"/> if any, else <see cref="PinnedResource.Sha256"/>.
    /// </summary>
    /// <param name="resource">The resource.</param>
    /// <returns>64 lowercase hexadecimal characters.</returns>
    public string GetExpectedSha256(PinnedResource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return _accepted.TryGetValue(resource.Name, out string? accepted) ? accepted : resource.Sha256;
    }

    /// <summary>Finds a verified cached copy without using the network.</summary>
    /// <param name="resource">The resource.</param>
    /// <param name="path">The full path of the cached copy, when there is one whose hash is the expected one.</param>
    /// <returns>Whether a verified copy is cached.</returns>
    public bool TryGetCached(PinnedResource resource, [NotNullWhen(true)] out string? path)
    {
        string expected = GetExpectedSha256(resource);
        string target = GetCachePath(resource, expected);
        if (IsValidCopy(target, expected))
        {
            path = target;
            return true;
        }

        path = null;
        return false;
    }

    /// <summary>
    /// Returns the local path of a verified copy of <paramref name="resource"/>: the cached one if its hash is the
    /// expected one, otherwise a fresh download, verified and then atomically moved into the cache.
    /// </summary>
    /// <param name="resource">The resource.</param>
    /// <param name="cancellationToken">Cancels the hash check or the download.</param>
    /// <returns>The full path of the verified local copy.</returns>
    /// <exception cref="PinnedResourceHashMismatchException">The downloaded bytes have another hash; nothing was cached.</exception>
    /// <exception cref="PinnedResourceUnavailableException">The download failed and no verified copy is cached.</exception>
    public async Task<string> GetAsync(PinnedResource resource, CancellationToken cancellationToken = default)
    {
        string expected = GetExpectedSha256(resource);
        string target = GetCachePath(resource, expected);
        if (File.Exists(target) &&
            string.Equals(await ContentHash.Sha256FileAsync(target, cancellationToken).ConfigureAwait(false), expected, StringComparison.Ordinal))
        {
            return target;
        }

        string directory = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(directory);
        string temporary = Path.Combine(directory, "." + resource.FileName + "." + Guid.NewGuid().ToString("N") + ".tmp");
        bool stored = false;
        try
        {
            string actual = await DownloadAsync(resource, expected, temporary, cancellationToken).ConfigureAwait(false);
            if (!string.Equals(actual, expected, StringComparison.Ordinal))
            {
                throw new PinnedResourceHashMismatchException(resource, expected, actual);
            }

            try
            {
                File.Move(temporary, target, overwrite: true);
            }
            catch (IOException) when (IsValidCopy(target, expected))
            {
                // Another process stored the same verified bytes first (and holds the file open).
            }

            stored = true;
            return target;
        }
        finally
        {
            TryDelete(temporary);
            if (!stored)
            {
                TryDeleteEmptyDirectory(directory);
            }
        }
    }

    /// <summary>Where a copy with the given hash is kept.</summary>
    internal string GetCachePath(PinnedResource resource, string sha256)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return Path.Combine(CacheDirectory, sha256, resource.FileName);
    }

    private async Task<string> DownloadAsync(PinnedResource resource, string expected, string temporary, CancellationToken cancellationToken)
    {
        HttpClient client = _httpClient ?? SharedClient.Value;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, resource.Uri);
            request.Headers.UserAgent.ParseAdd("AlignmentFaking/1.0");
            using HttpResponseMessage response = await client
                .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken)
                .ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw Unavailable(
                    string.Create(CultureInfo.InvariantCulture, $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}"), null);
            }

            Stream source = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (source.ConfigureAwait(false))
            {
                var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous);
                await using (file.ConfigureAwait(false))
                {
                    using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                    byte[] buffer = new byte[81920];
                    while (true)
                    {
                        int read;
                        try
                        {
                            read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                        }
                        catch (IOException ex)
                        {
                            throw Unavailable(ex.Message, ex);
                        }

                        if (read == 0)
                        {
                            break;
                        }

                        hash.AppendData(buffer, 0, read);
                        await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    }

                    await file.FlushAsync(cancellationToken).ConfigureAwait(false);
                    return Convert.ToHexStringLower(hash.GetHashAndReset());
                }
            }
        }
        catch (HttpRequestException ex)
        {
            throw Unavailable(ex.Message, ex);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw Unavailable("timed out", ex);
        }

        PinnedResourceUnavailableException Unavailable(string reason, Exception? inner) =>
            new(resource, CacheDirectory, expected, reason, inner);
    }

    private static bool IsValidCopy(string path, string expected) =>
        File.Exists(path) && string.Equals(ContentHash.Sha256File(path), expected, StringComparison.Ordinal);

    private static void TryDeleteEmptyDirectory(string path)
    {
        try
        {
            if (Directory.Exists(path) && !Directory.EnumerateFileSystemEntries(path).Any())
            {
                Directory.Delete(path);
            }
        }
        catch (IOException)
        {
            // Best effort: another process may be using the directory.
        }
        catch (UnauthorizedAccessException)
        {
            // Best effort.
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: a leftover temporary file is harmless.
        }
        catch (UnauthorizedAccessException)
        {
            // Best effort.
        }
    }

    private static HttpClient CreateSharedClient() =>
        new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }, disposeHandler: true)
        {
            Timeout = TimeSpan.FromSeconds(100),
        };
}
