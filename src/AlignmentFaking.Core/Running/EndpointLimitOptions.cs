namespace AlignmentFaking.Running;

/// <summary>Options of <see cref="EndpointLimits"/>. Every property documents its default.</summary>
public sealed class EndpointLimitOptions
{
    /// <summary>Client-side limit of requests per minute; <see langword="null"/> (default) for none.</summary>
    public int? RequestsPerMinute { get; set; }

    /// <summary>
    /// Client-side limit of tokens per minute (each call counts its input estimate, chars/4, plus its max output tokens,
    /// 1,000 when none is set); <see langword="null"/> (default) for none. The bucket holds 10 s worth; a call larger
    /// than that waits for a full bucket and is charged in full (the bucket goes into debt, which later calls wait out),
    /// so large calls are held to the rate too.
    /// </summary>
    public int? TokensPerMinute { get; set; }

    /// <summary>Calls in flight at most; the adaptive limit starts here. Default: 64.</summary>
    public int MaxConcurrency { get; set; } = 64;

    /// <summary>The adaptive limit never goes below this. Default: 1.</summary>
    public int MinConcurrency { get; set; } = 1;

    /// <summary>
    /// When no <see cref="RequestsPerMinute"/> is set, learn a request rate from 429 replies once they show a real limit
    /// (see <see cref="EndpointLimits"/>): calls are held to 90% of the rate that succeeded lately, which then creeps
    /// back up by 0.1% with each success. Default: true.
    /// </summary>
    public bool LearnRateFromRateLimits { get; set; } = true;

    /// <summary>The clock that replenishes the rate limits. Default: <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>A copy on another clock.</summary>
    internal EndpointLimitOptions WithTimeProvider(TimeProvider time) => new()
    {
        RequestsPerMinute = RequestsPerMinute,
        TokensPerMinute = TokensPerMinute,
        MaxConcurrency = MaxConcurrency,
        MinConcurrency = MinConcurrency,
        LearnRateFromRateLimits = LearnRateFromRateLimits,
        TimeProvider = time,
    };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (RequestsPerMinute is < 1)
        {
            throw new ArgumentException("requests per minute must be positive", nameof(RequestsPerMinute));
        }

        if (TokensPerMinute is < 1)
        {
            throw new ArgumentException("tokens per minute must be positive", nameof(TokensPerMinute));
        }

        if (MinConcurrency < 1 || MaxConcurrency < MinConcurrency)
        {
            throw new ArgumentException("concurrency bounds must satisfy 1 <= MinConcurrency <= MaxConcurrency", nameof(MaxConcurrency));
        }

        ArgumentNullException.ThrowIfNull(TimeProvider);
    }
}
