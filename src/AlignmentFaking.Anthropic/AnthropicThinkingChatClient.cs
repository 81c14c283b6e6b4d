using System.Globalization;
using AlignmentFaking.Running;
using Anthropic.Models.Messages;
using Microsoft.Extensions.AI;

namespace AlignmentFaking.Anthropic;

/// <summary>
/// Sits directly over the Anthropic SDK's chat client and turns a thinking budget
/// (<see cref="NativeReasoningChatClient.ThinkingBudgetKey"/>) into the request's <c>thinking</c> block, after checking
/// Anthropic's extended-thinking rules before the call (a <see cref="FatalCallException"/> naming the rule: no call is
/// made, and a run stops at once): <c>budget_tokens</c> at least 1024 and below <c>max_tokens</c>, a temperature of 1
/// or none, no trailing assistant message (prefill). The SDK's adapter returns the <c>thinking</c> blocks as
/// <see cref="TextReasoningContent"/> (the signature in <see cref="TextReasoningContent.ProtectedData"/>) and a
/// <c>redacted_thinking</c> block as one with empty text and the encrypted data.
/// </summary>
internal sealed class AnthropicThinkingChatClient(IChatClient inner, string model, int defaultMaxTokens) : DelegatingChatClient(inner)
{
    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages as IList<ChatMessage> ?? messages.ToList();
        return base.GetResponseAsync(list, ForRequest(list, options), cancellationToken);
    }

    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages as IList<ChatMessage> ?? messages.ToList();
        return base.GetStreamingResponseAsync(list, ForRequest(list, options), cancellationToken);
    }

    /// <summary>The options with the thinking block, or a <see cref="FatalCallException"/> naming the broken rule.</summary>
    internal ChatOptions? ForRequest(IList<ChatMessage> messages, ChatOptions? options)
    {
        object? value = null;
        if (options?.AdditionalProperties?.TryGetValue(NativeReasoningChatClient.ThinkingBudgetKey, out value) != true)
        {
            return options;
        }

        long budget = Convert.ToInt64(value, CultureInfo.InvariantCulture);
        long maxTokens = options.MaxOutputTokens ?? defaultMaxTokens;
        if (budget < ExperimentOptions.MinThinkingBudget)
        {
            throw new FatalCallException(string.Create(CultureInfo.InvariantCulture, $"extended thinking: budget_tokens must be at least {ExperimentOptions.MinThinkingBudget} (was {budget})"));
        }

        if (budget >= maxTokens)
        {
            throw new FatalCallException(string.Create(CultureInfo.InvariantCulture, $"extended thinking: budget_tokens ({budget}) must be less than max_tokens ({maxTokens}); raise the max output tokens or lower the budget"));
        }

        if (options.Temperature is { } temperature && temperature != 1.0f)
        {
            throw new FatalCallException(string.Create(CultureInfo.InvariantCulture, $"extended thinking takes a temperature of 1 or none (was {temperature})"));
        }

        if (messages.Count > 0 && messages[^1].Role == ChatRole.Assistant)
        {
            throw new FatalCallException("extended thinking refuses an assistant prefill (a trailing assistant message): send none (a thinking run of ExperimentRunner sends none)");
        }

        var properties = options.AdditionalProperties!;
        var copy = options.Clone(); // the caller's options (shared by the turns of a conversation) stay as they are
        copy.AdditionalProperties = properties.Count == 1 ? null : new AdditionalPropertiesDictionary(properties.Where(p => p.Key != NativeReasoningChatClient.ThinkingBudgetKey));
        var factory = options.RawRepresentationFactory;
        var modelId = options.ModelId ?? model;
        copy.RawRepresentationFactory = client =>
        {
            var raw = factory?.Invoke(client) as MessageCreateParams ?? new MessageCreateParams { MaxTokens = maxTokens, Model = modelId, Messages = [] };
            return raw with { Thinking = new ThinkingConfigEnabled(budget) };
        };
        return copy;
    }
}
