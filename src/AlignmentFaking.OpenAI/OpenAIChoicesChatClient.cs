using System.ClientModel;
using System.ClientModel.Primitives;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using AlignmentFaking.Running;
using Microsoft.Extensions.AI;
using ChatCompletion = OpenAI.Chat.ChatCompletion;
using ChatCompletionOptions = OpenAI.Chat.ChatCompletionOptions;

namespace AlignmentFaking.OpenAI;

/// <summary>
/// Several choices from one chat completion (<see cref="MultipleChoices"/>): a request carrying
/// <see cref="MultipleChoices.CountKey"/> goes with <c>n</c>, and every choice of the reply comes back as its own
/// assistant message (Microsoft.Extensions.AI's OpenAI adapter surfaces only the first: the others are read from the
/// <see cref="ChatCompletion"/> it keeps as the raw representation). A 400 naming <c>n</c> (an endpoint with a smaller
/// maximum, or none) is answered by asking again for fewer choices: the maximum the error names, else half.
/// </summary>
internal sealed partial class OpenAIChoicesChatClient(IChatClient inner) : DelegatingChatClient(inner)
{

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        int asked = MultipleChoices.RequestedCount(options);
        if (options?.AdditionalProperties?.ContainsKey(MultipleChoices.CountKey) != true)
        {
            return await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }

        var list = messages as IReadOnlyList<ChatMessage> ?? messages.ToList();
        while (true)
        {
            var sent = WithChoices(options, asked);
            try
            {
                var response = await base.GetResponseAsync(list, sent, cancellationToken).ConfigureAwait(false);
                return asked > 1 ? ExpandChoices(response) : response;
            }
            catch (ClientResultException ex) when (asked > 1 && ex.Status == 400 && NamesN(ex) is { } limit)
            {
                asked = limit is > 0 && limit < asked ? limit : asked / 2;
            }
        }
    }

    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        base.GetStreamingResponseAsync(messages, WithChoices(options, 1), cancellationToken); // streaming returns one choice

    public override object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(MultipleChoices) && serviceKey is null ? MultipleChoices.Supported : base.GetService(serviceType, serviceKey);

    /// <summary>The options without <see cref="MultipleChoices.CountKey"/>, with <c>n</c> set when more than one choice is asked for.</summary>
    private static ChatOptions? WithChoices(ChatOptions? options, int count)
    {
        if (options?.AdditionalProperties?.ContainsKey(MultipleChoices.CountKey) != true)
        {
            return options;
        }

        var copy = options.Clone();
        copy.AdditionalProperties = options.AdditionalProperties.Clone();
        copy.AdditionalProperties.Remove(MultipleChoices.CountKey);
        if (copy.AdditionalProperties.Count == 0)
        {
            copy.AdditionalProperties = null;
        }

        if (count > 1)
        {
            var factory = options.RawRepresentationFactory;
            copy.RawRepresentationFactory = client =>
            {
                var raw = factory?.Invoke(client) as ChatCompletionOptions ?? new ChatCompletionOptions();
                #pragma warning disable SCME0001 // JsonPatch: the OpenAI SDK keeps n internal
                raw.Patch.Set("$.n"u8, count);
#pragma warning restore SCME0001
                return raw;
            };
        }

        return copy;
    }

    /// <summary>Every choice of the completion as its own assistant message (the first as the adapter made it).</summary>
    private static ChatResponse ExpandChoices(ChatResponse response)
    {
        if (response.RawRepresentation is not ChatCompletion completion)
        {
            return response;
        }

        using var document = JsonDocument.Parse(ModelReaderWriter.Write(completion, ModelReaderWriterOptions.Json).ToMemory());
        if (!document.RootElement.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() < 2)
        {
            return response;
        }

        var ordered = choices.EnumerateArray()
            .OrderBy(c => c.TryGetProperty("index", out var i) && i.TryGetInt32(out var n) ? n : int.MaxValue)
            .ToList();
        var expanded = new List<ChatMessage>(ordered.Count);
        foreach (var choice in ordered)
        {
            var message = choice.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.Object ? m : default;
            var text = message.ValueKind == JsonValueKind.Object && message.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
            var refusal = message.ValueKind == JsonValueKind.Object && message.TryGetProperty("refusal", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
            var reply = new ChatMessage(ChatRole.Assistant, text ?? refusal ?? string.Empty) { MessageId = response.ResponseId };
            if (choice.TryGetProperty("finish_reason", out var f) && f.ValueKind == JsonValueKind.String)
            {
                reply.AdditionalProperties = new() { [MultipleChoices.FinishReasonKey] = f.GetString() };
            }

            expanded.Add(reply);
        }

        response.Messages = expanded;
        return response;
    }

    /// <summary>
    /// When a 400 names the <c>n</c> parameter (its <c>param</c>, or the word <c>n</c> in its message), the maximum it
    /// names (0 when it names none); otherwise <see langword="null"/>.
    /// </summary>
    private static int? NamesN(ClientResultException exception)
    {
        string? param = null, message = exception.Message;
        try
        {
            var body = exception.GetRawResponse()?.Content;
            if (body is not null)
            {
                using var document = JsonDocument.Parse(body.ToMemory());
                if (document.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
                {
                    param = error.TryGetProperty("param", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
                    message = error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : message;
                }
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Not an OpenAI error body (or not buffered): the exception's message decides.
        }

        if (param != "n" && !NamedN().IsMatch(message ?? string.Empty))
        {
            return null;
        }

        var max = Maximum().Match(message ?? string.Empty);
        return max.Success && int.TryParse(max.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) ? limit : 0;
    }

    [GeneratedRegex(@"(?<![\w.])['""`]?n['""`]?(?![\w.])")]
    private static partial Regex NamedN();

    [GeneratedRegex(@"(?i)(?:<=|≤|at most|maximum(?: value)?(?: of| is)?|less than or equal to|up to|must not exceed|cannot exceed)\s*(\d+)")]
    private static partial Regex Maximum();
}
