using System.ClientModel;
using System.ClientModel.Primitives;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenAI;
using OpenAI.Chat;

namespace AlignmentFaking.Testing;

/// <summary>
/// An OpenAI-compatible HTTP server on loopback (Kestrel, ephemeral port) for tests: <c>POST /v1/chat/completions</c>
/// answered by a scripted responder (completions or faults), <c>POST /v1/responses</c> (the Responses API, answered by
/// the same responder: see <see cref="ChatCompletionCall.Api"/>), <c>GET /v1/models</c>, every call recorded.
/// Drive it through the real OpenAI client with <see cref="CreateChatClient"/>.
/// </summary>
public sealed partial class OpenAICompatibleTestServer : IAsyncDisposable
{
    /// <summary>The model id used when none is given.</summary>
    public const string DefaultModel = "test-model";

    private static readonly TimeSpan PartialBodyAbortDelay = TimeSpan.FromMilliseconds(100);

    private readonly WebApplication _app;
    private readonly Func<ChatCompletionCall, CancellationToken, ValueTask<ScriptedReply>> _responder;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _callsGate = new();
    private readonly List<ChatCompletionCall> _calls = [];
    private int _sequence;
    private int _inFlight;
    private int _peakInFlight;
    private int _disposed;
    private readonly TestBatchService _batches;
    private readonly PromptCacheBilling _promptCache = new();

    private OpenAICompatibleTestServer(
        Func<ChatCompletionCall, CancellationToken, ValueTask<ScriptedReply>> responder,
        TestServerOptions options)
    {
        _responder = responder;
        Options = options;

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            // No appsettings watcher per server instance; no environment-dependent behaviour.
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
            ApplicationName = typeof(OpenAICompatibleTestServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
        });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.Services.Configure<Microsoft.AspNetCore.Http.Features.FormOptions>(o => o.MultipartBodyLengthLimit = 512L * 1024 * 1024);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = 512L * 1024 * 1024; // batch inputs up to the providers' limits (200 MB, 256 MB) must reach the checks
            k.Listen(IPAddress.Loopback, options.Port);
        });

        _app = builder.Build();
        _app.MapPost("/v1/chat/completions", HandleChatCompletionAsync);
        _app.MapGet("/v1/models", HandleModelsAsync);
        _app.MapPost("/v1/responses", HandleResponsesAsync);

        // Also at the root, for a client configured with RootAddress as its endpoint.
        _app.MapPost("/chat/completions", HandleChatCompletionAsync);
        _app.MapGet("/models", HandleModelsAsync);
        _app.MapPost("/responses", HandleResponsesAsync);

        // The Files and Batch APIs; batch requests are answered by the same responder and recorded in Calls.
        _batches = new TestBatchService(responder, options, () => Interlocked.Increment(ref _sequence), call =>
        {
            lock (_callsGate)
            {
                _calls.Add(call);
            }
        }, _promptCache);
        _batches.Map(_app);
    }

    /// <summary>The options the server runs with.</summary>
    public TestServerOptions Options { get; }

    /// <summary>The OpenAI base URL, <c>http://127.0.0.1:PORT/v1/</c> (for <c>OpenAIClientOptions.Endpoint</c>).</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The server root, <c>http://127.0.0.1:PORT/</c>.</summary>
    public Uri RootAddress { get; private set; } = null!;

    /// <summary>A snapshot of every chat completion call so far, in arrival order (pending ones included); requests run inside a batch are included, with the headers <c>x-test-batch-id</c> and <c>x-test-custom-id</c>.</summary>
    public IReadOnlyList<ChatCompletionCall> Calls
    {
        get
        {
            lock (_callsGate)
            {
                return _calls.ToArray();
            }
        }
    }

    /// <summary>
    /// While true, batches stay <c>in_progress</c> however often they are retrieved (a batch "in flight"); set it back
    /// to false to let them complete. Default: false.
    /// </summary>
    public bool HoldBatches
    {
        get => _batches.Hold;
        set => _batches.Hold = value;
    }

    /// <summary>Every batch created so far, in creation order (<c>POST /v1/batches</c>).</summary>
    public IReadOnlyList<TestBatch> Batches => _batches.Batches;

    /// <summary>Every file held: uploads and the batches' output and error files.</summary>
    public IReadOnlyList<TestFile> Files => _batches.Files;

    /// <summary>How many chat completion calls arrived so far.</summary>
    public int CallCount
    {
        get
        {
            lock (_callsGate)
            {
                return _calls.Count;
            }
        }
    }

    /// <summary>Chat completion requests being handled right now.</summary>
    public int InFlightRequests => Volatile.Read(ref _inFlight);

    /// <summary>The peak number of chat completion requests in flight at once since start (or the last <see cref="ResetMaxConcurrentRequests"/>).</summary>
    public int MaxConcurrentRequests => Volatile.Read(ref _peakInFlight);

    /// <summary>Starts a server on <c>http://127.0.0.1:0</c> answering chat completions with <paramref name="responder"/>.</summary>
    /// <param name="responder">Called once per well-formed, authorized request; its reply is applied (after any delay). If it throws, the server answers 500.</param>
    /// <param name="options">Server settings; null for defaults.</param>
    /// <param name="ct">Cancels the start.</param>
    public static async Task<OpenAICompatibleTestServer> StartAsync(
        Func<ChatCompletionCall, CancellationToken, ValueTask<ScriptedReply>> responder,
        TestServerOptions? options = null,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(responder);
        var server = new OpenAICompatibleTestServer(responder, options ?? new TestServerOptions());
        try
        {
            await server._app.StartAsync(ct).ConfigureAwait(false);
            var addresses = server._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
            var address = addresses?.FirstOrDefault() ?? throw new InvalidOperationException("Kestrel reported no bound address.");
            server.RootAddress = new Uri(address.TrimEnd('/') + "/", UriKind.Absolute);
            server.BaseAddress = new Uri(server.RootAddress, "v1/");
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Starts a server answering every call with <paramref name="reply"/>.</summary>
    public static Task<OpenAICompatibleTestServer> StartAsync(ScriptedReply reply, TestServerOptions? options = null, CancellationToken ct = default) =>
        StartAsync(ScriptedResponders.Always(reply), options, ct);

    /// <summary>Sets <see cref="MaxConcurrentRequests"/> back to the number in flight now.</summary>
    public void ResetMaxConcurrentRequests() => Interlocked.Exchange(ref _peakInFlight, Volatile.Read(ref _inFlight));

    /// <summary>Waits until at least <paramref name="count"/> calls have arrived (polling); throws <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    public async Task WaitForCallsAsync(int count, TimeSpan timeout, CancellationToken ct = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (CallCount < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Expected {count} call(s) within {timeout}; got {CallCount}.");
            }

            await Task.Delay(5, ct).ConfigureAwait(false);
        }
    }

    /// <summary>OpenAI client options pointing at this server.</summary>
    /// <param name="disableRetries">Use a <see cref="ClientRetryPolicy"/> with 0 retries (else the client's default policy: 3 retries honouring Retry-After).</param>
    /// <param name="networkTimeout">The client's per-try network timeout; null for 30 s.</param>
    public OpenAIClientOptions CreateClientOptions(bool disableRetries = false, TimeSpan? networkTimeout = null)
    {
        var options = new OpenAIClientOptions
        {
            Endpoint = BaseAddress,
            NetworkTimeout = networkTimeout ?? TimeSpan.FromSeconds(30),
        };
        if (disableRetries)
        {
            options.RetryPolicy = new ClientRetryPolicy(maxRetries: 0);
        }

        return options;
    }

    /// <summary>The real OpenAI <see cref="ChatClient"/> for <paramref name="model"/> against this server.</summary>
    /// <param name="model">The model id sent in requests.</param>
    /// <param name="disableRetries">Disable the OpenAI client's own retries (0-retry <see cref="ClientRetryPolicy"/>).</param>
    /// <param name="networkTimeout">The client's per-try network timeout; null for 30 s.</param>
    /// <param name="apiKey">The bearer key; null for <see cref="TestServerOptions.RequiredApiKey"/> or else <see cref="TestServerOptions.DefaultClientApiKey"/>.</param>
    public ChatClient CreateOpenAIChatClient(string model = DefaultModel, bool disableRetries = false, TimeSpan? networkTimeout = null, string? apiKey = null) =>
        new(model, new ApiKeyCredential(apiKey ?? Options.RequiredApiKey ?? Options.DefaultClientApiKey), CreateClientOptions(disableRetries, networkTimeout));

    /// <summary>A Microsoft.Extensions.AI <see cref="IChatClient"/> over the real OpenAI client against this server (see <see cref="CreateOpenAIChatClient"/>).</summary>
    public IChatClient CreateChatClient(string model = DefaultModel, bool disableRetries = false, TimeSpan? networkTimeout = null, string? apiKey = null) =>
        CreateOpenAIChatClient(model, disableRetries, networkTimeout, apiKey).AsIChatClient();

    /// <summary>Stops the server: pending delays end at once (their connections are aborted), then Kestrel shuts down.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _app.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Shutdown took too long; disposing aborts what is left.
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }

        await _app.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    /// <summary>How one API differs on the request path: parsing, its rules, checks before the responder, what follows it, billing and the writer.</summary>
    private sealed record ApiDialect(
        Action<ChatCompletionCall, byte[]> Fill,
        Func<JsonElement, RequestRejection?> Validate,
        Func<ChatCompletionCall, ScriptedReply?> Refuse,
        Func<ChatCompletionCall, ScriptedReply, CancellationToken, Task<ScriptedReply>> AfterResponder,
        Action<ChatCompletionCall, ScriptedReply> Bill,
        Func<HttpContext, ChatCompletionCall, ScriptedReply, CallOutcome, CancellationToken, Task> Apply);

    private ApiDialect ChatCompletions => _chatCompletions ??= new(
        RequestParser.Fill,
        RequestParser.Validate, // what the real API refuses never reaches the responder
        call => call.N is { } n && n > Options.MaxChoices && Options.ChoicesAboveMaximum == ChoiceCapBehavior.Reject
            ? ScriptedReply.Error(400, ResponseWriter.ErrorJson(400, string.Create(CultureInfo.InvariantCulture, $"Invalid 'n': integer above maximum value. Expected a value <= {Options.MaxChoices}, but got {n} instead."), "invalid_request_error", "integer_above_max_value", "n"))
            : null,
        ChoicesAsync,
        (call, reply) =>
        {
            if (reply.Kind == ScriptedReplyKind.Completion)
            {
                int prompt = ResponseWriter.PromptTokens(call, reply);
                call.BilledInputTokens = prompt;
                call.CachedTokens = Options.PromptCaching ? _promptCache.OpenAICachedTokens(call, prompt) : null;
            }
        },
        ApplyAsync);

    private ApiDialect? _chatCompletions;

    private Task HandleChatCompletionAsync(HttpContext context) => HandleAsync(context, ChatCompletions);

    /// <summary>One request of any API: in flight counted, cancelled with the client or the server's stop.</summary>
    private async Task HandleAsync(HttpContext context, ApiDialect api)
    {
        var inFlight = Interlocked.Increment(ref _inFlight);
        UpdatePeak(inFlight);
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
            await HandleCoreAsync(context, api, linked.Token).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private async Task HandleCoreAsync(HttpContext context, ApiDialect api, CancellationToken ct)
    {
        byte[] bodyBytes;
        try
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer, ct).ConfigureAwait(false);
            bodyBytes = buffer.ToArray();
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or BadHttpRequestException)
        {
            // A stopping server resets the connection, as a real one going away does; returning would send an empty 200.
            AbortIfStopping(context);
            return;
        }

        if (_stopping.IsCancellationRequested)
        {
            context.Abort();
            return;
        }

        var call = new ChatCompletionCall(
            Interlocked.Increment(ref _sequence),
            DateTimeOffset.UtcNow,
            Encoding.UTF8.GetString(bodyBytes),
            context.Request.Headers.ContainsKey("Authorization"),
            CopyHeaders(context.Request.Headers));
        api.Fill(call, bodyBytes);
        lock (_callsGate)
        {
            _calls.Add(call);
        }

        ScriptedReply reply;
        var responderFailed = false;
        if (call.ParseError is not null)
        {
            reply = ScriptedReply.Error(400, ResponseWriter.ErrorJson(400, "Could not parse the JSON body: " + call.ParseError, "invalid_request_error", null));
        }
        else if (Options.RequiredApiKey is { } key && !IsAuthorized(context.Request.Headers.Authorization.ToString(), key))
        {
            reply = ScriptedReply.Error(401, ResponseWriter.ErrorJson(401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key"));
        }
        else if (call.Body is { } body && api.Validate(body) is { } rejection)
        {
            reply = ScriptedReply.Error(400, rejection.ToOpenAIJson());
        }
        else if (api.Refuse(call) is { } refused)
        {
            reply = refused;
        }
        else
        {
            try
            {
                reply = await _responder(call, ct).ConfigureAwait(false);
                ArgumentNullException.ThrowIfNull(reply, "responder result");
                reply = await api.AfterResponder(call, reply, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                call.Complete(CallOutcome.Cancelled, null, null);
                AbortIfStopping(context);
                return;
            }
#pragma warning disable CA1031 // A responder bug becomes a 500 the test can see, not a server crash.
            catch (Exception e)
#pragma warning restore CA1031
            {
                responderFailed = true;
                reply = ScriptedReply.Error(500, ResponseWriter.ErrorJson(500, "The test responder threw " + e.GetType().Name + ": " + e.Message, "server_error", null));
            }
        }

        call.SetReply(reply);
        api.Bill(call, reply);
        try
        {
            var delay = Options.Latency + reply.Delay;
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, ct).ConfigureAwait(false);
            }

            await api.Apply(context, call, reply, responderFailed ? CallOutcome.ResponderFailed : CallOutcome.Answered, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException && ct.IsCancellationRequested)
        {
            call.Complete(CallOutcome.Cancelled, null, null);
            AbortIfStopping(context);
        }
    }

    /// <summary>
    /// The choices a request with <c>n</c> gets: the responder is asked once per choice it did not already give (each
    /// answer is an independent sample), up to <see cref="TestServerOptions.MaxChoices"/>; the usage counts the prompt
    /// once and the output of every choice, as OpenAI bills <c>n</c>. A fault of a later answer leaves the choices before it.
    /// </summary>
    private async Task<ScriptedReply> ChoicesAsync(ChatCompletionCall call, ScriptedReply reply, CancellationToken ct)
    {
        int wanted = Math.Min(call.N ?? 1, Options.MaxChoices);
        if (reply.Kind != ScriptedReplyKind.Completion || reply.Choices.Count >= wanted)
        {
            return reply;
        }

        var choices = new List<ScriptedChoice>(reply.Choices);
        int? completion = reply.CompletionTokens;
        while (choices.Count < wanted)
        {
            var more = await _responder(call, ct).ConfigureAwait(false);
            if (more.Kind != ScriptedReplyKind.Completion || more.Choices.Count == 0)
            {
                break;
            }

            choices.AddRange(more.Choices.Take(wanted - choices.Count));
            completion = completion is null || more.CompletionTokens is null ? null : completion + more.CompletionTokens;
        }

        return reply with { Choices = choices, CompletionTokens = completion };
    }

    private async Task ApplyAsync(HttpContext context, ChatCompletionCall call, ScriptedReply reply, CallOutcome answered, CancellationToken ct)
    {
        switch (reply.Kind)
        {
            case ScriptedReplyKind.DropConnection:
                if (reply.DropAfterPartialBody)
                {
                    var full = Encoding.UTF8.GetBytes(ResponseWriter.CompletionJson(call, reply, ResponseCreated()));
                    var half = full.AsMemory(0, full.Length / 2);
                    ApplyHeaders(context.Response, reply);
                    context.Response.StatusCode = 200;
                    context.Response.ContentType = "application/json";
                    context.Response.ContentLength = full.Length;
                    await context.Response.Body.WriteAsync(half, ct).ConfigureAwait(false);
                    await context.Response.Body.FlushAsync(ct).ConfigureAwait(false);

                    // Let the client take in the status and headers first, so the failure is reliably "mid-body".
                    await Task.Delay(PartialBodyAbortDelay, ct).ConfigureAwait(false);
                    call.Complete(CallOutcome.Dropped, 200, Encoding.UTF8.GetString(half.Span));
                }
                else
                {
                    call.Complete(CallOutcome.Dropped, null, null);
                }

                context.Abort();
                return;

            case ScriptedReplyKind.HttpError:
            {
                var body = reply.Body ?? ResponseWriter.DefaultErrorJson(reply.StatusCode);
                ApplyHeaders(context.Response, reply);
                call.Complete(answered, reply.StatusCode, body); // before the write: the client may act on the reply at once
                await WriteAsync(context, reply.StatusCode, reply.ContentType ?? "application/json", body, ct).ConfigureAwait(false);
                return;
            }

            case ScriptedReplyKind.MalformedBody when reply.BodyBytes is { } raw:
            {
                ApplyHeaders(context.Response, reply);
                call.Complete(answered, 200, Encoding.UTF8.GetString(raw));
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/json";
                context.Response.ContentLength = raw.Length;
                await context.Response.Body.WriteAsync(raw, ct).ConfigureAwait(false);
                return;
            }

            case ScriptedReplyKind.MalformedBody:
            {
                var body = reply.Body ?? ScriptedReply.DefaultMalformedBody;
                ApplyHeaders(context.Response, reply);
                if (call.Stream)
                {
                    body = "data: " + body + "\n\n";
                }

                call.Complete(answered, 200, body); // before the write: the client may act on the reply at once
                await WriteAsync(context, 200, call.Stream ? "text/event-stream" : reply.ContentType ?? "application/json", body, ct).ConfigureAwait(false);
                return;
            }

            case ScriptedReplyKind.OversizedBody:
            {
                ApplyHeaders(context.Response, reply);
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/json";
                var head = Encoding.UTF8.GetBytes("{\"id\":\"chatcmpl-big\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"finish_reason\":\"stop\",\"message\":{\"role\":\"assistant\",\"content\":\"");
                var tail = Encoding.UTF8.GetBytes("\"}}]}");
                var chunk = Encoding.ASCII.GetBytes(new string('x', 64 * 1024));
                call.Complete(answered, 200, "(oversized body)");
                if (reply.OversizedBytes is { } size)
                {
                    context.Response.ContentLength = size;
                }

                await context.Response.Body.WriteAsync(head, ct).ConfigureAwait(false);
                long sent = head.Length;
                long limit = reply.OversizedBytes is { } total ? total - tail.Length : long.MaxValue;
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
                deadline.CancelAfter(TimeSpan.FromMinutes(1));   // an endless body still ends, so the test server stops by itself
                try
                {
                    while (sent < limit)
                    {
                        int n = (int)Math.Min(chunk.Length, limit - sent);
                        await context.Response.Body.WriteAsync(chunk.AsMemory(0, n), deadline.Token).ConfigureAwait(false);
                        sent += n;
                    }

                    await context.Response.Body.WriteAsync(tail, deadline.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is OperationCanceledException or IOException)
                {
                    context.Abort();   // the client went away (it refused the body) or the minute passed
                }

                return;
            }

            case ScriptedReplyKind.TruncatedBody:
            {
                var full = call.Stream
                    ? ResponseWriter.StreamText(call, reply, ResponseCreated())
                    : ResponseWriter.CompletionJson(call, reply, ResponseCreated());
                var body = full[..(full.Length / 2)];
                ApplyHeaders(context.Response, reply);
                call.Complete(answered, 200, body); // before the write: the client may act on the reply at once
                await WriteAsync(context, 200, call.Stream ? "text/event-stream" : "application/json", body, ct).ConfigureAwait(false);
                return;
            }

            default:
            {
                ApplyHeaders(context.Response, reply);
                if (call.Stream)
                {
                    var body = ResponseWriter.StreamText(call, reply, ResponseCreated());
                    context.Response.Headers.CacheControl = "no-cache";
                    call.Complete(answered, 200, body); // before the write: the client may act on the reply at once
                    await WriteAsync(context, 200, "text/event-stream", body, ct).ConfigureAwait(false);
                }
                else
                {
                    var body = ResponseWriter.CompletionJson(call, reply, ResponseCreated());
                    call.Complete(answered, 200, body); // before the write: the client may act on the reply at once
                    await WriteAsync(context, 200, "application/json", body, ct).ConfigureAwait(false);
                }

                return;
            }
        }
    }

    private Task HandleModelsAsync(HttpContext context) =>
        WriteAsync(context, 200, "application/json", ResponseWriter.ModelsJson(Options.Models, ResponseCreated()), context.RequestAborted);

    private static async Task WriteAsync(HttpContext context, int status, string contentType, string body, CancellationToken ct)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes, ct).ConfigureAwait(false);
    }

    private static void ApplyHeaders(HttpResponse response, ScriptedReply reply)
    {
        foreach (var (name, value) in reply.Headers)
        {
            response.Headers[name] = value;
        }

        if (reply.RetryAfter is { } retryAfter)
        {
            response.Headers.RetryAfter = retryAfter;
        }
    }

    internal static bool IsAuthorized(string authorization, string key) =>
        string.Equals(authorization, "Bearer " + key, StringComparison.Ordinal);

    private static Dictionary<string, string> CopyHeaders(IHeaderDictionary headers)
    {
        var copy = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in headers)
        {
            if (!string.Equals(name, "Authorization", StringComparison.OrdinalIgnoreCase))
            {
                copy[name] = values.ToString();
            }
        }

        return copy;
    }

    private void AbortIfStopping(HttpContext context)
    {
        if (_stopping.IsCancellationRequested)
        {
            context.Abort();
        }
    }

    private static long ResponseCreated() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    private void UpdatePeak(int inFlight)
    {
        var peak = Volatile.Read(ref _peakInFlight);
        while (inFlight > peak)
        {
            var seen = Interlocked.CompareExchange(ref _peakInFlight, inFlight, peak);
            if (seen == peak)
            {
                return;
            }

            peak = seen;
        }
    }
}
