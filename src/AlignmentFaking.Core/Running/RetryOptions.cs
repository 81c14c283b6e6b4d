namespace AlignmentFaking.Running;

/// <summary>Options of <see cref="RetryingChatClient"/>. Every property documents its default.</summary>
public sealed class RetryOptions
{
    /// <summary>Retries after the first attempt (so at most <c>MaxRetries + 1</c> attempts). Default: 6.</summary>
    public int MaxRetries { get; set; } = 6;

    /// <summary>
    /// Delay before the first retry; doubled on each retry, with full jitter (see <see cref="AdaptiveBackoff"/>).
    /// Default: 1 second.
    /// </summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Doubles the backoff only while most recent attempts through this client fail (an endpoint in trouble). While most
    /// succeed, failures are random faults of a healthy endpoint, and a retry waits at most <c>2 x BaseDelay</c> (plus any
    /// <c>Retry-After</c>), so a few unlucky calls do not hold up the end of a run. Default: true; false doubles always.
    /// </summary>
    public bool AdaptiveBackoff { get; set; } = true;

    /// <summary>
    /// The endpoint's circuit breaker, shared by every client of the endpoint: a call waits while it is open, waiting does
    /// not count as a retry, and an endpoint that never answered stops the run at once. Default: <see langword="null"/>
    /// (none).
    /// </summary>
    public EndpointCircuitBreaker? CircuitBreaker { get; set; }

    /// <summary>Upper bound of one backoff delay (a longer <c>Retry-After</c> is still honoured). Default: 60 seconds.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Time allowed for one attempt, sized for long generations (4,000 tokens at 20 tokens/s is over 3 minutes).
    /// Default: 10 minutes; <see cref="Timeout.InfiniteTimeSpan"/> for none.
    /// </summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Time allowed for a call including all retries and waits. Default: 30 minutes.</summary>
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Classifies a failure. Default: <see cref="CallFailure.Classify"/>; provider wiring supplies its own.</summary>
    public Func<Exception, CallFailure> Classify { get; set; } = CallFailure.Classify;

    /// <summary>The clock for delays and timeouts (tests use a fake one). Default: <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Source of jitter in [0, 1). Default: <see cref="Random.Shared"/>.</summary>
    public Func<double> Jitter { get; set; } = Random.Shared.NextDouble;

    /// <summary>Called before each retry with the attempt number (1-based), the failure and the delay.</summary>
    public Action<int, Exception, TimeSpan>? OnRetry { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (MaxRetries is < 0 or > 100)
        {
            throw new ArgumentException($"max retries must be between 0 and 100 (was {MaxRetries})", nameof(MaxRetries));
        }

        if (BaseDelay < TimeSpan.Zero || MaxDelay < BaseDelay)
        {
            throw new ArgumentException("delays must be non-negative and MaxDelay >= BaseDelay", nameof(BaseDelay));
        }

        if (AttemptTimeout <= TimeSpan.Zero && AttemptTimeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentException("the attempt timeout must be positive", nameof(AttemptTimeout));
        }

        if (TotalTimeout <= TimeSpan.Zero && TotalTimeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentException("the total timeout must be positive", nameof(TotalTimeout));
        }

        ArgumentNullException.ThrowIfNull(Classify);
        ArgumentNullException.ThrowIfNull(TimeProvider);
        ArgumentNullException.ThrowIfNull(Jitter);
    }
}
