namespace AlignmentFaking.Running;

/// <summary>The classification of one failed call.</summary>
/// <param name="Kind">What to do with it.</param>
/// <param name="RetryAfter">The wait the server asked for (<c>Retry-After</c>), if any.</param>
/// <param name="Message">A message for people that names the cause (never a credential).</param>
public sealed record CallFailure(CallFailureKind Kind, TimeSpan? RetryAfter = null, string? Message = null)
{
    /// <summary>Whether the server said the client is over its rate limit (429).</summary>
    public bool IsRateLimited { get; init; }

    /// <summary>What the failure says about the endpoint's health. Default: <see cref="EndpointFault.None"/>.</summary>
    public EndpointFault Endpoint { get; init; }

    /// <summary>The provider's rate-limit headers sent with a 429, if any: evidence of a real limit (see <see cref="EndpointLimits"/>).</summary>
    public RateLimitHeaders? RateLimit { get; init; }

    /// <summary>
    /// The default classification, for exceptions of the .NET networking stack: <see cref="HttpRequestException"/> by its
    /// status code (429, 408 and 5xx transient; 401, 403, 404 fatal; other 4xx permanent) or, without one, by its
    /// connection error (transient, marked <see cref="EndpointFault.Unreachable"/> or <see cref="EndpointFault.ConnectionLost"/>);
    /// <see cref="UnexpectedReplyException"/> transient and <see cref="EndpointFault.NotTheApi"/>;
    /// <see cref="ReplyTooLargeException"/> permanent; <see cref="IOException"/>,
    /// <see cref="TimeoutException"/>, <see cref="System.Text.Json.JsonException"/> (a malformed or truncated body),
    /// <see cref="InvalidDataException"/> (a reply without choices), a timeout's <see cref="TaskCanceledException"/> and
    /// Polly's <see cref="Polly.Timeout.TimeoutRejectedException"/> (an attempt of <see cref="ModelHttpClient"/> cut by
    /// its timeout) transient; anything else permanent (for example a well-formed reply the client library cannot read: retrying
    /// gets the same rejection).
    /// </summary>
    /// <param name="exception">The exception a call threw (not the caller's cancellation).</param>
    public static CallFailure Classify(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            FatalCallException fatal => new CallFailure(CallFailureKind.Fatal, null, fatal.Message),
            ReplyTooLargeException tooLarge => new CallFailure(CallFailureKind.Permanent, null, tooLarge.Message),
            UnexpectedReplyException unexpected => new CallFailure(CallFailureKind.Transient, null, unexpected.Message) { Endpoint = EndpointFault.NotTheApi },
            HttpRequestException { StatusCode: { } status } => FromStatus((int)status, null),
            HttpRequestException http => FromConnection(http),
            IOException => new CallFailure(CallFailureKind.Transient) { Endpoint = EndpointFault.ConnectionLost },
            TimeoutException or System.Text.Json.JsonException or InvalidDataException or TaskCanceledException or Polly.Timeout.TimeoutRejectedException => new CallFailure(CallFailureKind.Transient),
            _ when exception.InnerException is { } inner && inner is HttpRequestException or IOException => Classify(inner),
            _ => new CallFailure(CallFailureKind.Permanent),
        };
    }

    /// <summary>Classifies an HTTP status code.</summary>
    /// <param name="status">The status.</param>
    /// <param name="retryAfter">The server's <c>Retry-After</c>, if any.</param>
    public static CallFailure FromStatus(int status, TimeSpan? retryAfter) => status switch
    {
        429 => new CallFailure(CallFailureKind.Transient, retryAfter) { IsRateLimited = true },
        0 or 408 or 409 or 425 or >= 500 => new CallFailure(CallFailureKind.Transient, retryAfter),
        401 => new CallFailure(CallFailureKind.Fatal, null, "401 Unauthorized: check the API key"),
        403 => new CallFailure(CallFailureKind.Fatal, null, "403 Forbidden: the key may not use this model or endpoint"),
        404 => new CallFailure(CallFailureKind.Fatal, null, "404 Not Found: check the endpoint URL and the model id"),
        _ => new CallFailure(CallFailureKind.Permanent, null, $"HTTP {status}"),
    };

    /// <summary>
    /// Classifies an HTTP reply that is not a success, from what any provider's reply carries: its status
    /// (<see cref="FromStatus"/>), the server's wait (<c>retry-after-ms</c>, else <c>Retry-After</c> in seconds or as an
    /// HTTP date, measured on <paramref name="time"/>), and, on a 429, the provider's rate-limit headers
    /// (<see cref="RateLimitHeaders"/>) and the error code <c>insufficient_quota</c> (no credit left: fatal, since no
    /// retry can help). The one place where HTTP statuses become decisions: <see cref="ModelHttpClient"/>'s retries and
    /// limits use it, and so do the provider packages' exception classifiers.
    /// </summary>
    /// <param name="status">The HTTP status.</param>
    /// <param name="header">Returns a response header's value by name (case-insensitive), or <see langword="null"/>.</param>
    /// <param name="body">The response body, if read (only a 429's is looked at).</param>
    /// <param name="time">The clock an HTTP-date <c>Retry-After</c> is measured on. Default: <see cref="TimeProvider.System"/>.</param>
    public static CallFailure FromReply(int status, Func<string, string?> header, string? body = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(header);
        var failure = FromStatus(status, ParseRetryAfter(header, time ?? TimeProvider.System));
        if (!failure.IsRateLimited)
        {
            return failure;
        }

        if (ErrorCode(body) == "insufficient_quota")
        {
            return new CallFailure(CallFailureKind.Fatal, null, "429 insufficient_quota: the account has no credit left for this endpoint (check its billing)");
        }

        return failure with { RateLimit = RateLimitHeaders.Parse(header) };
    }

    /// <summary>Classifies an HTTP response that is not a success (see <see cref="FromReply"/>); its body is read only for a 429.</summary>
    /// <param name="response">The response (its content buffered, as <see cref="ModelHttpClient"/> buffers it).</param>
    /// <param name="time">The clock an HTTP-date <c>Retry-After</c> is measured on. Default: <see cref="TimeProvider.System"/>.</param>
    public static CallFailure FromHttpResponse(HttpResponseMessage response, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(response);
        int status = (int)response.StatusCode;
        string? body = null;
        if (status == 429)
        {
            try
            {
                body = System.Text.Encoding.UTF8.GetString(ReplyHandler.Body(response).Span);
            }
            catch (Exception ex) when (ex is IOException or InvalidOperationException or HttpRequestException or ObjectDisposedException)
            {
                body = null; // an unreadable error body says nothing more than its status
            }
        }

        return FromReply(status, name => Header(response, name), body, time);
    }

    /// <summary>A response header's value (response headers first, then content headers), or <see langword="null"/>.</summary>
    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? string.Join(",", values)
            : null;

    /// <summary>The server's wait: <c>retry-after-ms</c>, else <c>Retry-After</c> (seconds, or an HTTP date measured on <paramref name="time"/>).</summary>
    internal static TimeSpan? ParseRetryAfter(Func<string, string?> header, TimeProvider time)
    {
        if (header("retry-after-ms") is { } ms && double.TryParse(ms, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var millis) && millis >= 0)
        {
            return TimeSpan.FromMilliseconds(Math.Min(millis, TimeSpan.FromDays(1).TotalMilliseconds));
        }

        var value = header("Retry-After")?.Trim();
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        if (double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
        {
            return TimeSpan.FromSeconds(Math.Min(seconds, TimeSpan.FromDays(1).TotalSeconds));
        }

        if (!DateTimeOffset.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var when))
        {
            return null;
        }

        var wait = when - time.GetUtcNow();
        return wait <= TimeSpan.Zero ? TimeSpan.Zero : wait > TimeSpan.FromDays(1) ? TimeSpan.FromDays(1) : wait;
    }

    /// <summary>The <c>error.code</c> of an OpenAI-style error body (<c>{"error": {"code": ...}}</c>), if it has one.</summary>
    private static string? ErrorCode(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return null;
        }

        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(body);
            return doc.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
                && doc.RootElement.TryGetProperty("error", out var error) && error.ValueKind == System.Text.Json.JsonValueKind.Object
                && error.TryGetProperty("code", out var code) && code.ValueKind == System.Text.Json.JsonValueKind.String
                ? code.GetString()
                : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>A request that got no HTTP reply: no connection at all (unreachable), or one lost on the way.</summary>
    private static CallFailure FromConnection(HttpRequestException exception)
    {
        var socket = exception.InnerException as System.Net.Sockets.SocketException;
        string? cause = socket?.SocketErrorCode switch
        {
            System.Net.Sockets.SocketError.ConnectionRefused => "connection refused",
            System.Net.Sockets.SocketError.HostNotFound or System.Net.Sockets.SocketError.NoData or System.Net.Sockets.SocketError.TryAgain => "host not found",
            System.Net.Sockets.SocketError.TimedOut => "connection timed out",
            System.Net.Sockets.SocketError.NetworkUnreachable or System.Net.Sockets.SocketError.NetworkDown
                or System.Net.Sockets.SocketError.HostUnreachable or System.Net.Sockets.SocketError.HostDown => "network or host unreachable",
            _ => null,
        };
        return exception.HttpRequestError switch
        {
            HttpRequestError.ConnectionError => new CallFailure(CallFailureKind.Transient, null, cause ?? Internal.SecretRedactor.Redact(exception.Message)) { Endpoint = EndpointFault.Unreachable },
            HttpRequestError.NameResolutionError => new CallFailure(CallFailureKind.Transient, null, cause ?? "host not found") { Endpoint = EndpointFault.Unreachable },
            HttpRequestError.SecureConnectionError => new CallFailure(CallFailureKind.Transient, null, "TLS handshake failed (is the scheme right, http or https?)") { Endpoint = EndpointFault.Unreachable },
            _ => new CallFailure(CallFailureKind.Transient) { Endpoint = EndpointFault.ConnectionLost },
        };
    }
}
