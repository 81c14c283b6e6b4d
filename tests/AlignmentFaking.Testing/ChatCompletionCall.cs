using System.Text.Json;

namespace AlignmentFaking.Testing;

/// <summary>One message of a chat completion request as it arrived: the role and the content text (text parts concatenated).</summary>
/// <param name="Role">The <c>role</c> field (system, developer, user, assistant, tool).</param>
/// <param name="Content">The content: the string, or the <c>text</c> of every text part joined without separator; empty when null or absent.</param>
public sealed record RecordedChatMessage(string Role, string Content);

/// <summary>One <c>POST /v1/chat/completions</c> (or <c>POST /v1/responses</c>, <see cref="ChatCompletionCall.Api"/>) request received by the test server, and what it was answered.</summary>
public sealed class ChatCompletionCall
{
    private readonly Lock _gate = new();
    private ScriptedReply? _reply;
    private int? _statusCode;
    private string? _responseBody;
    private CallOutcome _outcome = CallOutcome.Pending;

    internal ChatCompletionCall(
        int sequence,
        DateTimeOffset receivedAt,
        string rawBody,
        bool hasAuthorization,
        IReadOnlyDictionary<string, string> headers)
    {
        Sequence = sequence;
        ReceivedAt = receivedAt;
        RawBody = rawBody;
        HasAuthorization = hasAuthorization;
        Headers = headers;
    }

    /// <summary>A call parsed from a request body without a server (for testing responders and <see cref="FaultPlan"/>s directly); nothing is answered.</summary>
    /// <param name="json">The request body.</param>
    /// <param name="sequence">The sequence number to give it.</param>
    /// <param name="hasAuthorization">Whether to mark it as carrying an Authorization header.</param>
    public static ChatCompletionCall FromRequestBody(string json, int sequence = 1, bool hasAuthorization = true)
    {
        ArgumentNullException.ThrowIfNull(json);
        var bytes = System.Text.Encoding.UTF8.GetBytes(json);
        var call = new ChatCompletionCall(sequence, DateTimeOffset.UtcNow, json, hasAuthorization, new Dictionary<string, string>());
        RequestParser.Fill(call, bytes);
        return call;
    }

    /// <summary>1-based order of arrival over the server's lifetime.</summary>
    public int Sequence { get; }

    /// <summary>When the request arrived (server clock).</summary>
    public DateTimeOffset ReceivedAt { get; }

    /// <summary>The request body exactly as received, decoded as UTF-8.</summary>
    public string RawBody { get; }

    /// <summary>Whether the request carried an <c>Authorization</c> header (its value is never recorded).</summary>
    public bool HasAuthorization { get; }

    /// <summary>The request headers except <c>Authorization</c> (names as sent; multiple values joined by a comma).</summary>
    public IReadOnlyDictionary<string, string> Headers { get; }

    /// <summary>Null when the body parsed as a JSON object; else why it did not (the server answered 400).</summary>
    public string? ParseError { get; internal set; }

    /// <summary>The <c>model</c> field.</summary>
    public string? Model { get; internal set; }

    /// <summary>The <c>messages</c>, in order.</summary>
    public IReadOnlyList<RecordedChatMessage> Messages { get; internal set; } = [];

    /// <summary>The <c>temperature</c> field.</summary>
    public double? Temperature { get; internal set; }

    /// <summary>The <c>top_p</c> field.</summary>
    public double? TopP { get; internal set; }

    /// <summary><c>max_completion_tokens</c>, or else <c>max_tokens</c>.</summary>
    public int? MaxTokens { get; internal set; }

    /// <summary>Which field <see cref="MaxTokens"/> came from: <c>max_completion_tokens</c>, <c>max_tokens</c>, or null.</summary>
    public string? MaxTokensField { get; internal set; }

    /// <summary>The <c>seed</c> field.</summary>
    public long? Seed { get; internal set; }

    /// <summary>The <c>n</c> field (number of choices asked for).</summary>
    public int? N { get; internal set; }

    /// <summary>
    /// The input tokens the server billed as read from its prompt cache (OpenAI <c>prompt_tokens_details.cached_tokens</c>
    /// with <see cref="TestServerOptions.PromptCaching"/>, Anthropic <c>cache_read_input_tokens</c>); null when it reported none.
    /// </summary>
    public int? CachedTokens { get; internal set; }

    /// <summary>The input tokens an Anthropic request wrote to the prompt cache (<c>cache_creation_input_tokens</c>); null for other calls.</summary>
    public int? CacheCreationTokens { get; internal set; }

    /// <summary>The input tokens billed in all (<c>prompt_tokens</c>; Anthropic: <c>input_tokens</c> plus the cache reads and writes); null until answered.</summary>
    public int? BilledInputTokens { get; internal set; }

    /// <summary>The <c>stream</c> field (false when absent).</summary>
    public bool Stream { get; internal set; }

    /// <summary>The <c>stop</c> sequences (a single string becomes a one-element list).</summary>
    public IReadOnlyList<string> Stop { get; internal set; } = [];

    /// <summary>The parsed request body (a clone that outlives the request), or null when it was not JSON.</summary>
    public JsonElement? Body { get; internal set; }

    /// <summary>The <see cref="Api"/> of a <c>POST /v1/chat/completions</c> request.</summary>
    public const string ChatCompletionsApi = "chat.completions";

    /// <summary>The <see cref="Api"/> of a <c>POST /v1/responses</c> request (its input messages are <see cref="Messages"/>, <c>instructions</c> first as a system message).</summary>
    public const string ResponsesApi = "responses";

    /// <summary>Which API the request called: <see cref="ChatCompletionsApi"/> (default) or <see cref="ResponsesApi"/>.</summary>
    public string Api { get; internal set; } = ChatCompletionsApi;

    /// <summary>The text of the last message (convenient for responders); empty when there are none.</summary>
    public string LastMessageContent => Messages.Count == 0 ? string.Empty : Messages[^1].Content;

    /// <summary>The reply the server applied (from the responder, or the server's own 400/401); null while pending.</summary>
    public ScriptedReply? Reply { get { lock (_gate) { return _reply; } } }

    /// <summary>The HTTP status written, null while pending or when the connection was dropped before any status.</summary>
    public int? ResponseStatusCode { get { lock (_gate) { return _statusCode; } } }

    /// <summary>The response body written (for malformed/truncated replies: the bytes actually sent, as text); null while pending.</summary>
    public string? ResponseBody { get { lock (_gate) { return _responseBody; } } }

    /// <summary>How the call ended.</summary>
    public CallOutcome Outcome { get { lock (_gate) { return _outcome; } } }

    internal void SetReply(ScriptedReply reply)
    {
        lock (_gate) { _reply = reply; }
    }

    internal void Complete(CallOutcome outcome, int? statusCode, string? responseBody)
    {
        lock (_gate)
        {
            _outcome = outcome;
            _statusCode = statusCode;
            _responseBody = responseBody;
        }
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"#{Sequence} {Model} ({Messages.Count} messages) -> {Outcome} {ResponseStatusCode}";
}

/// <summary>How a recorded call ended.</summary>
public enum CallOutcome
{
    /// <summary>Still being handled.</summary>
    Pending,

    /// <summary>A response was written in full (whatever its status or content).</summary>
    Answered,

    /// <summary>The server aborted the connection on purpose (<see cref="ScriptedReplyKind.DropConnection"/>).</summary>
    Dropped,

    /// <summary>The client went away or cancelled (or the server was disposed) before the answer was written.</summary>
    Cancelled,

    /// <summary>The responder threw; the server answered 500 (with the exception type and message in the body).</summary>
    ResponderFailed,
}
