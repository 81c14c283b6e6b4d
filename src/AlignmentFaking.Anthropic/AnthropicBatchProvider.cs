using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using AlignmentFaking.Diagnostics;
using AlignmentFaking.Providers;
using AlignmentFaking.Running;
using AlignmentFaking.Running.Batch;
using Anthropic;
using Anthropic.Models.Messages.Batches;
using Microsoft.Extensions.AI;
using BatchJob = AlignmentFaking.Running.Batch.BatchJob;

namespace AlignmentFaking.Anthropic;

/// <summary>
/// Anthropic Message Batches through the official Anthropic .NET SDK. The API takes the requests inline (no file
/// upload), so <see cref="UploadAsync"/> stages them in a local JSONL file under the run directory and returns its name
/// as the "input file id": a restarted process can still create the batch from it. The system message goes to the
/// top-level <c>system</c> field, a trailing assistant message is Anthropic's native prefill, and <c>max_tokens</c>
/// (required) defaults to 4000, the original's value for Anthropic models. Custom ids are mapped to Anthropic's
/// alphabet (<see cref="AnthropicCustomIds"/>) in the staged file and mapped back in the results. Limits: 100,000
/// requests and 256 MB per batch (https://docs.anthropic.com/en/docs/build-with-claude/batch-processing#batch-limitations).
/// </summary>
public sealed class AnthropicBatchProvider : IBatchProvider
{
    /// <summary>Anthropic's limits per Message Batch.</summary>
    public static BatchLimits AnthropicLimits { get; } = new(100_000, 256L * 1024 * 1024);

    /// <summary>The <c>max_tokens</c> sent when none is set (the original's value for Anthropic models).</summary>
    public const int DefaultMaxTokens = 4000;

    /// <summary>
    /// How far a batch's <c>created_at</c> (the provider's clock) may lie before the recorded intent (this machine's
    /// clock) and still be taken for the batch created from it: clock skew.
    /// </summary>
    internal static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(10);

    /// <summary>The pages of recent batches (100 each) <see cref="FindCreatedAsync"/> searches at most.</summary>
    internal const int FindPages = 50;

    private const string LocalPrefix = "local:";
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly AnthropicClient _client;
    private readonly string _staging;

    /// <summary>Creates the provider.</summary>
    /// <param name="baseUrl">The API base URL (<c>https://api.anthropic.com</c>).</param>
    /// <param name="apiKey">The API key.</param>
    /// <param name="stagingDirectory">Where request files are staged (the run directory's <c>batch-inputs</c>).</param>
    /// <param name="limits">Limits per batch; <see cref="AnthropicLimits"/> when <see langword="null"/>.</param>
    public AnthropicBatchProvider(Uri baseUrl, string apiKey, string stagingDirectory, BatchLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        SecretRedaction.Register(apiKey);
        _client = new AnthropicClient { BaseUrl = baseUrl.AbsoluteUri.TrimEnd('/'), ApiKey = apiKey, Timeout = TimeSpan.FromMinutes(10) };
        _staging = stagingDirectory;
        Limits = limits ?? AnthropicLimits;
    }

    /// <summary>
    /// Whether each request marks its static part for Anthropic's prompt cache, as <see cref="AnthropicEndpointOptions.PromptCaching"/>
    /// does online (Message Batches honour <c>cache_control</c>; cache reads and writes are billed at the batch discount).
    /// Default: <see langword="true"/>.
    /// </summary>
    public bool PromptCaching { get; init; } = true;

    /// <inheritdoc />
    public string Name => "anthropic";

    /// <inheritdoc />
    public BatchLimits Limits { get; }

    /// <inheritdoc />
    public long MeasureRequest(BatchRequest request) => Encode(request, PromptCaching).Length + 1;

    /// <inheritdoc />
    public async Task<string> UploadAsync(IReadOnlyList<BatchRequest> requests, string fileName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requests);
        Directory.CreateDirectory(_staging);
        var name = Path.GetFileNameWithoutExtension(fileName) + "-" + Guid.NewGuid().ToString("N")[..8] + ".jsonl";
        using var content = new MemoryStream();
        foreach (var request in requests)
        {
            content.Write(Encode(request, PromptCaching));
            content.WriteByte((byte)'\n');
        }

        var path = Path.Combine(_staging, name);
        await File.WriteAllBytesAsync(path + ".tmp", content.ToArray(), cancellationToken).ConfigureAwait(false);
        File.Move(path + ".tmp", path, overwrite: true);
        return LocalPrefix + name;
    }

    /// <inheritdoc />
    public async Task<BatchJob> CreateAsync(string inputFileId, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        var requests = new List<Request>();
        foreach (var line in await ReadStagedAsync(inputFileId, cancellationToken).ConfigureAwait(false))
        {
            using var document = JsonDocument.Parse(line);
            requests.Add(Request.FromRawUnchecked(document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone())));
        }

        var batch = await _client.Messages.Batches.Create(new BatchCreateParams { Requests = requests }, cancellationToken).ConfigureAwait(false);
        return ToJob(batch);
    }

    /// <inheritdoc />
    public Task<BatchJob?> FindByInputFileAsync(string inputFileId, CancellationToken cancellationToken) =>
        Task.FromResult<BatchJob?>(null); // Message Batches carry no input file or metadata to match on: see FindCreatedAsync

    /// <summary>
    /// Message Batches carry no metadata, so the batch is recognised by what the API lists
    /// (https://docs.anthropic.com/en/api/listing-message-batches, newest first): created no earlier than the recorded
    /// intent (less <see cref="ClockSkew"/>), not a batch the run knows, and with as many requests as the staged file.
    /// A candidate that has ended is confirmed by the custom ids of its results (exactly those of the staged file); one
    /// still processing cannot show them, so when no candidate is confirmed the one created first after the intent is
    /// adopted. The runner checks every result's id when it takes the batch in, so a wrong adoption costs a retry; only
    /// another run with the same key, sending the very same request ids inside the same minutes, could be mistaken for
    /// this one.
    /// </summary>
    public async Task<BatchJob?> FindCreatedAsync(BatchSearch search, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(search);
        var expected = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in await ReadStagedAsync(search.InputFileId, cancellationToken).ConfigureAwait(false))
        {
            expected.Add(WireCustomId(line) ?? string.Empty);
        }

        var notBefore = search.NotBefore - ClockSkew;
        var unconfirmed = new List<MessageBatch>();
        var page = await _client.Messages.Batches.List(new BatchListParams { Limit = 100 }, cancellationToken).ConfigureAwait(false);
        for (int pages = 1; ; pages++)
        {
            bool older = false;
            foreach (var batch in page.Items)
            {
                if (batch.CreatedAt < notBefore)
                {
                    older = true; // newest first: every batch from here on is older than the intent
                    break;
                }

                var counts = batch.RequestCounts;
                long total = counts.Processing + counts.Succeeded + counts.Errored + counts.Canceled + counts.Expired;
                if (search.KnownBatchIds.Contains(batch.ID) || total != expected.Count)
                {
                    continue;
                }

                if (batch.ProcessingStatus.Raw() != "ended")
                {
                    unconfirmed.Add(batch);
                }
                else if ((await DownloadResultsAsync(ToJob(batch), cancellationToken).ConfigureAwait(false)).Select(r => r.CustomId).Select(EncodeOrEmpty).ToHashSet(StringComparer.Ordinal).SetEquals(expected))
                {
                    return ToJob(batch);
                }
            }

            if (older || !page.HasNext() || pages >= FindPages)
            {
                break;
            }

            page = await page.Next(cancellationToken).ConfigureAwait(false);
        }

        // The batch was created right after the intent: the first one created after it, else the closest before it (skew).
        return unconfirmed
            .OrderBy(b => b.CreatedAt >= search.NotBefore ? 0 : 1)
            .ThenBy(b => (b.CreatedAt - search.NotBefore).Duration())
            .Select(ToJob)
            .FirstOrDefault();

        static string EncodeOrEmpty(string id) => id.Length == 0 ? string.Empty : AnthropicCustomIds.Encode(id);
    }

    /// <inheritdoc />
    public async Task<BatchJob> GetAsync(string batchId, CancellationToken cancellationToken) =>
        ToJob(await _client.Messages.Batches.Retrieve(batchId, new BatchRetrieveParams(), cancellationToken).ConfigureAwait(false));

    /// <summary>
    /// Reads the results line by line (https://docs.anthropic.com/en/api/retrieving-message-batch-results): a line that
    /// is not a result becomes a failed item of its own (with the request's id when the line still shows it), never an
    /// exception, so a corrupt results file costs a retry of its requests, not the run.
    /// </summary>
    public async Task<IReadOnlyList<BatchItemResult>> DownloadResultsAsync(BatchJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var results = new List<BatchItemResult>(job.Total);
        using var response = await _client.WithRawResponse.Messages.Batches.ResultsStreaming(job.Id, new BatchResultsParams(), cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(BoundedResults.Wrap(await response.ReadAsStream(cancellationToken).ConfigureAwait(false), Limits.MaxResultBytes), Encoding.UTF8);
        int number = 0;
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            number++;
            if (!string.IsNullOrWhiteSpace(line))
            {
                results.Add(ParseResult(line, number));
            }
        }

        return results;
    }

    /// <inheritdoc />
    public async Task CancelAsync(string batchId, CancellationToken cancellationToken) =>
        await _client.Messages.Batches.Cancel(batchId, new BatchCancelParams(), cancellationToken).ConfigureAwait(false);

    /// <summary>One staged line: <c>{"custom_id", "params": {model, max_tokens, system, messages, temperature, thinking}}</c>, the id in Anthropic's alphabet.</summary>
    /// <exception cref="ArgumentException">The custom id does not fit Anthropic's 64 characters.</exception>
    internal static byte[] Encode(BatchRequest request, bool promptCaching = false)
    {
        promptCaching = promptCaching && !RequestHints.IsSentOnce(request.Options); // written once, never read: no breakpoint
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("custom_id", AnthropicCustomIds.Encode(request.CustomId));
            json.WriteStartObject("params");
            json.WriteString("model", request.Options.ModelId);
            json.WriteNumber("max_tokens", request.Options.MaxOutputTokens ?? DefaultMaxTokens);
            var system = string.Join("\n\n", request.Messages.Where(m => m.Role == ChatRole.System).Select(m => m.Text));
            bool marked = false;
            if (system.Length > 0)
            {
                json.WritePropertyName("system");
                WriteContent(json, system, promptCaching);
                marked = promptCaching;
            }

            json.WriteStartArray("messages");
            foreach (var message in request.Messages.Where(m => m.Role != ChatRole.System))
            {
                json.WriteStartObject();
                json.WriteString("role", message.Role == ChatRole.Assistant ? "assistant" : "user");
                json.WritePropertyName("content");
                bool mark = promptCaching && !marked && message.Role == ChatRole.User && !string.IsNullOrWhiteSpace(message.Text);
                WriteContent(json, message.Text, mark); // without a system prompt, a judge's prompt carries the breakpoint
                marked |= mark;
                json.WriteEndObject();
            }

            json.WriteEndArray();
            if (request.Options.Temperature is { } temperature)
            {
                json.WriteNumber("temperature", Math.Min(temperature, 1f)); // Anthropic's range is 0-1
            }

            if (request.Options.AdditionalProperties?.TryGetValue(NativeReasoningChatClient.ThinkingBudgetKey, out object? budget) == true)
            {
                // Extended thinking, as the online client sends it (the rules are checked by ExperimentOptions.Validate).
                json.WriteStartObject("thinking");
                json.WriteString("type", "enabled");
                json.WriteNumber("budget_tokens", Convert.ToInt64(budget, CultureInfo.InvariantCulture));
                json.WriteEndObject();
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.ToArray();

        // A plain string, or with a prompt-cache breakpoint a text block carrying cache_control (as the online client sends it).
        static void WriteContent(Utf8JsonWriter json, string text, bool cacheControl)
        {
            if (!cacheControl)
            {
                json.WriteStringValue(text);
                return;
            }

            json.WriteStartArray();
            json.WriteStartObject();
            json.WriteString("type", "text");
            json.WriteString("text", text);
            json.WriteStartObject("cache_control");
            json.WriteString("type", "ephemeral");
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndArray();
        }
    }

    /// <summary>
    /// One line of the results: <c>{"custom_id", "result": {"type": "succeeded", "message": {...}}}</c>, or
    /// <c>errored</c> (with the API's error), <c>canceled</c>, <c>expired</c>. Never throws: a line that is not such
    /// an object is a failed item, attributed to its request when its custom id can still be read, else with an empty
    /// id (see <see cref="BatchItemResult"/>).
    /// </summary>
    /// <param name="line">The line.</param>
    /// <param name="number">Its 1-based number in the results, for the reason.</param>
    internal static BatchItemResult ParseResult(string line, int number = 1)
    {
        var where = string.Create(CultureInfo.InvariantCulture, $"line {number} of the results");
        if (!BatchResultLine.TryRead(line, where, wire => AnthropicCustomIds.TryDecode(wire, out var id) ? id : null, out var root, out var failure))
        {
            return failure;
        }

        var wire = Text(root, "custom_id");
        if (!AnthropicCustomIds.TryDecode(wire, out var customId))
        {
            return BatchResultLine.Unreadable(null, where, wire is null ? "has no custom_id" : $"has custom_id '{wire}', which af did not send");
        }

        if (!root.TryGetProperty("result", out var result) || result.ValueKind != JsonValueKind.Object)
        {
            return BatchResultLine.Unreadable(customId, where, "has no result object");
        }

        var type = Text(result, "type");
        switch (type)
        {
            case "succeeded" when result.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object:
                return ToResult(customId, message) ?? BatchResultLine.Unreadable(customId, where, "has a message without a content list");
            case "errored":
                var error = result.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.Object ? e : default;
                if (error.ValueKind == JsonValueKind.Object && error.TryGetProperty("error", out var inner) && inner.ValueKind == JsonValueKind.Object)
                {
                    error = inner; // {"type": "error", "error": {"type", "message"}}
                }

                return new BatchItemResult(customId, null, error.ValueKind == JsonValueKind.Object
                    ? $"{Text(error, "type") ?? "error"}: {Text(error, "message")}"
                    : "errored: no error object");
            case "canceled" or "expired":
                return new BatchItemResult(customId, null, type + ": no result");
            default:
                return BatchResultLine.Unreadable(customId, where, $"has a result of type '{type}'");
        }
    }

    /// <summary>A succeeded message as the online <c>IChatClient</c> would return it; null when it has no content list.</summary>
    private static BatchItemResult? ToResult(string customId, JsonElement message)
    {
        if (!message.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        var text = new StringBuilder();
        var thoughts = new List<AIContent>();
        foreach (var block in content.EnumerateArray())
        {
            if (block.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            switch (Text(block, "type"))
            {
                case "text" when Text(block, "text") is { } t:
                    text.Append(t);
                    break;
                case "thinking":
                    // As the SDK's chat client returns them: the thinking with its signature; redacted thinking hidden.
                    thoughts.Add(new TextReasoningContent(Text(block, "thinking") ?? string.Empty) { ProtectedData = Text(block, "signature") });
                    break;
                case "redacted_thinking":
                    thoughts.Add(new TextReasoningContent(string.Empty) { ProtectedData = Text(block, "data") });
                    break;
            }
        }

        var stop = Text(message, "stop_reason");
        var usage = message.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object ? u : default;
        // As the SDK's chat client reports it: the input is input_tokens plus the cache reads and writes.
        long? read = Count(usage, "cache_read_input_tokens"), written = Count(usage, "cache_creation_input_tokens");
        long? input = Count(usage, "input_tokens") is { } uncached ? uncached + (read ?? 0) + (written ?? 0) : null, output = Count(usage, "output_tokens");
        var reply = new ChatMessage(ChatRole.Assistant, text.ToString());
        if (thoughts.Count > 0)
        {
            reply.Contents = [.. thoughts, .. reply.Contents];
        }

        var response = new ChatResponse(reply)
        {
            ResponseId = Text(message, "id"),
            ModelId = Text(message, "model"),
            FinishReason = stop switch
            {
                null => null,
                "end_turn" or "stop_sequence" => ChatFinishReason.Stop,
                "max_tokens" => ChatFinishReason.Length,
                "refusal" => ChatFinishReason.ContentFilter,
                "tool_use" => ChatFinishReason.ToolCalls,
                _ => new ChatFinishReason(stop),
            },
            Usage = usage.ValueKind != JsonValueKind.Object ? null : new UsageDetails
            {
                InputTokenCount = input,
                OutputTokenCount = output,
                TotalTokenCount = input + output,
                CachedInputTokenCount = read,
                AdditionalCounts = written is > 0 ? new() { ["CacheCreationInputTokens"] = written.Value } : null,
            },
        };
        return new BatchItemResult(customId, response, null);

        static long? Count(JsonElement element, string name) =>
            element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.TryGetInt64(out var n) ? n : null;
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>The wire custom id of a staged line.</summary>
    private static string? WireCustomId(string line)
    {
        using var document = JsonDocument.Parse(line);
        return Text(document.RootElement, "custom_id");
    }

    private async Task<string[]> ReadStagedAsync(string inputFileId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inputFileId);
        if (!inputFileId.StartsWith(LocalPrefix, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"not a staged request file: {inputFileId}");
        }

        var lines = await File.ReadAllLinesAsync(Path.Combine(_staging, inputFileId[LocalPrefix.Length..]), cancellationToken).ConfigureAwait(false);
        return lines.Where(l => !string.IsNullOrWhiteSpace(l)).ToArray();
    }

    private static BatchJob ToJob(MessageBatch batch)
    {
        var status = batch.ProcessingStatus.Raw();
        var counts = batch.RequestCounts;
        int total = (int)(counts.Processing + counts.Succeeded + counts.Errored + counts.Canceled + counts.Expired);
        var mapped = status switch
        {
            "ended" => counts.Canceled > 0 && counts.Succeeded + counts.Errored + counts.Expired == 0 ? BatchJobStatus.Cancelled : BatchJobStatus.Completed,
            "canceling" => BatchJobStatus.Cancelling,
            _ => BatchJobStatus.InProgress,
        };
        return new BatchJob(batch.ID, mapped, status, null, null, total, (int)counts.Succeeded, (int)(counts.Errored + counts.Canceled + counts.Expired));
    }
}
