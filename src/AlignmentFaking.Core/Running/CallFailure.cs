namespace AlignmentFaking.Running;

/// <summary>How a failed model call is handled: retried (after how long), recorded, or fatal to the whole run.</summary>
public enum CallFailureKind
{
    /// <summary>Transient (429, 5xx, dropped connection, malformed or truncated body, no choices): retried, bounded.</summary>
    Transient,

    /// <summary>
    /// Permanent for this call (e.g. 400 for one request, or a well-formed reply the client library rejects, such as an
    /// unknown finish reason or content type): not retried; the sample records the error.
    /// </summary>
    Permanent,

    /// <summary>Permanent for every call (401, 403, 404: a wrong key, model or URL): the run stops at once.</summary>
    Fatal,
}

/// <summary>What a failed call says about its endpoint (see <see cref="EndpointCircuitBreaker"/>).</summary>
public enum EndpointFault
{
    /// <summary>The endpoint replied (an HTTP status or a body), or the failure says nothing about the endpoint.</summary>
    None,

    /// <summary>A connection was made but dropped or reset before a complete reply.</summary>
    ConnectionLost,

    /// <summary>No connection could be made: connection refused, host not found, connection timed out, TLS failed.</summary>
    Unreachable,

    /// <summary>
    /// The endpoint replied, but not in the API's shape (an HTML page, JSON without a choice list): usually a wrong URL.
    /// </summary>
    NotTheApi,
}

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
    /// <see cref="UnexpectedReplyException"/> transient and <see cref="EndpointFault.NotTheApi"/>; <see cref="IOException"/>,
    /// <see cref="TimeoutException"/>, <see cref="System.Text.Json.JsonException"/> (a malformed or truncated body),
    /// <see cref="InvalidDataException"/> (a reply without choices) and a timeout's <see cref="TaskCanceledException"/>
    /// transient; anything else permanent (for example a well-formed reply the client library cannot read: retrying
    /// gets the same rejection).
    /// </summary>
    /// <param name="exception">The exception a call threw (not the caller's cancellation).</param>
    public static CallFailure Classify(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            FatalCallException fatal => new CallFailure(CallFailureKind.Fatal, null, fatal.Message),
            UnexpectedReplyException unexpected => new CallFailure(CallFailureKind.Transient, null, unexpected.Message) { Endpoint = EndpointFault.NotTheApi },
            HttpRequestException { StatusCode: { } status } => FromStatus((int)status, null),
            HttpRequestException http => FromConnection(http),
            IOException => new CallFailure(CallFailureKind.Transient) { Endpoint = EndpointFault.ConnectionLost },
            TimeoutException or System.Text.Json.JsonException or InvalidDataException or TaskCanceledException => new CallFailure(CallFailureKind.Transient),
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

/// <summary>
/// A reply that is not in the API's shape (an HTML page, JSON without a choice list, a text body): usually the URL
/// points at something other than the API. Transient (a proxy can answer so for a moment), but it stops the run at once
/// when the endpoint has never answered properly (see <see cref="EndpointCircuitBreaker"/>).
/// </summary>
public sealed class UnexpectedReplyException : Exception
{
    /// <summary>Creates the exception.</summary>
    public UnexpectedReplyException()
        : this("the endpoint answered something that is not the API's reply")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What the endpoint answered and what to check.</param>
    public UnexpectedReplyException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What the endpoint answered and what to check.</param>
    /// <param name="innerException">The underlying error.</param>
    public UnexpectedReplyException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// A call failure that no other call can escape (wrong key, model or endpoint): the runner stops launching, cancels the
/// calls in flight and rethrows it, after every finished sample has been handed out.
/// </summary>
public sealed class FatalCallException : Exception
{
    /// <summary>Creates the exception.</summary>
    public FatalCallException()
        : this("a model call failed in a way no retry can fix")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong and what to check (never a credential).</param>
    public FatalCallException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong and what to check (never a credential).</param>
    /// <param name="innerException">The underlying error.</param>
    public FatalCallException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
