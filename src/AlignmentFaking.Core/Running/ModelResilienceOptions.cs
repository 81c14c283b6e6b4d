namespace AlignmentFaking.Running;

/// <summary>
/// The resilience of a model client built on <see cref="ModelHttpClient"/> (what the provider packages' client factories
/// take): retries, client-side limits, the circuit breaker, the clock and the HTTP handler. Every property documents
/// its default; the defaults are what <c>af</c> uses.
/// </summary>
public sealed class ModelResilienceOptions
{
    /// <summary>
    /// Retries (above and below HTTP, one budget per call), backoff, timeouts and <see cref="RetryOptions.OnRetry"/>; its
    /// <see cref="RetryOptions.Classify"/> is replaced by the provider's classifier. Default: a new
    /// <see cref="RetryOptions"/> (6 retries, 1 s base delay doubling to a 60 s cap with full jitter, 5-minute attempts,
    /// 15 minutes per call).
    /// </summary>
    public RetryOptions Retry { get; set; } = new();

    /// <summary>
    /// Client-side limits of the endpoint and model (concurrency, requests and tokens per minute, the reactions to 429s),
    /// shared by every client of the same endpoint and model in the process (<see cref="EndpointLimits.For"/>); every HTTP
    /// attempt passes them. Default: <see langword="null"/> (none).
    /// </summary>
    public EndpointLimitOptions? Limits { get; set; }

    /// <summary>
    /// The endpoint's circuit breaker: an endpoint that never answered stops the run at once, one that goes away holds
    /// calls until it is back. Used unless <see cref="RetryOptions.CircuitBreaker"/> of <see cref="Retry"/> is set.
    /// Default: a new <see cref="CircuitBreakerOptions"/> (on); <see langword="null"/> for none.
    /// </summary>
    public CircuitBreakerOptions? CircuitBreaker { get; set; } = new();

    /// <summary>
    /// One clock for every part (retry delays, timeouts, limits, the breaker), replacing their own; tests pass a fake one.
    /// Default: <see langword="null"/> (each part's own, <see cref="TimeProvider.System"/> unless set).
    /// </summary>
    public TimeProvider? TimeProvider { get; set; }

    /// <summary>
    /// The handler that sends the requests, disposed with the client. Default: <see langword="null"/> (see
    /// <see cref="ModelHttpClientOptions.PrimaryHandler"/>).
    /// </summary>
    public HttpMessageHandler? PrimaryHandler { get; set; }

    /// <summary>
    /// The largest reply body an attempt reads, in bytes (see <see cref="ModelHttpClientOptions.MaxReplyBytes"/>: a larger
    /// reply fails its attempt at once, permanently). Default: <see cref="ModelHttpClientOptions.DefaultMaxReplyBytes"/> (16 MiB).
    /// </summary>
    public long MaxReplyBytes { get; set; } = ModelHttpClientOptions.DefaultMaxReplyBytes;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (Retry is null)
        {
            throw new ArgumentException("retry options are required", nameof(Retry));
        }

        Retry.Validate();
        ModelHttpClientOptions.ValidateMaxReplyBytes(MaxReplyBytes);
        Limits?.Validate();
        CircuitBreaker?.Validate();
    }
}
