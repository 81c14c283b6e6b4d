using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using AlignmentFaking.Internal;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Distributed;

namespace AlignmentFaking.Running;

/// <summary>
/// Caches subject replies keyed by everything that defines the request (model, every message, sampling options) and the
/// epoch, so re-running is free while epochs stay distinct samples.
/// </summary>
internal sealed class ResponseCache(IDistributedCache cache)
{
    private static readonly DistributedCacheEntryOptions NoExpiry = new();

    public static string Key(string? model, IList<ChatMessage> messages, ChatOptions options, int epoch)
    {
        var builder = new StringBuilder(256);
        builder.Append("af-response-v1\n").Append(model).Append('\n')
            .Append(options.Temperature?.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append('\n')
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

    public async Task<ChatResponse?> GetAsync(string key, CancellationToken cancellationToken)
    {
        var bytes = await cache.GetAsync(key, cancellationToken).ConfigureAwait(false);
        if (bytes is null)
        {
            return null;
        }

        try
        {
            var entry = JsonSerializer.Deserialize(bytes, CacheJsonContext.Default.CachedResponse);
            if (entry is null)
            {
                return null;
            }

            return new ChatResponse(new ChatMessage(ChatRole.Assistant, entry.Text))
            {
                FinishReason = entry.FinishReason is null ? null : new ChatFinishReason(entry.FinishReason),
                ModelId = entry.ModelId,
                ResponseId = entry.ResponseId,
                Usage = new UsageDetails { InputTokenCount = entry.InputTokens, OutputTokenCount = entry.OutputTokens, CachedInputTokenCount = entry.CachedInputTokens },
            };
        }
        catch (JsonException)
        {
            return null; // a damaged entry is a miss
        }
    }

    public Task SetAsync(string key, ChatResponse response, CancellationToken cancellationToken)
    {
        var entry = new CachedResponse(response.Text, response.FinishReason?.Value, response.ModelId, response.ResponseId,
            response.Usage?.InputTokenCount, response.Usage?.OutputTokenCount, response.Usage?.CachedInputTokenCount);
        return cache.SetAsync(key, JsonSerializer.SerializeToUtf8Bytes(entry, CacheJsonContext.Default.CachedResponse), NoExpiry, cancellationToken);
    }
}

internal sealed record CachedResponse(string Text, string? FinishReason, string? ModelId, string? ResponseId, long? InputTokens, long? OutputTokens, long? CachedInputTokens);

[JsonSerializable(typeof(CachedResponse))]
internal sealed partial class CacheJsonContext : JsonSerializerContext;
