using Microsoft.Extensions.AI;

namespace AlignmentFaking.Running;

/// <summary>
/// Retries failed calls, bounded: exponential backoff with full jitter (adaptive, see <see cref="RetryOptions.AdaptiveBackoff"/>),
/// the server's <c>Retry-After</c> honoured, per-attempt and total timeouts, and an optional circuit breaker
/// (<see cref="RetryOptions.CircuitBreaker"/>). Fatal failures (wrong key, model or URL) become
/// <see cref="FatalCallException"/>; permanent ones are rethrown at once. Added by
/// <see cref="ResilienceChatClientBuilderExtensions.UseRetries(Microsoft.Extensions.AI.ChatClientBuilder, RetryOptions?)"/>;
/// put it outermost of the resilience layers, and turn the provider client's own retries off.
/// </summary>
/// <remarks>
/// Over a provider client whose <see cref="HttpClient"/> comes from <see cref="ModelHttpClient"/>, the HTTP layer retries
/// what HTTP shows (statuses, dropped connections, attempt timeouts, replies not in the API's shape) and owns the
/// per-attempt timeout and the circuit breaker; this client then retries only what is visible above HTTP (a reply the
/// SDK could not read, a response without messages), within the same per-call budget: at most
/// <see cref="RetryOptions.MaxRetries"/> retries per call whichever layer makes them, and one
/// <see cref="RetryOptions.TotalTimeout"/> for the whole call.
/// </remarks>
public sealed class RetryingChatClient : DelegatingChatClient
{
    private readonly RetryOptions _options;
    private readonly RetryBackoff _backoff;

    /// <summary>Wraps a client.</summary>
    /// <param name="innerClient">The client to call.</param>
    /// <param name="options">Retry options; defaults when <see langword="null"/>.</param>
    public RetryingChatClient(IChatClient innerClient, RetryOptions? options = null)
        : base(innerClient)
    {
        _options = options ?? new RetryOptions();
        _options.Validate();
        _backoff = new RetryBackoff(_options);
    }

    /// <summary>Retries made so far by this client (the HTTP layer's own retries are not counted here).</summary>
    public long RetryCount => Interlocked.Read(ref _retries);

    private long _retries;

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages as IList<ChatMessage> ?? messages.ToList();
        var time = _options.TimeProvider;
        var attempts = new CallAttempts(_options.MaxRetries + 1, time, _options.TotalTimeout);
        using var scope = ModelCallScope.EnterCall(attempts);
        using var total = _options.TotalTimeout == Timeout.InfiniteTimeSpan ? null : new CancellationTokenSource(_options.TotalTimeout, time);
        using var linkedTotal = total is null ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, total.Token);
        var totalToken = linkedTotal?.Token ?? cancellationToken;
        var breaker = _options.CircuitBreaker;

        while (true)
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
                    throw new TimeoutException(_options.TotalTimeoutMessage, ex);
                }

                attempts.PassedBreaker(breaker);
            }

            int httpBefore = attempts.HttpAttempts;
            using var perAttempt = _options.AttemptTimeout == Timeout.InfiniteTimeSpan ? null : new CancellationTokenSource(_options.AttemptTimeout, time);
            using var linked = perAttempt is null ? null : CancellationTokenSource.CreateLinkedTokenSource(totalToken, perAttempt.Token);
            attempts.ArmAttemptTimer(perAttempt);
            Exception failure;
            try
            {
                var response = await base.GetResponseAsync(list, options, linked?.Token ?? totalToken).ConfigureAwait(false);
                if (response.Messages.Count == 0)
                {
                    throw new InvalidDataException("the response has no choices");
                }

                if (attempts.HttpAttempts == httpBefore)
                {
                    attempts.Count();
                    breaker?.RecordSuccess();
                }

                _backoff.Record(failed: false);
                if (attempts.Repaired is { } repaired)
                {
                    (response.AdditionalProperties ??= [])[ModelHttpClient.RepairedKey] = repaired;
                }

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
                throw new TimeoutException(_options.TotalTimeoutMessage, ex);
            }
            catch (OperationCanceledException ex) when (perAttempt?.IsCancellationRequested == true)
            {
                failure = new TimeoutException(_options.AttemptTimeoutMessage, ex);
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
            finally
            {
                attempts.ArmAttemptTimer(null);
                attempts.PassedBreaker(null);
            }

            // Over ModelHttpClient the HTTP layer counted its attempts and told the breaker of each; otherwise this was one attempt.
            bool viaHttp = attempts.HttpAttempts > httpBefore;
            if (!viaHttp)
            {
                attempts.Count();
            }

            var decision = failure is TimeoutException or InvalidDataException ? new CallFailure(CallFailureKind.Transient) : _options.Classify(failure);
            if (decision.Kind == CallFailureKind.Fatal)
            {
                throw new FatalCallException(decision.Message ?? failure.Message, failure);
            }

            _backoff.Record(failed: true);
            if (!viaHttp && failure is TimeoutException)
            {
                breaker?.ReleaseProbe(); // a slow attempt says nothing about whether the endpoint is there
            }
            else if (!viaHttp && breaker is not null && breaker.RecordFailure(decision, lastAttempt: decision.Kind == CallFailureKind.Transient && !attempts.MayRetry))
            {
                attempts.Uncount(); // the endpoint is away: wait for it (above) and call again, without spending a retry
                continue;
            }

            if (decision.Kind == CallFailureKind.Permanent || !attempts.MayRetry)
            {
                if (failure is TimeoutException or InvalidDataException)
                {
                    throw failure;
                }

                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
            }

            var delay = _backoff.Delay(attempts.Made - 1, decision.RetryAfter);
            Interlocked.Increment(ref _retries);
            _options.OnRetry?.Invoke(attempts.Made, failure, delay);
            try
            {
                await Task.Delay(delay, time, totalToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException(_options.TotalTimeoutMessage, ex);
            }
        }
    }

    /// <summary>
    /// Whether most of the recent attempts through this client succeeded (at least 8 seen): its failures are then random
    /// faults, not an endpoint in trouble.
    /// </summary>
    internal bool EndpointLooksHealthy => _backoff.EndpointLooksHealthy;

    /// <summary>Full-jitter exponential backoff: uniform in [0, min(MaxDelay, BaseDelay * 2^attempt)].</summary>
    internal TimeSpan Backoff(int attempt) => _backoff.Jittered(attempt);
}
