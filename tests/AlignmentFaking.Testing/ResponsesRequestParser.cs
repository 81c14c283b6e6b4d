using System.Globalization;
using System.Text;
using System.Text.Json;

namespace AlignmentFaking.Testing;

/// <summary>
/// Reads and checks a Responses API request body (<c>POST /v1/responses</c>,
/// https://platform.openai.com/docs/api-reference/responses/create) into a <see cref="ChatCompletionCall"/>: the input
/// messages become <see cref="ChatCompletionCall.Messages"/> (the <c>instructions</c> first, as a system message), so the
/// responders written for chat completions answer it unchanged.
/// </summary>
internal static class ResponsesRequestParser
{
    /// <summary>The roles of an input message.</summary>
    private static readonly string[] Roles = ["user", "assistant", "system", "developer"];

    private static readonly string[] Efforts = ["none", "minimal", "low", "medium", "high", "xhigh"];

    private static readonly string[] Summaries = ["auto", "concise", "detailed"];

    /// <summary>
    /// The body parameters this server supports, a subset of the API reference's; any other (documented or not) is
    /// refused with a 400 naming it, so a client sending more than a test expects is caught. Not supported: tools,
    /// conversations, background mode, prompts (templates).
    /// </summary>
    private static readonly HashSet<string> Supported = new(StringComparer.Ordinal)
    {
        "model", "input", "instructions", "max_output_tokens", "temperature", "top_p", "reasoning", "store", "stream",
        "include", "metadata", "user", "safety_identifier", "prompt_cache_key", "service_tier", "text", "truncation",
        "previous_response_id", "parallel_tool_calls",
    };

    public static void Fill(ChatCompletionCall call, byte[] body)
    {
        call.Api = ChatCompletionCall.ResponsesApi;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            call.ParseError = e.Message;
            return;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                call.ParseError = "The body is not a JSON object.";
                return;
            }

            call.Body = root.Clone();
            call.Model = String(root, "model");
            call.Temperature = root.TryGetProperty("temperature", out var t) && t.ValueKind == JsonValueKind.Number ? t.GetDouble() : null;
            call.TopP = root.TryGetProperty("top_p", out var p) && p.ValueKind == JsonValueKind.Number ? p.GetDouble() : null;
            if (root.TryGetProperty("max_output_tokens", out var max) && max.ValueKind == JsonValueKind.Number && max.TryGetInt32(out int m))
            {
                call.MaxTokens = m;
                call.MaxTokensField = "max_output_tokens";
            }

            call.Stream = root.TryGetProperty("stream", out var stream) && stream.ValueKind == JsonValueKind.True;
            var messages = new List<RecordedChatMessage>();
            if (String(root, "instructions") is { Length: > 0 } instructions)
            {
                messages.Add(new RecordedChatMessage("system", instructions));
            }

            if (root.TryGetProperty("input", out var input))
            {
                if (input.ValueKind == JsonValueKind.String)
                {
                    messages.Add(new RecordedChatMessage("user", input.GetString() ?? string.Empty));
                }
                else if (input.ValueKind == JsonValueKind.Array)
                {
                    foreach (var item in input.EnumerateArray())
                    {
                        if (item.ValueKind == JsonValueKind.Object && String(item, "role") is { } role)
                        {
                            messages.Add(new RecordedChatMessage(role, Text(item)));
                        }
                    }
                }
            }

            call.Messages = messages;
        }
    }

    /// <summary>
    /// What the real API refuses with a 400 (in its wording), and what this server does not support: <c>model</c>
    /// (a string) and <c>input</c> required; every input item a message (<c>type</c> <c>message</c> or absent) of role
    /// user, assistant, system or developer with a <c>content</c> string or a list of <c>input_text</c> parts
    /// (<c>output_text</c> or <c>refusal</c> parts in assistant messages); a <c>reasoning</c> item, or any other item,
    /// is refused (an experiment never sends reasoning back; with <c>store: false</c> the real API cannot resolve one
    /// without its encrypted content either); <c>previous_response_id</c> is refused (this server stores nothing);
    /// <c>reasoning</c> has only <c>effort</c> and <c>summary</c> and is refused for models that do not reason, whose
    /// temperature is 0..2 (reasoning models refuse any); <c>top_p</c> 0..1; <c>max_output_tokens</c> at least 16;
    /// <c>stream: true</c> is not supported.
    /// </summary>
    public static RequestRejection? Validate(JsonElement root)
    {
        if (!root.TryGetProperty("model", out var model) || model.ValueKind == JsonValueKind.Null)
        {
            return Missing("model");
        }

        foreach (var property in root.EnumerateObject())
        {
            if (!Supported.Contains(property.Name))
            {
                return new RequestRejection($"Unknown parameter: '{property.Name}'.", property.Name, "unknown_parameter");
            }
        }

        if (model.ValueKind != JsonValueKind.String)
        {
            return InvalidType("model", "a string", model);
        }

        bool reasoningModel = RequestParser.IsOpenAIReasoningModel(model.GetString());
        if (!root.TryGetProperty("input", out var input) || input.ValueKind == JsonValueKind.Null)
        {
            return Missing("input");
        }

        if (input.ValueKind is not (JsonValueKind.String or JsonValueKind.Array))
        {
            return InvalidType("input", "one of a string or array of objects", input);
        }

        if (input.ValueKind == JsonValueKind.Array)
        {
            if (input.GetArrayLength() == 0)
            {
                return new RequestRejection("Invalid 'input': empty array. Expected an array with minimum length 1, but got an empty array instead.", "input", "empty_array");
            }

            int index = 0;
            foreach (var item in input.EnumerateArray())
            {
                if (Item(item, string.Create(CultureInfo.InvariantCulture, $"input[{index}]")) is { } rejection)
                {
                    return rejection;
                }

                index++;
            }
        }

        if (root.TryGetProperty("previous_response_id", out var previous) && previous.ValueKind != JsonValueKind.Null)
        {
            return new RequestRejection($"Previous response with id '{(previous.ValueKind == JsonValueKind.String ? previous.GetString() : previous.GetRawText())}' not found.", "previous_response_id", "previous_response_not_found");
        }

        if (root.TryGetProperty("stream", out var stream) && stream.ValueKind is not (JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null))
        {
            return InvalidType("stream", "a boolean", stream);
        }

        if (stream.ValueKind == JsonValueKind.True)
        {
            return new RequestRejection("This test server does not stream the Responses API: send 'stream': false.", "stream", "unsupported_value");
        }

        if (root.TryGetProperty("store", out var store) && store.ValueKind is not (JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null))
        {
            return InvalidType("store", "a boolean", store);
        }

        if (root.TryGetProperty("reasoning", out var reasoning) && reasoning.ValueKind != JsonValueKind.Null)
        {
            if (Reasoning(reasoning, reasoningModel) is { } rejection)
            {
                return rejection;
            }
        }

        if (reasoningModel && root.TryGetProperty("temperature", out var temperature) && temperature.ValueKind != JsonValueKind.Null)
        {
            return new RequestRejection("Unsupported parameter: 'temperature' is not supported with this model.", "temperature", "unsupported_parameter");
        }

        return Number(root, "temperature", 0, 2, integer: false)
            ?? Number(root, "top_p", 0, 1, integer: false)
            ?? Number(root, "max_output_tokens", 16, null, integer: true);
    }

    private static RequestRejection? Item(JsonElement item, string path)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            return InvalidType(path, "an object", item);
        }

        var type = String(item, "type") ?? "message";
        if (type == "reasoning")
        {
            return new RequestRejection($"Invalid '{path}': a reasoning item of an earlier response was sent back; this server refuses it (an experiment never sends reasoning back).", path, "invalid_request_error");
        }

        if (type != "message")
        {
            return new RequestRejection($"Invalid '{path}.type': this test server supports only input messages (got '{type}').", path + ".type", "invalid_value");
        }

        if (!item.TryGetProperty("role", out var role) || role.ValueKind == JsonValueKind.Null)
        {
            return Missing(path + ".role");
        }

        var roleName = role.ValueKind == JsonValueKind.String ? role.GetString() : null;
        if (roleName is null || !Roles.Contains(roleName, StringComparer.Ordinal))
        {
            return new RequestRejection($"Invalid value: '{roleName ?? role.GetRawText()}'. Supported values are: 'user', 'assistant', 'system', and 'developer'.", path + ".role", "invalid_value");
        }

        if (!item.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null)
        {
            return Missing(path + ".content");
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            return null;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            return InvalidType(path + ".content", "one of a string or array of objects", content);
        }

        int index = 0;
        foreach (var part in content.EnumerateArray())
        {
            var partPath = string.Create(CultureInfo.InvariantCulture, $"{path}.content[{index}]");
            var partType = part.ValueKind == JsonValueKind.Object ? String(part, "type") : null;
            string[] allowed = roleName == "assistant" ? ["output_text", "refusal"] : ["input_text"];
            if (partType is null || !allowed.Contains(partType, StringComparer.Ordinal))
            {
                return new RequestRejection($"Invalid value: '{partType}'. Supported values are: {string.Join(", ", allowed.Select(a => "'" + a + "'"))} (for role '{roleName}').", partPath + ".type", "invalid_value");
            }

            if (partType != "refusal" && (!part.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String))
            {
                return Missing(partPath + ".text");
            }

            index++;
        }

        return null;
    }

    private static RequestRejection? Reasoning(JsonElement reasoning, bool reasoningModel)
    {
        if (reasoning.ValueKind != JsonValueKind.Object)
        {
            return InvalidType("reasoning", "an object", reasoning);
        }

        foreach (var property in reasoning.EnumerateObject())
        {
            var param = "reasoning." + property.Name;
            if (property.Name is not ("effort" or "summary"))
            {
                return new RequestRejection($"Unknown parameter: '{param}'.", param, "unknown_parameter");
            }

            if (property.Value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            if (!reasoningModel)
            {
                // As OpenAI answers for gpt-4o, gpt-4.1 and other models that do not reason.
                return new RequestRejection($"Unsupported parameter: '{param}' is not supported with this model.", param, "unsupported_parameter");
            }

            var values = property.Name == "effort" ? Efforts : Summaries;
            var value = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : null;
            if (value is null || !values.Contains(value, StringComparer.Ordinal))
            {
                return new RequestRejection($"Invalid value: '{value ?? property.Value.GetRawText()}'. Supported values are: {string.Join(", ", values.Select(v => "'" + v + "'"))}.", param, "invalid_value");
            }
        }

        return null;
    }

    /// <summary>Whether the request asks for reasoning summaries (<c>reasoning.summary</c>).</summary>
    public static bool AsksForSummary(JsonElement? body) =>
        body is { } root && root.TryGetProperty("reasoning", out var reasoning) && reasoning.ValueKind == JsonValueKind.Object
        && reasoning.TryGetProperty("summary", out var summary) && summary.ValueKind == JsonValueKind.String;

    /// <summary>Whether the request asks for the encrypted reasoning (<c>include: ["reasoning.encrypted_content"]</c>).</summary>
    public static bool AsksForEncrypted(JsonElement? body) =>
        body is { } root && root.TryGetProperty("include", out var include) && include.ValueKind == JsonValueKind.Array
        && include.EnumerateArray().Any(i => i.ValueKind == JsonValueKind.String && i.GetString() == "reasoning.encrypted_content");

    private static string Text(JsonElement item)
    {
        if (!item.TryGetProperty("content", out var content))
        {
            return string.Empty;
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString() ?? string.Empty;
        }

        var text = new StringBuilder();
        if (content.ValueKind == JsonValueKind.Array)
        {
            foreach (var part in content.EnumerateArray())
            {
                if (part.ValueKind == JsonValueKind.Object && String(part, "text") is { } t)
                {
                    text.Append(t);
                }
            }
        }

        return text.ToString();
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static RequestRejection Missing(string param) => new($"Missing required parameter: '{param}'.", param, "missing_required_parameter");

    private static RequestRejection InvalidType(string param, string expected, JsonElement actual) =>
        new($"Invalid type for '{param}': expected {expected}, but got {Describe(actual)} instead.", param, "invalid_type");

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    private static RequestRejection? Number(JsonElement root, string name, double? min, double? max, bool integer)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var kind = integer ? "integer" : "decimal";
        if (value.ValueKind != JsonValueKind.Number || (integer && !value.TryGetInt64(out _)))
        {
            return InvalidType(name, integer ? "an integer" : "a decimal", value);
        }

        var number = value.GetDouble();
        var shown = value.GetRawText();
        if (min is { } low && number < low)
        {
            return new RequestRejection(string.Create(CultureInfo.InvariantCulture, $"Invalid '{name}': {kind} below minimum value. Expected a value >= {low}, but got {shown} instead."), name, kind + "_below_min_value");
        }

        if (max is { } high && number > high)
        {
            return new RequestRejection(string.Create(CultureInfo.InvariantCulture, $"Invalid '{name}': {kind} above maximum value. Expected a value <= {high}, but got {shown} instead."), name, kind + "_above_max_value");
        }

        return null;
    }
}
