using System.Net;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace AlignmentFaking.Running;

/// <summary>The Polly pipeline of <see cref="ModelHttpClient"/> (see there for the order and why).</summary>
internal static class ModelHttpPipeline
{
    /// <summary>The attempt budget of one execution made without a <see cref="RetryingChatClient"/> above.</summary>
    private static readonly ResiliencePropertyKey<CallAttempts> AttemptsKey = new("af.attempts");

    public static ResiliencePipeline<HttpResponseMessage> Build(RetryOptions options)
    {
        var time = options.TimeProvider;
        var backoff = new RetryBackoff(options);
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { Name = "af-model-call", TimeProvider = time };
        if (options.TotalTimeout != Timeout.InfiniteTimeSpan)
        {
            builder.AddStrategy(_ => new TotalTimeoutNamingStrategy(options), new EndpointHealthStrategyOptions { Name = "af-total-message" });
            builder.AddTimeout(new TimeoutStrategyOptions
            {
                Name = "af-total",
                // The call's deadline when a RetryingChatClient above set one: its retries above HTTP do not start the clock again.
                TimeoutGenerator = _ => ValueTask.FromResult(
                    ModelCallScope.Current?.Attempts?.Remaining is { } left && left < options.TotalTimeout
                        ? (left > TimeSpan.Zero ? left : TimeSpan.FromTicks(1))
                        : options.TotalTimeout),
            });
        }

        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                Name = "af-retry",
                MaxRetryAttempts = options.MaxRetries,
                ShouldHandle = args => ValueTask.FromResult(
                    !args.Context.CancellationToken.IsCancellationRequested
                    && Budget(args.Context, options).MayRetry
                    && Classify(args.Outcome, options) is { Kind: CallFailureKind.Transient }),
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(
                    backoff.Delay(Budget(args.Context, options).Made - 1, Classify(args.Outcome, options)?.RetryAfter)),
                OnRetry = args =>
                {
                    options.OnRetry?.Invoke(Budget(args.Context, options).Made, Describe(args.Outcome), args.RetryDelay);
                    return default;
                },
            });
        }

        builder.AddStrategy(_ => new EndpointHealthStrategy(options, backoff), new EndpointHealthStrategyOptions());
        builder.AddStrategy(_ => new EndpointLimitsStrategy(time), new EndpointHealthStrategyOptions { Name = "af-limits" });
        if (options.AttemptTimeout != Timeout.InfiniteTimeSpan)
        {
            builder.AddTimeout(new TimeoutStrategyOptions { Name = "af-attempt", Timeout = options.AttemptTimeout });
        }

        return builder.Build();
    }

    /// <summary>The call's shared budget (<see cref="RetryingChatClient"/> above), else this execution's own.</summary>
    internal static CallAttempts Budget(ResilienceContext context, RetryOptions options)
    {
        if (ModelCallScope.Current?.Attempts is { } shared)
        {
            return shared;
        }

        if (!context.Properties.TryGetValue(AttemptsKey, out var own))
        {
            own = new CallAttempts(options.MaxRetries + 1, options.TimeProvider, Timeout.InfiniteTimeSpan);
            context.Properties.Set(AttemptsKey, own);
        }

        return own;
    }

    /// <summary>What an attempt's outcome means: <see langword="null"/> for a success, else its classification.</summary>
    internal static CallFailure? Classify(Outcome<HttpResponseMessage> outcome, RetryOptions options) => outcome switch
    {
        { Result: { IsSuccessStatusCode: true } } => null,
        { Result: { } response } => CallFailure.FromHttpResponse(response, options.TimeProvider),
        { Exception: { } exception } => options.Classify(exception),
        _ => null,
    };

    /// <summary>The failure of an outcome as an exception, for <see cref="RetryOptions.OnRetry"/>.</summary>
    private static Exception Describe(Outcome<HttpResponseMessage> outcome) =>
        outcome.Exception ?? new HttpRequestException(
            $"HTTP {(int)outcome.Result!.StatusCode} ({outcome.Result.ReasonPhrase ?? outcome.Result.StatusCode.ToString()})",
            null,
            outcome.Result.StatusCode);

    /// <summary>Outside the total timeout: its rejection becomes a <see cref="TimeoutException"/> that says it fired.</summary>
    private sealed class TotalTimeoutNamingStrategy(RetryOptions options) : ResilienceStrategy<HttpResponseMessage>
    {
        protected override async ValueTask<Outcome<HttpResponseMessage>> ExecuteCore<TState>(
            Func<ResilienceContext, TState, ValueTask<Outcome<HttpResponseMessage>>> callback, ResilienceContext context, TState state)
        {
            var outcome = await callback(context, state).ConfigureAwait(context.ContinueOnCapturedContext);
            return outcome.Exception is TimeoutRejectedException rejected
                ? Outcome.FromException<HttpResponseMessage>(new TimeoutException(options.TotalTimeoutMessage, rejected))
                : outcome;
        }
    }

    /// <summary>Options of the project's own strategies (Polly requires an options object per strategy).</summary>
    private sealed class EndpointHealthStrategyOptions : ResilienceStrategyOptions
    {
        public EndpointHealthStrategyOptions() => Name = "af-endpoint-health";
    }

    /// <summary>
    /// Each attempt: waits while the endpoint's circuit breaker is open, counts against the call's budget, and tells the
    /// breaker and the adaptive backoff how it went. An endpoint that never answered stops the call with
    /// <see cref="FatalCallException"/>; one that went away holds the attempt (not counted as a retry) until it is back.
    /// </summary>
    private sealed class EndpointHealthStrategy(RetryOptions options, RetryBackoff backoff) : ResilienceStrategy<HttpResponseMessage>
    {
        protected override async ValueTask<Outcome<HttpResponseMessage>> ExecuteCore<TState>(
            Func<ResilienceContext, TState, ValueTask<Outcome<HttpResponseMessage>>> callback, ResilienceContext context, TState state)
        {
            var budget = Budget(context, options);
            var call = ModelCallScope.Current?.Attempts;
            var breaker = options.CircuitBreaker;
            var ct = context.CancellationToken;
            while (true)
            {
                bool passed = call?.OnHttpAttempt(breaker) == true;
                if (breaker is not null && !passed)
                {
                    try
                    {
                        await breaker.WaitAsync(ct).ConfigureAwait(context.ContinueOnCapturedContext);
                    }
                    catch (Exception ex) when (ex is FatalCallException or OperationCanceledException)
                    {
                        return Outcome.FromException<HttpResponseMessage>(ex);
                    }
                }

                budget.Count();
                var outcome = await callback(context, state).ConfigureAwait(context.ContinueOnCapturedContext);
                var failure = Classify(outcome, options);
                if (failure is null)
                {
                    breaker?.RecordSuccess();
                    backoff.Record(failed: false);
                    return outcome;
                }

                if (ct.IsCancellationRequested)
                {
                    breaker?.ReleaseProbe();
                    return outcome;
                }

                backoff.Record(failed: true);
                if (outcome.Exception is TimeoutRejectedException rejected)
                {
                    breaker?.ReleaseProbe(); // a slow attempt says nothing about whether the endpoint is there

                    // Inside the total timeout, a rejection here is the attempt timeout's: say which one fired.
                    return Outcome.FromException<HttpResponseMessage>(new TimeoutException(options.AttemptTimeoutMessage, rejected));
                }

                if (breaker is null)
                {
                    return outcome;
                }

                bool hold;
                try
                {
                    hold = breaker.RecordFailure(failure, lastAttempt: failure.Kind == CallFailureKind.Transient && !budget.MayRetry);
                }
                catch (FatalCallException fatal)
                {
                    outcome.Result?.Dispose();
                    return Outcome.FromException<HttpResponseMessage>(fatal);
                }

                if (!hold)
                {
                    return outcome;
                }

                // The endpoint is away: wait for it (above) and send again, without spending a retry.
                outcome.Result?.Dispose();
                budget.Uncount();
            }
        }
    }

    /// <summary>
    /// Each attempt passes the call's endpoint limits (<see cref="ModelCallScope.Limits"/>, sized by its token estimate),
    /// holding the lease until its body is read, and reports a 429 (with its <c>Retry-After</c> and rate-limit headers) or
    /// a success to them.
    /// </summary>
    private sealed class EndpointLimitsStrategy(TimeProvider time) : ResilienceStrategy<HttpResponseMessage>
    {
        protected override async ValueTask<Outcome<HttpResponseMessage>> ExecuteCore<TState>(
            Func<ResilienceContext, TState, ValueTask<Outcome<HttpResponseMessage>>> callback, ResilienceContext context, TState state)
        {
            var scope = ModelCallScope.Current;
            if (scope?.Limits is not { } limits)
            {
                return await callback(context, state).ConfigureAwait(context.ContinueOnCapturedContext);
            }

            IDisposable lease;
            try
            {
                lease = scope.TakeLease() ?? await limits.AcquireAsync(scope.EstimatedTokens, context.CancellationToken).ConfigureAwait(context.ContinueOnCapturedContext);
            }
            catch (OperationCanceledException ex)
            {
                return Outcome.FromException<HttpResponseMessage>(ex);
            }

            using (lease)
            {
                scope.OnHttpLimited();
                var outcome = await callback(context, state).ConfigureAwait(context.ContinueOnCapturedContext);
                if (outcome.Result is { StatusCode: HttpStatusCode.TooManyRequests } refused
                    && CallFailure.FromHttpResponse(refused, time) is { IsRateLimited: true } failure)
                {
                    limits.OnRateLimited(failure);
                }
                else if (outcome.Result is { IsSuccessStatusCode: true })
                {
                    limits.OnSuccess();
                }

                return outcome;
            }
        }
    }
}

/// <summary>
/// The innermost handler of <see cref="ModelHttpClient"/>: reads each response body into memory inside the attempt (a
/// connection dropped mid-body is then an error the HTTP retry sees, and the attempt timeout covers the body), then runs
/// the provider's reply check (<see cref="ModelHttpClientOptions.ReplyCheck"/>).
/// </summary>
internal sealed class ReplyHandler(Func<HttpResponseMessage, ReadOnlyMemory<byte>, Exception?>? check, long maxReplyBytes = ModelHttpClientOptions.DefaultMaxReplyBytes) : DelegatingHandler
{
    /// <summary>
    /// The body of a buffered response, copied from the buffer: the content's read stream is left untouched for the SDK
    /// (<see cref="HttpContent.ReadAsStream()"/> hands out one cached stream, which reading here would consume).
    /// </summary>
    public static ReadOnlyMemory<byte> Body(HttpResponseMessage response)
    {
        using var copy = new MemoryStream();
        response.Content.CopyTo(copy, null, CancellationToken.None);
        return copy.TryGetBuffer(out var buffer) ? buffer.AsMemory() : copy.ToArray();
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        Exception? problem;
        try
        {
            await BufferBoundedAsync(response, maxReplyBytes, cancellationToken).ConfigureAwait(false);
            problem = check?.Invoke(response, Body(response));
        }
        catch
        {
            response.Dispose();
            throw;
        }

        if (problem is not null)
        {
            response.Dispose();
            throw problem;
        }

        return response;
    }

    /// <summary>
    /// Reads the body into memory, at most <paramref name="max"/> bytes (else <see cref="ReplyTooLargeException"/>, with no
    /// more read), and puts it back as the response's content with the same headers.
    /// </summary>
    private static async Task BufferBoundedAsync(HttpResponseMessage response, long max, CancellationToken cancellationToken)
    {
        var original = response.Content;
        if (original.Headers.ContentLength is long declared && declared > max)
        {
            throw new ReplyTooLargeException(max, declared);
        }

        // Read in pooled 64 KiB chunks (no doubling buffer: a reply cut at the limit costs the limit, not twice it, and
        // the chunks go back to the pool), then assembled once.
        var chunks = new List<byte[]>();
        long length = 0;
        byte[] bytesRead;
        try
        {
            var stream = await original.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                while (true)
                {
                    var chunk = System.Buffers.ArrayPool<byte>.Shared.Rent(64 * 1024);
                    chunks.Add(chunk);
                    int filled = 0, read;
                    while (filled < chunk.Length && (read = await stream.ReadAsync(chunk.AsMemory(filled), cancellationToken).ConfigureAwait(false)) > 0)
                    {
                        filled += read;
                        if (length + filled > max)
                        {
                            throw new ReplyTooLargeException(max);
                        }
                    }

                    length += filled;
                    if (filled < chunk.Length)
                    {
                        break;
                    }
                }
            }

            bytesRead = new byte[length];
            long at = 0;
            foreach (var chunk in chunks)
            {
                int n = (int)Math.Min(chunk.Length, length - at);
                Buffer.BlockCopy(chunk, 0, bytesRead, (int)at, n);
                at += n;
            }
        }
        finally
        {
            foreach (var chunk in chunks)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(chunk);
            }
        }

        ReadOnlyMemory<byte> bytes = bytesRead;
        if (IsJson(original) && ReplyRepair.Repair(bytes.Span, out var repaired) is { } fixedBody)
        {
            // Kept with replacement characters instead of failing in the JSON reader; the call records the repair.
            bytes = fixedBody;
            ModelCallScope.Current?.Attempts?.MarkRepaired(repaired!);
        }

        var content = new ByteArrayContent(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(bytes, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length ? segment.Array : bytes.ToArray());
        foreach (var header in original.Headers)
        {
            if (!header.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                content.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        original.Dispose();
        response.Content = content;
    }

    private static bool IsJson(HttpContent content) =>
        content.Headers.ContentType?.MediaType is not { } type || type.Contains("json", StringComparison.OrdinalIgnoreCase);
}
