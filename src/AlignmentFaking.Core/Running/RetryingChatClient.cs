using Microsoft.Extensions.AI;

namespace AlignmentFaking.Running;

/// <summary>
/// Retries failed calls, bounded: exponential backoff with full jitter (adaptive, see <see cref="RetryOptions.AdaptiveBackoff"/>),
/// the server's <c>Retry-After</c> honoured, per-attempt and total timeouts, and an optional circuit breaker
/// (<see cref="RetryOptions.CircuitBreaker"/>). Fatal failures (wrong key, model or URL) become
/// <see cref="FatalCallException"/>; permanent ones are rethrown at once. Put it outermost, and turn the provider
/// client's own retries off.
/// </summary>
public sealed class RetryingChatClient : DelegatingChatClient
{
    private readonly RetryOptions _options;

    /// <summary>Wraps a client.</summary>
    /// <param name="innerClient">The client to call.</param>
    /// <param name="options">Retry options; defaults when <see langword="null"/>.</param>
    public RetryingChatClient(IChatClient innerClient, RetryOptions? options = null)
        : base(innerClient)
    {
        _options = options ?? new RetryOptions();
        _options.Validate();
    }

    /// <summary>Retries made so far by this client.</summary>
    public long RetryCount => Interlocked.Read(ref _retries);

    private long _retries;

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages as IList<ChatMessage> ?? messages.ToList();
        var time = _options.TimeProvider;
        using var total = _options.TotalTimeout == Timeout.InfiniteTimeSpan ? null : new CancellationTokenSource(_options.TotalTimeout, time);
        using var linkedTotal = total is null ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, total.Token);
        var totalToken = linkedTotal?.Token ?? cancellationToken;
        var breaker = _options.CircuitBreaker;

        for (int attempt = 0; ; attempt++)
        {
            if (breaker is not null)
            {
                try
                {
                    // While the endpoint is away, calls wait here instead of failing; waiting is not a retry.
                    await breaker.WaitAsync(totalToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new TimeoutException($"the call did not finish within the total timeout of {_options.TotalTimeout}", ex);
                }
            }

            using var perAttempt = _options.AttemptTimeout == Timeout.InfiniteTimeSpan ? null : new CancellationTokenSource(_options.AttemptTimeout, time);
            using var linked = perAttempt is null ? null : CancellationTokenSource.CreateLinkedTokenSource(totalToken, perAttempt.Token);
            Exception failure;
            try
            {
                var response = await base.GetResponseAsync(list, options, linked?.Token ?? totalToken).ConfigureAwait(false);
                if (response.Messages.Count == 0)
                {
                    throw new InvalidDataException("the response has no choices");
                }

                breaker?.RecordSuccess();
                RecordOutcome(failed: false);
                return response;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                breaker?.ReleaseProbe();
                throw;
            }
            catch (OperationCanceledException ex) when (total?.IsCancellationRequested == true)
            {
                breaker?.ReleaseProbe();
                throw new TimeoutException($"the call did not finish within the total timeout of {_options.TotalTimeout}", ex);
            }
            catch (OperationCanceledException ex) when (perAttempt?.IsCancellationRequested == true)
            {
                failure = new TimeoutException($"an attempt did not finish within {_options.AttemptTimeout}", ex);
            }
            catch (FatalCallException)
            {
                throw;
            }
#pragma warning disable CA1031 // every failure is classified; unknown ones are permanent and rethrown below
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failure = ex;
            }

            var decision = failure is TimeoutException or InvalidDataException ? new CallFailure(CallFailureKind.Transient) : _options.Classify(failure);
            if (decision.Kind == CallFailureKind.Fatal)
            {
                throw new FatalCallException(decision.Message ?? failure.Message, failure);
            }

            RecordOutcome(failed: true);
            if (failure is TimeoutException)
            {
                breaker?.ReleaseProbe(); // a slow attempt says nothing about whether the endpoint is there
            }
            else if (breaker is not null && breaker.RecordFailure(decision, lastAttempt: decision.Kind == CallFailureKind.Transient && attempt >= _options.MaxRetries))
            {
                attempt--; // the endpoint is away: wait for it (above) and call again, without spending a retry
                continue;
            }

            if (decision.Kind == CallFailureKind.Permanent || attempt >= _options.MaxRetries)
            {
                if (failure is TimeoutException or InvalidDataException)
                {
                    throw failure;
                }

                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
            }

            var backoff = Backoff(_options.AdaptiveBackoff && EndpointLooksHealthy ? Math.Min(attempt, 1) : attempt);
            var delay = decision.RetryAfter is { } after && after > backoff ? after : backoff;
            Interlocked.Increment(ref _retries);
            _options.OnRetry?.Invoke(attempt + 1, failure, delay);
            try
            {
                await Task.Delay(delay, time, totalToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"the call did not finish within the total timeout of {_options.TotalTimeout}", ex);
            }
        }
    }

    /// <summary>
    /// Whether most of the recent attempts through this client succeeded (at least 8 seen): its failures are then random
    /// faults, not an endpoint in trouble.
    /// </summary>
    internal bool EndpointLooksHealthy
    {
        get
        {
            lock (_recent)
            {
                return _recentCount >= 8 && _recentFailures * 2 < _recentCount;
            }
        }
    }

    private readonly bool[] _recent = new bool[32];
    private int _recentNext;
    private int _recentCount;
    private int _recentFailures;

    private void RecordOutcome(bool failed)
    {
        lock (_recent)
        {
            if (_recentCount == _recent.Length && _recent[_recentNext])
            {
                _recentFailures--;
            }

            _recent[_recentNext] = failed;
            _recentNext = (_recentNext + 1) % _recent.Length;
            _recentCount = Math.Min(_recentCount + 1, _recent.Length);
            if (failed)
            {
                _recentFailures++;
            }
        }
    }

    /// <summary>Full-jitter exponential backoff: uniform in [0, min(MaxDelay, BaseDelay * 2^attempt)].</summary>
    internal TimeSpan Backoff(int attempt)
    {
        double cap = Math.Min(_options.MaxDelay.TotalMilliseconds, _options.BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30)));
        return TimeSpan.FromMilliseconds(cap * Math.Clamp(_options.Jitter(), 0, 1));
    }
}
