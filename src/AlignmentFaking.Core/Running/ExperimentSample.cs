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

    /// <summary>
    /// The compliance judge's own words for <see cref="Judge"/>: its reply (its reasoning and the verdict line, or the
    /// StrongREJECT rubric's answers), or the reason when no reply was read (a failed call, no answer to judge). What a
    /// reader checks the verdict by. <see langword="null"/> (and not written) before judging.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? JudgeExplanation { get; init; }

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
