namespace AlignmentFaking.Running;

/// <summary>Options of <see cref="EndpointCircuitBreaker"/>. Every property documents its default.</summary>
public sealed class CircuitBreakerOptions
{
    /// <summary>
    /// Consecutive connection failures (see <see cref="EndpointFault"/>: refused, reset, host not found, a reply not in the
    /// API's shape) that open the breaker; any reply resets the count. Default: 5.
    /// </summary>
    public int FailureThreshold { get; set; } = 5;

    /// <summary>Wait before the first probe once the breaker is open; doubled after each failed probe. Default: 2 seconds.</summary>
    public TimeSpan ProbeDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Longest wait between probes. Default: 30 seconds.</summary>
    public TimeSpan MaxProbeDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long the breaker stays open before it gives up: every waiting call then fails with
    /// <see cref="FatalCallException"/> and the run stops (resumable). Default: 10 minutes.
    /// </summary>
    public TimeSpan GiveUpAfter { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Stop at once (<see cref="FatalCallException"/>) when the endpoint has never answered and a call cannot reach it
    /// (connection refused, host not found, TLS failed), gets a reply not in the API's shape, or loses its connection
    /// <see cref="FailureThreshold"/> times in a row. Default: true.
    /// </summary>
    public bool StopWhenNeverAnswered { get; set; } = true;

    /// <summary>Called (outside any lock) with a one-line message when the breaker opens or closes. Default: none.</summary>
    public Action<string>? OnStateChanged { get; set; }

    /// <summary>The clock for probe delays and the give-up bound (tests use a fake one). Default: <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>A copy on another clock.</summary>
    internal CircuitBreakerOptions WithTimeProvider(TimeProvider time) => new()
    {
        FailureThreshold = FailureThreshold,
        ProbeDelay = ProbeDelay,
        MaxProbeDelay = MaxProbeDelay,
        GiveUpAfter = GiveUpAfter,
        StopWhenNeverAnswered = StopWhenNeverAnswered,
        OnStateChanged = OnStateChanged,
        TimeProvider = time,
    };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (FailureThreshold < 1)
        {
            throw new ArgumentException($"the failure threshold must be at least 1 (was {FailureThreshold})", nameof(FailureThreshold));
        }

        if (ProbeDelay <= TimeSpan.Zero || MaxProbeDelay < ProbeDelay)
        {
            throw new ArgumentException("probe delays must be positive and MaxProbeDelay >= ProbeDelay", nameof(ProbeDelay));
        }

        if (GiveUpAfter <= TimeSpan.Zero)
        {
            throw new ArgumentException("the give-up time must be positive", nameof(GiveUpAfter));
        }

        ArgumentNullException.ThrowIfNull(TimeProvider);
    }
}
