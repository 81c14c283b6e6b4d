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
    /// Time allowed for one attempt, sized for long CoT generations (4,000 tokens at 20 tokens/s is over 3 minutes) while
    /// a hung endpoint holds a call no longer than that (<c>af --attempt-timeout</c>). A call cut by it says so ("the
    /// attempt timeout of 5 min fired"). Default: <see cref="DefaultAttemptTimeout"/> (5 minutes);
    /// <see cref="Timeout.InfiniteTimeSpan"/> for none.
    /// </summary>
    public TimeSpan AttemptTimeout { get; set; } = DefaultAttemptTimeout;

    /// <summary>
    /// Time allowed for a call including all retries and waits (<c>af --total-timeout</c>); a call cut by it says so ("the
    /// total timeout of 15 min fired"). Default: <see cref="DefaultTotalTimeout"/> (15 minutes).
    /// </summary>
    public TimeSpan TotalTimeout { get; set; } = DefaultTotalTimeout;

    /// <summary>A duration as the timeout messages write it: <c>5m</c>, <c>1.5s</c>, <c>2h</c>.</summary>
    /// <param name="duration">The duration.</param>
    /// <returns>The duration in the largest whole unit (h, m), else in seconds.</returns>
    public static string Describe(TimeSpan duration) =>
        duration.TotalHours >= 1 && duration.TotalHours % 1 == 0 ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{duration.TotalHours:0}h")
        : duration.TotalMinutes >= 1 && duration.TotalMinutes % 1 == 0 ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{duration.TotalMinutes:0}m")
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{duration.TotalSeconds:0.###}s");

    /// <summary>The message of a call cut by <see cref="AttemptTimeout"/>.</summary>
    internal string AttemptTimeoutMessage => $"the attempt timeout of {Describe(AttemptTimeout)} fired (RetryOptions.AttemptTimeout, af --attempt-timeout): the endpoint did not answer within it";

    /// <summary>The message of a call cut by <see cref="TotalTimeout"/>.</summary>
    internal string TotalTimeoutMessage => $"the total timeout of {Describe(TotalTimeout)} fired (RetryOptions.TotalTimeout, af --total-timeout): the call did not finish within it, retries included";

    /// <summary>The default of <see cref="AttemptTimeout"/>: 5 minutes.</summary>
    public static TimeSpan DefaultAttemptTimeout { get; } = TimeSpan.FromMinutes(5);

    /// <summary>The default of <see cref="TotalTimeout"/>: 15 minutes.</summary>
    public static TimeSpan DefaultTotalTimeout { get; } = TimeSpan.FromMinutes(15);

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
