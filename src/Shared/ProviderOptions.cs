using AlignmentFaking.Running;

namespace AlignmentFaking.Providers;

/// <summary>
/// (Source shared by the provider packages, compiled into each.) What every provider's client factory does with its
/// options: copies of the caller's option objects with the provider's classifier, the endpoint's circuit breaker and
/// the one clock put in (the caller's objects are never changed, so one can serve several endpoints), and the
/// endpoint's name in messages.
/// </summary>
internal static class ProviderOptions
{
    /// <summary>The retry options of one client: <paramref name="source"/>'s values with the provider's parts.</summary>
    public static RetryOptions Retry(RetryOptions source, Func<Exception, CallFailure> classify, CircuitBreakerOptions? breaker, string endpoint, TimeProvider? time)
    {
        ArgumentNullException.ThrowIfNull(source);
        var clock = time ?? source.TimeProvider;
        var retry = new RetryOptions
        {
            MaxRetries = source.MaxRetries,
            BaseDelay = source.BaseDelay,
            MaxDelay = source.MaxDelay,
            AdaptiveBackoff = source.AdaptiveBackoff,
            AttemptTimeout = source.AttemptTimeout,
            TotalTimeout = source.TotalTimeout,
            Jitter = source.Jitter,
            OnRetry = source.OnRetry,
            TimeProvider = clock,
            Classify = classify,
            CircuitBreaker = source.CircuitBreaker,
        };
        if (retry.CircuitBreaker is null && breaker is not null)
        {
            retry.CircuitBreaker = new EndpointCircuitBreaker(endpoint, time is null ? breaker : new CircuitBreakerOptions
            {
                FailureThreshold = breaker.FailureThreshold,
                ProbeDelay = breaker.ProbeDelay,
                MaxProbeDelay = breaker.MaxProbeDelay,
                GiveUpAfter = breaker.GiveUpAfter,
                StopWhenNeverAnswered = breaker.StopWhenNeverAnswered,
                OnStateChanged = breaker.OnStateChanged,
                TimeProvider = time,
            });
        }

        retry.Validate();
        return retry;
    }

    /// <summary>The shared limits of an endpoint and model (<see cref="EndpointLimits.For"/>), on the one clock when given.</summary>
    public static EndpointLimits? Limits(EndpointLimitOptions? source, Uri endpoint, string model, TimeProvider? time)
    {
        if (source is null)
        {
            return null;
        }

        var options = time is null ? source : new EndpointLimitOptions
        {
            RequestsPerMinute = source.RequestsPerMinute,
            TokensPerMinute = source.TokensPerMinute,
            MaxConcurrency = source.MaxConcurrency,
            MinConcurrency = source.MinConcurrency,
            LearnRateFromRateLimits = source.LearnRateFromRateLimits,
            TimeProvider = time,
        };
        return EndpointLimits.For(endpoint.AbsoluteUri.TrimEnd('/') + "|" + model, options);
    }

    /// <summary>The endpoint as messages name it: scheme, host, port and path (never user info or a query).</summary>
    public static string Describe(Uri endpoint) =>
        endpoint.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped).TrimEnd('/');

    /// <summary>A fatal status's message that says where to look: the key's environment variable on a 401, the provider's words otherwise.</summary>
    public static CallFailure WithHint(CallFailure failure, int status, string? keyVariable, string? providerMessage) =>
        failure.Kind != CallFailureKind.Fatal ? failure
        : status == 401 ? failure with { Message = keyVariable is null ? "401 Unauthorized: check the API key" : $"401 Unauthorized: check the key in environment variable {keyVariable}" }
        : string.IsNullOrWhiteSpace(providerMessage) || failure.Message?.StartsWith("429 insufficient_quota", StringComparison.Ordinal) == true ? failure
        : failure with { Message = failure.Message + " (" + Diagnostics.SecretRedaction.Redact(providerMessage) + ")" };
}
