using System.Text.Json.Serialization;

namespace AlignmentFaking.Running;

/// <summary>One message of a transcript.</summary>
/// <param name="Role"><c>user</c> or <c>assistant</c>.</param>
/// <param name="Content">The exact text.</param>
public sealed record TranscriptMessage(string Role, string Content)
{
    /// <summary>
    /// The model's native reasoning of this assistant turn, outside its text (DeepSeek's <c>reasoning_content</c>,
    /// OpenRouter's and vLLM's <c>reasoning</c>, a leading <c>&lt;think&gt;</c> block, Anthropic's <c>thinking</c>
    /// blocks), or <see langword="null"/> when the reply had none. Stored, judged and reported, never sent back to the
    /// model and never read by the compliance proxy or the output extraction.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Reasoning { get; init; }

    /// <summary>
    /// Whether the provider reasoned but hid (some of) it: redacted or encrypted thinking, or reasoning tokens billed
    /// with no reasoning text returned. Default: <see langword="false"/>.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool ReasoningHidden { get; init; }

    /// <summary>
    /// How the provider hid the reasoning, when its client said so (<see cref="NativeReasoningChatClient.HiddenKey"/>):
    /// <c>summary-only</c> (<see cref="Reasoning"/> is the provider's summary of reasoning it did not return: OpenAI's
    /// Responses API) or <c>encrypted</c> (returned only encrypted); <see langword="null"/> otherwise (not written).
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ReasoningHiddenKind { get; init; }
}
