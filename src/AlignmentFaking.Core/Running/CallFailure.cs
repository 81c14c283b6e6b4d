namespace AlignmentFaking.Running;

/// <summary>How a failed model call is handled: retried (after how long), recorded, or fatal to the whole run.</summary>
public enum CallFailureKind
{
    /// <summary>Transient (429, 5xx, dropped connection, malformed body): retried, bounded.</summary>
    Transient,

    /// <summary>Permanent for this call (e.g. 400 for one request): not retried; the sample records the error.</summary>
    Permanent,

    /// <summary>Permanent for every call (401, 403, 404: a wrong key, model or URL): the run stops at once.</summary>
    Fatal,
}

/// <summary>The classification of one failed call.</summary>
/// <param name="Kind">What to do with it.</param>
/// <param name="RetryAfter">The wait the server asked for (<c>Retry-After</c>), if any.</param>
/// <param name="Message">A message for people that names the cause (never a credential).</param>
public sealed record CallFailure(CallFailureKind Kind, TimeSpan? RetryAfter = null, string? Message = null)
{
    /// <summary>Whether the server said the client is over its rate limit (429): concurrency is lowered.</summary>
    public bool IsRateLimited { get; init; }

    /// <summary>
    /// The default classification, for exceptions of the .NET networking stack: <see cref="HttpRequestException"/> by its
    /// status code (429, 408 and 5xx transient; 401, 403, 404 fatal; other 4xx permanent; no status transient),
    /// <see cref="IOException"/>, <see cref="TimeoutException"/>, <see cref="System.Text.Json.JsonException"/> and a
    /// timeout's <see cref="TaskCanceledException"/> transient; anything else permanent.
    /// </summary>
    /// <param name="exception">The exception a call threw (not the caller's cancellation).</param>
    public static CallFailure Classify(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            FatalCallException fatal => new CallFailure(CallFailureKind.Fatal, null, fatal.Message),
            HttpRequestException { StatusCode: { } status } => FromStatus((int)status, null),
            HttpRequestException or IOException or TimeoutException or System.Text.Json.JsonException or TaskCanceledException => new CallFailure(CallFailureKind.Transient),
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
