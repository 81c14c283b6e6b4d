using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace AlignmentFaking.Testing;

/// <summary>Writes response bodies in the OpenAI shapes.</summary>
internal static class ResponseWriter
{
    private const int StreamPieceLength = 16;

    public static string CompletionJson(ChatCompletionCall call, ScriptedReply reply, long created)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            WriteHeader(json, call, reply, created, "chat.completion");
            json.WriteStartArray("choices");
            if (reply.Kind != ScriptedReplyKind.EmptyChoices)
            {
                for (var i = 0; i < reply.Choices.Count; i++)
                {
                    var choice = reply.Choices[i];
                    json.WriteStartObject();
                    json.WriteNumber("index", i);
                    json.WriteStartObject("message");
                    json.WriteString("role", "assistant");
                    bool visible = choice.Reasoning is not null && !choice.ReasoningHidden;
                    json.WriteString("content", visible && reply.ReasoningFormat == ScriptedReasoningFormat.ThinkTag ? "<think>\n" + choice.Reasoning + "\n</think>\n\n" + choice.Text : choice.Text);
                    if (visible && reply.ReasoningFormat != ScriptedReasoningFormat.ThinkTag)
                    {
                        json.WriteString(reply.ReasoningFormat == ScriptedReasoningFormat.Reasoning ? "reasoning" : "reasoning_content", choice.Reasoning);
                    }

                    json.WriteNull("refusal");
                    json.WriteEndObject();
                    json.WriteNull("logprobs");
                    json.WriteString("finish_reason", choice.FinishReason);
                    json.WriteEndObject();
                }
            }

            json.WriteEndArray();
            WriteUsage(json, call, reply);
            json.WriteString("system_fingerprint", "fp_testserver");
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>The whole SSE stream: a role chunk, content pieces and a finish chunk per choice, a usage chunk if asked for, and [DONE].</summary>
    public static string StreamText(ChatCompletionCall call, ScriptedReply reply, long created)
    {
        var text = new StringBuilder();
        var choices = reply.Kind == ScriptedReplyKind.EmptyChoices ? [] : reply.Choices;
        for (var i = 0; i < choices.Count; i++)
        {
            var choice = choices[i];
            AppendChunk(text, call, reply, created, json => WriteDeltaChoice(json, i, role: true, content: string.Empty, finishReason: null));
            for (var start = 0; start < choice.Text.Length; start += StreamPieceLength)
            {
                var piece = choice.Text.Substring(start, Math.Min(StreamPieceLength, choice.Text.Length - start));
                AppendChunk(text, call, reply, created, json => WriteDeltaChoice(json, i, role: false, content: piece, finishReason: null));
            }

            AppendChunk(text, call, reply, created, json => WriteDeltaChoice(json, i, role: false, content: null, finishReason: choice.FinishReason));
        }

        if (IncludeUsage(call))
        {
            AppendChunk(text, call, reply, created, null);
        }

        text.Append("data: [DONE]\n\n");
        return text.ToString();
    }

    public static string ModelsJson(IReadOnlyList<string> models, long created)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("object", "list");
            json.WriteStartArray("data");
            foreach (var model in models)
            {
                json.WriteStartObject();
                json.WriteString("id", model);
                json.WriteString("object", "model");
                json.WriteNumber("created", created);
                json.WriteString("owned_by", "alignmentfaking-testing");
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static string DefaultErrorJson(int status) => status switch
    {
        400 => ErrorJson(status, "Scripted bad request.", "invalid_request_error", null),
        401 => ErrorJson(status, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key"),
        403 => ErrorJson(status, "Scripted permission error.", "permission_error", null),
        404 => ErrorJson(status, "Scripted not found.", "invalid_request_error", "model_not_found"),
        429 => ErrorJson(status, "Rate limit reached (scripted).", "requests", "rate_limit_exceeded"),
        _ when status >= 500 => ErrorJson(status, "The server had an error while processing your request (scripted).", "server_error", null),
        _ => ErrorJson(status, "Scripted error " + status.ToString(CultureInfo.InvariantCulture) + ".", "invalid_request_error", null),
    };

    public static string ErrorJson(int status, string message, string type, string? code, string? param = null)
    {
        _ = status;
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("error");
            json.WriteString("message", message);
            json.WriteString("type", type);
            if (param is null)
            {
                json.WriteNull("param");
            }
            else
            {
                json.WriteString("param", param);
            }

            if (code is null)
            {
                json.WriteNull("code");
            }
            else
            {
                json.WriteString("code", code);
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void AppendChunk(StringBuilder text, ChatCompletionCall call, ScriptedReply reply, long created, Action<Utf8JsonWriter>? writeChoice)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            WriteHeader(json, call, reply, created, "chat.completion.chunk");
            json.WriteStartArray("choices");
            writeChoice?.Invoke(json);
            json.WriteEndArray();
            if (writeChoice is null)
            {
                WriteUsage(json, call, reply);
            }
            else if (IncludeUsage(call))
            {
                json.WriteNull("usage");
            }

            json.WriteString("system_fingerprint", "fp_testserver");
            json.WriteEndObject();
        }

        text.Append("data: ").Append(Encoding.UTF8.GetString(buffer.WrittenSpan)).Append("\n\n");
    }

    private static void WriteDeltaChoice(Utf8JsonWriter json, int index, bool role, string? content, string? finishReason)
    {
        json.WriteStartObject();
        json.WriteNumber("index", index);
        json.WriteStartObject("delta");
        if (role)
        {
            json.WriteString("role", "assistant");
        }

        if (content is not null)
        {
            json.WriteString("content", content);
        }

        json.WriteEndObject();
        json.WriteNull("logprobs");
        if (finishReason is null)
        {
            json.WriteNull("finish_reason");
        }
        else
        {
            json.WriteString("finish_reason", finishReason);
        }

        json.WriteEndObject();
    }

    private static void WriteHeader(Utf8JsonWriter json, ChatCompletionCall call, ScriptedReply reply, long created, string objectType)
    {
        json.WriteString("id", "chatcmpl-test-" + call.Sequence.ToString(CultureInfo.InvariantCulture));
        json.WriteString("object", objectType);
        json.WriteNumber("created", created);
        json.WriteString("model", reply.Model ?? call.Model ?? OpenAICompatibleTestServer.DefaultModel);
    }

    /// <summary>The <c>prompt_tokens</c> a reply reports.</summary>
    public static int PromptTokens(ChatCompletionCall call, ScriptedReply reply) =>
        reply.PromptTokens ?? EstimateTokens(call.Messages.Sum(m => m.Content.Length));

    private static void WriteUsage(Utf8JsonWriter json, ChatCompletionCall call, ScriptedReply reply)
    {
        var prompt = PromptTokens(call, reply);
        var reasoning = ReasoningTokens(reply);
        var completion = reply.CompletionTokens
            ?? (reply.Kind == ScriptedReplyKind.EmptyChoices ? 0 : reply.Choices.Sum(c => EstimateTokens(c.Text.Length)) + reasoning);
        json.WriteStartObject("usage");
        json.WriteNumber("prompt_tokens", prompt);
        json.WriteNumber("completion_tokens", completion);
        json.WriteNumber("total_tokens", prompt + completion);
        if (reasoning > 0)
        {
            // Billed as output: completion_tokens includes them (https://platform.openai.com/docs/guides/reasoning).
            json.WriteStartObject("completion_tokens_details");
            json.WriteNumber("reasoning_tokens", reasoning);
            json.WriteEndObject();
        }

        if (call.CachedTokens is { } cached)
        {
            json.WriteStartObject("prompt_tokens_details");
            json.WriteNumber("cached_tokens", Math.Min(cached, prompt));
            json.WriteEndObject();
        }

        json.WriteEndObject();
    }

    /// <summary>The reasoning tokens of a reply: as scripted, else roughly chars/4 of its choices' reasoning.</summary>
    internal static int ReasoningTokens(ScriptedReply reply) =>
        reply.ReasoningTokens ?? (reply.Kind == ScriptedReplyKind.EmptyChoices ? 0 : reply.Choices.Sum(c => EstimateTokens(c.Reasoning?.Length ?? 0)));

    /// <summary>Roughly chars/4, at least 1 for non-empty text.</summary>
    internal static int EstimateTokens(int chars) => chars <= 0 ? 0 : Math.Max(1, (chars + 3) / 4);

    private static bool IncludeUsage(ChatCompletionCall call) =>
        call.Body is { } body
        && body.TryGetProperty("stream_options", out var options)
        && options.ValueKind == JsonValueKind.Object
        && options.TryGetProperty("include_usage", out var include)
        && include.ValueKind == JsonValueKind.True;
}
