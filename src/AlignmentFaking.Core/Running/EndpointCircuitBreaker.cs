using System.Globalization;

namespace AlignmentFaking.Running;

/// <summary>
/// The health of one endpoint, shared by its calls (see <see cref="RetryOptions.CircuitBreaker"/>). An endpoint that has
/// never answered and cannot be reached (or does not speak the API) stops the run at once with the cause. An endpoint that
/// answered and then goes away (consecutive connection failures) opens the breaker: calls wait instead of failing (no
/// sample is spent as an <c>error</c>), one call probes after a delay, the first reply closes it, and after
/// <see cref="CircuitBreakerOptions.GiveUpAfter"/> every waiting call fails with <see cref="FatalCallException"/>.
/// </summary>
public sealed class EndpointCircuitBreaker
{
    private readonly CircuitBreakerOptions _options;
    private readonly string _endpoint;
    private readonly Lock _gate = new();
    private bool _answered;
    private int _consecutive;
    private bool _open;
    private bool _probing;
    private long _openedAt;
    private long _nextProbeAt;
    private TimeSpan _probeDelay;
    private string? _cause;
    private string? _fatal;
    private TaskCompletionSource _closed = NewSignal();

    /// <summary>Creates a breaker.</summary>
    /// <param name="endpoint">Names the endpoint in messages, e.g. its base URL (never with credentials).</param>
    /// <param name="options">Options; defaults when <see langword="null"/>.</param>
    public EndpointCircuitBreaker(string endpoint, CircuitBreakerOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(endpoint);
        _endpoint = endpoint;
        _options = options ?? new CircuitBreakerOptions();
        _options.Validate();
    }

    /// <summary>Whether calls are being held because the endpoint stopped answering.</summary>
    public bool IsOpen
    {
        get
        {
            lock (_gate)
            {
                return _open;
            }
        }
    }

    /// <summary>Whether the endpoint has replied at least once.</summary>
    public bool HasAnswered
    {
        get
        {
            lock (_gate)
            {
                return _answered;
            }
        }
    }

    /// <summary>
    /// Returns at once while the breaker is closed. While it is open, waits until it closes or until this call may go
    /// out as the probe.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="FatalCallException">The breaker gave up (or the endpoint never answered).</exception>
    public async ValueTask WaitAsync(CancellationToken cancellationToken = default)
    {
        var time = _options.TimeProvider;
        while (true)
        {
            Task closed;
            TimeSpan wait;
            string? message = null;
            lock (_gate)
            {
                if (_fatal is not null)
                {
                    throw new FatalCallException(_fatal);
                }

                if (!_open)
                {
                    return;
                }

                long now = time.GetTimestamp();
                var left = _options.GiveUpAfter - time.GetElapsedTime(_openedAt, now);
                if (left <= TimeSpan.Zero)
                {
                    message = GiveUp();
                }
                else if (!_probing && now >= _nextProbeAt)
                {
                    _probing = true;
                    return;
                }

                closed = _closed.Task;
                var untilProbe = _probing ? _options.MaxProbeDelay : time.GetElapsedTime(now, _nextProbeAt);
                wait = untilProbe < left ? untilProbe : left;
            }

            if (message is not null)
            {
                _options.OnStateChanged?.Invoke(message);
                throw new FatalCallException(message);
            }

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var delay = Task.Delay(wait > TimeSpan.FromMilliseconds(1) ? wait : TimeSpan.FromMilliseconds(1), time, stop.Token);
            await Task.WhenAny(closed, delay).ConfigureAwait(false);
            await stop.CancelAsync().ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Records a reply: the endpoint answers, so the breaker closes.</summary>
    public void RecordSuccess()
    {
        string? message;
        lock (_gate)
        {
            message = Close();
        }

        if (message is not null)
        {
            _options.OnStateChanged?.Invoke(message);
        }
    }

    /// <summary>
    /// Records a failed call. A failure with a reply (<see cref="EndpointFault.None"/>) counts as an answer; a connection
    /// failure counts towards opening the breaker.
    /// </summary>
    /// <param name="failure">The classified failure.</param>
    /// <param name="lastAttempt">
    /// Whether the call has no retry left: a connection failure then opens the breaker at once (when the endpoint has
    /// answered before), so the call waits for the endpoint instead of ending as an error.
    /// </param>
    /// <returns>True when the call should wait (<see cref="WaitAsync"/>) and be made again without counting as a retry: the breaker is open.</returns>
    /// <exception cref="FatalCallException">The endpoint never answered and cannot be reached, or the breaker gave up.</exception>
    public bool RecordFailure(CallFailure failure, bool lastAttempt = false)
    {
        ArgumentNullException.ThrowIfNull(failure);
        if (failure.Endpoint == EndpointFault.None)
        {
            RecordSuccess();
            return false;
        }

        var time = _options.TimeProvider;
        string? opened = null;
        string? fatal = null;
        bool hold;
        lock (_gate)
        {
            long now = time.GetTimestamp();
            _consecutive++;
            _cause = failure.Message ?? (failure.Endpoint == EndpointFault.ConnectionLost ? "the connection was lost before a reply" : "no connection");
            bool neverAnswered = !_answered && _options.StopWhenNeverAnswered;
            if (_fatal is not null)
            {
                fatal = _fatal;
            }
            else if (neverAnswered && (failure.Endpoint != EndpointFault.ConnectionLost || _consecutive >= _options.FailureThreshold))
            {
                fatal = _fatal = Describe(failure.Endpoint, _consecutive);
            }
            else if (_open)
            {
                // A failed probe (or a call sent before the breaker opened): wait longer before the next probe.
                _probing = false;
                _probeDelay = _probeDelay * 2 < _options.MaxProbeDelay ? _probeDelay * 2 : _options.MaxProbeDelay;
                _nextProbeAt = now + (long)(_probeDelay.TotalSeconds * time.TimestampFrequency);
                if (time.GetElapsedTime(_openedAt, now) >= _options.GiveUpAfter)
                {
                    fatal = GiveUp();
                }
            }
            else if (_consecutive >= _options.FailureThreshold || lastAttempt)
            {
                _open = true;
                _probing = false;
                _openedAt = now;
                _probeDelay = _options.ProbeDelay;
                _nextProbeAt = now + (long)(_probeDelay.TotalSeconds * time.TimestampFrequency);
                _closed = NewSignal();
                opened = string.Create(CultureInfo.InvariantCulture, $"{_endpoint} stopped answering ({_cause}, {_consecutive} times in a row): holding calls, probing every {_options.ProbeDelay.TotalSeconds:0.#}-{_options.MaxProbeDelay.TotalSeconds:0.#} s, giving up after {_options.GiveUpAfter.TotalMinutes:0.#} min");
            }

            hold = _open;
        }

        if (opened is not null)
        {
            _options.OnStateChanged?.Invoke(opened);
        }

        if (fatal is not null)
        {
            throw new FatalCallException(fatal);
        }

        return hold;
    }

    /// <summary>Frees the probe slot when a probe ended without an outcome (e.g. it was cancelled).</summary>
    public void ReleaseProbe()
    {
        lock (_gate)
        {
            _probing = false;
        }
    }

    private string? Close()
    {
        _answered = true;
        _consecutive = 0;
        if (!_open)
        {
            return null;
        }

        _open = false;
        _probing = false;
        var down = _options.TimeProvider.GetElapsedTime(_openedAt);
        _closed.TrySetResult();
        return string.Create(CultureInfo.InvariantCulture, $"{_endpoint} answers again after {down.TotalSeconds:0} s: calls resume");
    }

    private string GiveUp()
    {
        _fatal ??= string.Create(CultureInfo.InvariantCulture, $"cannot reach {_endpoint}: {_cause} (it stopped answering and did not come back within {_options.GiveUpAfter.TotalMinutes:0.#} min)");
        _closed.TrySetResult();
        return _fatal;
    }

    private string Describe(EndpointFault fault, int times) => fault switch
    {
        EndpointFault.NotTheApi => _cause!,
        EndpointFault.ConnectionLost => string.Create(CultureInfo.InvariantCulture, $"cannot reach {_endpoint}: {_cause} ({times} times in a row, and it never answered)"),
        _ => $"cannot reach {_endpoint}: {_cause}",
    };

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
