using System.Globalization;
using System.Text;
using System.Text.Json;

namespace AlignmentFaking.Testing;

/// <summary>Reads a chat completion request body into a <see cref="ChatCompletionCall"/>.</summary>
internal static class RequestParser
{
    public static void Fill(ChatCompletionCall call, byte[] body)
    {
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
            call.Temperature = Double(root, "temperature");
            call.TopP = Double(root, "top_p");
            if (Int(root, "max_completion_tokens") is { } maxCompletion)
            {
                call.MaxTokens = maxCompletion;
                call.MaxTokensField = "max_completion_tokens";
            }
            else if (Int(root, "max_tokens") is { } max)
            {
                call.MaxTokens = max;
                call.MaxTokensField = "max_tokens";
            }

            call.Seed = root.TryGetProperty("seed", out var seed) && seed.ValueKind == JsonValueKind.Number && seed.TryGetInt64(out var s) ? s : null;
            call.N = Int(root, "n");
            call.Stream = root.TryGetProperty("stream", out var stream) && stream.ValueKind == JsonValueKind.True;
            call.Stop = Strings(root, "stop");
            call.Messages = Messages(root);
        }
    }

    /// <summary>The roles the Chat Completions API accepts in <c>messages[].role</c>.</summary>
    private static readonly string[] Roles = ["system", "developer", "user", "assistant", "tool", "function"];

    private static readonly string[] ReasoningEfforts = ["none", "minimal", "low", "medium", "high", "xhigh"];

    /// <summary>Whether a model id names one of OpenAI's reasoning models (o1, o3, o4-mini, gpt-5 and their variants).</summary>
    internal static bool IsOpenAIReasoningModel(string? model)
    {
        var id = model ?? string.Empty;
        int slash = id.LastIndexOf('/');
        id = slash < 0 ? id : id[(slash + 1)..];
        return id.StartsWith("o1", StringComparison.Ordinal) || id.StartsWith("o3", StringComparison.Ordinal)
            || id.StartsWith("o4", StringComparison.Ordinal) || id.StartsWith("gpt-5", StringComparison.Ordinal);
    }

    /// <summary>The request body parameters of the Chat Completions API reference; any other is refused with a 400.</summary>
    private static readonly HashSet<string> KnownParameters = new(StringComparer.Ordinal)
    {
        "model", "messages", "audio", "frequency_penalty", "function_call", "functions", "logit_bias", "logprobs",
        "max_completion_tokens", "max_tokens", "metadata", "modalities", "n", "parallel_tool_calls", "prediction",
        "presence_penalty", "prompt_cache_key", "reasoning_effort", "response_format", "safety_identifier", "seed",
        "service_tier", "stop", "store", "stream", "stream_options", "temperature", "tool_choice", "tools", "top_logprobs",
        "top_p", "user", "verbosity", "web_search_options",
    };

    /// <summary>
    /// What the real Chat Completions API refuses with a 400 before running a request (see
    /// https://platform.openai.com/docs/api-reference/chat/create): <c>model</c> and <c>messages</c> are required,
    /// <c>messages</c> has at least one item, each with a known <c>role</c> and (but for assistant turns) a
    /// <c>content</c>; <c>temperature</c> is 0..2, <c>top_p</c> 0..1, <c>presence_penalty</c> and
    /// <c>frequency_penalty</c> -2..2, <c>n</c> 1..128, <c>max_tokens</c> and <c>max_completion_tokens</c> at least 1,
    /// <c>seed</c> an integer and <c>stream</c> a boolean. The messages follow the API's own wording; null when the
    /// request is acceptable.
    /// </summary>
    public static RequestRejection? Validate(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return new RequestRejection("The body is not a JSON object.", null, null);
        }

        if (!root.TryGetProperty("model", out var model) || model.ValueKind == JsonValueKind.Null)
        {
            return new RequestRejection("you must provide a model parameter", null, null);
        }

        // As the real API: a body parameter it does not know is refused, not ignored
        // (https://platform.openai.com/docs/api-reference/chat/create lists the parameters).
        foreach (var property in root.EnumerateObject())
        {
            if (!KnownParameters.Contains(property.Name))
            {
                return new RequestRejection($"Unrecognized request argument supplied: {property.Name}", null, null);
            }
        }

        if (model.ValueKind != JsonValueKind.String)
        {
            return InvalidType("model", "a string", model);
        }

        if (!root.TryGetProperty("messages", out var messages) || messages.ValueKind == JsonValueKind.Null)
        {
            return Missing("messages");
        }

        if (messages.ValueKind != JsonValueKind.Array)
        {
            return InvalidType("messages", "an array", messages);
        }

        if (messages.GetArrayLength() == 0)
        {
            return new RequestRejection("Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", "messages", "empty_array");
        }

        int index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            var path = string.Create(CultureInfo.InvariantCulture, $"messages[{index}]");
            if (message.ValueKind != JsonValueKind.Object)
            {
                return InvalidType(path, "an object", message);
            }

            if (!message.TryGetProperty("role", out var role) || role.ValueKind == JsonValueKind.Null)
            {
                return Missing(path + ".role");
            }

            if (role.ValueKind != JsonValueKind.String || !Roles.Contains(role.GetString(), StringComparer.Ordinal))
            {
                return new RequestRejection($"Invalid value: '{(role.ValueKind == JsonValueKind.String ? role.GetString() : role.GetRawText())}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.", path + ".role", "invalid_value");
            }

            bool hasContent = message.TryGetProperty("content", out var content) && content.ValueKind != JsonValueKind.Null;
            if (!hasContent && role.GetString() != "assistant")
            {
                return Missing(path + ".content");
            }

            if (hasContent && content.ValueKind is not (JsonValueKind.String or JsonValueKind.Array))
            {
                return InvalidType(path + ".content", "one of a string or array of objects", content);
            }

            // DeepSeek: "if the reasoning_content field is included in the sequence of input messages, the API will
            // return a 400 error" (https://api-docs.deepseek.com/guides/reasoning_model); native reasoning is never sent back.
            foreach (var field in (ReadOnlySpan<string>)["reasoning_content", "reasoning"])
            {
                if (message.TryGetProperty(field, out _))
                {
                    return new RequestRejection($"Invalid '{path}.{field}': the reasoning of an earlier turn must not be sent back in input messages.", path + "." + field, "invalid_request_error");
                }
            }

            index++;
        }

        // OpenAI's reasoning models (o1, o3, o4-mini, gpt-5) take a reasoning effort and refuse any temperature but the
        // default 1 (https://platform.openai.com/docs/guides/reasoning).
        if (root.TryGetProperty("reasoning_effort", out var effort) && effort.ValueKind != JsonValueKind.Null
            && (effort.ValueKind != JsonValueKind.String || !ReasoningEfforts.Contains(effort.GetString(), StringComparer.Ordinal)))
        {
            return new RequestRejection($"Invalid value: '{(effort.ValueKind == JsonValueKind.String ? effort.GetString() : effort.GetRawText())}'. Supported values are: 'none', 'minimal', 'low', 'medium', 'high' and 'xhigh'.", "reasoning_effort", "invalid_value");
        }

        if (IsOpenAIReasoningModel(model.GetString()) && root.TryGetProperty("temperature", out var temperature)
            && temperature.ValueKind == JsonValueKind.Number && temperature.GetDouble() != 1.0)
        {
            return new RequestRejection(string.Create(CultureInfo.InvariantCulture, $"Unsupported value: 'temperature' does not support {temperature.GetDouble()} with this model. Only the default (1) value is supported."), "temperature", "unsupported_value");
        }

        return Number(root, "temperature", 0, 2, integer: false)
            ?? Number(root, "top_p", 0, 1, integer: false)
            ?? Number(root, "presence_penalty", -2, 2, integer: false)
            ?? Number(root, "frequency_penalty", -2, 2, integer: false)
            ?? Number(root, "n", 1, 128, integer: true)
            ?? Number(root, "max_tokens", 1, null, integer: true)
            ?? Number(root, "max_completion_tokens", 1, null, integer: true)
            ?? Number(root, "seed", null, null, integer: true)
            ?? (root.TryGetProperty("stream", out var stream) && stream.ValueKind is not (JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null)
                ? InvalidType("stream", "a boolean", stream)
                : null);

        static RequestRejection Missing(string param) => new($"Missing required parameter: '{param}'.", param, "missing_required_parameter");

        static RequestRejection InvalidType(string param, string expected, JsonElement actual) =>
            new($"Invalid type for '{param}': expected {expected}, but got {Describe(actual)} instead.", param, "invalid_type");

        static string Describe(JsonElement value) => value.ValueKind switch
        {
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            JsonValueKind.Array => "an array",
            JsonValueKind.Object => "an object",
            JsonValueKind.True or JsonValueKind.False => "a boolean",
            _ => "null",
        };

        static RequestRejection? Number(JsonElement root, string name, double? min, double? max, bool integer)
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

    private static List<RecordedChatMessage> Messages(JsonElement root)
    {
        var messages = new List<RecordedChatMessage>();
        if (!root.TryGetProperty("messages", out var array) || array.ValueKind != JsonValueKind.Array)
        {
            return messages;
        }

        foreach (var message in array.EnumerateArray())
        {
            if (message.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            messages.Add(new RecordedChatMessage(String(message, "role") ?? string.Empty, Content(message)));
        }

        return messages;
    }

    private static string Content(JsonElement message)
    {
        if (!message.TryGetProperty("content", out var content))
        {
            return string.Empty;
        }

        switch (content.ValueKind)
        {
            case JsonValueKind.String:
                return content.GetString() ?? string.Empty;
            case JsonValueKind.Array:
                var text = new StringBuilder();
                foreach (var part in content.EnumerateArray())
                {
                    if (part.ValueKind == JsonValueKind.Object
                        && (String(part, "type") is null or "text")
                        && String(part, "text") is { } t)
                    {
                        text.Append(t);
                    }
                }

                return text.ToString();
            default:
                return string.Empty;
        }
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static double? Double(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;

    private static int? Int(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var i) ? i : null;

    private static string[] Strings(JsonElement element, string name)
    {
        if (!element.TryGetProperty(name, out var value))
        {
            return [];
        }

        return value.ValueKind switch
        {
            JsonValueKind.String => [value.GetString() ?? string.Empty],
            JsonValueKind.Array => value.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString() ?? string.Empty).ToArray(),
            _ => [],
        };
    }
}

/// <summary>Why the real API would refuse a request (an HTTP 400), in the OpenAI error shape's terms.</summary>
/// <param name="Message">The error message.</param>
/// <param name="Param">The offending parameter, if one.</param>
/// <param name="Code">The error code, if one.</param>
internal sealed record RequestRejection(string Message, string? Param, string? Code)
{
    /// <summary>The OpenAI-shaped 400 body.</summary>
    public string ToOpenAIJson() => ResponseWriter.ErrorJson(400, Message, "invalid_request_error", Code, Param);
}
