using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace AlignmentFaking.Testing;

/// <summary>
/// Writes a Responses API response object (https://platform.openai.com/docs/api-reference/responses/object) from a
/// scripted reply's first choice: a <c>reasoning</c> item when the choice has reasoning (its summary as one
/// <c>summary_text</c> part when the request asked for summaries and the reasoning is not hidden; an empty summary
/// otherwise; <c>encrypted_content</c> when the request included it), then the assistant <c>message</c> with one
/// <c>output_text</c> part. A <c>length</c> finish is an <c>incomplete</c> response (<c>max_output_tokens</c>),
/// <c>content_filter</c> likewise (<c>content_filter</c>). The usage bills the reasoning as output
/// (<c>output_tokens_details.reasoning_tokens</c>) and no cached input (<c>input_tokens_details.cached_tokens</c> 0).
/// </summary>
internal static class ResponsesWriter
{
    public static string ResponseJson(ChatCompletionCall call, ScriptedReply reply, long created)
    {
        var choice = reply.Kind == ScriptedReplyKind.EmptyChoices || reply.Choices.Count == 0 ? null : reply.Choices[0];
        var id = call.Sequence.ToString(CultureInfo.InvariantCulture);
        string? incomplete = choice?.FinishReason switch
        {
            "length" => "max_output_tokens",
            "content_filter" => "content_filter",
            _ => null,
        };
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("id", "resp_test_" + id);
            json.WriteString("object", "response");
            json.WriteNumber("created_at", created);
            json.WriteString("status", incomplete is null ? "completed" : "incomplete");
            json.WriteNull("error");
            if (incomplete is null)
            {
                json.WriteNull("incomplete_details");
            }
            else
            {
                json.WriteStartObject("incomplete_details");
                json.WriteString("reason", incomplete);
                json.WriteEndObject();
            }

            json.WriteNull("instructions");
            if (call.MaxTokens is { } max)
            {
                json.WriteNumber("max_output_tokens", max);
            }
            else
            {
                json.WriteNull("max_output_tokens");
            }

            json.WriteString("model", reply.Model ?? call.Model ?? OpenAICompatibleTestServer.DefaultModel);
            json.WriteStartArray("output");
            if (choice is not null)
            {
                if (choice.Reasoning is not null)
                {
                    json.WriteStartObject();
                    json.WriteString("type", "reasoning");
                    json.WriteString("id", "rs_test_" + id);
                    json.WriteStartArray("summary");
                    if (!choice.ReasoningHidden && ResponsesRequestParser.AsksForSummary(call.Body))
                    {
                        json.WriteStartObject();
                        json.WriteString("type", "summary_text");
                        json.WriteString("text", choice.Reasoning);
                        json.WriteEndObject();
                    }

                    json.WriteEndArray();
                    if (ResponsesRequestParser.AsksForEncrypted(call.Body))
                    {
                        json.WriteString("encrypted_content", Convert.ToBase64String(Encoding.UTF8.GetBytes("encrypted:" + choice.Reasoning.Length.ToString(CultureInfo.InvariantCulture))));
                    }

                    json.WriteEndObject();
                }

                json.WriteStartObject();
                json.WriteString("type", "message");
                json.WriteString("id", "msg_test_" + id);
                json.WriteString("status", incomplete is null ? "completed" : "incomplete");
                json.WriteString("role", "assistant");
                json.WriteStartArray("content");
                json.WriteStartObject();
                json.WriteString("type", "output_text");
                json.WriteString("text", choice.Text);
                json.WriteStartArray("annotations");
                json.WriteEndArray();
                json.WriteEndObject();
                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteBoolean("parallel_tool_calls", true);
            json.WriteNull("previous_response_id");
            json.WriteStartObject("reasoning");
            json.WriteNull("effort");
            json.WriteNull("summary");
            json.WriteEndObject();
            json.WriteBoolean("store", !(call.Body is { } body && body.TryGetProperty("store", out var store) && store.ValueKind == JsonValueKind.False));
            if (call.Temperature is { } temperature)
            {
                json.WriteNumber("temperature", temperature);
            }
            else
            {
                json.WriteNumber("temperature", 1.0);
            }

            json.WriteStartObject("text");
            json.WriteStartObject("format");
            json.WriteString("type", "text");
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteString("tool_choice", "auto");
            json.WriteStartArray("tools");
            json.WriteEndArray();
            json.WriteNumber("top_p", call.TopP ?? 1.0);
            json.WriteString("truncation", "disabled");
            WriteUsage(json, call, reply, choice);
            json.WriteNull("user");
            json.WriteStartObject("metadata");
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteUsage(Utf8JsonWriter json, ChatCompletionCall call, ScriptedReply reply, ScriptedChoice? choice)
    {
        int input = reply.PromptTokens ?? ResponseWriter.EstimateTokens(call.Messages.Sum(m => m.Content.Length));
        int reasoning = choice is null ? 0 : reply.ReasoningTokens ?? ResponseWriter.EstimateTokens(choice.Reasoning?.Length ?? 0);
        int output = reply.CompletionTokens ?? (choice is null ? 0 : ResponseWriter.EstimateTokens(choice.Text.Length) + reasoning);
        json.WriteStartObject("usage");
        json.WriteNumber("input_tokens", input);
        json.WriteStartObject("input_tokens_details");
        json.WriteNumber("cached_tokens", 0);
        json.WriteEndObject();
        json.WriteNumber("output_tokens", output);
        json.WriteStartObject("output_tokens_details");
        json.WriteNumber("reasoning_tokens", reasoning); // billed as output: output_tokens includes them
        json.WriteEndObject();
        json.WriteNumber("total_tokens", input + output);
        json.WriteEndObject();
    }
}
