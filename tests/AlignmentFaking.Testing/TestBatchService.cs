using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
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
/// An OpenAI batch whose input file breaks the Batch API's rules turns <c>failed</c> on its first retrieval, with the
/// reasons in <see cref="Errors"/>, as the real API reports them after validation.
/// </summary>
public sealed class TestBatch
{
    private readonly Lock _gate = new();

    internal TestBatch(int number, string id, string inputFileId, string endpoint, IReadOnlyList<string> customIds, IReadOnlyDictionary<string, string> metadata, DateTimeOffset createdAt, IReadOnlyList<TestBatchError> validationErrors)
    {
        Number = number;
        Id = id;
        InputFileId = inputFileId;
        Endpoint = endpoint;
        CustomIds = customIds;
        Metadata = metadata;
        CreatedAtTime = createdAt;
        ValidationErrors = validationErrors;
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
    public long CreatedAt => CreatedAtTime.ToUnixTimeSeconds();

    /// <summary>When the batch was created (millisecond precision).</summary>
    public DateTimeOffset CreatedAtTime { get; }

    /// <summary>The status (<c>validating</c>, <c>in_progress</c>, <c>completed</c>, <c>expired</c>, <c>cancelling</c>, <c>cancelled</c>, <c>failed</c>).</summary>
    public string Status { get { lock (_gate) { return _status; } } }

    /// <summary>Why the batch failed validation (empty until it did).</summary>
    public IReadOnlyList<TestBatchError> Errors { get { lock (_gate) { return _status == "failed" ? ValidationErrors : []; } } }

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

    internal IReadOnlyList<TestBatchError> ValidationErrors { get; }

    internal Lock Gate => _gate;

    private string _status = "validating";
    private int _retrievals;

    internal string StatusUnlocked { get => _status; set => _status = value; }

    internal int IncrementRetrievals() => ++_retrievals;
}

/// <summary>One reason an OpenAI batch failed validation (an item of the batch's <c>errors.data</c>).</summary>
/// <param name="Code">The error code (<c>invalid_json_line</c>, <c>duplicate_custom_id</c>, <c>url_mismatch</c>, <c>model_mismatch</c>, <c>empty_file</c>, <c>too_many_tasks</c>, ...).</param>
/// <param name="Message">The message.</param>
/// <param name="Line">The 1-based line of the input file, when one line is at fault.</param>
public sealed record TestBatchError(string Code, string Message, int? Line);

/// <summary>
/// The OpenAI Files and Batch endpoints, and the Anthropic Message Batches endpoints, of the test server. Each
/// enforces the provider's documented request rules (cited where they are checked), so a client that breaks one fails
/// here as it would against the real API.
/// </summary>
internal sealed partial class TestBatchService
{
    public const string AnthropicEndpoint = "anthropic:/v1/messages";

    /// <summary>
    /// The endpoints a batch can target. Source: OpenAI API reference, "Create batch", <c>endpoint</c>
    /// (https://platform.openai.com/docs/api-reference/batch/create).
    /// </summary>
    private static readonly string[] OpenAIBatchEndpoints = ["/v1/responses", "/v1/chat/completions", "/v1/embeddings", "/v1/completions", "/v1/moderations"];

    /// <summary>The purposes the Files API accepts (https://platform.openai.com/docs/api-reference/files/create).</summary>
    private static readonly string[] FilePurposes = ["assistants", "batch", "fine-tune", "vision", "user_data", "evals"];

    /// <summary>
    /// The top-level fields of a Messages API request; any other is refused ("Extra inputs are not permitted").
    /// Source: Anthropic API reference, "Create a Message" (https://docs.anthropic.com/en/api/messages).
    /// </summary>
    private static readonly string[] AnthropicParams =
    [
        "model", "messages", "max_tokens", "system", "temperature", "top_p", "top_k", "stop_sequences", "metadata", "tools",
        "tool_choice", "thinking", "service_tier", "container", "mcp_servers", "context_management", "output_config",
        "output_format", "inference_geo", "cache_control", "speed", "diagnostics",
    ];

    private readonly Func<ChatCompletionCall, CancellationToken, ValueTask<ScriptedReply>> _responder;
    private readonly TestServerOptions _options;
    private readonly PromptCacheBilling _promptCache;
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
        Action<ChatCompletionCall> record,
        PromptCacheBilling promptCache)
    {
        _promptCache = promptCache;
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

    /// <summary>
    /// The custom id alphabet of Message Batches. Source: Anthropic API reference, "Create a Message Batch",
    /// <c>requests[].custom_id</c>: "minLength: 1, maxLength: 64, pattern: ^[a-zA-Z0-9_-]{1,64}$"
    /// (https://docs.anthropic.com/en/api/creating-message-batches).
    /// </summary>
    [GeneratedRegex("^[a-zA-Z0-9_-]{1,64}$")]
    private static partial Regex AnthropicCustomId();

    public void Map(WebApplication app)
    {
        foreach (var prefix in new[] { "/v1", string.Empty })
        {
            app.MapPost(prefix + "/files", OpenAI(UploadAsync));
            app.MapGet(prefix + "/files/{id}", OpenAI(GetFileAsync));
            app.MapGet(prefix + "/files/{id}/content", OpenAI(GetContentAsync));
            app.MapPost(prefix + "/batches", OpenAI(CreateAsync));
            app.MapGet(prefix + "/batches", OpenAI(ListAsync));
            app.MapGet(prefix + "/batches/{id}", OpenAI(RetrieveAsync));
            app.MapPost(prefix + "/batches/{id}/cancel", OpenAI(CancelAsync));
        }

        app.MapPost("/v1/messages", Anthropic(MessagesAsync));
        app.MapPost("/v1/messages/batches", Anthropic(CreateAnthropicAsync));
        app.MapGet("/v1/messages/batches", Anthropic(ListAnthropicAsync));
        app.MapGet("/v1/messages/batches/{id}", Anthropic(RetrieveAnthropicAsync));
        app.MapGet("/v1/messages/batches/{id}/results", Anthropic(AnthropicResultsAsync));
        app.MapPost("/v1/messages/batches/{id}/cancel", Anthropic(CancelAnthropicAsync));
    }

    /// <summary>An OpenAI endpoint: <c>Authorization: Bearer KEY</c> is checked first, as the real API does.</summary>
    private RequestDelegate OpenAI(Func<HttpContext, Task> handler) => async context =>
    {
        if (_options.RequiredApiKey is { } key && !OpenAICompatibleTestServer.IsAuthorized(context.Request.Headers.Authorization.ToString(), key))
        {
            await WriteJsonAsync(context, 401, ResponseWriter.ErrorJson(401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key")).ConfigureAwait(false);
            return;
        }

        await handler(context).ConfigureAwait(false);
    };

    /// <summary>
    /// An Anthropic endpoint: the key comes in <c>x-api-key</c> (or <c>Authorization: Bearer</c>) and every request names its <c>anthropic-version</c>
    /// (https://docs.anthropic.com/en/api/versioning); errors have Anthropic's shape (https://docs.anthropic.com/en/api/errors).
    /// </summary>
    private RequestDelegate Anthropic(Func<HttpContext, Task> handler) => async context =>
    {
        // The key comes in x-api-key, or as Authorization: Bearer KEY, which is how the official .NET SDK sends an API key
        // (Anthropic 13.12, ClientOptions.ApiKey: "The API key to authenticate with, sent as Authorization: Bearer").
        if (_options.RequiredApiKey is { } key && !string.Equals(context.Request.Headers["x-api-key"].ToString(), key, StringComparison.Ordinal)
            && !OpenAICompatibleTestServer.IsAuthorized(context.Request.Headers.Authorization.ToString(), key))
        {
            await AnthropicErrorAsync(context, 401, "authentication_error", "invalid x-api-key").ConfigureAwait(false);
            return;
        }

        if (string.IsNullOrEmpty(context.Request.Headers["anthropic-version"].ToString()))
        {
            await AnthropicErrorAsync(context, 400, "invalid_request_error", "anthropic-version: header is required").ConfigureAwait(false);
            return;
        }

        await handler(context).ConfigureAwait(false);
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
        if (file is null)
        {
            await ErrorAsync(context, 400, "Missing required parameter: 'file'.", "file", "missing_required_parameter").ConfigureAwait(false);
            return;
        }

        if (string.IsNullOrEmpty(purpose))
        {
            await ErrorAsync(context, 400, "Missing required parameter: 'purpose'.", "purpose", "missing_required_parameter").ConfigureAwait(false);
            return;
        }

        if (!FilePurposes.Contains(purpose, StringComparer.Ordinal))
        {
            await ErrorAsync(context, 400, $"Invalid value: '{purpose}'. Supported values are: 'assistants', 'batch', 'fine-tune', 'vision', 'user_data', and 'evals'.", "purpose", "invalid_value").ConfigureAwait(false);
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
            await ErrorAsync(context, 404, "No such File object: " + context.Request.RouteValues["id"]).ConfigureAwait(false);
            return;
        }

        await WriteJsonAsync(context, 200, FileJson(file)).ConfigureAwait(false);
    }

    private async Task GetContentAsync(HttpContext context)
    {
        var file = FindFile(context);
        if (file is null)
        {
            await ErrorAsync(context, 404, "No such File object: " + context.Request.RouteValues["id"]).ConfigureAwait(false);
            return;
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/octet-stream";
        context.Response.ContentLength = file.Content.Length;
        await context.Response.Body.WriteAsync(file.Content, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>POST /v1/batches</c>. Refused with a 400 (source: https://platform.openai.com/docs/api-reference/batch/create):
    /// no <c>input_file_id</c> naming an uploaded file of purpose <c>batch</c>, an <c>endpoint</c> the Batch API does
    /// not serve, a <c>completion_window</c> other than <c>24h</c>, more than 16 metadata pairs (keys up to 64, values up
    /// to 512 characters), or an input file over 200 MB (<see cref="TestServerOptions.OpenAIMaxBatchFileBytes"/>). The
    /// lines of the input file are checked as the real API validates them after creation (see
    /// <see cref="ValidateOpenAIInput"/>): the batch is created, then fails on its first retrieval.
    /// </summary>
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
            await ErrorAsync(context, 400, "We could not parse the JSON body of your request. " + e.Message).ConfigureAwait(false);
            return;
        }

        var inputFileId = body.TryGetProperty("input_file_id", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
        var endpoint = body.TryGetProperty("endpoint", out var e2) && e2.ValueKind == JsonValueKind.String ? e2.GetString() : null;
        var window = body.TryGetProperty("completion_window", out var w) && w.ValueKind == JsonValueKind.String ? w.GetString() : null;
        if (inputFileId is null)
        {
            await ErrorAsync(context, 400, "Missing required parameter: 'input_file_id'.", "input_file_id", "missing_required_parameter").ConfigureAwait(false);
            return;
        }

        if (endpoint is null || !OpenAIBatchEndpoints.Contains(endpoint, StringComparer.Ordinal))
        {
            await ErrorAsync(context, 400, endpoint is null ? "Missing required parameter: 'endpoint'." : $"Invalid value: '{endpoint}'. Supported values are: '/v1/responses', '/v1/chat/completions', '/v1/embeddings', '/v1/completions', and '/v1/moderations'.", "endpoint", endpoint is null ? "missing_required_parameter" : "invalid_value").ConfigureAwait(false);
            return;
        }

        if (window != "24h")
        {
            await ErrorAsync(context, 400, window is null ? "Missing required parameter: 'completion_window'." : $"Invalid value: '{window}'. Supported values are: '24h'.", "completion_window", window is null ? "missing_required_parameter" : "invalid_value").ConfigureAwait(false);
            return;
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (body.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in m.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String || p.Name.Length > 64 || p.Value.GetString()!.Length > 512)
                {
                    await ErrorAsync(context, 400, $"Invalid 'metadata.{p.Name}': metadata keys are strings of at most 64 characters and values strings of at most 512.", "metadata", "invalid_value").ConfigureAwait(false);
                    return;
                }

                metadata[p.Name] = p.Value.GetString()!;
            }
        }

        if (metadata.Count > 16)
        {
            await ErrorAsync(context, 400, $"Invalid 'metadata': too many properties. Expected an object with at most 16 properties, but got {metadata.Count} instead.", "metadata", "object_above_max_properties").ConfigureAwait(false);
            return;
        }

        TestFile? input;
        lock (_gate)
        {
            input = _files.GetValueOrDefault(inputFileId);
        }

        if (input is null)
        {
            await ErrorAsync(context, 404, "No such File object: " + inputFileId, "input_file_id").ConfigureAwait(false);
            return;
        }

        if (input.Purpose != "batch")
        {
            await ErrorAsync(context, 400, $"The input file {input.Id} has purpose '{input.Purpose}'; a batch input file must be uploaded with purpose 'batch'.", "input_file_id", "invalid_value").ConfigureAwait(false);
            return;
        }

        if (input.Content.LongLength > _options.OpenAIMaxBatchFileBytes)
        {
            await ErrorAsync(context, 400, string.Create(CultureInfo.InvariantCulture, $"The input file {input.Id} has {input.Content.LongLength} bytes; a batch input file can be at most {_options.OpenAIMaxBatchFileBytes} bytes."), "input_file_id", "file_too_large").ConfigureAwait(false);
            return;
        }

        var (customIds, errors) = ValidateOpenAIInput(input.Content, endpoint);
        TestBatch batch;
        lock (_gate)
        {
            int number = _batches.Count + 1;
            batch = new TestBatch(number, "batch_test" + number.ToString("D4", CultureInfo.InvariantCulture), input.Id, endpoint, customIds, metadata, DateTimeOffset.UtcNow, errors);
            _batches.Add(batch);
        }

        await WriteJsonAsync(context, 200, BatchJson(batch)).ConfigureAwait(false);
    }

    /// <summary>
    /// The checks of a batch input file (source: https://platform.openai.com/docs/guides/batch and the request input
    /// object, https://platform.openai.com/docs/api-reference/batch/request-input): not empty, at most 50,000 lines
    /// (<see cref="TestServerOptions.OpenAIMaxRequestsPerBatch"/>), each a JSON object with a <c>custom_id</c> unique
    /// within the file, <c>method</c> <c>POST</c>, the batch's endpoint as <c>url</c>, and a <c>body</c> naming a
    /// model, the same model on every line ("each input file can only include requests to a single model").
    /// </summary>
    private (List<string> CustomIds, List<TestBatchError> Errors) ValidateOpenAIInput(byte[] content, string endpoint)
    {
        var customIds = new List<string>();
        var errors = new List<TestBatchError>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string? model = null;
        var lines = Encoding.UTF8.GetString(content).Split('\n');
        int count = 0;
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            count++;
            int number = i + 1;
            JsonElement root;
            try
            {
                using var document = JsonDocument.Parse(line);
                root = document.RootElement.Clone();
            }
            catch (JsonException)
            {
                errors.Add(new TestBatchError("invalid_json_line", "This line is not parseable as valid JSON.", number));
                continue;
            }

            if (root.ValueKind != JsonValueKind.Object)
            {
                errors.Add(new TestBatchError("invalid_json_line", "This line is not a JSON object.", number));
                continue;
            }

            var customId = root.TryGetProperty("custom_id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString()! : null;
            if (string.IsNullOrEmpty(customId))
            {
                errors.Add(new TestBatchError("missing_required_parameter", "Missing required parameter: 'custom_id'.", number));
            }
            else
            {
                customIds.Add(customId);
                if (!seen.Add(customId))
                {
                    errors.Add(new TestBatchError("duplicate_custom_id", $"The custom_id for this request is a duplicate of another request. The custom_id parameter must be unique for each request in a batch: '{customId}'.", number));
                }
            }

            if (!root.TryGetProperty("method", out var method) || method.ValueKind != JsonValueKind.String || method.GetString() != "POST")
            {
                errors.Add(new TestBatchError("invalid_request", "The request method must be POST.", number));
            }

            var url = root.TryGetProperty("url", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null;
            if (url != endpoint)
            {
                errors.Add(new TestBatchError("url_mismatch", $"The url for this request does not match the endpoint of the batch ('{url}' vs '{endpoint}').", number));
            }

            var lineModel = root.TryGetProperty("body", out var body) && body.ValueKind == JsonValueKind.Object
                && body.TryGetProperty("model", out var bm) && bm.ValueKind == JsonValueKind.String ? bm.GetString() : null;
            if (lineModel is null)
            {
                errors.Add(new TestBatchError("missing_required_parameter", "Missing required parameter: 'body.model'.", number));
            }
            else if (model is null)
            {
                model = lineModel;
            }
            else if (lineModel != model)
            {
                errors.Add(new TestBatchError("model_mismatch", $"The model for this request ('{lineModel}') differs from the model of the batch ('{model}'): each input file can only include requests to a single model.", number));
            }
        }

        if (count == 0)
        {
            errors.Add(new TestBatchError("empty_file", "The input file is empty.", null));
        }
        else if (count > _options.OpenAIMaxRequestsPerBatch)
        {
            errors.Add(new TestBatchError("too_many_tasks", string.Create(CultureInfo.InvariantCulture, $"The input file has {count} requests; a batch can have at most {_options.OpenAIMaxRequestsPerBatch}."), null));
        }

        return (customIds, errors);
    }

    /// <summary><c>GET /v1/batches?after=&amp;limit=</c>: newest first, <c>limit</c> 1..100 (default 20), cursor <c>after</c>.</summary>
    private async Task ListAsync(HttpContext context)
    {
        if (!TryLimit(context, "limit", 20, 100, out int limit))
        {
            await ErrorAsync(context, 400, "Invalid 'limit': expected an integer from 1 to 100.", "limit", "invalid_value").ConfigureAwait(false);
            return;
        }

        var page = Page(context.Request.Query["after"].ToString(), null, limit, out bool hasMore);
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("object", "list");
            json.WriteStartArray("data");
            foreach (var batch in page)
            {
                using var document = JsonDocument.Parse(BatchJson(batch));
                document.RootElement.WriteTo(json);
            }

            json.WriteEndArray();
            WriteNullable(json, "first_id", page.Count > 0 ? page[0].Id : null);
            WriteNullable(json, "last_id", page.Count > 0 ? page[^1].Id : null);
            json.WriteBoolean("has_more", hasMore);
            json.WriteEndObject();
        }

        await WriteJsonAsync(context, 200, Encoding.UTF8.GetString(buffer.WrittenSpan)).ConfigureAwait(false);
    }

    /// <summary>One page of the batches, newest first: after the cursor <paramref name="after"/>, or before <paramref name="before"/>.</summary>
    private List<TestBatch> Page(string? after, string? before, int limit, out bool hasMore)
    {
        var newestFirst = Batches.Reverse().ToList();
        int start = 0, end = newestFirst.Count;
        if (!string.IsNullOrEmpty(after))
        {
            int at = newestFirst.FindIndex(b => b.Id == after);
            start = at < 0 ? newestFirst.Count : at + 1;
        }
        else if (!string.IsNullOrEmpty(before))
        {
            int at = newestFirst.FindIndex(b => b.Id == before);
            end = at < 0 ? 0 : at;
            start = Math.Max(0, end - limit);
        }

        var page = newestFirst.Skip(start).Take(Math.Min(limit, end - start)).ToList();
        hasMore = !string.IsNullOrEmpty(before) ? start > 0 : start + page.Count < newestFirst.Count;
        return page;
    }

    private static bool TryLimit(HttpContext context, string name, int defaultValue, int max, out int limit)
    {
        var text = context.Request.Query[name].ToString();
        if (string.IsNullOrEmpty(text))
        {
            limit = defaultValue;
            return true;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limit) && limit is >= 1 && limit <= max;
    }

    private async Task RetrieveAsync(HttpContext context)
    {
        var batch = FindBatch(context, anthropic: false);
        if (batch is null)
        {
            await ErrorAsync(context, 404, "No such Batch object: " + context.Request.RouteValues["id"]).ConfigureAwait(false);
            return;
        }

        await AdvanceAsync(batch, context.RequestAborted).ConfigureAwait(false);
        await WriteJsonAsync(context, 200, BatchJson(batch)).ConfigureAwait(false);
    }

    /// <summary>One retrieval: counts it, fails a batch whose input did not validate, and finishes it when it is due (or being cancelled).</summary>
    private async Task AdvanceAsync(TestBatch batch, CancellationToken ct)
    {
        bool finish = false;
        lock (batch.Gate)
        {
            int retrievals = batch.IncrementRetrievals();
            if (batch.StatusUnlocked == "validating" && batch.ValidationErrors.Count > 0)
            {
                batch.StatusUnlocked = "failed";
            }
            else if (batch.StatusUnlocked is "validating" or "in_progress")
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
        var batch = FindBatch(context, anthropic: false);
        if (batch is null)
        {
            await ErrorAsync(context, 404, "No such Batch object: " + context.Request.RouteValues["id"]).ConfigureAwait(false);
            return;
        }

        Cancel(batch);
        await WriteJsonAsync(context, 200, BatchJson(batch)).ConfigureAwait(false);
    }

    private static void Cancel(TestBatch batch)
    {
        lock (batch.Gate)
        {
            if (batch.StatusUnlocked == "validating" && batch.ValidationErrors.Count > 0)
            {
                batch.StatusUnlocked = "failed";
            }
            else if (batch.StatusUnlocked is "validating" or "in_progress")
            {
                batch.StatusUnlocked = "cancelling";
            }
        }
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
                        errors.Append(ErrorLine(requestId, customId, cancelled ? "batch_cancelled" : "batch_expired", cancelled ? "This request was not executed because the batch was cancelled." : "This request could not be executed before the completion window expired.")).Append('\n');
                    }

                    continue;
                }

                var parameters = anthropic ? root.GetProperty("params") : default;
                var bodyBytes = anthropic ? AnthropicToChatBody(parameters) : Encoding.UTF8.GetBytes(root.GetProperty("body").GetRawText());
                var call = new ChatCompletionCall(_nextSequence(), DateTimeOffset.UtcNow, Encoding.UTF8.GetString(bodyBytes), hasAuthorization: true, new Dictionary<string, string> { ["x-test-batch-id"] = batch.Id, ["x-test-custom-id"] = customId });
                _record(call);
                RequestParser.Fill(call, bodyBytes);

                // A request the real endpoint would refuse fails on its own, like any other 400, and never reaches the responder.
                var rejection = anthropic ? ValidateAnthropicParams(parameters) : call.Body is { } body ? RequestParser.Validate(body) : new RequestRejection("The body is not a JSON object.", "body", null);
                ScriptedReply reply;
                if (rejection is not null)
                {
                    reply = ScriptedReply.Error(400, anthropic ? AnthropicErrorJson("invalid_request_error", rejection.Message) : rejection.ToOpenAIJson());
                }
                else
                {
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
                }

                call.SetReply(reply);
                if (reply.Kind == ScriptedReplyKind.Completion)
                {
                    AnthropicInputBill? bill = null;
                    if (anthropic)
                    {
                        var b = _promptCache.BillAnthropic(parameters, _options.AnthropicMinimumCacheableTokens);
                        (call.CachedTokens, call.CacheCreationTokens, call.BilledInputTokens) = (b.CacheReadTokens, b.CacheCreationTokens, b.InputTokens + b.CacheReadTokens + b.CacheCreationTokens);
                        bill = b;
                    }

                    var responseBody = anthropic ? AnthropicMessageJson(call, reply, bill) : ResponseWriter.CompletionJson(call, reply, Now());
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
                        output.Append(AnthropicOutcomeLine(customId, "errored", null, code, rejection?.Message)).Append('\n');
                    }
                    else
                    {
                        errors.Append(ResultLine(requestId, customId, code, responseBody)).Append('\n');
                    }
                }
            }

            var outputText = output.ToString();
            if (_options.RewriteBatchOutput is { } rewrite && outputText.Length > 0)
            {
                outputText = rewrite(batch, outputText);
            }

            var outputFile = completed > 0 || (anthropic && output.Length > 0) ? AddFile(batch.Id + "_output.jsonl", "batch_output", Encoding.UTF8.GetBytes(outputText)) : null;
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

    /// <summary>
    /// <c>POST /v1/messages/batches</c>, refused at once (source: Anthropic API reference, "Create a Message Batch",
    /// https://docs.anthropic.com/en/api/creating-message-batches, and the batch processing guide,
    /// https://docs.anthropic.com/en/docs/build-with-claude/batch-processing#batch-limitations): <c>requests</c> holds
    /// 1 to 100,000 items (<see cref="TestServerOptions.AnthropicMaxRequestsPerBatch"/>), each with a
    /// <c>custom_id</c> matching <c>^[a-zA-Z0-9_-]{1,64}$</c>, unique within the batch, and a <c>params</c> object; the
    /// batch is at most 256 MB (<see cref="TestServerOptions.AnthropicMaxBatchBytes"/>, a 413). The params of each
    /// request are validated asynchronously, as the guide says: a bad one becomes an <c>errored</c> result (see
    /// <see cref="ValidateAnthropicParams"/>).
    /// </summary>
    private async Task CreateAnthropicAsync(HttpContext context)
    {
        byte[] raw;
        using (var buffer = new MemoryStream())
        {
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
            raw = buffer.ToArray();
        }

        if (raw.LongLength > _options.AnthropicMaxBatchBytes)
        {
            await AnthropicErrorAsync(context, 413, "request_too_large", string.Create(CultureInfo.InvariantCulture, $"Request exceeds the maximum allowed number of bytes ({raw.LongLength} > {_options.AnthropicMaxBatchBytes}).")).ConfigureAwait(false);
            return;
        }

        JsonElement body;
        try
        {
            using var document = JsonDocument.Parse(raw);
            body = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            await AnthropicErrorAsync(context, 400, "invalid_request_error", "There was an issue with the JSON body of the request: " + e.Message).ConfigureAwait(false);
            return;
        }

        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("requests", out var requests) || requests.ValueKind != JsonValueKind.Array)
        {
            await AnthropicErrorAsync(context, 400, "invalid_request_error", "requests: Field required").ConfigureAwait(false);
            return;
        }

        int count = requests.GetArrayLength();
        if (count < 1 || count > _options.AnthropicMaxRequestsPerBatch)
        {
            await AnthropicErrorAsync(context, 400, "invalid_request_error", count < 1
                ? "requests: List should have at least 1 item after validation, not 0"
                : string.Create(CultureInfo.InvariantCulture, $"requests: List should have at most {_options.AnthropicMaxRequestsPerBatch} items after validation, not {count}")).ConfigureAwait(false);
            return;
        }

        var lines = new StringBuilder();
        var customIds = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int index = 0;
        foreach (var request in requests.EnumerateArray())
        {
            string? problem = null;
            var customId = request.ValueKind == JsonValueKind.Object && request.TryGetProperty("custom_id", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : null;
            if (customId is null)
            {
                problem = "custom_id: Field required";
            }
            else if (!AnthropicCustomId().IsMatch(customId))
            {
                problem = "custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'";
            }
            else if (!seen.Add(customId))
            {
                problem = $"custom_id: Duplicate custom_id '{customId}': each request in a Message Batch must have a unique custom_id";
            }
            else if (!request.TryGetProperty("params", out var p) || p.ValueKind != JsonValueKind.Object)
            {
                problem = "params: Field required";
            }

            if (problem is not null)
            {
                await AnthropicErrorAsync(context, 400, "invalid_request_error", string.Create(CultureInfo.InvariantCulture, $"requests.{index}.{problem}")).ConfigureAwait(false);
                return;
            }

            customIds.Add(customId!);
            lines.Append(request.GetRawText()).Append('\n');
            index++;
        }

        var input = AddFile("message-batch-requests.jsonl", "anthropic-inline", Encoding.UTF8.GetBytes(lines.ToString()));
        TestBatch batch;
        lock (_gate)
        {
            int number = _batches.Count + 1;
            batch = new TestBatch(number, "msgbatch_test" + number.ToString("D4", CultureInfo.InvariantCulture), input.Id, AnthropicEndpoint, customIds, new Dictionary<string, string>(), DateTimeOffset.UtcNow, []);
            _batches.Add(batch);
        }

        await WriteJsonAsync(context, 200, AnthropicBatchJson(batch, context)).ConfigureAwait(false);
    }

    /// <summary>
    /// The checks of one request's <c>params</c> (source: Anthropic API reference, "Create a Message",
    /// https://docs.anthropic.com/en/api/messages): <c>model</c> (string), <c>max_tokens</c> (integer, at least 1 in a
    /// batch) and <c>messages</c> (a non-empty array of <c>user</c>/<c>assistant</c> turns whose content is a string or
    /// an array of blocks) are required; <c>temperature</c> and <c>top_p</c> are 0..1, <c>top_k</c> at least 0,
    /// <c>system</c> a string or an array; other fields are refused; <c>cache_control</c> as
    /// <see cref="PromptCacheBilling.ValidateAnthropic"/> checks it. Null when the params are acceptable.
    /// </summary>
    private static RequestRejection? ValidateAnthropicParams(JsonElement parameters)
    {
        foreach (var property in parameters.EnumerateObject())
        {
            if (!AnthropicParams.Contains(property.Name, StringComparer.Ordinal))
            {
                return Reject(property.Name + ": Extra inputs are not permitted");
            }
        }

        if (!parameters.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.String || model.GetString()!.Length == 0)
        {
            return Reject("model: Field required");
        }

        if (!parameters.TryGetProperty("max_tokens", out var max) || max.ValueKind != JsonValueKind.Number || !max.TryGetInt64(out var maxTokens))
        {
            return Reject("max_tokens: Field required");
        }

        if (maxTokens < 1)
        {
            return Reject("max_tokens: Input should be greater than or equal to 1");
        }

        if (!parameters.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
        {
            return Reject("messages: Field required");
        }

        if (messages.GetArrayLength() == 0)
        {
            return Reject("messages: at least one message is required");
        }

        int index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            var role = message.ValueKind == JsonValueKind.Object && message.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
            if (role is not ("user" or "assistant"))
            {
                return Reject(string.Create(CultureInfo.InvariantCulture, $"messages.{index}.role: Input should be 'user' or 'assistant'"));
            }

            if (!message.TryGetProperty("content", out var content) || content.ValueKind is not (JsonValueKind.String or JsonValueKind.Array))
            {
                return Reject(string.Create(CultureInfo.InvariantCulture, $"messages.{index}.content: Field required"));
            }

            index++;
        }

        if (parameters.TryGetProperty("system", out var system) && system.ValueKind is not (JsonValueKind.String or JsonValueKind.Array))
        {
            return Reject("system: Input should be a valid string or list");
        }

        return Range("temperature", 0, 1) ?? Range("top_p", 0, 1) ?? Range("top_k", 0, null) ?? Thinking(parameters, maxTokens, messages)
            ?? (PromptCacheBilling.ValidateAnthropic(parameters) is { } cacheProblem ? Reject(cacheProblem) : null);

        RequestRejection? Range(string name, double min, double? maxValue)
        {
            if (!parameters.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            if (value.ValueKind != JsonValueKind.Number)
            {
                return Reject(name + ": Input should be a valid number");
            }

            var number = value.GetDouble();
            return number < min ? Reject(string.Create(CultureInfo.InvariantCulture, $"{name}: Input should be greater than or equal to {min}"))
                : maxValue is { } high && number > high ? Reject(string.Create(CultureInfo.InvariantCulture, $"{name}: Input should be less than or equal to {high}"))
                : null;
        }

        static RequestRejection Reject(string message) => new(message, null, null);
    }

    /// <summary>
    /// Anthropic's extended-thinking rules (https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking):
    /// <c>thinking</c> is <c>{"type": "enabled", "budget_tokens": N}</c> (or <c>disabled</c>) with N at least 1024 and
    /// below <c>max_tokens</c>; with thinking on, <c>temperature</c> may only be 1, <c>top_k</c> is refused, <c>top_p</c>
    /// is 0.95 to 1, and a final assistant message (a prefill) must start with a thinking block, which a prefill never does.
    /// </summary>
    private static RequestRejection? Thinking(JsonElement parameters, long maxTokens, JsonElement messages)
    {
        if (!parameters.TryGetProperty("thinking", out var thinking) || thinking.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var type = thinking.ValueKind == JsonValueKind.Object && thinking.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        if (type == "disabled")
        {
            return null;
        }

        if (type != "enabled")
        {
            return new RequestRejection("thinking.type: Input should be 'enabled' or 'disabled'", null, null);
        }

        if (!thinking.TryGetProperty("budget_tokens", out var budgetElement) || budgetElement.ValueKind != JsonValueKind.Number || !budgetElement.TryGetInt64(out var budget))
        {
            return new RequestRejection("thinking.enabled.budget_tokens: Field required", null, null);
        }

        if (budget < 1024)
        {
            return new RequestRejection("thinking.enabled.budget_tokens: Input should be greater than or equal to 1024", null, null);
        }

        if (budget >= maxTokens)
        {
            return new RequestRejection("`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size", null, null);
        }

        if (parameters.TryGetProperty("temperature", out var temperature) && temperature.ValueKind == JsonValueKind.Number && temperature.GetDouble() != 1.0)
        {
            return new RequestRejection("`temperature` may only be set to 1 when thinking is enabled. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#feature-compatibility", null, null);
        }

        if (parameters.TryGetProperty("top_k", out var topK) && topK.ValueKind != JsonValueKind.Null)
        {
            return new RequestRejection("`top_k` is not supported when thinking is enabled.", null, null);
        }

        if (parameters.TryGetProperty("top_p", out var topP) && topP.ValueKind == JsonValueKind.Number && topP.GetDouble() < 0.95)
        {
            return new RequestRejection("`top_p` must be greater than or equal to 0.95 or unset when thinking is enabled.", null, null);
        }

        var last = messages[messages.GetArrayLength() - 1];
        if (last.TryGetProperty("role", out var role) && role.GetString() == "assistant")
        {
            var content = last.GetProperty("content");
            bool startsWithThinking = content.ValueKind == JsonValueKind.Array && content.GetArrayLength() > 0
                && content[0].TryGetProperty("type", out var blockType) && blockType.GetString() is "thinking" or "redacted_thinking";
            if (!startsWithThinking)
            {
                return new RequestRejection("messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `text`. When `thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable `thinking`.", null, null);
            }
        }

        return null;
    }

    /// <summary>Whether an Anthropic request enables extended thinking.</summary>
    private static bool ThinkingEnabled(JsonElement parameters) =>
        parameters.TryGetProperty("thinking", out var thinking) && thinking.ValueKind == JsonValueKind.Object
        && thinking.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "enabled";

    /// <summary><c>GET /v1/messages/batches?limit=&amp;after_id=&amp;before_id=</c>: newest first, <c>limit</c> 1..1000 (default 20).</summary>
    private async Task ListAnthropicAsync(HttpContext context)
    {
        if (!TryLimit(context, "limit", 20, 1000, out int limit))
        {
            await AnthropicErrorAsync(context, 400, "invalid_request_error", "limit: Input should be an integer from 1 to 1000").ConfigureAwait(false);
            return;
        }

        var page = Page(context.Request.Query["after_id"].ToString(), context.Request.Query["before_id"].ToString(), limit, out bool hasMore)
            .Where(b => b.Endpoint == AnthropicEndpoint).ToList();
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("data");
            foreach (var batch in page)
            {
                using var document = JsonDocument.Parse(AnthropicBatchJson(batch, context));
                document.RootElement.WriteTo(json);
            }

            json.WriteEndArray();
            json.WriteBoolean("has_more", hasMore);
            WriteNullable(json, "first_id", page.Count > 0 ? page[0].Id : null);
            WriteNullable(json, "last_id", page.Count > 0 ? page[^1].Id : null);
            json.WriteEndObject();
        }

        await WriteJsonAsync(context, 200, Encoding.UTF8.GetString(buffer.WrittenSpan)).ConfigureAwait(false);
    }

    private async Task RetrieveAnthropicAsync(HttpContext context)
    {
        var batch = FindBatch(context, anthropic: true);
        if (batch is null)
        {
            await AnthropicErrorAsync(context, 404, "not_found_error", "No message batch found with id " + context.Request.RouteValues["id"]).ConfigureAwait(false);
            return;
        }

        await AdvanceAsync(batch, context.RequestAborted).ConfigureAwait(false);
        await WriteJsonAsync(context, 200, AnthropicBatchJson(batch, context)).ConfigureAwait(false);
    }

    private async Task AnthropicResultsAsync(HttpContext context)
    {
        var batch = FindBatch(context, anthropic: true);
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
            await AnthropicErrorAsync(context, 404, "not_found_error", batch is null ? "No message batch found with id " + context.Request.RouteValues["id"] : "The results of message batch " + batch.Id + " are not available until it has ended").ConfigureAwait(false);
            return;
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/binary";
        context.Response.ContentLength = results.Content.Length;
        await context.Response.Body.WriteAsync(results.Content, context.RequestAborted).ConfigureAwait(false);
    }

    private async Task CancelAnthropicAsync(HttpContext context)
    {
        var batch = FindBatch(context, anthropic: true);
        if (batch is null)
        {
            await AnthropicErrorAsync(context, 404, "not_found_error", "No message batch found with id " + context.Request.RouteValues["id"]).ConfigureAwait(false);
            return;
        }

        Cancel(batch);
        await WriteJsonAsync(context, 200, AnthropicBatchJson(batch, context)).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>POST /v1/messages</c> (Anthropic API reference, "Create a Message", https://docs.anthropic.com/en/api/messages):
    /// the body's fields are checked as a batch request's <c>params</c> are (<see cref="ValidateAnthropicParams"/>: a 400
    /// in Anthropic's error shape, never reaching the responder); otherwise the responder answers, recorded in
    /// <c>server.Calls</c> like a chat completion, and its reply is written in the Messages API's shape: a completion as a
    /// <c>message</c>, an HTTP error with Anthropic's error body (unless the reply has its own), and the other faults
    /// (dropped connection, malformed, truncated) as for chat completions. <see cref="TestServerOptions.Latency"/> and
    /// <see cref="ScriptedReply.Delay"/> apply.
    /// </summary>
    private async Task MessagesAsync(HttpContext context)
    {
        var ct = context.RequestAborted;
        byte[] raw;
        using (var buffer = new MemoryStream())
        {
            await context.Request.Body.CopyToAsync(buffer, ct).ConfigureAwait(false);
            raw = buffer.ToArray();
        }

        JsonElement parameters;
        try
        {
            using var document = JsonDocument.Parse(raw);
            parameters = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            await AnthropicErrorAsync(context, 400, "invalid_request_error", "There was an issue with the JSON body of the request: " + e.Message).ConfigureAwait(false);
            return;
        }

        var rejection = parameters.ValueKind != JsonValueKind.Object ? new RequestRejection("the body is not a JSON object", null, null) : ValidateAnthropicParams(parameters);
        if (rejection is not null)
        {
            await AnthropicErrorAsync(context, 400, "invalid_request_error", rejection.Message).ConfigureAwait(false);
            return;
        }

        var bodyBytes = AnthropicToChatBody(parameters);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in context.Request.Headers)
        {
            if (!name.Equals("x-api-key", StringComparison.OrdinalIgnoreCase) && !name.Equals("Authorization", StringComparison.OrdinalIgnoreCase))
            {
                headers[name] = values.ToString();
            }
        }

        bool authorized = context.Request.Headers.ContainsKey("x-api-key") || context.Request.Headers.ContainsKey("Authorization");
        var call = new ChatCompletionCall(_nextSequence(), DateTimeOffset.UtcNow, Encoding.UTF8.GetString(bodyBytes), authorized, headers);
        _record(call);
        RequestParser.Fill(call, bodyBytes);
        ScriptedReply reply;
        try
        {
            reply = await _responder(call, ct).ConfigureAwait(false);
            call.SetReply(reply);
            var delay = _options.Latency + reply.Delay;
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            call.Complete(CallOutcome.Cancelled, null, null);
            return;
        }

        foreach (var (name, value) in reply.Headers)
        {
            context.Response.Headers[name] = value;
        }

        if (reply.RetryAfter is { } retryAfter)
        {
            context.Response.Headers.RetryAfter = retryAfter;
        }

        switch (reply.Kind)
        {
            case ScriptedReplyKind.DropConnection:
                call.Complete(CallOutcome.Dropped, null, null);
                context.Abort();
                return;
            case ScriptedReplyKind.HttpError:
                var error = reply.Body ?? AnthropicErrorJson(reply.StatusCode switch
                {
                    401 => "authentication_error",
                    403 => "permission_error",
                    404 => "not_found_error",
                    429 => "rate_limit_error",
                    529 => "overloaded_error",
                    >= 500 => "api_error",
                    _ => "invalid_request_error",
                }, "scripted error");
                call.Complete(CallOutcome.Answered, reply.StatusCode, error); // before the write: the client may act on the reply at once
                await WriteAsync(context, reply.StatusCode, reply.ContentType ?? "application/json", error).ConfigureAwait(false);
                return;
            case ScriptedReplyKind.MalformedBody:
                var malformed = reply.Body ?? ScriptedReply.DefaultMalformedBody;
                call.Complete(CallOutcome.Answered, 200, malformed); // before the write: the client may act on the reply at once
                await WriteAsync(context, 200, reply.ContentType ?? "application/json", malformed).ConfigureAwait(false);
                return;
            case ScriptedReplyKind.TruncatedBody:
                var full = AnthropicMessageJson(call, reply);
                call.Complete(CallOutcome.Answered, 200, full[..(full.Length / 2)]); // before the write: the client may act on the reply at once
                await WriteAsync(context, 200, "application/json", full[..(full.Length / 2)]).ConfigureAwait(false);
                return;
            default:
                var bill = _promptCache.BillAnthropic(parameters, _options.AnthropicMinimumCacheableTokens);
                call.CachedTokens = bill.CacheReadTokens;
                call.CacheCreationTokens = bill.CacheCreationTokens;
                call.BilledInputTokens = bill.InputTokens + bill.CacheReadTokens + bill.CacheCreationTokens;
                var message = AnthropicMessageJson(call, reply, bill);
                call.Complete(CallOutcome.Answered, 200, message); // before the write: the client may act on the reply at once
                await WriteAsync(context, 200, "application/json", message).ConfigureAwait(false);
                return;
        }

        static async Task WriteAsync(HttpContext context, int status, string contentType, string body)
        {
            var bytes = Encoding.UTF8.GetBytes(body);
            context.Response.StatusCode = status;
            context.Response.ContentType = contentType;
            context.Response.ContentLength = bytes.Length;
            await context.Response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
        }
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

            if (parameters.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
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

    private static string AnthropicMessageJson(ChatCompletionCall call, ScriptedReply reply, AnthropicInputBill? bill = null)
    {
        var choice = reply.Choices.Count > 0 ? reply.Choices[0] : new ScriptedChoice(string.Empty);
        var prompt = reply.PromptTokens ?? ResponseWriter.EstimateTokens(call.Messages.Sum(m => m.Content.Length));
        // Thinking blocks only when the request enabled thinking, as the real API; their tokens are billed as output.
        bool thinking = choice.Reasoning is not null && call.Body is { } body && ThinkingEnabled(body);
        var completion = reply.CompletionTokens ?? ResponseWriter.EstimateTokens(choice.Text.Length) + (thinking ? ResponseWriter.EstimateTokens(choice.Reasoning!.Length) : 0);
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("id", "msg_test_" + call.Sequence.ToString(CultureInfo.InvariantCulture));
            json.WriteString("type", "message");
            json.WriteString("role", "assistant");
            json.WriteString("model", reply.Model ?? call.Model ?? OpenAICompatibleTestServer.DefaultModel);
            json.WriteStartArray("content");
            if (thinking)
            {
                json.WriteStartObject();
                var signature = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(choice.Reasoning!)));
                if (choice.ReasoningHidden)
                {
                    json.WriteString("type", "redacted_thinking");
                    json.WriteString("data", "EncryptedThinking/" + signature);
                }
                else
                {
                    json.WriteString("type", "thinking");
                    json.WriteString("thinking", choice.Reasoning);
                    json.WriteString("signature", signature);
                }

                json.WriteEndObject();
            }

            json.WriteStartObject();
            json.WriteString("type", "text");
            json.WriteString("text", choice.Text);
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteString("stop_reason", choice.FinishReason switch { "length" => "max_tokens", "content_filter" => "refusal", _ => "end_turn" });
            json.WriteNull("stop_sequence");
            json.WriteStartObject("usage");
            if (bill is { } b && reply.PromptTokens is null)
            {
                // input_tokens are the tokens after the last cache breakpoint; the total input is the sum of the three.
                json.WriteNumber("input_tokens", b.InputTokens);
                json.WriteNumber("cache_creation_input_tokens", b.CacheCreationTokens);
                json.WriteNumber("cache_read_input_tokens", b.CacheReadTokens);
            }
            else
            {
                json.WriteNumber("input_tokens", prompt);
            }

            json.WriteNumber("output_tokens", completion);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string AnthropicOutcomeLine(string customId, string type, string? message, int status = 0, string? errorMessage = null)
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
                json.WriteString("message", errorMessage ?? "scripted error " + status.ToString(CultureInfo.InvariantCulture));
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
        var created = batch.CreatedAtTime;
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

    private static string ErrorLine(string requestId, string customId, string code, string message)
    {
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

    /// <summary>The batch the route names, of the API asking (an OpenAI batch is unknown to the Anthropic endpoints and back).</summary>
    private TestBatch? FindBatch(HttpContext context, bool anthropic)
    {
        var id = context.Request.RouteValues["id"] as string;
        lock (_gate)
        {
            return _batches.FirstOrDefault(b => b.Id == id && (b.Endpoint == AnthropicEndpoint) == anthropic);
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
        IReadOnlyList<TestBatchError> problems;
        lock (batch.Gate)
        {
            status = batch.StatusUnlocked;
            output = batch.OutputFileId;
            error = batch.ErrorFileId;
            completed = batch.Completed;
            failed = batch.Failed;
            problems = status == "failed" ? batch.ValidationErrors : [];
        }

        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("id", batch.Id);
            json.WriteString("object", "batch");
            json.WriteString("endpoint", batch.Endpoint);
            if (problems.Count == 0)
            {
                json.WriteNull("errors");
            }
            else
            {
                json.WriteStartObject("errors");
                json.WriteString("object", "list");
                json.WriteStartArray("data");
                foreach (var problem in problems)
                {
                    json.WriteStartObject();
                    json.WriteString("code", problem.Code);
                    json.WriteString("message", problem.Message);
                    json.WriteNull("param");
                    if (problem.Line is { } line)
                    {
                        json.WriteNumber("line", line);
                    }
                    else
                    {
                        json.WriteNull("line");
                    }

                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteString("input_file_id", batch.InputFileId);
            json.WriteString("completion_window", "24h");
            json.WriteString("status", status);
            WriteNullable(json, "output_file_id", output);
            WriteNullable(json, "error_file_id", error);
            json.WriteNumber("created_at", batch.CreatedAt);
            json.WriteNumber("expires_at", batch.CreatedAt + 86400);
            json.WriteStartObject("request_counts");
            json.WriteNumber("total", status == "failed" ? 0 : batch.CustomIds.Count);
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

    private static Task ErrorAsync(HttpContext context, int status, string message, string? param = null, string? code = null) =>
        WriteJsonAsync(context, status, ResponseWriter.ErrorJson(status, message, "invalid_request_error", code, param));

    private static string AnthropicErrorJson(string type, string message)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", "error");
            json.WriteStartObject("error");
            json.WriteString("type", type);
            json.WriteString("message", message);
            json.WriteEndObject();
            json.WriteString("request_id", "req_test_" + Guid.NewGuid().ToString("N")[..12]);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static Task AnthropicErrorAsync(HttpContext context, int status, string type, string message) =>
        WriteJsonAsync(context, status, AnthropicErrorJson(type, message));

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
