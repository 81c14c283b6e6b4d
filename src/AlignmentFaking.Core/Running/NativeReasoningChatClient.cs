using System.Text;
using Microsoft.Extensions.AI;

namespace AlignmentFaking.Running;

/// <summary>
/// Makes the native reasoning of an R1-style reply Microsoft.Extensions.AI <see cref="TextReasoningContent"/>: a
/// <c>&lt;think&gt;...&lt;/think&gt;</c> block at the start of the reply's text (a reasoning model served without a
/// reasoning parser; or the text up to a <c>&lt;/think&gt;</c> with no opening tag, when the chat template opened the
/// block) is split off before anything else sees the text, and the whitespace after it is dropped. Replies
/// whose reasoning the provider's adapter already surfaced (DeepSeek's <c>reasoning_content</c>, OpenRouter's and vLLM's
/// <c>reasoning</c> through <c>AlignmentFaking.OpenAI</c>, Anthropic's <c>thinking</c> blocks) pass unchanged.
/// <see cref="ExperimentRunner"/> composes it over the subject; streamed replies pass unchanged (the runner splits what
/// it reads either way).
/// </summary>
public sealed class NativeReasoningChatClient : DelegatingChatClient
{
    /// <summary>
    /// The <see cref="ChatOptions.AdditionalProperties"/> key of Anthropic's extended-thinking budget (an <see cref="int"/>,
    /// <c>budget_tokens</c>), set by <see cref="ExperimentRunner"/> from <see cref="ExperimentOptions.ThinkingBudget"/>
    /// and read by the provider clients that support it (<c>AlignmentFaking.Anthropic</c>), which remove it.
    /// </summary>
    public const string ThinkingBudgetKey = "af.thinkingBudget";

    /// <summary>
    /// The <see cref="AIContent.AdditionalProperties"/> key a provider client sets on a <see cref="TextReasoningContent"/>
    /// whose reasoning the provider hid: a <see cref="string"/>, <see cref="SummaryOnly"/> (the text is the provider's
    /// summary of reasoning it did not return) or <see cref="Encrypted"/> (returned only as
    /// <see cref="TextReasoningContent.ProtectedData"/>). The runner records it as
    /// <see cref="TranscriptMessage.ReasoningHiddenKind"/> (and <see cref="TranscriptMessage.ReasoningHidden"/>); the
    /// response cache keeps it.
    /// </summary>
    public const string HiddenKey = "af.reasoningHidden";

    /// <summary>The <see cref="HiddenKey"/> value of a reasoning summary: <c>summary-only</c>.</summary>
    public const string SummaryOnly = "summary-only";

    /// <summary>The <see cref="HiddenKey"/> value of reasoning returned only encrypted: <c>encrypted</c>.</summary>
    public const string Encrypted = "encrypted";

    /// <summary>
    /// The hidden kind of a reasoning block returned with protected data and no text that no client marked (Anthropic's
    /// <c>redacted_thinking</c>): <c>redacted</c>.
    /// </summary>
    public const string Redacted = "redacted";

    /// <summary>The hidden kind of reasoning billed (reasoning tokens) and not returned at all (OpenAI's reasoning models on Chat Completions): <c>not-returned</c>.</summary>
    public const string NotReturned = "not-returned";

    internal const string ThinkOpen = "<think>";
    internal const string ThinkClose = "</think>";

    /// <summary>Creates the middleware.</summary>
    /// <param name="innerClient">The client below.</param>
    public NativeReasoningChatClient(IChatClient innerClient)
        : base(innerClient)
    {
    }

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        foreach (var message in response.Messages)
        {
            SplitThinkTag(message);
        }

        return response;
    }

    /// <summary>
    /// Moves a leading <c>&lt;think&gt;</c> block of the message's first text into a <see cref="TextReasoningContent"/>
    /// put before it. An unclosed block is left as it is (it may be a truncated reply, or text that merely starts so).
    /// </summary>
    internal static void SplitThinkTag(ChatMessage message)
    {
        for (int i = 0; i < message.Contents.Count; i++)
        {
            if (message.Contents[i] is not TextContent text)
            {
                continue;
            }

            if (SplitThinkTag(text.Text ?? string.Empty, out var reasoning, out var rest))
            {
                text.Text = rest;
                message.Contents.Insert(i, new TextReasoningContent(reasoning));
            }

            return; // only the start of the reply's text
        }
    }

    /// <summary>
    /// Splits <c>&lt;think&gt;R&lt;/think&gt;rest</c> (leading whitespace allowed) into R (trimmed) and rest (leading
    /// whitespace dropped). Also <c>R&lt;/think&gt;rest</c> with no <c>&lt;think&gt;</c> before the close: the chat
    /// templates of DeepSeek-R1 and its distills open the block in the prompt, so the reply starts inside it (as vLLM's
    /// <c>deepseek_r1</c> reasoning parser reads it).
    /// </summary>
    internal static bool SplitThinkTag(string text, out string reasoning, out string rest)
    {
        var trimmed = text.AsSpan().TrimStart();
        int close = trimmed.IndexOf(ThinkClose, StringComparison.Ordinal);
        if (close >= 0)
        {
            bool opened = trimmed.StartsWith(ThinkOpen, StringComparison.Ordinal);
            if (opened || trimmed[..close].IndexOf(ThinkOpen, StringComparison.Ordinal) < 0)
            {
                reasoning = trimmed[(opened ? ThinkOpen.Length : 0)..close].Trim().ToString();
                rest = trimmed[(close + ThinkClose.Length)..].TrimStart().ToString();
                return true;
            }
        }

        reasoning = string.Empty;
        rest = text;
        return false;
    }

    /// <summary>The <see cref="HiddenKey"/> of a reasoning content (a string, or a JSON string after a round trip); <see langword="null"/> when unset.</summary>
    internal static string? HiddenKindOf(AIContent content) =>
        content.AdditionalProperties?.TryGetValue(HiddenKey, out object? value) == true
            ? value switch
            {
                string s when s.Length > 0 => s,
                System.Text.Json.JsonElement { ValueKind: System.Text.Json.JsonValueKind.String } e => e.GetString(),
                _ => null,
            }
            : null;

    /// <summary>
    /// The reply as the runner reads it: the text (a leading <c>&lt;think&gt;</c> block split off if a client below did
    /// not), the native reasoning of every <see cref="TextReasoningContent"/> (joined by blank lines; <see langword="null"/>
    /// when there is none), and whether the provider hid reasoning: a reasoning content with protected data and no text
    /// (Anthropic's <c>redacted_thinking</c>, omitted or encrypted thinking), a reasoning content a provider client marked
    /// with <see cref="HiddenKey"/> (its kind kept: OpenAI's Responses API returns summaries), or reasoning tokens billed
    /// with no reasoning text returned (OpenAI's reasoning models on Chat Completions).
    /// </summary>
    internal static NativeReply Read(ChatResponse response)
    {
        var reasoning = new StringBuilder();
        bool hidden = false;
        string? kind = null;
        foreach (var message in response.Messages)
        {
            foreach (var content in message.Contents)
            {
                if (content is not TextReasoningContent thought)
                {
                    continue;
                }

                if (HiddenKindOf(thought) is { } marked)
                {
                    hidden = true;
                    kind ??= marked;
                }

                if (!string.IsNullOrWhiteSpace(thought.Text))
                {
                    Append(reasoning, thought.Text.Trim());
                }
                else if (!string.IsNullOrEmpty(thought.ProtectedData))
                {
                    hidden = true;
                    kind ??= Redacted;
                }
            }
        }

        var text = response.Text;
        if (SplitThinkTag(text, out var split, out var rest))
        {
            Append(reasoning, split);
            text = rest;
        }

        if (reasoning.Length == 0 && response.Usage?.ReasoningTokenCount is > 0)
        {
            hidden = true;
            kind ??= NotReturned;
        }

        return new NativeReply(text, reasoning.Length == 0 ? null : reasoning.ToString(), hidden) { HiddenKind = kind };

        static void Append(StringBuilder builder, string piece)
        {
            if (piece.Length == 0)
            {
                return;
            }

            if (builder.Length > 0)
            {
                builder.Append("\n\n");
            }

            builder.Append(piece);
        }
    }
}

/// <summary>A reply as the runner reads it (see <see cref="NativeReasoningChatClient.Read"/>).</summary>
internal sealed record NativeReply(string Text, string? Reasoning, bool ReasoningHidden)
{
    /// <summary>How the provider hid the reasoning, when its client said so (<see cref="NativeReasoningChatClient.HiddenKey"/>).</summary>
    public string? HiddenKind { get; init; }
}
