using Microsoft.Extensions.AI;

namespace AlignmentFaking.Running;

/// <summary>
/// Retries failed calls, bounded: exponential backoff with full jitter, the server's <c>Retry-After</c> honoured,
/// per-attempt and total timeouts. Fatal failures (wrong key, model or URL) become <see cref="FatalCallException"/>;
/// permanent ones are rethrown at once. Put it outermost, and turn the provider client's own retries off.
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

        for (int attempt = 0; ; attempt++)
        {
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

                return response;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (OperationCanceledException ex) when (total?.IsCancellationRequested == true)
            {
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

            if (decision.Kind == CallFailureKind.Permanent || attempt >= _options.MaxRetries)
            {
                if (failure is TimeoutException or InvalidDataException)
                {
                    throw failure;
                }

                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
            }

            var backoff = Backoff(attempt);
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

    /// <summary>Full-jitter exponential backoff: uniform in [0, min(MaxDelay, BaseDelay * 2^attempt)].</summary>
    internal TimeSpan Backoff(int attempt)
    {
        double cap = Math.Min(_options.MaxDelay.TotalMilliseconds, _options.BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30)));
        return TimeSpan.FromMilliseconds(cap * Math.Clamp(_options.Jitter(), 0, 1));
    }
}
