#pragma warning disable OPENAI001 // the Responses API of the OpenAI SDK (2.15) and its Microsoft.Extensions.AI adapter are marked for evaluation
using AlignmentFaking.Running;
using Microsoft.Extensions.AI;
using OpenAI.Responses;
using ChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace AlignmentFaking.OpenAI;

/// <summary>
/// Sits directly over Microsoft.Extensions.AI's Responses client and makes its calls what an experiment needs (see
/// <see cref="OpenAIResponsesEndpoint"/>): stateless (<c>store: false</c>, no conversation id either way), reasoning
/// summaries asked for and the effort sent (no temperature) for reasoning models, no reasoning sent back, and the
/// reasoning of a reply marked as the provider hid it (<see cref="NativeReasoningChatClient.HiddenKey"/>).
/// </summary>
internal sealed class OpenAIResponsesChatClient(IChatClient inner, string defaultModel) : DelegatingChatClient(inner)
{
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var request = ForRequest(options, defaultModel);
        var response = await base.GetResponseAsync(WithoutReasoning(messages), request, cancellationToken).ConfigureAwait(false);
        response.ConversationId = null; // stateless: nothing to continue from
        foreach (var message in response.Messages)
        {
            MarkHidden(message);
        }

        return response;
    }

    /// <summary>
    /// The adapter's metadata with the provider URL of the Responses API (<c>{endpoint}/responses</c>): the response
    /// cache's key reads it, so a reply of this API is never replayed for a chat completion of the same endpoint, model and
    /// messages, or the other way round (the two APIs return different reasoning).
    /// </summary>
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is null && serviceType == typeof(ChatClientMetadata) && base.GetService(serviceType) is ChatClientMetadata { ProviderUri: { IsAbsoluteUri: true } uri } metadata)
        {
            return new ChatClientMetadata(metadata.ProviderName, new Uri(uri.AbsoluteUri.TrimEnd('/') + "/responses"), metadata.DefaultModelId);
        }

        return base.GetService(serviceType, serviceKey);
    }

    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        base.GetStreamingResponseAsync(WithoutReasoning(messages), ForRequest(options, defaultModel), cancellationToken);

    /// <summary>Whether a model id names one of OpenAI's reasoning models (o1, o3, o4-mini, gpt-5 and their variants; any <c>provider/</c> prefix ignored).</summary>
    internal static bool IsReasoningModel(string? model)
    {
        var id = model ?? string.Empty;
        int slash = id.LastIndexOf('/');
        id = slash < 0 ? id : id[(slash + 1)..];
        return id.StartsWith("o1", StringComparison.OrdinalIgnoreCase) || id.StartsWith("o3", StringComparison.OrdinalIgnoreCase)
            || id.StartsWith("o4", StringComparison.OrdinalIgnoreCase) || id.StartsWith("gpt-5", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The options as sent: <c>store: false</c>, no conversation id; for a reasoning model, no temperature and
    /// <c>reasoning: {effort, summary: "auto"}</c>. A thinking budget is a <see cref="FatalCallException"/>.
    /// </summary>
    internal static ChatOptions ForRequest(ChatOptions? options, string defaultModel)
    {
        if (options?.AdditionalProperties?.ContainsKey(NativeReasoningChatClient.ThinkingBudgetKey) == true)
        {
            throw new FatalCallException("the OpenAI Responses API takes no thinking budget (Anthropic's extended thinking): ask for a reasoning effort instead");
        }

        var copy = options?.Clone() ?? new ChatOptions(); // the caller's options (shared by the turns of a conversation) stay as they are
        bool reasoning = copy.Reasoning?.Effort is not null || IsReasoningModel(copy.ModelId ?? defaultModel);
        copy.ConversationId = null;
        if (reasoning)
        {
            copy.Temperature = null; // OpenAI's reasoning models refuse a temperature
        }

        var effort = Effort(copy.Reasoning?.Effort);
        var factory = options?.RawRepresentationFactory;
        copy.RawRepresentationFactory = client =>
        {
            var raw = factory?.Invoke(client) as CreateResponseOptions ?? new CreateResponseOptions();
            raw.StoredOutputEnabled = false;
            raw.PreviousResponseId = null;
            if (reasoning)
            {
                raw.ReasoningOptions ??= new ResponseReasoningOptions
                {
                    ReasoningEffortLevel = effort,
                    ReasoningSummaryVerbosity = ResponseReasoningSummaryVerbosity.Auto,
                };
            }

            return raw;
        };
        return copy;
    }

    /// <summary>The effort as the Responses API spells it (as Microsoft.Extensions.AI maps it); none when not asked.</summary>
    private static ResponseReasoningEffortLevel? Effort(ReasoningEffort? effort) => effort switch
    {
        ReasoningEffort.None => ResponseReasoningEffortLevel.None,
        ReasoningEffort.Low => ResponseReasoningEffortLevel.Low,
        ReasoningEffort.Medium => ResponseReasoningEffortLevel.Medium,
        ReasoningEffort.High => ResponseReasoningEffortLevel.High,
        ReasoningEffort.ExtraHigh => new ResponseReasoningEffortLevel("xhigh"),
        _ => (ResponseReasoningEffortLevel?)null, // not the implicit conversion from a null string, which throws
    };

    /// <summary>The messages without any <see cref="TextReasoningContent"/> (the adapter would send it back as a reasoning item).</summary>
    internal static IEnumerable<ChatMessage> WithoutReasoning(IEnumerable<ChatMessage> messages)
    {
        var list = messages as IList<ChatMessage> ?? messages.ToList();
        if (!list.Any(m => m.Contents.Any(c => c is TextReasoningContent)))
        {
            return list;
        }

        return list.Select(m => m.Contents.Any(c => c is TextReasoningContent)
            ? new ChatMessage(m.Role, [.. m.Contents.Where(c => c is not TextReasoningContent)]) { AuthorName = m.AuthorName }
            : m).ToList();
    }

    /// <summary>
    /// The <c>reasoning_text</c> parts of a reasoning item's <c>content</c> (the full reasoning, which open-weight models
    /// served with the Responses API return; OpenAI's own models return only the summary), joined by blank lines; none when
    /// it has none. Microsoft.Extensions.AI reads only the summary of a reasoning item that is not streamed.
    /// </summary>
    internal static string? ReasoningText(ReasoningResponseItem item)
    {
#pragma warning disable SCME0001 // JsonPatch is experimental
        if (!item.Patch.TryGetJson("$.content"u8, out var json))
#pragma warning restore SCME0001
        {
            return null;
        }

        using var document = System.Text.Json.JsonDocument.Parse(json);
        if (document.RootElement.ValueKind != System.Text.Json.JsonValueKind.Array)
        {
            return null;
        }

        var parts = document.RootElement.EnumerateArray()
            .Where(p => p.ValueKind == System.Text.Json.JsonValueKind.Object
                && p.TryGetProperty("type", out var type) && type.ValueEquals("reasoning_text"u8)
                && p.TryGetProperty("text", out var text) && text.ValueKind == System.Text.Json.JsonValueKind.String)
            .Select(p => p.GetProperty("text").GetString()!.Trim())
            .Where(t => t.Length > 0)
            .ToList();
        return parts.Count == 0 ? null : string.Join("\n\n", parts);
    }

    /// <summary>
    /// Marks each reasoning item of a reply as the provider hid it: its text is a summary (<c>summary-only</c>), or it
    /// came only encrypted (<c>encrypted</c>). An item with its full reasoning (<c>reasoning_text</c> content) gets that
    /// as its text, unmarked. Microsoft.Extensions.AI gives a reasoning item's summary parts as the
    /// text (joined by new lines) and its <c>encrypted_content</c> as <see cref="TextReasoningContent.ProtectedData"/>.
    /// </summary>
    internal static void MarkHidden(ChatMessage message)
    {
        foreach (var thought in message.Contents.OfType<TextReasoningContent>())
        {
            if (thought.RawRepresentation is ReasoningResponseItem item && ReasoningText(item) is { Length: > 0 } full)
            {
                thought.Text = full; // the model's own reasoning (gpt-oss served by vLLM, for one), which the adapter leaves out
                continue;
            }

            string? kind = !string.IsNullOrWhiteSpace(thought.Text) ? NativeReasoningChatClient.SummaryOnly
                : !string.IsNullOrEmpty(thought.ProtectedData) ? NativeReasoningChatClient.Encrypted
                : null;
            if (kind is not null)
            {
                (thought.AdditionalProperties ??= [])[NativeReasoningChatClient.HiddenKey] = kind;
            }
        }
    }
}
