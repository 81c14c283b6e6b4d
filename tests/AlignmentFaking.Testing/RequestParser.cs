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
