namespace AlignmentFaking.Running;

/// <summary>
/// The delay before a retry, shared by the retries above HTTP (<see cref="RetryingChatClient"/>) and the HTTP layer's
/// (<see cref="ModelHttpClient"/>): full-jitter exponential backoff that doubles only while most recent attempts fail
/// (<see cref="RetryOptions.AdaptiveBackoff"/>), and never shorter than the server's <c>Retry-After</c>.
/// </summary>
internal sealed class RetryBackoff(RetryOptions options)
{
    private readonly bool[] _recent = new bool[32];
    private int _next;
    private int _count;
    private int _failures;

    /// <summary>
    /// Whether most of the recent attempts succeeded (at least 8 seen): failures are then random faults, not an endpoint
    /// in trouble.
    /// </summary>
    public bool EndpointLooksHealthy
    {
        get
        {
            lock (_recent)
            {
                return _count >= 8 && _failures * 2 < _count;
            }
        }
    }

    /// <summary>Records the outcome of one attempt.</summary>
    public void Record(bool failed)
    {
        lock (_recent)
        {
            if (_count == _recent.Length && _recent[_next])
            {
                _failures--;
            }

            _recent[_next] = failed;
            _next = (_next + 1) % _recent.Length;
            _count = Math.Min(_count + 1, _recent.Length);
            if (failed)
            {
                _failures++;
            }
        }
    }

    /// <summary>The delay before retry number <paramref name="retry"/> (0 for the first), at least <paramref name="retryAfter"/>.</summary>
    public TimeSpan Delay(int retry, TimeSpan? retryAfter)
    {
        var backoff = Jittered(options.AdaptiveBackoff && EndpointLooksHealthy ? Math.Min(retry, 1) : retry);
        return retryAfter is { } after && after > backoff ? after : backoff;
    }

    /// <summary>Full-jitter exponential backoff: uniform in [0, min(MaxDelay, BaseDelay * 2^retry)].</summary>
    public TimeSpan Jittered(int retry)
    {
        double cap = Math.Min(options.MaxDelay.TotalMilliseconds, options.BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Clamp(retry, 0, 30)));
        return TimeSpan.FromMilliseconds(cap * Math.Clamp(options.Jitter(), 0, 1));
    }
}
