using System.Collections.Concurrent;

namespace AlignmentFaking.Running;

/// <summary>
/// The limits of one model endpoint, shared by every run in the process that calls it (see <see cref="For"/>):
/// requests and tokens per minute (token buckets refilled continuously; requests may burst by 100 ms worth, tokens by
/// 10 s worth), and reactions to rate-limit replies (429) once they are evidence of a real limit rather than random faults.
/// </summary>
/// <remarks>
/// <para>
/// A 429 is evidence of a real limit when its headers say a limit is used up (<see cref="RateLimitHeaders"/>), or when
/// 429s follow the sending rate. Once at least 20% of the replies of the last 30 s (50 or more, over at least 1 s) are
/// 429s, calls are held to 90% of the rate that succeeded lately, and the replies to calls sent after that decide: if the
/// share of 429s among the last 50 of them fell to half or less, significantly (a one-sided two-proportion z-test, z of
/// at least 3), the limit is real. While it has not fallen, the hold is lowered again every 2 s; if it still has not
/// fallen after two lowerings, 100 replies and 5 s, the 429s do not depend on the rate (random faults, an overloaded
/// backend): the hold is lifted and that share becomes the noise floor, which 429s must pass by 10 points to be
/// suspected again. Until then a 429 only delays the retry of its own call (by its <c>Retry-After</c>).
/// </para>
/// <para>
/// Under a real limit, each episode of 429s (2 s apart) halves the concurrency limit (it grows by one after as many
/// successes as the limit), lowers the learned rate to 90% of what succeeded lately (it creeps back up with each
/// success), and a <c>Retry-After</c> holds every call to the endpoint.
/// </para>
/// <para>
/// The buckets are the project's own rather than <c>System.Threading.RateLimiting</c>'s token bucket, which measures
/// elapsed time with the system clock even when replenished by hand, so it cannot follow a <see cref="TimeProvider"/>
/// and tests of it would have to sleep.
/// </para>
/// </remarks>
public sealed class EndpointLimits : IDisposable
{
    private static readonly ConcurrentDictionary<string, EndpointLimits> Registry = new(StringComparer.Ordinal);
    private readonly EndpointLimitOptions _options;
    private readonly TokenBucket? _requests;
    private readonly TokenBucket? _tokens;
    private readonly Queue<(long At, bool RateLimited)> _outcomes = new();
    private int _outcomesRateLimited;
    private RateLimitEvidence _evidence;
    private double _noiseFloor;
    private double _shareBefore;
    private int _countBefore;
    private int _skipAfterHold;
    private int _repliesSinceHold;
    private int _rateLimitedSinceHold;
    private readonly Queue<bool> _lastSinceHold = new();
    private int _lastSinceHoldRateLimited;
    private long _holdStarted;
    private long _holdChanged;
    private int _holdReductions;
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

    /// <summary>Whether 429s from this endpoint have shown a real rate limit (see the remarks of <see cref="EndpointLimits"/>).</summary>
    public bool RateLimitConfirmed
    {
        get
        {
            lock (_gate)
            {
                return _evidence == RateLimitEvidence.Confirmed;
            }
        }
    }

    /// <summary>Records a rate-limit reply without headers or <c>Retry-After</c>.</summary>
    public void OnRateLimited() => OnRateLimited((TimeSpan?)null);

    /// <summary>Records a rate-limit reply with the server's <c>Retry-After</c>, if it sent one (see <see cref="OnRateLimited(CallFailure)"/>).</summary>
    /// <param name="retryAfter">The server's <c>Retry-After</c>, if it sent one.</param>
    public void OnRateLimited(TimeSpan? retryAfter) =>
        OnRateLimited(new CallFailure(CallFailureKind.Transient, retryAfter) { IsRateLimited = true });

    /// <summary>
    /// Records a rate-limit reply (429). It acts on every call to the endpoint only when it is evidence of a real limit
    /// (see the remarks of <see cref="EndpointLimits"/>); otherwise only its own call waits (its retry).
    /// </summary>
    /// <param name="failure">The classified 429: its <c>Retry-After</c> and rate-limit headers, if any.</param>
    public void OnRateLimited(CallFailure failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        Interlocked.Increment(ref _rateLimited);
        var time = _options.TimeProvider;
        long now = time.GetTimestamp();
        lock (_gate)
        {
            Record(now, rateLimited: true);
            var retryAfter = Longest(failure.RetryAfter, failure.RateLimit?.ResetAfter);
            if (failure.RateLimit?.Exhausted == true)
            {
                // The provider says a limit is used up: a real limit, whatever the statistics.
                bool first = _evidence != RateLimitEvidence.Confirmed;
                _evidence = RateLimitEvidence.Confirmed;
                Episode(now, retryAfter, lowerRate: first || _learned is not null);
                return;
            }

            switch (_evidence)
            {
                case RateLimitEvidence.Confirmed:
                    Episode(now, retryAfter, lowerRate: true);
                    break;
                case RateLimitEvidence.Testing:
                    Decide(now, rateLimited: true);
                    break;
                default:
                    var (count, share) = Share();
                    if (count >= MinEvidence && share >= Math.Max(SuspectShare, Math.Min(_noiseFloor, 0.5) + 0.1)
                        && _options.TimeProvider.GetElapsedTime(_outcomes.Peek().At, now) >= TimeSpan.FromSeconds(1))
                    {
                        Suspect(now, share, count, retryAfter);
                    }

                    break;
            }
        }
    }

    /// <summary>Records a successful call: after as many successes as the limit, the limit grows by one.</summary>
    public void OnSuccess()
    {
        long now = _options.TimeProvider.GetTimestamp();
        lock (_gate)
        {
            Record(now, rateLimited: false);
            if (_evidence == RateLimitEvidence.Testing)
            {
                Decide(now, rateLimited: false);
            }
            else if (_evidence == RateLimitEvidence.Confirmed && _learned is { } learned)
            {
                learned.SetRate(learned.PerSecond + Math.Max(0.01, learned.PerSecond * 0.001));
            }

            if (++_successes >= _limit && _limit < _options.MaxConcurrency)
            {
                _limit++;
                _successes = 0;
                WakeWaiters();
            }
        }
    }

    /// <summary>The learned request rate per second, if 429s taught one.</summary>
    public double? LearnedRequestsPerSecond => Volatile.Read(ref _learned)?.PerSecond;

    private bool CanLearnRate => _options.RequestsPerMinute is null && _options.LearnRateFromRateLimits;

    /// <summary>A share of 429s worth testing: hold calls to 90% of what succeeded lately and see whether the share falls.</summary>
    private void Suspect(long now, double share, int count, TimeSpan? retryAfter)
    {
        if (!CanLearnRate)
        {
            // Nothing to test with (the rate is configured): take the share itself as the evidence.
            _evidence = RateLimitEvidence.Confirmed;
            Episode(now, retryAfter, lowerRate: false);
            return;
        }

        _evidence = RateLimitEvidence.Testing;
        _shareBefore = share;
        _countBefore = count;
        _skipAfterHold = _inFlight; // their replies come from calls sent before the hold
        _repliesSinceHold = 0;
        _rateLimitedSinceHold = 0;
        _lastSinceHold.Clear();
        _lastSinceHoldRateLimited = 0;
        _holdStarted = now;
        _holdChanged = now;
        _holdReductions = 0;
        SetLearnedRate(AcceptedRate(now) * 0.9);
    }

    /// <summary>
    /// During a test hold: the limit is real when the share of 429s among the last (up to 50, at least 30) replies to
    /// calls sent since the hold fell to half or less, and significantly (a one-sided two-proportion z-test, z of at least
    /// 3). While it has not fallen, the hold is lowered again every 2 s; when it still has not fallen after two lowerings,
    /// 100 replies and 5 s, the 429s are random.
    /// </summary>
    private void Decide(long now, bool rateLimited)
    {
        if (_skipAfterHold > 0)
        {
            _skipAfterHold--;
            return;
        }

        var time = _options.TimeProvider;
        _repliesSinceHold++;
        _rateLimitedSinceHold += rateLimited ? 1 : 0;
        _lastSinceHold.Enqueue(rateLimited);
        _lastSinceHoldRateLimited += rateLimited ? 1 : 0;
        if (_lastSinceHold.Count > TestWindow && _lastSinceHold.Dequeue())
        {
            _lastSinceHoldRateLimited--;
        }

        int n = _lastSinceHold.Count;
        double after = (double)_lastSinceHoldRateLimited / n;
        if (n >= 30)
        {
            double pooled = ((_shareBefore * _countBefore) + _lastSinceHoldRateLimited) / (_countBefore + n);
            double sigma = Math.Sqrt(pooled * (1 - pooled) * ((1.0 / _countBefore) + (1.0 / n)));
            if (after <= _shareBefore / 2 && (sigma > 0 ? (_shareBefore - after) / sigma >= 3 : _shareBefore > after))
            {
                // Fewer 429s at a lower rate: a real limit. Keep the learned rate; from now on 429s act on every call.
                _evidence = RateLimitEvidence.Confirmed;
                Episode(now, null, lowerRate: false);
                return;
            }
        }

        if (rateLimited && after > _shareBefore / 2 && time.GetElapsedTime(_holdChanged, now) >= TimeSpan.FromSeconds(2) && _learned is { } learned)
        {
            // Still as many 429s: perhaps the hold is above the limit. Lower it to 90% of what succeeded lately.
            SetLearnedRate(Math.Min(AcceptedRate(now), learned.PerSecond) * 0.9);
            _holdChanged = now;
            _holdReductions++;
        }

        if (_holdReductions >= 2 && _repliesSinceHold >= 2 * TestWindow && time.GetElapsedTime(_holdStarted, now) >= TimeSpan.FromSeconds(5))
        {
            // The share did not follow the rate: random faults. Lift the hold; this share is the noise floor.
            _evidence = RateLimitEvidence.None;
            _noiseFloor = (double)_rateLimitedSinceHold / _repliesSinceHold;
            Volatile.Write(ref _learned, null);
            _outcomes.Clear(); // fresh evidence from here on
            _outcomesRateLimited = 0;
        }
    }

    /// <summary>One episode of a real limit: concurrency halves and the rate is lowered (once per 2 s); Retry-After holds every call.</summary>
    private void Episode(long now, TimeSpan? retryAfter, bool lowerRate)
    {
        var time = _options.TimeProvider;
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
        if (!newEpisode)
        {
            return;
        }

        _limit = Math.Max(_options.MinConcurrency, _limit / 2);
        _lastReduction = now;
        if (lowerRate && CanLearnRate && SuccessesWithin(now, TimeSpan.FromSeconds(5)) >= 5)
        {
            // Learn only from evidence: a few recent successes say what rate the endpoint took.
            double current = _learned?.PerSecond ?? double.MaxValue;
            SetLearnedRate(Math.Min(AcceptedRate(now), current) * 0.9);
        }
    }

    private void SetLearnedRate(double perSecond)
    {
        double rate = Math.Max(0.05, perSecond);
        if (_learned is null)
        {
            Volatile.Write(ref _learned, new TokenBucket(Math.Max(1, rate / 10), rate, _options.TimeProvider));
        }
        else
        {
            _learned.SetRate(rate);
        }
    }

    /// <summary>Successes per second over the last 5 s (at least 1 s, so a burst is not mistaken for a rate).</summary>
    private double AcceptedRate(long now)
    {
        var time = _options.TimeProvider;
        int count = 0;
        long oldest = now;
        foreach (var (at, rateLimited) in _outcomes)
        {
            if (!rateLimited && time.GetElapsedTime(at, now) <= TimeSpan.FromSeconds(5))
            {
                count++;
                oldest = Math.Min(oldest, at);
            }
        }

        return Math.Max(1, count) / Math.Max(1, time.GetElapsedTime(oldest, now).TotalSeconds);
    }

    private int SuccessesWithin(long now, TimeSpan window)
    {
        var time = _options.TimeProvider;
        return _outcomes.Count(o => !o.RateLimited && time.GetElapsedTime(o.At, now) <= window);
    }

    /// <summary>Replies of the last 30 s, and the share of them that were 429s.</summary>
    private (int Count, double Share) Share() =>
        (_outcomes.Count, _outcomes.Count == 0 ? 0 : (double)_outcomesRateLimited / _outcomes.Count);

    private void Record(long now, bool rateLimited)
    {
        var time = _options.TimeProvider;
        _outcomes.Enqueue((now, rateLimited));
        _outcomesRateLimited += rateLimited ? 1 : 0;
        while (_outcomes.Count > 0 && time.GetElapsedTime(_outcomes.Peek().At, now) > EvidenceWindow)
        {
            _outcomesRateLimited -= _outcomes.Dequeue().RateLimited ? 1 : 0;
        }
    }

    private static readonly TimeSpan EvidenceWindow = TimeSpan.FromSeconds(30);
    private const int MinEvidence = 50;
    private const double SuspectShare = 0.2;
    private const int TestWindow = 50;

    private static TimeSpan? Longest(TimeSpan? a, TimeSpan? b) => a is null ? b : b is null ? a : a > b ? a : b;

    private enum RateLimitEvidence
    {
        None,
        Testing,
        Confirmed,
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
