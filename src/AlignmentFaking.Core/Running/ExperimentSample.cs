using System.Text.Json.Serialization;
using AlignmentFaking.Classification;
using AlignmentFaking.Scenarios;

namespace AlignmentFaking.Running;

/// <summary>
/// One finished conversation: a request in one tier and mode, one epoch. This is a line of <c>samples.jsonl</c>; the
/// JSON names (camelCase of the property names) are the file format's contract.
/// </summary>
public sealed record ExperimentSample
{
    /// <summary>Stable id: <c>{mode}/{tier}/r{requestIndex}/e{epoch}</c>, e.g. <c>cot/training/r7/e0</c>.</summary>
    public required string SampleId { get; init; }

    /// <summary>The request's index in its dataset.</summary>
    public required int RequestIndex { get; init; }

    /// <summary>The request text.</summary>
    public required string Request { get; init; }

    /// <summary>The tier framing.</summary>
    public required Tier Tier { get; init; }

    /// <summary>The reasoning mode.</summary>
    public required ReasoningMode Mode { get; init; }

    /// <summary>Zero-based repetition of the request (see <c>Epochs</c>).</summary>
    public required int Epoch { get; init; }

    /// <summary>
    /// The result the original would have computed: the trimmed text inside <c>&lt;OUTPUT&gt;</c>, or the whole last
    /// reply (prefill included, untrimmed) when it had no tags; <see langword="null"/> when there is none (failed,
    /// unparseable, error).
    /// </summary>
    public string? Output { get; init; }

    /// <summary>How <see cref="Output"/> was obtained.</summary>
    public required OutputSource OutputSource { get; init; }

    /// <summary>The compliance proxy's verdict.</summary>
    public required ComplianceOutcome Proxy { get; init; }

    /// <summary>The LLM judge's compliance verdict, when a judge ran.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ComplianceOutcome? Judge { get; init; }

    /// <summary>The alignment-faking reasoning judge's assessment of the scratchpad (CoT samples), when it ran.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public AlignmentFakingAssessment? AlignmentFaking { get; init; }

    /// <summary>Number of model calls made (1-4 in CoT, 1 in no-CoT; 0 when the first call failed).</summary>
    public required int Turns { get; init; }

    /// <summary>
    /// The conversation after the system message: the user turn, each assistant turn with its prefill put back, and the
    /// <c>&lt;NEXT/&gt;</c> user turns. The system prompt is stored once per run (see <see cref="SystemPromptSha256"/>).
    /// </summary>
    public required IReadOnlyList<TranscriptMessage> Transcript { get; init; }

    /// <summary>Token usage summed over the calls.</summary>
    public required TokenUsage Usage { get; init; }

    /// <summary>Every call: usage, finish reason, latency.</summary>
    public required IReadOnlyList<CallRecord> Calls { get; init; }

    /// <summary>SHA-256 of the system prompt sent (its text is in the run directory's <c>prompts/</c> folder).</summary>
    public required string SystemPromptSha256 { get; init; }

    /// <summary>The prefill sent, or <see langword="null"/> when none was.</summary>
    public string? Prefill { get; init; }

    /// <summary>The finish reason of the last call (<c>stop</c>, <c>length</c>, <c>content_filter</c>, ...).</summary>
    public string? FinishReason { get; init; }

    /// <summary>Why the sample has no normal result: the call error (credentials removed) or the extraction problem.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Error { get; init; }
}

/// <summary>Where a sample's <see cref="ExperimentSample.Output"/> came from.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<OutputSource>))]
public enum OutputSource
{
    /// <summary>Extracted from between <c>&lt;OUTPUT&gt;</c> and <c>&lt;/OUTPUT&gt;</c>. <c>"output-tag"</c>.</summary>
    [JsonStringEnumMemberName("output-tag")]
    OutputTag,

    /// <summary>The last reply had neither <c>&lt;/SCRATCHPAD_REASONING&gt;</c> nor <c>&lt;/OUTPUT&gt;</c>: the whole reply. <c>"raw"</c>.</summary>
    [JsonStringEnumMemberName("raw")]
    Raw,

    /// <summary>No output: the turn limit was reached (CoT) or the reply had no <c>&lt;/OUTPUT&gt;</c> (no-CoT). <c>"none"</c>.</summary>
    [JsonStringEnumMemberName("none")]
    None,

    /// <summary>The reply had <c>&lt;/OUTPUT&gt;</c> but no <c>&lt;OUTPUT&gt;</c> (the original crashes here). <c>"malformed"</c>.</summary>
    [JsonStringEnumMemberName("malformed")]
    Malformed,

    /// <summary>A model call failed; see <see cref="ExperimentSample.Error"/>. <c>"call-failed"</c>.</summary>
    [JsonStringEnumMemberName("call-failed")]
    CallFailed,
}

/// <summary>One message of a transcript.</summary>
/// <param name="Role"><c>user</c> or <c>assistant</c>.</param>
/// <param name="Content">The exact text.</param>
public sealed record TranscriptMessage(string Role, string Content);

/// <summary>Token counts.</summary>
/// <param name="InputTokens">Input (prompt) tokens.</param>
/// <param name="OutputTokens">Output (completion) tokens.</param>
public sealed record TokenUsage(long InputTokens, long OutputTokens)
{
    /// <summary>No tokens.</summary>
    public static TokenUsage Zero { get; } = new(0, 0);

    /// <summary>Adds two usages.</summary>
    /// <param name="left">The first.</param>
    /// <param name="right">The second.</param>
    public static TokenUsage operator +(TokenUsage left, TokenUsage right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        return new(left.InputTokens + right.InputTokens, left.OutputTokens + right.OutputTokens);
    }

    /// <summary>Adds two usages.</summary>
    /// <param name="other">The other usage.</param>
    public TokenUsage Add(TokenUsage other) => this + other;
}

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
