using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace AlignmentFaking.Testing;

/// <summary>A file held by the test server (<c>POST /v1/files</c>, or a batch's output and error files).</summary>
public sealed class TestFile
{
    internal TestFile(string id, string fileName, string purpose, byte[] content, long createdAt)
    {
        Id = id;
        FileName = fileName;
        Purpose = purpose;
        Content = content;
        CreatedAt = createdAt;
    }

    /// <summary>The file id (<c>file-...</c>).</summary>
    public string Id { get; }

    /// <summary>The file name given at upload.</summary>
    public string FileName { get; }

    /// <summary>The purpose (<c>batch</c>, <c>batch_output</c>).</summary>
    public string Purpose { get; }

    /// <summary>The bytes.</summary>
    public byte[] Content { get; }

    /// <summary>Unix seconds.</summary>
    public long CreatedAt { get; }

    /// <summary>The content as UTF-8 text.</summary>
    public string Text => Encoding.UTF8.GetString(Content);
}

/// <summary>
/// A batch held by the test server. It stays <c>validating</c> / <c>in_progress</c> while the server holds batches
/// (<see cref="OpenAICompatibleTestServer.HoldBatches"/>) and until it has been retrieved
/// <see cref="TestServerOptions.BatchRetrievalsBeforeCompletion"/> times; the retrieval after that runs every request
/// through the server's responder and completes it (or expires it, see <see cref="TestServerOptions.ExpireBatchNumbers"/>).
/// </summary>
public sealed class TestBatch
{
    private readonly Lock _gate = new();

    internal TestBatch(int number, string id, string inputFileId, string endpoint, IReadOnlyList<string> customIds, IReadOnlyDictionary<string, string> metadata, long createdAt)
    {
        Number = number;
        Id = id;
        InputFileId = inputFileId;
        Endpoint = endpoint;
        CustomIds = customIds;
        Metadata = metadata;
        CreatedAt = createdAt;
    }

    /// <summary>1-based order of creation.</summary>
    public int Number { get; }

    /// <summary>The batch id (<c>batch_...</c>).</summary>
    public string Id { get; }

    /// <summary>The input file id.</summary>
    public string InputFileId { get; }

    /// <summary>The endpoint the batch targets (<c>/v1/chat/completions</c>).</summary>
    public string Endpoint { get; }

    /// <summary>The <c>custom_id</c> of every request line, in file order.</summary>
    public IReadOnlyList<string> CustomIds { get; }

    /// <summary>The metadata given at creation.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Unix seconds.</summary>
    public long CreatedAt { get; }

    /// <summary>The status (<c>validating</c>, <c>in_progress</c>, <c>completed</c>, <c>expired</c>, <c>cancelling</c>, <c>cancelled</c>, <c>failed</c>).</summary>
    public string Status { get { lock (_gate) { return _status; } } }

    /// <summary>How many times the batch was retrieved.</summary>
    public int Retrievals { get { lock (_gate) { return _retrievals; } } }

    /// <summary>The output file id once finished with at least one success.</summary>
    public string? OutputFileId { get; internal set; }

    /// <summary>The error file id once finished with at least one failure.</summary>
    public string? ErrorFileId { get; internal set; }

    /// <summary>Requests that succeeded.</summary>
    public int Completed { get; internal set; }

    /// <summary>Requests that failed (including those never run).</summary>
    public int Failed { get; internal set; }

    /// <summary>Requests never run because the batch expired or was cancelled.</summary>
    public int Unrun { get; internal set; }

    internal Lock Gate => _gate;

    private string _status = "validating";
    private int _retrievals;

    internal string StatusUnlocked { get => _status; set => _status = value; }

    internal int IncrementRetrievals() => ++_retrievals;
}

/// <summary>The OpenAI Files and Batch endpoints, and the Anthropic Message Batches endpoints, of the test server.</summary>
internal sealed class TestBatchService
{
    public const string AnthropicEndpoint = "anthropic:/v1/messages";

    private readonly Func<ChatCompletionCall, CancellationToken, ValueTask<ScriptedReply>> _responder;
    private readonly TestServerOptions _options;
    private readonly Func<int> _nextSequence;
    private readonly Action<ChatCompletionCall> _record;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, TestFile> _files = new(StringComparer.Ordinal);
    private readonly List<TestBatch> _batches = [];
    private readonly SemaphoreSlim _finishing = new(1, 1);
    private int _fileCounter;

    public TestBatchService(
        Func<ChatCompletionCall, CancellationToken, ValueTask<ScriptedReply>> responder,
        TestServerOptions options,
        Func<int> nextSequence,
        Action<ChatCompletionCall> record)
    {
        _responder = responder;
        _options = options;
        _nextSequence = nextSequence;
        _record = record;
    }

    public volatile bool Hold;

    public IReadOnlyList<TestBatch> Batches
    {
        get
        {
            lock (_gate)
            {
                return _batches.ToArray();
            }
        }
    }

    public IReadOnlyList<TestFile> Files
    {
        get
        {
            lock (_gate)
            {
                return _files.Values.OrderBy(f => f.Id, StringComparer.Ordinal).ToArray();
            }
        }
    }

    public void Map(WebApplication app)
    {
        foreach (var prefix in new[] { "/v1", string.Empty })
        {
            app.MapPost(prefix + "/files", Authorized(UploadAsync));
            app.MapGet(prefix + "/files/{id}", Authorized(GetFileAsync));
            app.MapGet(prefix + "/files/{id}/content", Authorized(GetContentAsync));
            app.MapPost(prefix + "/batches", Authorized(CreateAsync));
            app.MapGet(prefix + "/batches", Authorized(ListAsync));
            app.MapGet(prefix + "/batches/{id}", Authorized(RetrieveAsync));
            app.MapPost(prefix + "/batches/{id}/cancel", Authorized(CancelAsync));
        }

        app.MapPost("/v1/messages/batches", Authorized(CreateAnthropicAsync, anthropic: true));
        app.MapGet("/v1/messages/batches/{id}", Authorized(RetrieveAnthropicAsync, anthropic: true));
        app.MapGet("/v1/messages/batches/{id}/results", Authorized(AnthropicResultsAsync, anthropic: true));
        app.MapPost("/v1/messages/batches/{id}/cancel", Authorized(CancelAnthropicAsync, anthropic: true));
    }

    /// <summary>
    /// As the real APIs: with <see cref="TestServerOptions.RequiredApiKey"/> set, a request without that key
    /// (<c>Authorization: Bearer KEY</c> for OpenAI, <c>x-api-key: KEY</c> for Anthropic) gets a 401 and nothing happens.
    /// </summary>
    private RequestDelegate Authorized(RequestDelegate handler, bool anthropic = false) => context =>
    {
        if (_options.RequiredApiKey is not { } key)
        {
            return handler(context);
        }

        bool ok = anthropic
            ? string.Equals(context.Request.Headers["x-api-key"].ToString(), key, StringComparison.Ordinal)
            : string.Equals(context.Request.Headers.Authorization.ToString(), "Bearer " + key, StringComparison.Ordinal);
        return ok ? handler(context) : ErrorAsync(context, 401, "Incorrect API key provided.");
    };

    private async Task UploadAsync(HttpContext context)
    {
        if (!context.Request.HasFormContentType)
        {
            await ErrorAsync(context, 400, "expected multipart/form-data").ConfigureAwait(false);
            return;
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        var purpose = form["purpose"].ToString();
        var file = form.Files.GetFile("file");
        if (file is null || string.IsNullOrEmpty(purpose))
        {
            await ErrorAsync(context, 400, "file and purpose are required").ConfigureAwait(false);
            return;
        }

        using var buffer = new MemoryStream();
        await file.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
        var stored = AddFile(file.FileName, purpose, buffer.ToArray());
        await WriteJsonAsync(context, 200, FileJson(stored)).ConfigureAwait(false);
    }

    private async Task GetFileAsync(HttpContext context)
    {
        var file = FindFile(context);
        if (file is null)
        {
            await ErrorAsync(context, 404, "no such file").ConfigureAwait(false);
            return;
        }

        await WriteJsonAsync(context, 200, FileJson(file)).ConfigureAwait(false);
    }

    private async Task GetContentAsync(HttpContext context)
    {
        var file = FindFile(context);
        if (file is null)
        {
            await ErrorAsync(context, 404, "no such file").ConfigureAwait(false);
            return;
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/octet-stream";
        context.Response.ContentLength = file.Content.Length;
        await context.Response.Body.WriteAsync(file.Content, context.RequestAborted).ConfigureAwait(false);
    }

    private async Task CreateAsync(HttpContext context)
    {
        JsonElement body;
        try
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false);
            body = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            await ErrorAsync(context, 400, "invalid JSON: " + e.Message).ConfigureAwait(false);
            return;
        }

        var inputFileId = body.TryGetProperty("input_file_id", out var f) ? f.GetString() : null;
        var endpoint = body.TryGetProperty("endpoint", out var e2) ? e2.GetString() : null;
        TestFile? input;
        lock (_gate)
        {
            input = inputFileId is null ? null : _files.GetValueOrDefault(inputFileId);
        }

        if (input is null || endpoint is null)
        {
            await ErrorAsync(context, 400, "input_file_id must name an uploaded file and endpoint is required").ConfigureAwait(false);
            return;
        }

        var customIds = new List<string>();
        foreach (var line in Lines(input.Content))
        {
            using var document = JsonDocument.Parse(line);
            customIds.Add(document.RootElement.GetProperty("custom_id").GetString() ?? string.Empty);
        }

        if (customIds.Distinct(StringComparer.Ordinal).Count() != customIds.Count)
        {
            await ErrorAsync(context, 400, "custom_id values must be unique within a batch").ConfigureAwait(false);
            return;
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (body.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in m.EnumerateObject())
            {
                metadata[p.Name] = p.Value.GetString() ?? string.Empty;
            }
        }

        TestBatch batch;
        lock (_gate)
        {
            int number = _batches.Count + 1;
            batch = new TestBatch(number, "batch_test" + number.ToString("D4", CultureInfo.InvariantCulture), input.Id, endpoint, customIds, metadata, Now());
            _batches.Add(batch);
        }

        await WriteJsonAsync(context, 200, BatchJson(batch)).ConfigureAwait(false);
    }

    private async Task ListAsync(HttpContext context)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("object", "list");
            json.WriteStartArray("data");
            foreach (var batch in Batches.Reverse())
            {
                using var document = JsonDocument.Parse(BatchJson(batch));
                document.RootElement.WriteTo(json);
            }

            json.WriteEndArray();
            json.WriteBoolean("has_more", false);
            json.WriteEndObject();
        }

        await WriteJsonAsync(context, 200, Encoding.UTF8.GetString(buffer.WrittenSpan)).ConfigureAwait(false);
    }

    private async Task RetrieveAsync(HttpContext context)
    {
        var batch = FindBatch(context);
        if (batch is null)
        {
            await ErrorAsync(context, 404, "no such batch").ConfigureAwait(false);
            return;
        }

        await AdvanceAsync(batch, context.RequestAborted).ConfigureAwait(false);
        await WriteJsonAsync(context, 200, BatchJson(batch)).ConfigureAwait(false);
    }

    /// <summary>One retrieval: counts it, and finishes the batch when it is due (or being cancelled).</summary>
    private async Task AdvanceAsync(TestBatch batch, CancellationToken ct)
    {
        bool finish = false;
        lock (batch.Gate)
        {
            int retrievals = batch.IncrementRetrievals();
            if (batch.StatusUnlocked is "validating" or "in_progress")
            {
                if (Hold || retrievals <= _options.BatchRetrievalsBeforeCompletion)
                {
                    batch.StatusUnlocked = "in_progress";
                }
                else
                {
                    finish = true;
                }
            }
            else if (batch.StatusUnlocked == "cancelling")
            {
                finish = true;
            }
        }

        if (finish)
        {
            await FinishAsync(batch, ct).ConfigureAwait(false);
        }
    }

    private async Task CancelAsync(HttpContext context)
    {
        var batch = FindBatch(context);
        if (batch is null)
        {
            await ErrorAsync(context, 404, "no such batch").ConfigureAwait(false);
            return;
        }

        lock (batch.Gate)
        {
            if (batch.StatusUnlocked is "validating" or "in_progress")
            {
                batch.StatusUnlocked = "cancelling";
            }
        }

        await WriteJsonAsync(context, 200, BatchJson(batch)).ConfigureAwait(false);
    }

    /// <summary>Runs the requests through the responder (or not, for cancelled and expired ones) and writes the result files.</summary>
    private async Task FinishAsync(TestBatch batch, CancellationToken ct)
    {
        await _finishing.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            string status;
            lock (batch.Gate)
            {
                status = batch.StatusUnlocked;
            }

            if (status is not ("validating" or "in_progress" or "cancelling"))
            {
                return;
            }

            TestFile input;
            lock (_gate)
            {
                input = _files[batch.InputFileId];
            }

            bool anthropic = batch.Endpoint == AnthropicEndpoint;
            bool cancelled = status == "cancelling";
            bool expire = _options.ExpireBatchNumbers.Contains(batch.Number);
            var lines = Lines(input.Content).ToArray();
            int processed = cancelled ? 0 : expire ? lines.Length / 2 : lines.Length;
            var output = new StringBuilder();
            var errors = new StringBuilder();
            int completed = 0, failed = 0;
            for (int i = 0; i < lines.Length; i++)
            {
                using var document = JsonDocument.Parse(lines[i]);
                var root = document.RootElement;
                var customId = root.GetProperty("custom_id").GetString() ?? string.Empty;
                var requestId = "batch_req_" + batch.Number.ToString(CultureInfo.InvariantCulture) + "_" + i.ToString(CultureInfo.InvariantCulture);
                if (i >= processed)
                {
                    failed++;
                    if (anthropic)
                    {
                        output.Append(AnthropicOutcomeLine(customId, cancelled ? "canceled" : "expired", null)).Append('\n');
                    }
                    else
                    {
                        errors.Append(ErrorLine(requestId, customId, null, cancelled ? "batch_cancelled" : "batch_expired", cancelled ? "This request was not executed because the batch was cancelled." : "This request could not be executed before the completion window expired.")).Append('\n');
                    }

                    continue;
                }

                var bodyBytes = anthropic ? AnthropicToChatBody(root.GetProperty("params")) : Encoding.UTF8.GetBytes(root.GetProperty("body").GetRawText());
                var call = new ChatCompletionCall(_nextSequence(), DateTimeOffset.UtcNow, Encoding.UTF8.GetString(bodyBytes), hasAuthorization: true, new Dictionary<string, string> { ["x-test-batch-id"] = batch.Id, ["x-test-custom-id"] = customId });
                _record(call);
                RequestParser.Fill(call, bodyBytes);
                ScriptedReply reply;
                try
                {
                    reply = await _responder(call, ct).ConfigureAwait(false);
                }
#pragma warning disable CA1031 // a responder bug becomes a failed item the test can see
                catch (Exception e) when (e is not OperationCanceledException)
#pragma warning restore CA1031
                {
                    reply = ScriptedReply.Error(500, ResponseWriter.ErrorJson(500, "The test responder threw " + e.GetType().Name + ": " + e.Message, "server_error", null));
                }

                call.SetReply(reply);
                if (reply.Kind == ScriptedReplyKind.Completion)
                {
                    var responseBody = anthropic ? AnthropicMessageJson(call, reply) : ResponseWriter.CompletionJson(call, reply, Now());
                    call.Complete(CallOutcome.Answered, 200, responseBody);
                    completed++;
                    output.Append(anthropic ? AnthropicOutcomeLine(customId, "succeeded", responseBody) : ResultLine(requestId, customId, 200, responseBody)).Append('\n');
                }
                else
                {
                    int code = reply.Kind == ScriptedReplyKind.HttpError ? reply.StatusCode : 500;
                    var responseBody = reply.Kind == ScriptedReplyKind.HttpError ? reply.Body ?? ResponseWriter.DefaultErrorJson(code) : ResponseWriter.DefaultErrorJson(500);
                    call.Complete(CallOutcome.Answered, code, responseBody);
                    failed++;
                    if (anthropic)
                    {
                        output.Append(AnthropicOutcomeLine(customId, "errored", null, code)).Append('\n');
                    }
                    else
                    {
                        errors.Append(ResultLine(requestId, customId, code, responseBody)).Append('\n');
                    }
                }
            }

            var outputFile = completed > 0 || (anthropic && output.Length > 0) ? AddFile(batch.Id + "_output.jsonl", "batch_output", Encoding.UTF8.GetBytes(output.ToString())) : null;
            var errorFile = failed > 0 && !anthropic ? AddFile(batch.Id + "_error.jsonl", "batch_output", Encoding.UTF8.GetBytes(errors.ToString())) : null;
            lock (batch.Gate)
            {
                batch.OutputFileId = outputFile?.Id;
                batch.ErrorFileId = errorFile?.Id;
                batch.Completed = completed;
                batch.Failed = failed;
                batch.StatusUnlocked = cancelled ? "cancelled" : expire ? "expired" : "completed";
                batch.Unrun = lines.Length - processed;
            }
        }
        finally
        {
            _finishing.Release();
        }
    }

    private async Task CreateAnthropicAsync(HttpContext context)
    {
        JsonElement body;
        try
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false);
            body = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            await ErrorAsync(context, 400, "invalid JSON: " + e.Message).ConfigureAwait(false);
            return;
        }

        if (!body.TryGetProperty("requests", out var requests) || requests.ValueKind != JsonValueKind.Array)
        {
            await ErrorAsync(context, 400, "requests is required").ConfigureAwait(false);
            return;
        }

        var lines = new StringBuilder();
        var customIds = new List<string>();
        foreach (var request in requests.EnumerateArray())
        {
            customIds.Add(request.GetProperty("custom_id").GetString() ?? string.Empty);
            lines.Append(request.GetRawText()).Append('\n');
        }

        if (customIds.Distinct(StringComparer.Ordinal).Count() != customIds.Count)
        {
            await ErrorAsync(context, 400, "custom_id values must be unique within a batch").ConfigureAwait(false);
            return;
        }

        var input = AddFile("message-batch-requests.jsonl", "anthropic-inline", Encoding.UTF8.GetBytes(lines.ToString()));
        TestBatch batch;
        lock (_gate)
        {
            int number = _batches.Count + 1;
            batch = new TestBatch(number, "msgbatch_test" + number.ToString("D4", CultureInfo.InvariantCulture), input.Id, AnthropicEndpoint, customIds, new Dictionary<string, string>(), Now());
            _batches.Add(batch);
        }

        await WriteJsonAsync(context, 200, AnthropicBatchJson(batch, context)).ConfigureAwait(false);
    }

    private async Task RetrieveAnthropicAsync(HttpContext context)
    {
        var batch = FindBatch(context);
        if (batch is null)
        {
            await ErrorAsync(context, 404, "no such batch").ConfigureAwait(false);
            return;
        }

        await AdvanceAsync(batch, context.RequestAborted).ConfigureAwait(false);
        await WriteJsonAsync(context, 200, AnthropicBatchJson(batch, context)).ConfigureAwait(false);
    }

    private async Task AnthropicResultsAsync(HttpContext context)
    {
        var batch = FindBatch(context);
        TestFile? results = null;
        if (batch?.OutputFileId is { } id)
        {
            lock (_gate)
            {
                results = _files.GetValueOrDefault(id);
            }
        }

        if (results is null)
        {
            await ErrorAsync(context, 404, "no results (yet)").ConfigureAwait(false);
            return;
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/binary";
        context.Response.ContentLength = results.Content.Length;
        await context.Response.Body.WriteAsync(results.Content, context.RequestAborted).ConfigureAwait(false);
    }

    private async Task CancelAnthropicAsync(HttpContext context)
    {
        var batch = FindBatch(context);
        if (batch is null)
        {
            await ErrorAsync(context, 404, "no such batch").ConfigureAwait(false);
            return;
        }

        lock (batch.Gate)
        {
            if (batch.StatusUnlocked is "validating" or "in_progress")
            {
                batch.StatusUnlocked = "cancelling";
            }
        }

        await WriteJsonAsync(context, 200, AnthropicBatchJson(batch, context)).ConfigureAwait(false);
    }

    /// <summary>An Anthropic request's <c>params</c> as a chat completion body: system first, then the messages.</summary>
    private static byte[] AnthropicToChatBody(JsonElement parameters)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            foreach (var property in parameters.EnumerateObject())
            {
                if (property.Name is "messages" or "system")
                {
                    continue;
                }

                property.WriteTo(json);
            }

            json.WriteStartArray("messages");
            if (parameters.TryGetProperty("system", out var system))
            {
                json.WriteStartObject();
                json.WriteString("role", "system");
                json.WritePropertyName("content");
                system.WriteTo(json);
                json.WriteEndObject();
            }

            if (parameters.TryGetProperty("messages", out var messages))
            {
                foreach (var message in messages.EnumerateArray())
                {
                    message.WriteTo(json);
                }
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static string AnthropicMessageJson(ChatCompletionCall call, ScriptedReply reply)
    {
        var choice = reply.Choices.Count > 0 ? reply.Choices[0] : new ScriptedChoice(string.Empty);
        var prompt = reply.PromptTokens ?? ResponseWriter.EstimateTokens(call.Messages.Sum(m => m.Content.Length));
        var completion = reply.CompletionTokens ?? ResponseWriter.EstimateTokens(choice.Text.Length);
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("id", "msg_test_" + call.Sequence.ToString(CultureInfo.InvariantCulture));
            json.WriteString("type", "message");
            json.WriteString("role", "assistant");
            json.WriteString("model", reply.Model ?? call.Model ?? OpenAICompatibleTestServer.DefaultModel);
            json.WriteStartArray("content");
            json.WriteStartObject();
            json.WriteString("type", "text");
            json.WriteString("text", choice.Text);
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteString("stop_reason", choice.FinishReason switch { "length" => "max_tokens", "content_filter" => "refusal", _ => "end_turn" });
            json.WriteNull("stop_sequence");
            json.WriteStartObject("usage");
            json.WriteNumber("input_tokens", prompt);
            json.WriteNumber("output_tokens", completion);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string AnthropicOutcomeLine(string customId, string type, string? message, int status = 0)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("custom_id", customId);
            json.WriteStartObject("result");
            json.WriteString("type", type);
            if (message is not null)
            {
                json.WritePropertyName("message");
                using var document = JsonDocument.Parse(message);
                document.RootElement.WriteTo(json);
            }

            if (type == "errored")
            {
                json.WriteStartObject("error");
                json.WriteString("type", "error");
                json.WriteStartObject("error");
                json.WriteString("type", status switch { 400 => "invalid_request_error", 429 => "rate_limit_error", 529 => "overloaded_error", _ => "api_error" });
                json.WriteString("message", "scripted error " + status.ToString(CultureInfo.InvariantCulture));
                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string AnthropicBatchJson(TestBatch batch, HttpContext context)
    {
        string status;
        int completed, failed, unrun;
        lock (batch.Gate)
        {
            status = batch.StatusUnlocked;
            completed = batch.Completed;
            failed = batch.Failed;
            unrun = batch.Unrun;
        }

        bool ended = status is "completed" or "expired" or "cancelled";
        var created = DateTimeOffset.FromUnixTimeSeconds(batch.CreatedAt);
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("id", batch.Id);
            json.WriteString("type", "message_batch");
            json.WriteString("processing_status", ended ? "ended" : status == "cancelling" ? "canceling" : "in_progress");
            json.WriteStartObject("request_counts");
            json.WriteNumber("processing", ended ? 0 : batch.CustomIds.Count);
            json.WriteNumber("succeeded", completed);
            json.WriteNumber("errored", failed - unrun);
            json.WriteNumber("canceled", status == "cancelled" ? unrun : 0);
            json.WriteNumber("expired", status == "expired" ? unrun : 0);
            json.WriteEndObject();
            if (ended)
            {
                json.WriteString("ended_at", created.AddSeconds(1));
                json.WriteString("results_url", $"{context.Request.Scheme}://{context.Request.Host}/v1/messages/batches/{batch.Id}/results");
            }
            else
            {
                json.WriteNull("ended_at");
                json.WriteNull("results_url");
            }

            json.WriteString("created_at", created);
            json.WriteString("expires_at", created.AddDays(1));
            json.WriteNull("archived_at");
            if (status is "cancelling" or "cancelled")
            {
                json.WriteString("cancel_initiated_at", created);
            }
            else
            {
                json.WriteNull("cancel_initiated_at");
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string ResultLine(string requestId, string customId, int status, string responseBody)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("id", requestId);
            json.WriteString("custom_id", customId);
            json.WriteStartObject("response");
            json.WriteNumber("status_code", status);
            json.WriteString("request_id", "req_" + requestId);
            json.WritePropertyName("body");
            using (var document = JsonDocument.Parse(responseBody))
            {
                document.RootElement.WriteTo(json);
            }

            json.WriteEndObject();
            json.WriteNull("error");
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string ErrorLine(string requestId, string customId, int? status, string code, string message)
    {
        _ = status;
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("id", requestId);
            json.WriteString("custom_id", customId);
            json.WriteNull("response");
            json.WriteStartObject("error");
            json.WriteString("code", code);
            json.WriteString("message", message);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private TestFile AddFile(string fileName, string purpose, byte[] content)
    {
        lock (_gate)
        {
            _fileCounter++;
            var file = new TestFile("file-test" + _fileCounter.ToString("D4", CultureInfo.InvariantCulture), fileName, purpose, content, Now());
            _files.Add(file.Id, file);
            return file;
        }
    }

    private TestFile? FindFile(HttpContext context)
    {
        var id = context.Request.RouteValues["id"] as string;
        lock (_gate)
        {
            return id is null ? null : _files.GetValueOrDefault(id);
        }
    }

    private TestBatch? FindBatch(HttpContext context)
    {
        var id = context.Request.RouteValues["id"] as string;
        lock (_gate)
        {
            return _batches.FirstOrDefault(b => b.Id == id);
        }
    }

    private static IEnumerable<string> Lines(byte[] content) =>
        Encoding.UTF8.GetString(content).Split('\n').Where(l => !string.IsNullOrWhiteSpace(l));

    private static string FileJson(TestFile file)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("id", file.Id);
            json.WriteString("object", "file");
            json.WriteNumber("bytes", file.Content.Length);
            json.WriteNumber("created_at", file.CreatedAt);
            json.WriteString("filename", file.FileName);
            json.WriteString("purpose", file.Purpose);
            json.WriteString("status", "processed");
            json.WriteNull("status_details");
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string BatchJson(TestBatch batch)
    {
        string status;
        string? output, error;
        int completed, failed;
        lock (batch.Gate)
        {
            status = batch.StatusUnlocked;
            output = batch.OutputFileId;
            error = batch.ErrorFileId;
            completed = batch.Completed;
            failed = batch.Failed;
        }

        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("id", batch.Id);
            json.WriteString("object", "batch");
            json.WriteString("endpoint", batch.Endpoint);
            json.WriteNull("errors");
            json.WriteString("input_file_id", batch.InputFileId);
            json.WriteString("completion_window", "24h");
            json.WriteString("status", status);
            WriteNullable(json, "output_file_id", output);
            WriteNullable(json, "error_file_id", error);
            json.WriteNumber("created_at", batch.CreatedAt);
            json.WriteNumber("expires_at", batch.CreatedAt + 86400);
            json.WriteStartObject("request_counts");
            json.WriteNumber("total", batch.CustomIds.Count);
            json.WriteNumber("completed", completed);
            json.WriteNumber("failed", failed);
            json.WriteEndObject();
            json.WriteStartObject("metadata");
            foreach (var (key, value) in batch.Metadata)
            {
                json.WriteString(key, value);
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteNullable(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }

    private static Task ErrorAsync(HttpContext context, int status, string message) =>
        WriteJsonAsync(context, status, ResponseWriter.ErrorJson(status, message, "invalid_request_error", null));

    private static async Task WriteJsonAsync(HttpContext context, int status, string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
    }

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();
}
