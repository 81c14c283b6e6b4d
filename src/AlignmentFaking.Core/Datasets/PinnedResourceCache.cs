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
        (CacheDirectory, CacheDirectorySource) = string.IsNullOrEmpty(options.CacheDirectory)
            ? PinnedResourceCacheOptions.GetDefaultCacheDirectoryAndSource()
            : (Path.GetFullPath(options.CacheDirectory), CacheDirectorySource.Options);
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

    /// <summary>
    /// The full path of the cache directory (it is created on the first download or import). Each verified copy is
    /// <c>{CacheDirectory}/{sha256}/{FileName}</c>, <c>sha256</c> being <see cref="GetExpectedSha256"/>.
    /// </summary>
    public string CacheDirectory { get; }

    /// <summary>Which rule chose <see cref="CacheDirectory"/>: the options, <c>AF_CACHE_DIR</c>, <c>XDG_CACHE_HOME</c> or the home directory.</summary>
    public CacheDirectorySource CacheDirectorySource { get; }

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
    /// <remarks>Never throws for an unusable cache (missing, unreadable, a file in the way): the answer is then <see langword="false"/>.</remarks>
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
    /// <exception cref="PinnedResourceCacheException">The cache directory cannot be read or written.</exception>
    public async Task<string> GetAsync(PinnedResource resource, CancellationToken cancellationToken = default)
    {
        PinnedResourceStatus status = await InspectAsync(resource, cancellationToken).ConfigureAwait(false);
        switch (status.State)
        {
            case PinnedResourceState.Cached:
                return status.Path;
            case PinnedResourceState.Inaccessible:
                throw new PinnedResourceCacheException(CacheDirectory, status.Problem!);
        }

        string expected = status.ExpectedSha256;
        string target = status.Path;
        string directory = CreateDirectoryFor(target);
        string temporary = TemporaryPath(directory, resource);
        bool stored = false;
        try
        {
            string actual;
            try
            {
                actual = await DownloadAsync(resource, expected, temporary, cancellationToken).ConfigureAwait(false);
            }
            catch (PinnedResourceUnavailableException ex) when (status.State == PinnedResourceState.HashMismatch)
            {
                throw new PinnedResourceUnavailableException(
                    resource, CacheDirectory, expected, $"{ex.Reason}; the cached copy {target} has sha256 {status.ActualSha256}", ex.InnerException);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Writing the temporary copy failed (reading the response is reported as unavailable).
                throw CacheFailure(ex, temporary);
            }

            if (!string.Equals(actual, expected, StringComparison.Ordinal))
            {
                throw new PinnedResourceHashMismatchException(resource, expected, actual);
            }

            Store(temporary, target, expected);
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

    /// <summary>
    /// Where each pinned file is cached and whether a verified copy is there, without using the network: a copy is
    /// hashed to tell <see cref="PinnedResourceState.Cached"/> from <see cref="PinnedResourceState.HashMismatch"/>.
    /// Never throws for an unusable cache: the state is then <see cref="PinnedResourceState.Inaccessible"/>.
    /// </summary>
    /// <param name="resources">The files to look at; default <see cref="KnownResources.All"/>.</param>
    /// <param name="cancellationToken">Cancels hashing.</param>
    /// <returns>One status per resource, in order.</returns>
    public async Task<IReadOnlyList<PinnedResourceStatus>> GetStatusAsync(
        IEnumerable<PinnedResource>? resources = null, CancellationToken cancellationToken = default)
    {
        var statuses = new List<PinnedResourceStatus>();
        foreach (PinnedResource resource in resources ?? KnownResources.All)
        {
            statuses.Add(await InspectAsync(resource, cancellationToken).ConfigureAwait(false));
        }

        return statuses;
    }

    /// <summary>
    /// Files a local copy of a pinned file into the cache, for a machine without internet: the file is identified by
    /// its SHA-256 among <paramref name="resources"/> (a copy must have <see cref="GetExpectedSha256"/>), copied next to
    /// its place, verified again and moved there atomically, so that <see cref="GetAsync"/> and
    /// <see cref="TryGetCached"/> find it. Idempotent: a verified copy already there is left as it is; a copy with
    /// another hash is replaced. The file's name does not matter.
    /// </summary>
    /// <param name="path">The local file.</param>
    /// <param name="resources">The pinned files it may be; default <see cref="KnownResources.All"/>.</param>
    /// <param name="cancellationToken">Cancels hashing or copying.</param>
    /// <returns>What the file is and where it is cached.</returns>
    /// <exception cref="PinnedResourceNotRecognizedException">The file's hash is not the hash of any of <paramref name="resources"/>; nothing was cached.</exception>
    /// <exception cref="PinnedResourceCacheException">The cache directory cannot be read or written.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="IOException">The file cannot be read, or changed while it was copied.</exception>
    /// <exception cref="UnauthorizedAccessException">The file cannot be read.</exception>
    public async Task<PinnedResourceImport> ImportAsync(
        string path, IEnumerable<PinnedResource>? resources = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string source = Path.GetFullPath(path);
        if (Directory.Exists(source))
        {
            throw new IOException($"{source} is a directory, not a file");
        }

        var known = (resources ?? KnownResources.All).Select(r => (Resource: r, ExpectedSha256: GetExpectedSha256(r))).ToArray();
        string sha256 = await ContentHash.Sha256FileAsync(source, cancellationToken).ConfigureAwait(false);
        var match = known.FirstOrDefault(k => string.Equals(k.ExpectedSha256, sha256, StringComparison.Ordinal));
        if (match.Resource is null)
        {
            throw new PinnedResourceNotRecognizedException(source, sha256, known);
        }

        PinnedResourceStatus status = await InspectAsync(match.Resource, cancellationToken).ConfigureAwait(false);
        switch (status.State)
        {
            case PinnedResourceState.Cached:
                return new PinnedResourceImport(source, match.Resource, status.Path, sha256, alreadyCached: true);
            case PinnedResourceState.Inaccessible:
                throw new PinnedResourceCacheException(CacheDirectory, status.Problem!);
        }

        string directory = CreateDirectoryFor(status.Path);
        string temporary = TemporaryPath(directory, match.Resource);
        bool stored = false;
        try
        {
            FileStream output;
            try
            {
                output = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw CacheFailure(ex, temporary);
            }

            string copied = await CopyAsync(source, output, cancellationToken).ConfigureAwait(false);
            if (!string.Equals(copied, sha256, StringComparison.Ordinal))
            {
                throw new IOException($"{source} changed while it was imported (sha256 {sha256}, then {copied}); nothing was cached");
            }

            Store(temporary, status.Path, sha256);
            stored = true;
            return new PinnedResourceImport(source, match.Resource, status.Path, sha256, alreadyCached: false);
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

    /// <summary>The state of a resource's cached copy; never throws for an unusable cache.</summary>
    private async Task<PinnedResourceStatus> InspectAsync(PinnedResource resource, CancellationToken cancellationToken)
    {
        string expected = GetExpectedSha256(resource);
        string target = GetCachePath(resource, expected);
        try
        {
            string actual = await ContentHash.Sha256FileAsync(target, cancellationToken).ConfigureAwait(false);
            return string.Equals(actual, expected, StringComparison.Ordinal)
                ? new PinnedResourceStatus(resource, expected, target, PinnedResourceState.Cached)
                : new PinnedResourceStatus(resource, expected, target, PinnedResourceState.HashMismatch, actualSha256: actual);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return BlockingFile(target) is { } file
                ? new PinnedResourceStatus(resource, expected, target, PinnedResourceState.Inaccessible, problem: $"{file} is a file, not a directory")
                : new PinnedResourceStatus(resource, expected, target, PinnedResourceState.Missing);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new PinnedResourceStatus(resource, expected, target, PinnedResourceState.Inaccessible, problem: OneLine(ex.Message));
        }
    }

    /// <summary>Creates the directory of a cached copy, or throws <see cref="PinnedResourceCacheException"/>.</summary>
    private string CreateDirectoryFor(string target)
    {
        string directory = Path.GetDirectoryName(target)!;
        try
        {
            Directory.CreateDirectory(directory);
            return directory;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw CacheFailure(ex, directory);
        }
    }

    /// <summary>Moves a verified temporary copy to its place, or throws <see cref="PinnedResourceCacheException"/>.</summary>
    private void Store(string temporary, string target, string expected)
    {
        try
        {
            File.Move(temporary, target, overwrite: true);
        }
        catch (IOException) when (IsValidCopy(target, expected))
        {
            // Another process stored the same verified bytes first (and holds the file open).
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw CacheFailure(ex, target);
        }
    }

    private PinnedResourceCacheException CacheFailure(Exception ex, string path) =>
        new(CacheDirectory, BlockingFile(path) is { } file ? $"{file} is a file, not a directory" : OneLine(ex.Message), ex);

    /// <summary>The nearest ancestor of <paramref name="path"/> that exists as a file, if any (a file where a directory should be).</summary>
    private static string? BlockingFile(string path)
    {
        for (string? current = Path.GetDirectoryName(path); !string.IsNullOrEmpty(current); current = Path.GetDirectoryName(current))
        {
            if (File.Exists(current))
            {
                return current;
            }

            if (Directory.Exists(current))
            {
                return null;
            }
        }

        return null;
    }

    private static string TemporaryPath(string directory, PinnedResource resource) =>
        Path.Combine(directory, "." + resource.FileName + "." + Guid.NewGuid().ToString("N") + ".tmp");

    /// <summary>Copies a file into <paramref name="output"/> (and disposes it); returns the SHA-256 of the bytes written.</summary>
    private static async Task<string> CopyAsync(string source, FileStream output, CancellationToken cancellationToken)
    {
        await using (output.ConfigureAwait(false))
        {
            var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous | FileOptions.SequentialScan);
            await using (input.ConfigureAwait(false))
            {
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                byte[] buffer = new byte[81920];
                int read;
                while ((read = await input.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }

                await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                return Convert.ToHexStringLower(hash.GetHashAndReset());
            }
        }
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();

    private static bool IsValidCopy(string path, string expected)
    {
        try
        {
            return File.Exists(path) && string.Equals(ContentHash.Sha256File(path), expected, StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

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
