using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using AlignmentFaking.Datasets;
using AlignmentFaking.Internal;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlignmentFaking.Running;

/// <summary>
/// Middleware that answers a call from a cache of replies when the same call was answered before, so re-running is free
/// while epochs stay distinct samples (<see cref="ResponseCachingChatClientBuilderExtensions.UseResponseCache"/>;
/// <see cref="ExperimentOptions.ResponseCache"/> composes it for a run). Two levels: the run's own cache, looked up first
/// (a resume replays the turns its interrupted conversations had received), and an opt-in cache shared across runs; a
/// reply found only in the shared one is copied into the run's own, marked as another run's, so it stays a cross-run
/// reply when a resume replays it. Every reply received is stored in both.
/// </summary>
/// <remarks>
/// <para>
/// Built on Microsoft.Extensions.AI's <see cref="DistributedCachingChatClient"/> (its read-through flow, streaming
/// coalescing, and no caching of calls that carry a <see cref="ChatOptions.ConversationId"/>), with the library's own
/// key and entry format instead of its JSON of the whole request and reply: that key changes with Microsoft.Extensions.AI
/// releases and with incidental fields (message ids, raw representations), and would orphan the entries of earlier runs.
/// The key (version <see cref="KeyVersion"/>; a change of what it covers bumps the version, and entries of other
/// versions are never read) is the SHA-256 of: the endpoint (scheme, host, port and path of the inner client's
/// <see cref="ChatClientMetadata.ProviderUri"/>, never credentials or query; else its provider name), the model
/// (<see cref="ChatOptions.ModelId"/>, else the client's default), the temperature, max output tokens and seed, the epoch
/// (<see cref="EpochKey"/>), each message's role and the hash of its text, the reasoning asked for when any
/// (<see cref="ChatOptions.Reasoning"/>, <see cref="NativeReasoningChatClient.ThinkingBudgetKey"/>: absent from the key
/// otherwise, so other keys are unchanged), and
/// <see cref="DistributedCachingChatClient.CacheKeyAdditionalValues"/> when set. Whether the call streams does not enter
/// it: a streamed reply is stored coalesced, the same draw as a reply that was not streamed.
/// <see cref="DistributedCachingChatClient.JsonSerializerOptions"/> is not used.
/// </para>
/// <para>
/// A replayed reply carries <see cref="CachedKey"/> (and <see cref="CrossRunKey"/>, <see langword="true"/> for another
/// run's reply) in its <see cref="ChatResponse.AdditionalProperties"/>. An entry's provider text (the reply, its finish
/// reason, model and response ids) is redacted of every registered secret (<see cref="Diagnostics.SecretRedaction.Register"/>)
/// before it is stored, whatever the cache. A damaged entry is a miss. A reply is stored
/// even when the call is being cancelled (it was paid for); a write that fails with an I/O or permission error is
/// logged and skipped, and the reply is still returned. The epoch is removed from the options before the call goes to
/// the inner client, so it never reaches a provider.
/// </para>
/// </remarks>
public sealed class ResponseCachingChatClient : DistributedCachingChatClient
{
    /// <summary>
    /// The version of the key: <c>af-response-v2</c>. Version 2 added the endpoint; it is bumped whenever what the key
    /// covers changes (entries of other versions are then never read).
    /// </summary>
    public const string KeyVersion = "af-response-v2";

    /// <summary>
    /// The <see cref="ChatOptions.AdditionalProperties"/> key of the call's epoch (an <see cref="int"/>; 0 when absent):
    /// the runner sets it, so the k-th repetition of a call is its own cache entry. Removed before the call goes further
    /// down the pipeline.
    /// </summary>
    public const string EpochKey = "af.epoch";

    /// <summary>The <see cref="ChatResponse.AdditionalProperties"/> key that marks a replayed reply (<see langword="true"/>).</summary>
    public const string CachedKey = "af.cached";

    /// <summary>
    /// The <see cref="ChatResponse.AdditionalProperties"/> key that says whether a replayed reply was received by another
    /// run (<see langword="true"/>: from the shared cache, or copied from it into the run's own).
    /// </summary>
    public const string CrossRunKey = "af.crossRun";

    private static readonly DistributedCacheEntryOptions NoExpiry = new();
    private readonly IDistributedCache? _run;
    private readonly IDistributedCache? _shared;
    private readonly ILogger _logger;
    private readonly string _endpoint;
    private readonly string? _defaultModelId;

    /// <summary>Creates the middleware.</summary>
    /// <param name="innerClient">The client below.</param>
    /// <param name="cache">The run's own cache, looked up first; none when <see langword="null"/>.</param>
    /// <param name="sharedCache">The cache shared across runs, looked up after <paramref name="cache"/>; none when <see langword="null"/>.</param>
    /// <param name="logger">Receives a warning when a reply cannot be stored; none when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">Neither cache is given.</exception>
    public ResponseCachingChatClient(IChatClient innerClient, IDistributedCache? cache, IDistributedCache? sharedCache = null, ILogger? logger = null)
        : base(new CallContextRemovingChatClient(innerClient), cache ?? sharedCache ?? throw new ArgumentException("the response cache needs a cache: give the run's cache, the shared cache or both", nameof(cache)))
    {
        _run = cache;
        _shared = sharedCache;
        _logger = logger ?? NullLogger.Instance;
        var metadata = innerClient.GetService<ChatClientMetadata>();
        _endpoint = EndpointIdentity(metadata);
        _defaultModelId = metadata?.DefaultModelId;
    }

    /// <summary>
    /// The endpoint as the key sees it: from the client's <see cref="ChatClientMetadata"/>, the provider URL's scheme,
    /// host, port and path (never its user info or query, where credentials may be), else the provider name.
    /// </summary>
    internal static string EndpointIdentity(ChatClientMetadata? metadata) =>
        metadata?.ProviderUri is { IsAbsoluteUri: true } uri ? EndpointIdentity(uri) : metadata?.ProviderName ?? string.Empty;

    /// <summary>Scheme, host, port and path of <paramref name="uri"/>, lower-case host, no trailing slash.</summary>
    internal static string EndpointIdentity(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        return string.Create(CultureInfo.InvariantCulture, $"{uri.Scheme}://{uri.IdnHost.ToLowerInvariant()}:{uri.Port}{uri.AbsolutePath.TrimEnd('/')}");
    }

    /// <summary>The key of a call (see the remarks of the class).</summary>
    internal static string Key(string endpoint, string? model, IEnumerable<ChatMessage> messages, ChatOptions? options, int epoch, IReadOnlyList<object>? additionalValues = null)
    {
        var builder = new StringBuilder(256);
        builder.Append(KeyVersion).Append('\n')
            .Append(endpoint).Append('\n')
            .Append(model).Append('\n')
            .Append(options?.Temperature?.ToString(CultureInfo.InvariantCulture)).Append('\n')
            // The integers are appended as version 2 always appended them (entries written before must stay readable).
            .Append(options?.MaxOutputTokens).Append('\n')
            .Append(options?.Seed).Append('\n')
            .Append(epoch).Append('\n');
        foreach (var m in messages)
        {
            // Hash each message so the key stays small whatever the prompt length.
            builder.Append(m.Role.Value).Append(':').Append(ContentHash.Sha256(m.Text)).Append('\n');
        }

        // What a reasoning run asks for enters the key only when asked, so the keys of other calls stay as they were.
        if (options?.Reasoning is { } reasoning)
        {
            builder.Append("reasoning:").Append(reasoning.Effort?.ToString()).Append('/').Append(reasoning.Output?.ToString()).Append('\n');
        }

        if (options?.AdditionalProperties is { } properties && properties.TryGetValue(NativeReasoningChatClient.ThinkingBudgetKey, out object? budget))
        {
            builder.Append("thinking:").Append(Convert.ToString(budget, CultureInfo.InvariantCulture)).Append('\n');
        }

        foreach (var value in additionalValues ?? [])
        {
            builder.Append("+:").Append(Convert.ToString(value, CultureInfo.InvariantCulture)).Append('\n');
        }

        return ContentHash.Sha256(builder.ToString());
    }

    /// <summary>The epoch a call carries in <see cref="EpochKey"/>; 0 when it carries none.</summary>
    internal static int EpochOf(ChatOptions? options)
    {
        if (options?.AdditionalProperties is not { } properties || !properties.TryGetValue(EpochKey, out object? value))
        {
            return 0;
        }

        return value switch
        {
            int i => i,
            long l and >= int.MinValue and <= int.MaxValue => (int)l,
            string s when int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int parsed) => parsed,
            _ => throw new ArgumentException($"ChatOptions.AdditionalProperties[\"{EpochKey}\"] must be an integer epoch (was {value ?? "null"})", nameof(options)),
        };
    }

    /// <inheritdoc />
    protected override string GetCacheKey(IEnumerable<ChatMessage> messages, ChatOptions? options, params ReadOnlySpan<object?> additionalValues) =>
        // additionalValues only says whether the call streams, which does not enter the key (see the remarks).
        Key(_endpoint, options?.ModelId ?? _defaultModelId, messages, options, EpochOf(options), CacheKeyAdditionalValues);

    /// <inheritdoc />
    protected override async Task<ChatResponse?> ReadCacheAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (_run is not null && await ReadEntryAsync(_run, key, cancellationToken).ConfigureAwait(false) is { } own)
        {
            return own.ToResponse(own.CrossRun);
        }

        if (_shared is not null && await ReadEntryAsync(_shared, key, cancellationToken).ConfigureAwait(false) is { } other)
        {
            if (_run is not null)
            {
                // Kept in the run's cache with its origin, so a resume replays it and still counts it as another run's.
                await StoreAsync(key, other with { CrossRun = true }, _run, null, cancellationToken).ConfigureAwait(false);
            }

            return other.ToResponse(crossRun: true);
        }

        return null;
    }

    /// <inheritdoc />
    protected override async Task<IReadOnlyList<ChatResponseUpdate>?> ReadCacheStreamingAsync(string key, CancellationToken cancellationToken) =>
        await ReadCacheAsync(key, cancellationToken).ConfigureAwait(false) is { } response ? response.ToChatResponseUpdates() : null;

    /// <inheritdoc />
    protected override Task WriteCacheAsync(string key, ChatResponse value, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);

        // Not cancelled with the call: the reply was paid for, and a resume replays it.
        return StoreAsync(key, CachedResponse.From(value), _run, _shared, CancellationToken.None);
    }

    /// <inheritdoc />
    protected override Task WriteCacheStreamingAsync(string key, IReadOnlyList<ChatResponseUpdate> value, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(value);
        return WriteCacheAsync(key, value.ToChatResponse(), cancellationToken);
    }

    private static async Task<CachedResponse?> ReadEntryAsync(IDistributedCache cache, string key, CancellationToken cancellationToken)
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

    /// <summary>Writes an entry into one or two caches; a write that fails for I/O or permissions is logged and skipped.</summary>
    private async Task StoreAsync(string key, CachedResponse entry, IDistributedCache? first, IDistributedCache? second, CancellationToken cancellationToken)
    {
        try
        {
            var bytes = JsonSerializer.SerializeToUtf8Bytes(entry, CacheJsonContext.Default.CachedResponse);
            if (first is not null)
            {
                await first.SetAsync(key, bytes, NoExpiry, cancellationToken).ConfigureAwait(false);
            }

            if (second is not null)
            {
                await second.SetAsync(key, bytes, NoExpiry, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            if (_logger.IsEnabled(LogLevel.Warning))
            {
                _logger.LogWarning("the response cache could not store a reply: {Error}", ex.Message);
            }
        }
    }

    /// <summary>
    /// Sits between the cache and the client below it: removes the call context the key reads (<see cref="EpochKey"/>)
    /// from the options, so no provider adapter ever sends it.
    /// </summary>
    private sealed class CallContextRemovingChatClient(IChatClient inner) : DelegatingChatClient(inner)
    {
        public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            base.GetResponseAsync(messages, WithoutContext(options), cancellationToken);

        public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            base.GetStreamingResponseAsync(messages, WithoutContext(options), cancellationToken);

        private static ChatOptions? WithoutContext(ChatOptions? options)
        {
            if (options?.AdditionalProperties is not { } properties || !properties.ContainsKey(EpochKey))
            {
                return options;
            }

            var copy = options.Clone(); // the caller's options (shared by the turns of a conversation) stay as they are
            copy.AdditionalProperties = properties.Count == 1 ? null : new AdditionalPropertiesDictionary(properties.Where(p => p.Key != EpochKey));
            return copy;
        }
    }
}

/// <summary>
/// A cached reply; <see cref="CrossRun"/> marks one copied from the shared cache into a run's own. The native reasoning
/// (<see cref="Reasoning"/>, in the reply's order, each with its protected data) and the reasoning-token count were added
/// later as optional fields: entries written before read as replies without reasoning.
/// </summary>
internal sealed record CachedResponse(string Text, string? FinishReason, string? ModelId, string? ResponseId, long? InputTokens, long? OutputTokens, long? CachedInputTokens)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool CrossRun { get; init; }

    /// <summary>What the HTTP layer repaired in the reply (<see cref="ModelHttpClient.RepairedKey"/>), kept so a replay says it too.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Repaired { get; init; }

    /// <summary>The input tokens the provider wrote to its prompt cache (Anthropic), when reported; absent from older entries.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? CacheWriteInputTokens { get; init; }

    /// <summary>The reply's <see cref="TextReasoningContent"/> items, before its text; none when <see langword="null"/>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<CachedReasoning>? Reasoning { get; init; }

    /// <summary>The reasoning tokens the provider reported, if it did.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? ReasoningTokens { get; init; }

    /// <summary>
    /// The entry of a reply, its provider text (the reply, its native reasoning, finish reason, model and response ids)
    /// redacted of every registered secret (an endpoint that echoes the Authorization header must not put the key on
    /// disk through the cache): what a replay returns is what the run files record.
    /// </summary>
    public static CachedResponse From(ChatResponse response)
    {
        var reasoning = response.Messages.SelectMany(m => m.Contents).OfType<TextReasoningContent>()
            .Select(r => new CachedReasoning(SecretRedactor.RedactSecrets(r.Text), r.ProtectedData) { Hidden = NativeReasoningChatClient.HiddenKindOf(r) }).ToList();
        return new(SecretRedactor.RedactSecrets(response.Text), Redact(response.FinishReason?.Value), Redact(response.ModelId), Redact(response.ResponseId),
            response.Usage?.InputTokenCount, response.Usage?.OutputTokenCount, response.Usage?.CachedInputTokenCount)
        {
            Repaired = response.AdditionalProperties?.TryGetValue(ModelHttpClient.RepairedKey, out object? repaired) == true ? repaired as string : null,
            Reasoning = reasoning.Count == 0 ? null : reasoning,
            ReasoningTokens = response.Usage?.ReasoningTokenCount,
            CacheWriteInputTokens = UsageCounts.CacheWrite(response.Usage),
        };
    }

    private static string? Redact(string? text) => text is null ? null : SecretRedactor.RedactSecrets(text);

    public ChatResponse ToResponse(bool crossRun)
    {
        var message = new ChatMessage(ChatRole.Assistant, Text);
        if (Reasoning is { Count: > 0 } reasoning)
        {
            message.Contents = [.. reasoning.Select(r => (AIContent)new TextReasoningContent(r.Text) { ProtectedData = r.ProtectedData, AdditionalProperties = r.Hidden is null ? null : new() { [NativeReasoningChatClient.HiddenKey] = r.Hidden } }), .. message.Contents];
        }

        return new(message)
        {
            FinishReason = FinishReason is null ? null : new ChatFinishReason(FinishReason),
            ModelId = ModelId,
            ResponseId = ResponseId,
            Usage = new UsageDetails
            {
                InputTokenCount = InputTokens,
                OutputTokenCount = OutputTokens,
                CachedInputTokenCount = CachedInputTokens,
                ReasoningTokenCount = ReasoningTokens,
                AdditionalCounts = CacheWriteInputTokens is { } written ? new() { [UsageCounts.CacheCreationInputTokens] = written } : null,
            },
            AdditionalProperties = Repaired is null
                ? new() { [ResponseCachingChatClient.CachedKey] = true, [ResponseCachingChatClient.CrossRunKey] = crossRun }
                : new() { [ResponseCachingChatClient.CachedKey] = true, [ResponseCachingChatClient.CrossRunKey] = crossRun, [ModelHttpClient.RepairedKey] = Repaired },
        };
    }
}

/// <summary>One native reasoning item of a cached reply: its text and the provider's protected data (a signature, a redacted block).</summary>
internal sealed record CachedReasoning(string? Text, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ProtectedData)
{
    /// <summary>How the provider hid it (<see cref="NativeReasoningChatClient.HiddenKey"/>), added later: absent in older entries.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Hidden { get; init; }
}

[JsonSerializable(typeof(CachedResponse))]
[JsonSerializable(typeof(CachedReasoning))]
internal sealed partial class CacheJsonContext : JsonSerializerContext;
