using System.ClientModel;
using System.ClientModel.Primitives;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using AlignmentFaking.Diagnostics;
using AlignmentFaking.Providers;
using AlignmentFaking.Running.Batch;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Batch;
using OpenAI.Chat;
using OpenAI.Files;
using BatchJob = AlignmentFaking.Running.Batch.BatchJob;

namespace AlignmentFaking.OpenAI;

/// <summary>
/// The OpenAI-compatible Batch API through the official OpenAI .NET client: the input JSONL is uploaded with
/// <see cref="OpenAIFileClient"/> (purpose <c>batch</c>), batches are created, retrieved and cancelled with
/// <see cref="BatchClient"/>'s protocol methods, and each output line's body is read as a <see cref="ChatCompletion"/>
/// and turned into a <see cref="ChatResponse"/> exactly as the online <c>IChatClient</c> does.
/// </summary>
#pragma warning disable OPENAI001 // the Batch client is marked "for evaluation"; its wire format is the stable public Batch API
public sealed class OpenAIBatchProvider : IBatchProvider
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly OpenAIFileClient _files;
    private readonly BatchClient _batches;

    /// <summary>Creates the provider for an endpoint.</summary>
    /// <param name="endpoint">The OpenAI-compatible base URL (e.g. <c>https://api.openai.com/v1</c>).</param>
    /// <param name="apiKey">The API key.</param>
    /// <param name="limits">Limits per batch; <see cref="BatchLimits.OpenAI"/> when <see langword="null"/>.</param>
    public OpenAIBatchProvider(Uri endpoint, string apiKey, BatchLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        SecretRedaction.Register(apiKey);
        Limits = limits ?? BatchLimits.OpenAI;
#pragma warning disable CA2000 // the handlers are owned (and disposed) by the HttpClient, which the transport owns
        var http = new HttpClient(BoundedResults.Handler(Limits.MaxResultBytes, new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }), disposeHandler: true)
        {
            Timeout = Timeout.InfiniteTimeSpan, // the client's NetworkTimeout below
        };
#pragma warning restore CA2000
        var clientOptions = new OpenAIClientOptions
        {
            Endpoint = endpoint,
            NetworkTimeout = TimeSpan.FromMinutes(10), // uploads and downloads of up to 200 MB
            Transport = new HttpClientPipelineTransport(http), // results files bounded by Limits.MaxResultBytes
        };
        var client = new OpenAIClient(new ApiKeyCredential(NoKeyPolicy.Apply(clientOptions, apiKey)), clientOptions);
        _files = client.GetOpenAIFileClient();
        _batches = client.GetBatchClient();
    }

    /// <inheritdoc />
    public string Name => "openai";

    /// <inheritdoc />
    public BatchLimits Limits { get; }

    /// <inheritdoc />
    public long MeasureRequest(BatchRequest request) => Encode(request).Length + 1;

    /// <inheritdoc />
    public async Task<string> UploadAsync(IReadOnlyList<BatchRequest> requests, string fileName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requests);
        using var content = new MemoryStream();
        foreach (var request in requests)
        {
            content.Write(Encode(request));
            content.WriteByte((byte)'\n');
        }

        content.Position = 0;
        var file = await _files.UploadFileAsync(content, fileName, FileUploadPurpose.Batch, cancellationToken).ConfigureAwait(false);
        return file.Value.Id;
    }

    /// <inheritdoc />
    public async Task<BatchJob> CreateAsync(string inputFileId, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var body = new MemoryStream();
        using (var json = new Utf8JsonWriter(body, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("input_file_id", inputFileId);
            json.WriteString("endpoint", "/v1/chat/completions");
            json.WriteString("completion_window", "24h");
            json.WriteStartObject("metadata");
            foreach (var (key, value) in metadata)
            {
                json.WriteString(key, value);
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        using var content = BinaryContent.Create(BinaryData.FromBytes(body.ToArray()));
        var operation = await _batches.CreateBatchAsync(content, waitUntilCompleted: false, new RequestOptions { CancellationToken = cancellationToken }).ConfigureAwait(false);
        return ParseJob(operation.GetRawResponse().Content);
    }

    /// <summary>The number of pages of recent batches (100 each) searched at most by <see cref="FindCreatedAsync"/>.</summary>
    internal const int FindPages = 50;

    /// <summary>How far a batch's <c>created_at</c> may lie before the recorded intent and still be searched: clock skew.</summary>
    internal static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(10);

    /// <inheritdoc />
    public Task<BatchJob?> FindByInputFileAsync(string inputFileId, CancellationToken cancellationToken) =>
        FindCreatedAsync(new BatchSearch(inputFileId, [], DateTimeOffset.MinValue, []), cancellationToken);

    /// <summary>
    /// Lists the batches, newest first (https://platform.openai.com/docs/api-reference/batch/list), back to the
    /// recorded intent (less <see cref="ClockSkew"/>; at most <see cref="FindPages"/> pages), and returns the one over
    /// the input file: an uploaded file's id is unique, so the match is certain.
    /// </summary>
    public async Task<BatchJob?> FindCreatedAsync(BatchSearch search, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(search);
        long notBefore = search.NotBefore == DateTimeOffset.MinValue ? long.MinValue : (search.NotBefore - ClockSkew).ToUnixTimeSeconds();
        int pages = 0;
        await foreach (var page in _batches.GetBatchesAsync(after: null, limit: 100, new RequestOptions { CancellationToken = cancellationToken }).GetRawPagesAsync().ConfigureAwait(false))
        {
            using var document = JsonDocument.Parse(page.GetRawResponse().Content);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array)
            {
                foreach (var batch in data.EnumerateArray())
                {
                    if (batch.TryGetProperty("created_at", out var created) && created.TryGetInt64(out var at) && at < notBefore)
                    {
                        return null; // newest first: every batch from here on is older than the intent
                    }

                    if (batch.TryGetProperty("input_file_id", out var input) && input.ValueKind == JsonValueKind.String && input.GetString() == search.InputFileId
                        && ParseJob(BinaryData.FromString(batch.GetRawText())) is { } job && !search.KnownBatchIds.Contains(job.Id))
                    {
                        return job;
                    }
                }
            }

            if (++pages >= FindPages)
            {
                break;
            }
        }

        return null;
    }

    /// <inheritdoc />
    public async Task<BatchJob> GetAsync(string batchId, CancellationToken cancellationToken)
    {
        var result = await _batches.GetBatchAsync(batchId, new RequestOptions { CancellationToken = cancellationToken }).ConfigureAwait(false);
        return ParseJob(result.GetRawResponse().Content);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<BatchItemResult>> DownloadResultsAsync(BatchJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var results = new List<BatchItemResult>();
        foreach (var fileId in new[] { job.OutputFileId, job.ErrorFileId })
        {
            if (string.IsNullOrEmpty(fileId))
            {
                continue;
            }

            var data = await _files.DownloadFileAsync(fileId, cancellationToken).ConfigureAwait(false);
            using var reader = new StreamReader(data.Value.ToStream(), Encoding.UTF8);
            int number = 0;
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                number++;
                if (!string.IsNullOrWhiteSpace(line))
                {
                    results.Add(ParseResult(line, fileId == job.OutputFileId ? "output" : "error", number));
                }
            }
        }

        return results;
    }

    /// <inheritdoc />
    public async Task CancelAsync(string batchId, CancellationToken cancellationToken)
    {
        var operation = await CreateBatchOperation.RehydrateAsync(_batches, batchId, cancellationToken).ConfigureAwait(false);
        await operation.CancelAsync(new RequestOptions { CancellationToken = cancellationToken }).ConfigureAwait(false);
    }

    /// <summary>One JSONL line: <c>{"custom_id", "method": "POST", "url": "/v1/chat/completions", "body": {...}}</c>, the body as the online client sends it.</summary>
    internal static byte[] Encode(BatchRequest request)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("custom_id", request.CustomId);
            json.WriteString("method", "POST");
            json.WriteString("url", "/v1/chat/completions");
            json.WriteStartObject("body");
            json.WriteString("model", request.Options.ModelId);
            json.WriteStartArray("messages");
            foreach (var message in request.Messages)
            {
                json.WriteStartObject();
                json.WriteString("role", message.Role.Value);
                json.WriteString("content", message.Text);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            if (request.Options.Reasoning?.Effort is { } effort)
            {
                // As online: the effort instead of the temperature, which OpenAI's reasoning models refuse.
                json.WriteString("reasoning_effort", effort.ToString().ToLowerInvariant());
            }
            else if (request.Options.Temperature is { } temperature)
            {
                json.WriteNumber("temperature", temperature);
            }

            if (request.Options.MaxOutputTokens is { } max)
            {
                json.WriteNumber("max_completion_tokens", max);
            }

            if (request.Options.Seed is { } seed)
            {
                json.WriteNumber("seed", seed);
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>
    /// One line of an output or error file (https://platform.openai.com/docs/api-reference/batch/request-output):
    /// <c>{"custom_id", "response": {"status_code", "body"}, "error"}</c>. Never throws: a line that is not such an
    /// object is a failed item, attributed to its request when its custom id can still be read, else with an empty id
    /// (see <see cref="BatchItemResult"/>), so a corrupt file costs a retry of its requests, not the run.
    /// </summary>
    /// <param name="line">The line.</param>
    /// <param name="file">Which file (<c>output</c> or <c>error</c>), for the reason.</param>
    /// <param name="number">The 1-based line number, for the reason.</param>
    internal static BatchItemResult ParseResult(string line, string file = "output", int number = 1)
    {
        var where = string.Create(CultureInfo.InvariantCulture, $"line {number} of the {file} file");
        if (!BatchResultLine.TryRead(line, where, id => id, out var root, out var failure))
        {
            return failure;
        }

        var customId = root.TryGetProperty("custom_id", out var cid) && cid.ValueKind == JsonValueKind.String ? cid.GetString() : null;
        if (string.IsNullOrEmpty(customId))
        {
            return BatchResultLine.Unreadable(null, where, "has no custom_id");
        }

        if (root.TryGetProperty("response", out var response) && response.ValueKind == JsonValueKind.Object)
        {
            int status = response.TryGetProperty("status_code", out var s) && s.TryGetInt32(out var code) ? code : 0;
            var body = response.TryGetProperty("body", out var b) ? b : default;
            if (status is >= 200 and < 300 && body.ValueKind == JsonValueKind.Object)
            {
                try
                {
                    var completion = ModelReaderWriter.Read<ChatCompletion>(BinaryData.FromString(body.GetRawText()), ModelReaderWriterOptions.Json, OpenAIContext.Default)!;
                    var reply = completion.AsChatResponse();
                    foreach (var message in reply.Messages)
                    {
                        OpenAIReasoningChatClient.AddReasoningField(message); // message.reasoning, as online
                    }

                    return new BatchItemResult(customId, reply, null);
                }
                catch (Exception ex) when (ex is FormatException or JsonException or InvalidOperationException or ArgumentException or KeyNotFoundException) // e.g. an empty choice list, which the online path retries too
                {
                    return new BatchItemResult(customId, null, "unreadable reply: " + ex.Message);
                }
            }

            return new BatchItemResult(customId, null, string.Create(CultureInfo.InvariantCulture, $"HTTP {status}: {ErrorMessage(body)}"));
        }

        if (root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
        {
            var code = error.TryGetProperty("code", out var c) ? c.ToString() : "error";
            var message = error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : m.ToString();
            return new BatchItemResult(customId, null, $"{code}: {message}");
        }

        return new BatchItemResult(customId, null, "neither a response nor an error");
    }

    private static string ErrorMessage(JsonElement body) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.Object && e.TryGetProperty("message", out var m)
            ? m.GetString() ?? string.Empty
            : body.ValueKind == JsonValueKind.Undefined ? string.Empty : body.GetRawText();

    /// <exception cref="JsonException">The body is not JSON.</exception>
    /// <exception cref="InvalidDataException">The body is not a batch object (it has no id).</exception>
    internal static BatchJob ParseJob(BinaryData data)
    {
        using var document = JsonDocument.Parse(data);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String)
        {
            throw new InvalidDataException("the Batch API answered something that is not a batch object: " + Shorten(data.ToString()));
        }

        string Text(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : string.Empty;
        int Count(string name) => root.TryGetProperty("request_counts", out var counts) && counts.ValueKind == JsonValueKind.Object
            && counts.TryGetProperty(name, out var v) && v.TryGetInt32(out var n) ? n : 0;
        var status = Text("status");
        var mapped = status switch
        {
            "completed" => BatchJobStatus.Completed,
            "expired" => BatchJobStatus.Expired,
            "cancelling" => BatchJobStatus.Cancelling,
            "cancelled" => BatchJobStatus.Cancelled,
            "failed" => BatchJobStatus.Failed,
            _ => BatchJobStatus.InProgress, // validating, in_progress, finalizing
        };
        var output = Text("output_file_id");
        var error = Text("error_file_id");
        string? problem = null;
        if (root.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object
            && errors.TryGetProperty("data", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            problem = string.Join("; ", list.EnumerateArray().Select(e => e.TryGetProperty("message", out var m) ? m.GetString() : null).Where(m => !string.IsNullOrEmpty(m)));
            problem = problem.Length == 0 ? null : problem;
        }

        return new BatchJob(Text("id"), mapped, status, output.Length == 0 ? null : output, error.Length == 0 ? null : error, Count("total"), Count("completed"), Count("failed"), problem);
    }

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "...";
}
#pragma warning restore OPENAI001
