namespace AlignmentFaking.Running;

/// <summary>
/// What the layers of one <c>IChatClient</c> call tell the HTTP layer below them (<see cref="ModelHttpClient"/>): the
/// call's attempt budget and deadline (<see cref="RetryingChatClient"/>), and the endpoint limits with the call's token
/// estimate (<see cref="ThrottlingChatClient"/>). Carried by an <see cref="AsyncLocal{T}"/>: the provider SDKs build the
/// HTTP request themselves and offer no per-call channel, but the execution context flows from the <c>IChatClient</c>
/// call through the SDK into <see cref="HttpClient.SendAsync(HttpRequestMessage, CancellationToken)"/> and every
/// handler and strategy below it. Each layer enters its own scope (restored when its call returns); a scope keeps the
/// attempt budget of the scope it was entered in.
/// </summary>
internal sealed class ModelCallScope
{
    private static readonly AsyncLocal<ModelCallScope?> Slot = new();
    private IDisposable? _lease;
    private int _httpLimited;

    private ModelCallScope(CallAttempts? attempts, EndpointLimits? limits, int estimatedTokens, IDisposable? lease)
    {
        Attempts = attempts;
        Limits = limits;
        EstimatedTokens = estimatedTokens;
        _lease = lease;
    }

    /// <summary>The scope of the call running on this async flow, if any.</summary>
    public static ModelCallScope? Current => Slot.Value;

    /// <summary>The call's attempt budget and deadline, if a <see cref="RetryingChatClient"/> is above.</summary>
    public CallAttempts? Attempts { get; }

    /// <summary>The limits every HTTP attempt of the call passes, if a <see cref="ThrottlingChatClient"/> is above.</summary>
    public EndpointLimits? Limits { get; }

    /// <summary>The call's token estimate (input chars/4 plus its max output tokens), for the limits' token bucket.</summary>
    public int EstimatedTokens { get; }

    /// <summary>Whether an HTTP attempt of this call passed <see cref="Limits"/> (so the layer above must not report the outcome again).</summary>
    public bool HttpLimited => Volatile.Read(ref _httpLimited) != 0;

    /// <summary>Enters a scope for the call's attempt budget (a <see cref="RetryingChatClient"/> call).</summary>
    public static Restore EnterCall(CallAttempts attempts) => Enter(new ModelCallScope(attempts, null, 0, null));

    /// <summary>
    /// Enters a scope for the endpoint limits (a <see cref="ThrottlingChatClient"/> call), with the lease that layer took
    /// for the call: the first HTTP attempt takes it over (<see cref="TakeLease"/>), later ones acquire their own.
    /// </summary>
    public static Restore EnterLimits(EndpointLimits limits, int estimatedTokens, IDisposable lease) =>
        Enter(new ModelCallScope(Current?.Attempts, limits, estimatedTokens, lease));

    /// <summary>The lease the limits layer took for the call, once (then <see langword="null"/>).</summary>
    public IDisposable? TakeLease() => Interlocked.Exchange(ref _lease, null);

    /// <summary>Notes that an HTTP attempt passed the limits (see <see cref="HttpLimited"/>).</summary>
    public void OnHttpLimited() => Volatile.Write(ref _httpLimited, 1);

    private static Restore Enter(ModelCallScope scope)
    {
        var previous = Slot.Value;
        Slot.Value = scope;
        return new Restore(previous);
    }

    /// <summary>Puts back the scope that was current before.</summary>
    public readonly struct Restore(ModelCallScope? previous) : IDisposable
    {
        public void Dispose() => Slot.Value = previous;
    }
}

/// <summary>
/// The attempts of one <c>IChatClient</c> call, shared by the retries above HTTP (<see cref="RetryingChatClient"/>) and
/// those of the HTTP layer (<see cref="ModelHttpClient"/>), so that <see cref="RetryOptions.MaxRetries"/> stays the bound
/// per call whichever layer retries; and the call's deadline (<see cref="RetryOptions.TotalTimeout"/>), which the HTTP
/// layer's total timeout does not outlast.
/// </summary>
internal sealed class CallAttempts
{
    private readonly TimeProvider _time;
    private readonly long _started;
    private readonly TimeSpan _total;
    private int _made;
    private int _http;
    private CancellationTokenSource? _attemptTimer;
    private EndpointCircuitBreaker? _passed;

    public CallAttempts(int maxAttempts, TimeProvider time, TimeSpan totalTimeout)
    {
        MaxAttempts = maxAttempts;
        _time = time;
        _total = totalTimeout;
        _started = time.GetTimestamp();
    }

    /// <summary>Attempts allowed for the call (retries + 1).</summary>
    public int MaxAttempts { get; }

    /// <summary>What the HTTP layer repaired in the reply's body (<see cref="ReplyRepair"/>), if anything.</summary>
    public string? Repaired { get; private set; }

    /// <summary>Notes a repair of the reply's body.</summary>
    public void MarkRepaired(string kind) => Repaired = kind;

    /// <summary>Attempts made so far (HTTP attempts, or calls of a client that does not go through <see cref="ModelHttpClient"/>).</summary>
    public int Made => Volatile.Read(ref _made);

    /// <summary>Whether one more attempt fits the budget.</summary>
    public bool MayRetry => Made < MaxAttempts;

    /// <summary>HTTP attempts made so far through <see cref="ModelHttpClient"/>.</summary>
    public int HttpAttempts => Volatile.Read(ref _http);

    /// <summary>Time left before the call's deadline; <see langword="null"/> when it has none.</summary>
    public TimeSpan? Remaining => _total == Timeout.InfiniteTimeSpan ? null : _total - _time.GetElapsedTime(_started);

    public void Count() => Interlocked.Increment(ref _made);

    /// <summary>Takes back an attempt that waited for the circuit breaker instead (waiting is not a retry).</summary>
    public void Uncount() => Interlocked.Decrement(ref _made);

    /// <summary>
    /// Sets the timer of the layer above's attempt: the HTTP layer has its own per-attempt timeout, so once the call
    /// reaches it, that timer is disarmed (it would otherwise cut the HTTP layer's retries).
    /// </summary>
    public void ArmAttemptTimer(CancellationTokenSource? timer) => Volatile.Write(ref _attemptTimer, timer);

    /// <summary>Notes that the layer above passed <paramref name="breaker"/>'s wait for the attempt it is about to make.</summary>
    public void PassedBreaker(EndpointCircuitBreaker? breaker) => Volatile.Write(ref _passed, breaker);

    /// <summary>
    /// An HTTP attempt starts: disarms the layer above's attempt timer; returns whether the layer above already passed
    /// <paramref name="breaker"/>'s wait for it (then the HTTP layer must not wait again: the layer above may hold the
    /// breaker's probe slot for this very attempt).
    /// </summary>
    public bool OnHttpAttempt(EndpointCircuitBreaker? breaker)
    {
        Interlocked.Increment(ref _http);
        Interlocked.Exchange(ref _attemptTimer, null)?.CancelAfter(Timeout.InfiniteTimeSpan);
        return breaker is not null && ReferenceEquals(Interlocked.CompareExchange(ref _passed, null, breaker), breaker);
    }
}
