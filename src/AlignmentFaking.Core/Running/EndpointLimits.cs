using System.Collections.Concurrent;

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
    /// When no <see cref="RequestsPerMinute"/> is set, learn a request rate from 429 replies: after one (and at least five
    /// successes in the last 5 s), calls are held to 90% of the rate that succeeded lately, which then creeps back up by
    /// 0.1% with each success. Default: true.
    /// </summary>
    public bool LearnRateFromRateLimits { get; set; } = true;

    /// <summary>The clock that replenishes the rate limits. Default: <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

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

/// <summary>
/// The limits of one model endpoint, shared by every run in the process that calls it (see <see cref="For"/>):
/// requests and tokens per minute (token buckets refilled continuously; requests may burst by 100 ms worth, tokens by
/// 10 s worth), and an adaptive concurrency limit that halves on a rate-limit reply (429) and grows by one after as many
/// successes as the current limit.
/// </summary>
/// <remarks>
/// The buckets are the project's own rather than <c>System.Threading.RateLimiting</c>'s token bucket, which measures
/// elapsed time with the system clock even when replenished by hand, so it cannot follow a <see cref="TimeProvider"/>
/// and tests of it would have to sleep.
/// </remarks>
public sealed class EndpointLimits : IDisposable
{
    private static readonly ConcurrentDictionary<string, EndpointLimits> Registry = new(StringComparer.Ordinal);
    private readonly EndpointLimitOptions _options;
    private readonly TokenBucket? _requests;
    private readonly TokenBucket? _tokens;
    private readonly Queue<long> _recentSuccesses = new();
    private TokenBucket? _learned;
    private long _pausedUntil;
    private long _lastReduction = long.MinValue;
    private readonly Lock _gate = new();
    private readonly Queue<TaskCompletionSource> _waiters = new();
    private int _inFlight;
    private int _limit;
    private int _successes;
    private long _rateLimited;

    /// <summary>Creates limits (prefer <see cref="For"/> to share them per endpoint).</summary>
    /// <param name="options">The limits.</param>
    public EndpointLimits(EndpointLimitOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _limit = options.MaxConcurrency;
        if (options.RequestsPerMinute is { } rpm)
        {
            _requests = new TokenBucket(Math.Max(1, rpm / 600.0), rpm / 60.0, options.TimeProvider);
        }

        if (options.TokensPerMinute is { } tpm)
        {
            _tokens = new TokenBucket(Math.Max(1, tpm / 6.0), tpm / 60.0, options.TimeProvider);
        }
    }

    /// <summary>The current adaptive concurrency limit.</summary>
    public int ConcurrencyLimit
    {
        get
        {
            lock (_gate)
            {
                return _limit;
            }
        }
    }

    /// <summary>Rate-limit replies (429) seen.</summary>
    public long RateLimitedCount => Interlocked.Read(ref _rateLimited);

    /// <summary>The shared limits of an endpoint (the first caller's options win for that key).</summary>
    /// <param name="endpointKey">Identifies the endpoint, e.g. its base URL and model id.</param>
    /// <param name="options">The limits, used if the endpoint has none yet.</param>
    public static EndpointLimits For(string endpointKey, EndpointLimitOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(endpointKey);
        return Registry.GetOrAdd(endpointKey, _ => new EndpointLimits(options));
    }

    /// <summary>Waits for a concurrency slot, a request permit and <paramref name="estimatedTokens"/> token permits.</summary>
    /// <param name="estimatedTokens">Tokens the call is expected to use.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A lease to dispose when the call ends.</returns>
    public async ValueTask<IDisposable> AcquireAsync(int estimatedTokens, CancellationToken cancellationToken = default)
    {
        await EnterAsync(cancellationToken).ConfigureAwait(false);
        var releaser = new Releaser(this);
        try
        {
            var time = _options.TimeProvider;
            long pausedUntil = Interlocked.Read(ref _pausedUntil);
            long now = time.GetTimestamp();
            if (pausedUntil > now)
            {
                // A Retry-After from the server holds every call to the endpoint, not only the one that was refused.
                await Task.Delay(time.GetElapsedTime(now, pausedUntil), time, cancellationToken).ConfigureAwait(false);
            }

            if (_requests is not null)
            {
                await _requests.AcquireAsync(1, cancellationToken).ConfigureAwait(false);
            }

            if (Volatile.Read(ref _learned) is { } learned)
            {
                await learned.AcquireAsync(1, cancellationToken).ConfigureAwait(false);
            }

            if (_tokens is not null)
            {
                // Charged in full even when larger than the bucket (see TokenBucket.AcquireAsync).
                await _tokens.AcquireAsync(Math.Max(1, estimatedTokens), cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            releaser.Dispose();
            throw;
        }

        return releaser;
    }

    /// <summary>Records a rate-limit reply: the concurrency limit halves.</summary>
    public void OnRateLimited() => OnRateLimited(null);

    /// <summary>
    /// Records a rate-limit reply: the concurrency limit halves, every call waits out <paramref name="retryAfter"/>, and
    /// (without a configured rate, see <see cref="EndpointLimitOptions.LearnRateFromRateLimits"/>) the request rate is held
    /// to 90% of what succeeded lately.
    /// </summary>
    /// <param name="retryAfter">The server's <c>Retry-After</c>, if it sent one.</param>
    public void OnRateLimited(TimeSpan? retryAfter)
    {
        Interlocked.Increment(ref _rateLimited);
        var time = _options.TimeProvider;
        long now = time.GetTimestamp();
        lock (_gate)
        {
            _successes = 0;
            if (retryAfter is { } wait && wait > TimeSpan.Zero)
            {
                long until = now + (long)(wait.TotalSeconds * time.TimestampFrequency);
                if (until > _pausedUntil)
                {
                    Interlocked.Exchange(ref _pausedUntil, until);
                }
            }

            // One reduction per episode: the calls in flight when the limit was hit all come back 429 together.
            bool newEpisode = _lastReduction == long.MinValue || time.GetElapsedTime(_lastReduction, now) > TimeSpan.FromSeconds(2);
            if (newEpisode)
            {
                _limit = Math.Max(_options.MinConcurrency, _limit / 2);
                _lastReduction = now;
            }

            TrimSuccesses(now);
            if (newEpisode && _options.RequestsPerMinute is null && _options.LearnRateFromRateLimits && _recentSuccesses.Count >= 5)
            {
                // Learn only from evidence: a few recent successes say what rate the endpoint took.
                double window = Math.Max(1, _recentSuccesses.Count == 0 ? 1 : time.GetElapsedTime(_recentSuccesses.Peek(), now).TotalSeconds);
                double measured = _recentSuccesses.Count / window;
                double current = _learned?.PerSecond ?? double.MaxValue;
                double rate = Math.Max(0.05, Math.Min(measured, current) * 0.9);
                if (_learned is null)
                {
                    Volatile.Write(ref _learned, new TokenBucket(Math.Max(1, rate / 10), rate, time));
                }
                else
                {
                    _learned.SetRate(rate);
                }
            }
        }
    }

    /// <summary>Records a successful call: after as many successes as the limit, the limit grows by one.</summary>
    public void OnSuccess()
    {
        long now = _options.TimeProvider.GetTimestamp();
        lock (_gate)
        {
            if (_options.RequestsPerMinute is null && _options.LearnRateFromRateLimits)
            {
                _recentSuccesses.Enqueue(now);
                TrimSuccesses(now);
                if (_learned is { } learned)
                {
                    learned.SetRate(learned.PerSecond + Math.Max(0.01, learned.PerSecond * 0.001));
                }
            }

            if (++_successes >= _limit && _limit < _options.MaxConcurrency)
            {
                _limit++;
                _successes = 0;
                WakeWaiters();
            }
        }
    }

    /// <summary>The learned request rate per second, if a 429 taught one.</summary>
    public double? LearnedRequestsPerSecond => Volatile.Read(ref _learned)?.PerSecond;

    private void TrimSuccesses(long now)
    {
        var time = _options.TimeProvider;
        while (_recentSuccesses.Count > 0 && time.GetElapsedTime(_recentSuccesses.Peek(), now) > TimeSpan.FromSeconds(5))
        {
            _recentSuccesses.Dequeue();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            while (_waiters.Count > 0)
            {
                _waiters.Dequeue().TrySetCanceled();
            }
        }
    }

    private Task EnterAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource waiter;
        lock (_gate)
        {
            if (_inFlight < _limit)
            {
                _inFlight++;
                return Task.CompletedTask;
            }

            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Enqueue(waiter);
        }

        return WaitAsync(waiter, cancellationToken);
    }

    private async Task WaitAsync(TaskCompletionSource waiter, CancellationToken cancellationToken)
    {
        using var registration = cancellationToken.Register(() =>
        {
            if (waiter.TrySetCanceled(cancellationToken))
            {
                return;
            }
        });
        try
        {
            await waiter.Task.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (waiter.Task.IsCanceled)
        {
            // A waiter cancelled after being granted a slot gives it back.
            throw;
        }
    }

    private void Exit()
    {
        lock (_gate)
        {
            _inFlight--;
            WakeWaiters();
        }
    }

    private void WakeWaiters()
    {
        while (_inFlight < _limit && _waiters.Count > 0)
        {
            var next = _waiters.Dequeue();
            if (next.TrySetResult())
            {
                _inFlight++;
            }
        }
    }

    private sealed class Releaser(EndpointLimits owner) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Exit();
            }
        }
    }

    /// <summary>
    /// A token bucket on a <see cref="TimeProvider"/>: continuous refill, waiters sleep until enough has accrued. A request
    /// larger than the bucket waits for a full bucket and is then charged in full: the balance goes negative and later
    /// requests wait until the debt is repaid, so the long-run rate holds whatever the request sizes.
    /// </summary>
    private sealed class TokenBucket
    {
        private readonly Lock _gate = new();
        private double _capacity;
        private double _perSecond;
        private readonly TimeProvider _time;
        private double _tokens;
        private long _last;

        public TokenBucket(double capacity, double perSecond, TimeProvider time)
        {
            _capacity = capacity;
            _perSecond = perSecond;
            _time = time;
            _tokens = capacity;
            _last = time.GetTimestamp();
        }

        public double PerSecond
        {
            get
            {
                lock (_gate)
                {
                    return _perSecond;
                }
            }
        }

        public void SetRate(double perSecond)
        {
            lock (_gate)
            {
                Refill();
                _perSecond = perSecond;
                _capacity = Math.Max(1, perSecond / 10);
                _tokens = Math.Min(_tokens, _capacity);
            }
        }

        private void Refill()
        {
            long now = _time.GetTimestamp();
            _tokens = Math.Min(_capacity, _tokens + (_time.GetElapsedTime(_last, now).TotalSeconds * _perSecond));
            _last = now;
        }

        public async ValueTask AcquireAsync(double count, CancellationToken cancellationToken)
        {
            while (true)
            {
                TimeSpan wait;
                lock (_gate)
                {
                    Refill();
                    double needed = Math.Min(count, _capacity);
                    if (_tokens >= needed - 1e-9)
                    {
                        _tokens -= count;
                        return;
                    }

                    wait = TimeSpan.FromSeconds((needed - _tokens) / _perSecond);
                }

                await Task.Delay(wait < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : wait, _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
