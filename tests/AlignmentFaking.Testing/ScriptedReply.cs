using System.Globalization;

namespace AlignmentFaking.Testing;

/// <summary>What kind of answer a <see cref="ScriptedReply"/> gives.</summary>
public enum ScriptedReplyKind
{
    /// <summary>A well-formed <c>chat.completion</c> with one or more choices.</summary>
    Completion,

    /// <summary>An HTTP error status with a body (OpenAI error shape by default) and optional <c>Retry-After</c>.</summary>
    HttpError,

    /// <summary>The server aborts the connection (<c>HttpContext.Abort()</c>), before or after a partial body.</summary>
    DropConnection,

    /// <summary>Status 200 with a body that is not JSON.</summary>
    MalformedBody,

    /// <summary>Status 200 with a well-formed completion cut off halfway (the bytes sent, then the response ends normally).</summary>
    TruncatedBody,

    /// <summary>A well-formed <c>chat.completion</c> whose <c>choices</c> array is empty.</summary>
    EmptyChoices,

    /// <summary>
    /// Status 200 and a JSON body of <see cref="ScriptedReply.OversizedBytes"/> bytes (a completion whose text is padded),
    /// with its <c>Content-Length</c> declared, or, when the size is <see langword="null"/>, a chunked body that never ends
    /// (until the client goes away or a minute has passed).
    /// </summary>
    OversizedBody,
}

/// <summary>How a completion carries a choice's native reasoning (<see cref="ScriptedChoice.Reasoning"/>).</summary>
public enum ScriptedReasoningFormat
{
    /// <summary><c>message.reasoning_content</c> (DeepSeek, vLLM before 0.11.2).</summary>
    ReasoningContent,

    /// <summary><c>message.reasoning</c> (OpenRouter, vLLM 0.11.2 and later).</summary>
    Reasoning,

    /// <summary>A <c>&lt;think&gt;...&lt;/think&gt;</c> block at the start of the content (an R1-style model served without a reasoning parser).</summary>
    ThinkTag,
}

/// <summary>One choice of a scripted completion.</summary>
/// <param name="Text">The assistant message content.</param>
/// <param name="FinishReason">The <c>finish_reason</c>: "stop", "length", "content_filter" (the OpenAI client rejects values it does not know).</param>
public sealed record ScriptedChoice(string Text, string FinishReason = "stop")
{
    /// <summary>
    /// The choice's native reasoning, written as <see cref="ScriptedReply.ReasoningFormat"/> says (chat completions) or
    /// as a <c>thinking</c> block (Anthropic Messages, when the request enables thinking); none when <see langword="null"/>.
    /// </summary>
    public string? Reasoning { get; init; }

    /// <summary>
    /// The provider hides the reasoning: chat completions bill its tokens (<c>reasoning_tokens</c>) but return no text (as
    /// OpenAI's reasoning models); Anthropic Messages return a <c>redacted_thinking</c> block.
    /// </summary>
    public bool ReasoningHidden { get; init; }
}

/// <summary>The answer the test server gives to one call: a completion or a fault, optionally after a delay. Immutable; build with the factories and the <c>With…</c> methods.</summary>
public sealed record ScriptedReply
{
    /// <summary>The body sent by <see cref="MalformedJson"/> when none is given.</summary>
    public const string DefaultMalformedBody = "{\"id\": \"chatcmpl-broken\", \"choices\": [ this is not json";

    private ScriptedReply(ScriptedReplyKind kind) => Kind = kind;

    /// <summary>What kind of answer this is.</summary>
    public ScriptedReplyKind Kind { get; init; }

    /// <summary>The choices of a <see cref="ScriptedReplyKind.Completion"/> (or the one whose JSON a <see cref="ScriptedReplyKind.TruncatedBody"/> cuts).</summary>
    public IReadOnlyList<ScriptedChoice> Choices { get; init; } = [];

    /// <summary>The <c>usage.prompt_tokens</c> to report; null computes roughly chars/4 of the request's messages.</summary>
    public int? PromptTokens { get; init; }

    /// <summary>The <c>usage.completion_tokens</c> to report; null computes roughly chars/4 of the choices' text.</summary>
    public int? CompletionTokens { get; init; }

    /// <summary>How the choices' native reasoning is written in a chat completion. Default: <see cref="ScriptedReasoningFormat.ReasoningContent"/>.</summary>
    public ScriptedReasoningFormat ReasoningFormat { get; init; }

    /// <summary>The <c>completion_tokens_details.reasoning_tokens</c> to report; null computes roughly chars/4 of the choices' reasoning.</summary>
    public int? ReasoningTokens { get; init; }

    /// <summary>The <c>model</c> reported in the response; null echoes the request's model.</summary>
    public string? Model { get; init; }

    /// <summary>The HTTP status (200 except for <see cref="ScriptedReplyKind.HttpError"/>).</summary>
    public int StatusCode { get; init; } = 200;

    /// <summary>The body of an <see cref="ScriptedReplyKind.HttpError"/> or <see cref="ScriptedReplyKind.MalformedBody"/>; null writes an OpenAI-style error object (for errors).</summary>
    public string? Body { get; init; }

    /// <summary>The <c>Content-Type</c> of an <see cref="ScriptedReplyKind.HttpError"/> or <see cref="ScriptedReplyKind.MalformedBody"/>; null for <c>application/json</c>.</summary>
    public string? ContentType { get; init; }

    /// <summary>The raw <c>Retry-After</c> header value, or null for none.</summary>
    public string? RetryAfter { get; init; }

    /// <summary>Extra response headers.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>How long to wait (cancellably) before answering; added to the server's global latency.</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>For <see cref="ScriptedReplyKind.DropConnection"/>: write the status line, headers and half a body before aborting (else abort before anything is sent).</summary>
    public bool DropAfterPartialBody { get; init; }

    /// <summary>The raw bytes of a <see cref="ScriptedReplyKind.MalformedBody"/> (e.g. JSON that is not valid UTF-8); null uses <see cref="Body"/>.</summary>
    public byte[]? BodyBytes { get; init; }

    /// <summary>Status 200 with exactly these bytes as an <c>application/json</c> body (for replies that are not valid UTF-8).</summary>
    public static ScriptedReply RawBody(byte[] bytes) => new(ScriptedReplyKind.MalformedBody) { BodyBytes = bytes };

    /// <summary>The size of an <see cref="ScriptedReplyKind.OversizedBody"/>; <see langword="null"/> for a body that never ends.</summary>
    public long? OversizedBytes { get; init; }

    /// <summary>A reply of <paramref name="bytes"/> bytes with its length declared, or (<see langword="null"/>) an endless chunked body.</summary>
    public static ScriptedReply Oversized(long? bytes) => new(ScriptedReplyKind.OversizedBody) { OversizedBytes = bytes };

    /// <summary>A normal completion with one choice.</summary>
    public static ScriptedReply Text(string text, string finishReason = "stop") =>
        Completion(new ScriptedChoice(text, finishReason));

    /// <summary>A normal completion with one choice per text, all finishing with "stop".</summary>
    public static ScriptedReply Texts(params IEnumerable<string> texts) =>
        Completion(texts.Select(t => new ScriptedChoice(t)));

    /// <summary>A normal completion with the given choices.</summary>
    public static ScriptedReply Completion(params IEnumerable<ScriptedChoice> choices)
    {
        ArgumentNullException.ThrowIfNull(choices);
        var list = choices.ToArray();
        if (list.Length == 0)
        {
            throw new ArgumentException("A completion needs at least one choice; use EmptyChoices() for an empty array.", nameof(choices));
        }

        return new ScriptedReply(ScriptedReplyKind.Completion) { Choices = list };
    }

    /// <summary>An HTTP error: the status, a body (default: an OpenAI-style error object), and optional <c>Retry-After</c> in whole seconds.</summary>
    public static ScriptedReply Error(int statusCode, string? body = null, TimeSpan? retryAfter = null)
    {
        if (statusCode is < 400 or > 599)
        {
            throw new ArgumentOutOfRangeException(nameof(statusCode), statusCode, "An error status is 400-599.");
        }

        var reply = new ScriptedReply(ScriptedReplyKind.HttpError) { StatusCode = statusCode, Body = body };
        return retryAfter is { } r ? reply.WithRetryAfter(r) : reply;
    }

    /// <summary>429 Too Many Requests, with <c>Retry-After</c> in seconds when given.</summary>
    public static ScriptedReply TooManyRequests(TimeSpan? retryAfter = null) => Error(429, null, retryAfter);

    /// <summary>500 Internal Server Error.</summary>
    public static ScriptedReply ServerError() => Error(500);

    /// <summary>503 Service Unavailable, with <c>Retry-After</c> in seconds when given.</summary>
    public static ScriptedReply ServiceUnavailable(TimeSpan? retryAfter = null) => Error(503, null, retryAfter);

    /// <summary>401 Unauthorized.</summary>
    public static ScriptedReply Unauthorized() => Error(401);

    /// <summary>400 Bad Request.</summary>
    public static ScriptedReply BadRequest() => Error(400);

    /// <summary>Abort the connection: before anything is sent, or (<paramref name="afterPartialBody"/>) after a 200 status and half a body.</summary>
    public static ScriptedReply DropConnection(bool afterPartialBody = false) =>
        new(ScriptedReplyKind.DropConnection) { DropAfterPartialBody = afterPartialBody };

    /// <summary>Status 200, <c>application/json</c>, with a body that is not JSON.</summary>
    public static ScriptedReply MalformedJson(string body = DefaultMalformedBody) =>
        new(ScriptedReplyKind.MalformedBody) { Body = body };

    /// <summary>Status 200 with exactly this body and content type (e.g. a completion the OpenAI client cannot read).</summary>
    public static ScriptedReply RawBody(string body, string contentType = "application/json") =>
        new(ScriptedReplyKind.MalformedBody) { Body = body, ContentType = contentType };

    /// <summary>Status 200 with an HTML page, as a web server or a UI at the wrong URL answers.</summary>
    public static ScriptedReply Html(string html = "<!DOCTYPE html><html><head><title>Welcome</title></head><body><h1>It works</h1></body></html>") =>
        RawBody(html, "text/html; charset=utf-8");

    /// <summary>Status 200 with the first half of a well-formed completion of <paramref name="text"/>.</summary>
    public static ScriptedReply TruncatedJson(string text = "truncated") =>
        new(ScriptedReplyKind.TruncatedBody) { Choices = [new ScriptedChoice(text)] };

    /// <summary>A well-formed completion with <c>"choices": []</c>.</summary>
    public static ScriptedReply EmptyChoices() => new(ScriptedReplyKind.EmptyChoices);

    /// <summary>The same reply after a (cancellable) delay.</summary>
    public ScriptedReply WithDelay(TimeSpan delay) => this with { Delay = delay };

    /// <summary>The same reply reporting this usage.</summary>
    public ScriptedReply WithUsage(int promptTokens, int completionTokens) =>
        this with { PromptTokens = promptTokens, CompletionTokens = completionTokens };

    /// <summary>The same reply with <c>Retry-After</c> in whole seconds (rounded up).</summary>
    public ScriptedReply WithRetryAfter(TimeSpan delay) =>
        this with { RetryAfter = ((long)Math.Ceiling(Math.Max(0, delay.TotalSeconds))).ToString(CultureInfo.InvariantCulture) };

    /// <summary>The same reply with <c>Retry-After</c> as an HTTP date (RFC 1123).</summary>
    public ScriptedReply WithRetryAfter(DateTimeOffset when) =>
        this with { RetryAfter = when.ToUniversalTime().ToString("r", CultureInfo.InvariantCulture) };

    /// <summary>The same reply with an extra response header (e.g. <c>retry-after-ms</c>, <c>x-ratelimit-remaining-requests</c>).</summary>
    public ScriptedReply WithHeader(string name, string value)
    {
        var headers = new Dictionary<string, string>(Headers, StringComparer.OrdinalIgnoreCase) { [name] = value };
        return this with { Headers = headers };
    }

    /// <summary>The same reply writing its choices' reasoning in <paramref name="format"/>.</summary>
    public ScriptedReply WithReasoningFormat(ScriptedReasoningFormat format) => this with { ReasoningFormat = format };

    /// <summary>The same reply reporting a different model.</summary>
    public ScriptedReply WithModel(string model) => this with { Model = model };

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        ScriptedReplyKind.Completion => $"Completion({Choices.Count} choice(s))" + DelayText(),
        ScriptedReplyKind.HttpError => $"HttpError({StatusCode}{(RetryAfter is null ? "" : ", Retry-After: " + RetryAfter)})" + DelayText(),
        _ => Kind + DelayText(),
    };

    private string DelayText() => Delay > TimeSpan.Zero ? $" after {Delay.TotalMilliseconds:0} ms" : string.Empty;
}
