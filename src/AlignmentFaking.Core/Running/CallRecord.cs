using System.Text.Json.Serialization;

namespace AlignmentFaking.Running;

/// <summary>One model call of a conversation.</summary>
public sealed record CallRecord
{
    /// <summary>One-based turn number within the conversation.</summary>
    public required int Turn { get; init; }

    /// <summary>Input tokens the provider reported, if it did.</summary>
    public long? InputTokens { get; init; }

    /// <summary>Output tokens the provider reported, if it did.</summary>
    public long? OutputTokens { get; init; }

    /// <summary>Cached input tokens the provider reported, if it did.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? CachedInputTokens { get; init; }

    /// <summary>
    /// Input tokens the provider reported as written to its prompt cache (Anthropic's <c>cache_creation_input_tokens</c>,
    /// billed at the cache-write price), if it did; part of <see cref="InputTokens"/>.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? CacheWriteInputTokens { get; init; }

    /// <summary>Reasoning tokens the provider reported, if it did.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? ReasoningTokens { get; init; }

    /// <summary>The finish reason (<c>stop</c>, <c>length</c>, <c>content_filter</c>, <c>tool_calls</c>), if reported.</summary>
    public string? FinishReason { get; init; }

    /// <summary>Wall time of the call in milliseconds.</summary>
    public required double LatencyMs { get; init; }

    /// <summary>The model id the provider answered with, if reported.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ModelId { get; init; }

    /// <summary>The provider's response id, if reported.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ResponseId { get; init; }

    /// <summary>
    /// What was repaired in the reply so it could be kept (<c>invalid-utf8</c>, <c>lone-surrogate</c>: replaced by U+FFFD;
    /// see <see cref="ModelHttpClient.RepairedKey"/>); <see langword="null"/> (and not written) when nothing was.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Repaired { get; init; }

    /// <summary>The error of a failed call (credentials removed).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Error { get; init; }

    /// <summary>The provider's batch id when the call ran inside a batch (see <c>Running.Batch.BatchExperimentRunner</c>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? BatchId { get; init; }

    /// <summary>Whether the reply came from the response cache (no call was made, nothing was spent).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Cached { get; init; }

    /// <summary>
    /// Whether the cached reply came from another run, through the cache shared across runs
    /// (<see cref="ExperimentOptions.SharedResponseCache"/>, <c>af run --cache-dir</c>): a replayed sample, not a new draw.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool CrossRun { get; init; }
}
