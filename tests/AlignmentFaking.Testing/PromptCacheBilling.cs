using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using AlignmentFaking.Datasets;

namespace AlignmentFaking.Testing;

/// <summary>The input tokens of one Anthropic Messages request as the API bills them (they add up to the prompt).</summary>
/// <param name="InputTokens">Tokens processed without the cache (<c>input_tokens</c>).</param>
/// <param name="CacheReadTokens">Tokens read from the cache (<c>cache_read_input_tokens</c>).</param>
/// <param name="CacheCreationTokens">Tokens written to the cache (<c>cache_creation_input_tokens</c>).</param>
internal readonly record struct AnthropicInputBill(int InputTokens, int CacheReadTokens, int CacheCreationTokens);

/// <summary>
/// The prompt caches of the test server, billed as each provider documents, with tokens counted as chars/4 (as the
/// server's usage counts them). Thread-safe.
/// </summary>
internal sealed class PromptCacheBilling
{
    /// <summary>OpenAI: the shortest prompt that is cached, and the step of the cached prefix (https://platform.openai.com/docs/guides/prompt-caching).</summary>
    private const int OpenAIMinimumTokens = 1024, OpenAIIncrement = 128;

    /// <summary>Anthropic: the most <c>cache_control</c> breakpoints of one request (https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching).</summary>
    private const int AnthropicMaxBreakpoints = 4;

    private readonly ConcurrentDictionary<string, byte> _openAIPrefixes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _anthropicPrefixes = new(StringComparer.Ordinal);

    /// <summary>
    /// OpenAI's automatic prompt caching: a prompt of at least 1,024 tokens is billed as cached the longest prefix
    /// (1,024 tokens, then in 128-token steps) that an earlier request to the same model sent; every such prefix of this
    /// prompt is cached for the next requests.
    /// </summary>
    public int OpenAICachedTokens(ChatCompletionCall call, int promptTokens)
    {
        var text = new StringBuilder();
        foreach (var message in call.Messages)
        {
            text.Append(message.Role).Append('\u0000').Append(message.Content).Append('\u0001');
        }

        int tokens = Math.Min(promptTokens, ResponseWriter.EstimateTokens(text.Length));
        if (tokens < OpenAIMinimumTokens)
        {
            return 0;
        }

        int cached = 0;
        var model = call.Model ?? string.Empty;
        for (int prefix = OpenAIMinimumTokens; prefix <= tokens; prefix += OpenAIIncrement)
        {
            var key = model + "\n" + ContentHash.Sha256(text.ToString(0, Math.Min(text.Length, prefix * 4)));
            if (!_openAIPrefixes.TryAdd(key, 0))
            {
                cached = prefix;
            }
        }

        return cached;
    }

    /// <summary>
    /// Checks the <c>cache_control</c> of a Messages request as strictly as the API: an object with <c>type</c>
    /// <c>ephemeral</c> and an optional <c>ttl</c> of <c>5m</c> or <c>1h</c>, nothing else; only on a content block of
    /// <c>system</c>, of a message or a tool (not on thinking blocks, not on an empty text block), or at the top level
    /// (automatic caching); at most 4 breakpoints. Null when the request is acceptable.
    /// </summary>
    public static string? ValidateAnthropic(JsonElement parameters)
    {
        int breakpoints = 0;
        if (parameters.TryGetProperty("cache_control", out var top))
        {
            if (CacheControlProblem(top) is { } problem)
            {
                return "cache_control." + problem;
            }

            breakpoints++;
        }

        foreach (var (path, block) in Blocks(parameters))
        {
            if (!block.TryGetProperty("cache_control", out var control) || control.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            if (CacheControlProblem(control) is { } problem)
            {
                return path + ".cache_control." + problem;
            }

            var type = block.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            if (type is "thinking" or "redacted_thinking")
            {
                return path + ".cache_control: Extra inputs are not permitted";
            }

            if (type == "text" && (!block.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String || text.GetString()!.Length == 0))
            {
                return path + ": cache_control cannot be set for empty text blocks";
            }

            breakpoints++;
        }

        return breakpoints > AnthropicMaxBreakpoints
            ? string.Create(CultureInfo.InvariantCulture, $"A maximum of {AnthropicMaxBreakpoints} blocks with cache_control may be provided. Found {breakpoints}.")
            : null;
    }

    /// <summary>
    /// Bills the input of a (valid) Messages request as Anthropic's prompt caching does: the prompt is read in the order
    /// tools, system, messages; at each <c>cache_control</c> breakpoint whose prefix reaches
    /// <paramref name="minimumTokens"/>, the longest prefix cached by an earlier request (same model) is read from the
    /// cache, the rest up to the last such breakpoint is written to it, and what follows is processed normally.
    /// </summary>
    public AnthropicInputBill BillAnthropic(JsonElement parameters, int minimumTokens)
    {
        var model = parameters.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : string.Empty;
        var text = new StringBuilder();
        var breakpoints = new List<int>();
        foreach (var (path, block) in Blocks(parameters))
        {
            text.Append(path).Append('\u0000').Append(BlockText(block)).Append('\u0001');
            if (block.TryGetProperty("cache_control", out var control) && control.ValueKind == JsonValueKind.Object)
            {
                breakpoints.Add(text.Length);
            }
        }

        if (parameters.TryGetProperty("cache_control", out var top) && top.ValueKind == JsonValueKind.Object && text.Length > 0)
        {
            breakpoints.Add(text.Length); // automatic caching: a breakpoint after the last block
        }

        int total = Tokens(parameters);
        int read = 0, written = 0;
        foreach (var end in breakpoints.Distinct().Order())
        {
            int tokens = Math.Min(total, ResponseWriter.EstimateTokens(end));
            if (tokens < minimumTokens)
            {
                continue;
            }

            var key = model + "\n" + ContentHash.Sha256(text.ToString(0, end));
            if (_anthropicPrefixes.ContainsKey(key))
            {
                read = tokens;
                written = 0;
            }
            else
            {
                written = tokens - read;
                _anthropicPrefixes.TryAdd(key, 0);
            }
        }

        return new AnthropicInputBill(total - read - written, read, written);
    }

    /// <summary>The prompt tokens of a Messages request (chars/4 of every text of system and messages).</summary>
    public static int Tokens(JsonElement parameters) =>
        ResponseWriter.EstimateTokens(Blocks(parameters).Sum(b => BlockText(b.Block).Length));

    /// <summary>The content blocks of a request in cache order (tools, system, messages), with their paths; a string content is one text block.</summary>
    private static IEnumerable<(string Path, JsonElement Block)> Blocks(JsonElement parameters)
    {
        if (parameters.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Array)
        {
            int i = 0;
            foreach (var tool in tools.EnumerateArray())
            {
                yield return (string.Create(CultureInfo.InvariantCulture, $"tools.{i++}"), tool);
            }
        }

        if (parameters.TryGetProperty("system", out var system))
        {
            foreach (var block in Content("system", system))
            {
                yield return block;
            }
        }

        if (parameters.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
        {
            int i = 0;
            foreach (var message in messages.EnumerateArray())
            {
                var path = string.Create(CultureInfo.InvariantCulture, $"messages.{i++}.content");
                if (message.ValueKind == JsonValueKind.Object && message.TryGetProperty("content", out var content))
                {
                    foreach (var block in Content(path, content))
                    {
                        yield return block;
                    }
                }
            }
        }
    }

    private static IEnumerable<(string Path, JsonElement Block)> Content(string path, JsonElement content)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            using var document = JsonDocument.Parse(JsonSerializer.Serialize(new { type = "text", text = content.GetString() }));
            yield return (path, document.RootElement.Clone());
        }
        else if (content.ValueKind == JsonValueKind.Array)
        {
            int i = 0;
            foreach (var block in content.EnumerateArray())
            {
                yield return (string.Create(CultureInfo.InvariantCulture, $"{path}.{i++}"), block);
            }
        }
    }

    private static string BlockText(JsonElement block) =>
        block.ValueKind != JsonValueKind.Object ? string.Empty
        : block.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String ? text.GetString()!
        : block.TryGetProperty("thinking", out var thinking) && thinking.ValueKind == JsonValueKind.String ? thinking.GetString()!
        : string.Empty;

    private static string? CacheControlProblem(JsonElement control)
    {
        if (control.ValueKind != JsonValueKind.Object)
        {
            return "Input should be a valid dictionary or object";
        }

        foreach (var property in control.EnumerateObject())
        {
            if (property.Name is not ("type" or "ttl"))
            {
                return property.Name + ": Extra inputs are not permitted";
            }
        }

        if (!control.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
        {
            return "type: Field required";
        }

        if (type.GetString() != "ephemeral")
        {
            return "type: Input should be 'ephemeral'";
        }

        return control.TryGetProperty("ttl", out var ttl) && ttl.ValueKind != JsonValueKind.Null
            && !(ttl.ValueKind == JsonValueKind.String && ttl.GetString() is "5m" or "1h")
            ? "ttl: Input should be '5m' or '1h'"
            : null;
    }
}
