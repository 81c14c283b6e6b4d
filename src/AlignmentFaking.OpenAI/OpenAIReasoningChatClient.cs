using System.ClientModel.Primitives;
using System.Globalization;
using AlignmentFaking.Running;
using Microsoft.Extensions.AI;
using ChatCompletion = OpenAI.Chat.ChatCompletion;
using ChatCompletionOptions = OpenAI.Chat.ChatCompletionOptions;
using ChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace AlignmentFaking.OpenAI;

/// <summary>
/// Sits directly over Microsoft.Extensions.AI's OpenAI chat client and adds what it lacks for reasoning models:
/// <list type="bullet">
/// <item>the reply's <c>message.reasoning</c> (OpenRouter, vLLM 0.11.2 and later) as <see cref="TextReasoningContent"/>,
/// as the adapter already does for <c>message.reasoning_content</c> (DeepSeek, older vLLM);</item>
/// <item>a call asking for a reasoning effort (<see cref="ChatOptions.Reasoning"/>) sends the effort instead of a
/// temperature, which OpenAI's reasoning models refuse;</item>
/// <item>a thinking budget (<see cref="NativeReasoningChatClient.ThinkingBudgetKey"/>) is sent as
/// <c>thinking: {"type": "enabled", "budget_tokens": N}</c>, as Anthropic's OpenAI-compatible endpoint takes it.</item>
/// </list>
/// </summary>
internal sealed class OpenAIReasoningChatClient(IChatClient inner) : DelegatingChatClient(inner)
{
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var response = await base.GetResponseAsync(messages, ForRequest(options), cancellationToken).ConfigureAwait(false);
        foreach (var message in response.Messages)
        {
            AddReasoningField(message);
        }

        return response;
    }

    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        base.GetStreamingResponseAsync(messages, ForRequest(options), cancellationToken);

    /// <summary>The options as sent: the effort instead of the temperature, the thinking budget as a <c>thinking</c> object.</summary>
    internal static ChatOptions? ForRequest(ChatOptions? options)
    {
        if (options is null)
        {
            return null;
        }

        bool effort = options.Reasoning?.Effort is not null && options.Temperature is not null;
        object? budget = null;
        bool thinking = options.AdditionalProperties?.TryGetValue(NativeReasoningChatClient.ThinkingBudgetKey, out budget) == true;
        if (!effort && !thinking)
        {
            return options;
        }

        var copy = options.Clone(); // the caller's options (shared by the turns of a conversation) stay as they are
        if (effort)
        {
            copy.Temperature = null;
        }

        if (thinking)
        {
            var properties = options.AdditionalProperties!;
            copy.AdditionalProperties = properties.Count == 1 ? null : new AdditionalPropertiesDictionary(properties.Where(p => p.Key != NativeReasoningChatClient.ThinkingBudgetKey));
            int tokens = Convert.ToInt32(budget, CultureInfo.InvariantCulture);
            var factory = options.RawRepresentationFactory;
            copy.RawRepresentationFactory = client =>
            {
                var raw = factory?.Invoke(client) as ChatCompletionOptions ?? new ChatCompletionOptions();
#pragma warning disable SCME0001 // JsonPatch is experimental
                raw.Patch.Set("$.thinking"u8, BinaryData.FromString(string.Create(CultureInfo.InvariantCulture, $$"""{"type":"enabled","budget_tokens":{{tokens}}}""")));
#pragma warning restore SCME0001
                return raw;
            };
        }

        return copy;
    }

    /// <summary>Adds <c>message.reasoning</c> of the raw completion as reasoning content, unless the message has some already.</summary>
    internal static void AddReasoningField(ChatMessage message)
    {
        if (message.RawRepresentation is not ChatCompletion completion || message.Contents.Any(c => c is TextReasoningContent))
        {
            return;
        }

#pragma warning disable SCME0001 // JsonPatch is experimental
        if (completion.Patch.TryGetValue("$.choices[0].message.reasoning"u8, out string? reasoning) && !string.IsNullOrEmpty(reasoning))
#pragma warning restore SCME0001
        {
            message.Contents.Insert(0, new TextReasoningContent(reasoning));
        }
    }
}
