using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using AlignmentFaking.Internal;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Distributed;

namespace AlignmentFaking.Running;

/// <summary>
/// Caches subject replies keyed by everything that defines the request (endpoint, model, every message, sampling
/// options) and the epoch, so re-running is free while epochs stay distinct samples. Two levels: the run's own cache
/// (resume within a run, <see cref="ExperimentOptions.ResponseCache"/>), looked up first, and a cache shared across runs
/// (opt-in, <see cref="ExperimentOptions.SharedResponseCache"/>). A reply that came from the shared cache is a
/// cross-run hit, and stays one when it is replayed later from the run's own cache (the entry records its origin).
/// </summary>
internal sealed class ResponseCache
{
    /// <summary>
    /// The version of the key. Version 2 added the endpoint; bump it whenever what the key covers changes (entries of
    /// other versions are then never read).
    /// </summary>
    public const string KeyVersion = "af-response-v2";

    private static readonly DistributedCacheEntryOptions NoExpiry = new();
    private readonly IDistributedCache? _run;
    private readonly IDistributedCache? _shared;

    private ResponseCache(IDistributedCache? run, IDistributedCache? shared)
    {
        _run = run;
        _shared = shared;
    }

    /// <summary>The cache of these options, or <see langword="null"/> when they set none.</summary>
    public static ResponseCache? Create(IDistributedCache? run, IDistributedCache? shared) =>
        run is null && shared is null ? null : new ResponseCache(run, shared);

    /// <summary>
    /// The endpoint as the key sees it: from the client's <see cref="ChatClientMetadata"/>, the provider URL's scheme,
    /// host, port and path (never its user info or query, where credentials may be), else the provider name.
    /// </summary>
    public static string EndpointIdentity(ChatClientMetadata? metadata) =>
        metadata?.ProviderUri is { IsAbsoluteUri: true } uri ? EndpointIdentity(uri) : metadata?.ProviderName ?? string.Empty;

    /// <summary>Scheme, host, port and path of <paramref name="uri"/>, lower-case host, no trailing slash.</summary>
    public static string EndpointIdentity(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        return string.Create(CultureInfo.InvariantCulture, $"{uri.Scheme}://{uri.IdnHost.ToLowerInvariant()}:{uri.Port}{uri.AbsolutePath.TrimEnd('/')}");
    }

    public static string Key(string endpoint, string? model, IList<ChatMessage> messages, ChatOptions options, int epoch)
    {
        var builder = new StringBuilder(256);
        builder.Append(KeyVersion).Append('\n')
            .Append(endpoint).Append('\n')
            .Append(model).Append('\n')
            .Append(options.Temperature?.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append(options.MaxOutputTokens).Append('\n')
            .Append(options.Seed).Append('\n')
            .Append(epoch).Append('\n');
        foreach (var m in messages)
        {
            // Hash each message so the key stays small whatever the prompt length.
            builder.Append(m.Role.Value).Append(':').Append(Hashing.Sha256Hex(m.Text)).Append('\n');
        }

        return Hashing.Sha256Hex(builder.ToString());
    }

    /// <summary>The cached reply, and whether it came from another run; <see langword="null"/> on a miss.</summary>
    public async Task<(ChatResponse Response, bool CrossRun)?> GetAsync(string key, CancellationToken cancellationToken)
    {
        if (_run is not null && await ReadAsync(_run, key, cancellationToken).ConfigureAwait(false) is { } own)
        {
            return (ToResponse(own), own.CrossRun);
        }

        if (_shared is not null && await ReadAsync(_shared, key, cancellationToken).ConfigureAwait(false) is { } other)
        {
            if (_run is not null)
            {
                // Kept in the run's cache with its origin, so a resume replays it and still counts it as another run's.
                await WriteAsync(_run, key, other with { CrossRun = true }, cancellationToken).ConfigureAwait(false);
            }

            return (ToResponse(other), true);
        }

        return null;
    }

    /// <summary>Stores a reply this run received, in the run's cache and the shared one.</summary>
    public async Task SetAsync(string key, ChatResponse response, CancellationToken cancellationToken)
    {
        var entry = new CachedResponse(response.Text, response.FinishReason?.Value, response.ModelId, response.ResponseId,
            response.Usage?.InputTokenCount, response.Usage?.OutputTokenCount, response.Usage?.CachedInputTokenCount);
        if (_run is not null)
        {
            await WriteAsync(_run, key, entry, cancellationToken).ConfigureAwait(false);
        }

        if (_shared is not null)
        {
            await WriteAsync(_shared, key, entry, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<CachedResponse?> ReadAsync(IDistributedCache cache, string key, CancellationToken cancellationToken)
    {
        var bytes = await cache.GetAsync(key, cancellationToken).ConfigureAwait(false);
        if (bytes is null)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(bytes, CacheJsonContext.Default.CachedResponse);
        }
        catch (JsonException)
        {
            return null; // a damaged entry is a miss
        }
    }

    private static Task WriteAsync(IDistributedCache cache, string key, CachedResponse entry, CancellationToken cancellationToken) =>
        cache.SetAsync(key, JsonSerializer.SerializeToUtf8Bytes(entry, CacheJsonContext.Default.CachedResponse), NoExpiry, cancellationToken);

    private static ChatResponse ToResponse(CachedResponse entry) => new(new ChatMessage(ChatRole.Assistant, entry.Text))
    {
        FinishReason = entry.FinishReason is null ? null : new ChatFinishReason(entry.FinishReason),
        ModelId = entry.ModelId,
        ResponseId = entry.ResponseId,
        Usage = new UsageDetails { InputTokenCount = entry.InputTokens, OutputTokenCount = entry.OutputTokens, CachedInputTokenCount = entry.CachedInputTokens },
    };
}

/// <summary>A cached reply; <see cref="CrossRun"/> marks one copied from the shared cache into a run's own.</summary>
internal sealed record CachedResponse(string Text, string? FinishReason, string? ModelId, string? ResponseId, long? InputTokens, long? OutputTokens, long? CachedInputTokens)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool CrossRun { get; init; }
}

[JsonSerializable(typeof(CachedResponse))]
internal sealed partial class CacheJsonContext : JsonSerializerContext;
