using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using AlignmentFaking.Internal;
using AlignmentFaking.Running.Batch;
using Anthropic;
using Anthropic.Core;
using Anthropic.Models.Messages;
using Anthropic.Models.Messages.Batches;
using Microsoft.Extensions.AI;
using BatchJob = AlignmentFaking.Running.Batch.BatchJob;

namespace AlignmentFaking.Cli.Batch;

/// <summary>
/// Anthropic Message Batches through the official Anthropic .NET SDK. The API takes the requests inline (no file
/// upload), so <see cref="UploadAsync"/> stages them in a local JSONL file under the run directory and returns its name
/// as the "input file id": a restarted process can still create the batch from it. The system message goes to the
/// top-level <c>system</c> field, a trailing assistant message is Anthropic's native prefill, and <c>max_tokens</c>
/// (required) defaults to 4000, the original's value for Anthropic models. Limits: 100,000 requests and 256 MB per batch.
/// </summary>
internal sealed class AnthropicBatchProvider : IBatchProvider
{
    /// <summary>Anthropic's limits per Message Batch.</summary>
    public static BatchLimits AnthropicLimits { get; } = new(100_000, 256L * 1024 * 1024);

    /// <summary>The <c>max_tokens</c> sent when none is set (the original's value for Anthropic models).</summary>
    public const int DefaultMaxTokens = 4000;

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
        SecretRedactor.Register(apiKey);
        _client = new AnthropicClient { BaseUrl = baseUrl.AbsoluteUri.TrimEnd('/'), ApiKey = apiKey, Timeout = TimeSpan.FromMinutes(10) };
        _staging = stagingDirectory;
        Limits = limits ?? AnthropicLimits;
    }

    /// <inheritdoc />
    public string Name => "anthropic";

    /// <inheritdoc />
    public BatchLimits Limits { get; }

    /// <inheritdoc />
    public long MeasureRequest(BatchRequest request) => Encode(request).Length + 1;

    /// <inheritdoc />
    public async Task<string> UploadAsync(IReadOnlyList<BatchRequest> requests, string fileName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requests);
        Directory.CreateDirectory(_staging);
        var name = Path.GetFileNameWithoutExtension(fileName) + "-" + Guid.NewGuid().ToString("N")[..8] + ".jsonl";
        using var content = new MemoryStream();
        foreach (var request in requests)
        {
            content.Write(Encode(request));
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
        ArgumentNullException.ThrowIfNull(inputFileId);
        if (!inputFileId.StartsWith(LocalPrefix, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"not a staged request file: {inputFileId}");
        }

        var lines = await File.ReadAllLinesAsync(Path.Combine(_staging, inputFileId[LocalPrefix.Length..]), cancellationToken).ConfigureAwait(false);
        var requests = new List<Request>(lines.Length);
        foreach (var line in lines.Where(l => !string.IsNullOrWhiteSpace(l)))
        {
            using var document = JsonDocument.Parse(line);
            requests.Add(Request.FromRawUnchecked(document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone())));
        }

        var batch = await _client.Messages.Batches.Create(new BatchCreateParams { Requests = requests }, cancellationToken).ConfigureAwait(false);
        return ToJob(batch);
    }

    /// <inheritdoc />
    public Task<BatchJob?> FindByInputFileAsync(string inputFileId, CancellationToken cancellationToken) =>
        Task.FromResult<BatchJob?>(null); // Message Batches carry no metadata to match on

    /// <inheritdoc />
    public async Task<BatchJob> GetAsync(string batchId, CancellationToken cancellationToken) =>
        ToJob(await _client.Messages.Batches.Retrieve(batchId, new BatchRetrieveParams(), cancellationToken).ConfigureAwait(false));

    /// <inheritdoc />
    public async Task<IReadOnlyList<BatchItemResult>> DownloadResultsAsync(BatchJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var results = new List<BatchItemResult>(job.Total);
        await foreach (var item in _client.Messages.Batches.ResultsStreaming(job.Id, new BatchResultsParams(), cancellationToken).ConfigureAwait(false))
        {
            results.Add(ToResult(item));
        }

        return results;
    }

    /// <inheritdoc />
    public async Task CancelAsync(string batchId, CancellationToken cancellationToken) =>
        await _client.Messages.Batches.Cancel(batchId, new BatchCancelParams(), cancellationToken).ConfigureAwait(false);

    /// <summary>One staged line: <c>{"custom_id", "params": {model, max_tokens, system, messages, temperature}}</c>.</summary>
    internal static byte[] Encode(BatchRequest request)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("custom_id", request.CustomId);
            json.WriteStartObject("params");
            json.WriteString("model", request.Options.ModelId);
            json.WriteNumber("max_tokens", request.Options.MaxOutputTokens ?? DefaultMaxTokens);
            var system = string.Join("\n\n", request.Messages.Where(m => m.Role == ChatRole.System).Select(m => m.Text));
            if (system.Length > 0)
            {
                json.WriteString("system", system);
            }

            json.WriteStartArray("messages");
            foreach (var message in request.Messages.Where(m => m.Role != ChatRole.System))
            {
                json.WriteStartObject();
                json.WriteString("role", message.Role == ChatRole.Assistant ? "assistant" : "user");
                json.WriteString("content", message.Text);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            if (request.Options.Temperature is { } temperature)
            {
                json.WriteNumber("temperature", Math.Min(temperature, 1f)); // Anthropic's range is 0-1
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    internal static BatchItemResult ToResult(MessageBatchIndividualResponse item)
    {
        var result = item.Result;
        if (result.TryPickSucceeded(out var succeeded))
        {
            var message = succeeded.Message;
            var text = new StringBuilder();
            foreach (var block in message.Content)
            {
                if (block.TryPickText(out var t))
                {
                    text.Append(t.Text);
                }
            }

            var usage = message.Usage;
            var stop = message.StopReason?.Raw();
            var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, text.ToString()))
            {
                ResponseId = message.ID,
                ModelId = message.Model.Raw(),
                FinishReason = stop switch
                {
                    null => null,
                    "end_turn" or "stop_sequence" => ChatFinishReason.Stop,
                    "max_tokens" => ChatFinishReason.Length,
                    "refusal" => ChatFinishReason.ContentFilter,
                    "tool_use" => ChatFinishReason.ToolCalls,
                    _ => new ChatFinishReason(stop),
                },
                Usage = usage is null ? null : new UsageDetails
                {
                    InputTokenCount = usage.InputTokens,
                    OutputTokenCount = usage.OutputTokens,
                    TotalTokenCount = usage.InputTokens + usage.OutputTokens,
                    CachedInputTokenCount = usage.CacheReadInputTokens,
                },
            };
            return new BatchItemResult(item.CustomID, response, null);
        }

        if (result.TryPickErrored(out var errored))
        {
            var error = errored.Error?.Error;
            return new BatchItemResult(item.CustomID, null, $"{error?.Type.Raw() ?? "error"}: {error?.Message}");
        }

        return new BatchItemResult(item.CustomID, null, string.Create(CultureInfo.InvariantCulture, $"{result.Type.Raw()}: no result"));
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
