namespace AlignmentFaking.Testing;

/// <summary>
/// Faults to inject in front of a responder: "the first 2 calls get 429 with Retry-After: 1, then answer".
/// Rules are tried in the order added; the first whose condition holds and that has uses left answers the call
/// (its use is taken atomically), otherwise the wrapped responder does. Thread-safe; add rules before the calls start.
/// </summary>
public sealed class FaultPlan
{
    private readonly List<Rule> _rules = [];
    private readonly Lock _gate = new();
    private int _faultsInjected;

    /// <summary>How many calls were answered by a rule of this plan so far.</summary>
    public int FaultsInjected => Volatile.Read(ref _faultsInjected);

    /// <summary>The first <paramref name="count"/> calls reaching the plan (in arrival order) get <paramref name="fault"/>.</summary>
    public FaultPlan FailFirst(int count, ScriptedReply fault)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return Add(_ => true, fault, count);
    }

    /// <summary>The call with this server sequence number (1-based, <see cref="ChatCompletionCall.Sequence"/>) gets <paramref name="fault"/>.</summary>
    public FaultPlan OnCall(int sequence, ScriptedReply fault) => Add(c => c.Sequence == sequence, fault, 1);

    /// <summary>Calls matching <paramref name="predicate"/> get <paramref name="fault"/>, at most <paramref name="times"/> times (null: always).</summary>
    public FaultPlan When(Func<ChatCompletionCall, bool> predicate, ScriptedReply fault, int? times = null)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        if (times is { } t)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(t);
        }

        return Add(predicate, fault, times);
    }

    /// <summary>
    /// Random, load-independent faults: each call draws once from a seeded generator and gets the first fault whose
    /// cumulative probability covers the draw (e.g. 8% 500s, 8% 429s, 4% dropped connections), else the responder answers.
    /// </summary>
    /// <param name="seed">Seeds the draws (the order of calls still varies with scheduling).</param>
    /// <param name="faults">Each fault with its probability; the probabilities add up to at most 1.</param>
    public FaultPlan AtRandom(int seed, params (double Probability, ScriptedReply Fault)[] faults)
    {
        ArgumentNullException.ThrowIfNull(faults);
        if (faults.Any(f => f.Probability < 0 || f.Fault is null) || faults.Sum(f => f.Probability) > 1 + 1e-9)
        {
            throw new ArgumentException("Probabilities must be non-negative and add up to at most 1, and every fault must be given.", nameof(faults));
        }

        var random = new Random(seed);
        var gate = new Lock();
        lock (_gate)
        {
            _rules.Add(new Rule(_ => true, null)
            {
                Choose = _ =>
                {
                    double draw;
                    lock (gate)
                    {
                        draw = random.NextDouble();
                    }

                    foreach (var (probability, fault) in faults)
                    {
                        if (draw < probability)
                        {
                            return fault;
                        }

                        draw -= probability;
                    }

                    return null;
                },
            });
        }

        return this;
    }

    /// <summary>The first <paramref name="times"/> calls whose last message contains <paramref name="text"/> (ordinal) get <paramref name="fault"/>.</summary>
    public FaultPlan WhenLastMessageContains(string text, ScriptedReply fault, int? times = null) =>
        When(c => c.LastMessageContent.Contains(text, StringComparison.Ordinal), fault, times);

    /// <summary>A responder that applies this plan and otherwise defers to <paramref name="responder"/>.</summary>
    public Func<ChatCompletionCall, CancellationToken, ValueTask<ScriptedReply>> Wrap(
        Func<ChatCompletionCall, CancellationToken, ValueTask<ScriptedReply>> responder)
    {
        ArgumentNullException.ThrowIfNull(responder);
        return (call, ct) =>
        {
            var fault = TryTake(call);
            return fault is null ? responder(call, ct) : ValueTask.FromResult(fault);
        };
    }

    /// <summary>A responder that applies this plan and otherwise answers every call with <paramref name="reply"/>.</summary>
    public Func<ChatCompletionCall, CancellationToken, ValueTask<ScriptedReply>> Wrap(ScriptedReply reply) =>
        Wrap(ScriptedResponders.Always(reply));

    /// <summary>The fault this plan gives <paramref name="call"/> (taking one use of the rule), or null to let the responder answer.</summary>
    public ScriptedReply? TryTake(ChatCompletionCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        lock (_gate)
        {
            foreach (var rule in _rules)
            {
                if (rule.Remaining is 0 || !rule.Predicate(call))
                {
                    continue;
                }

                var fault = rule.Choose is null ? rule.Fault : rule.Choose(call);
                if (fault is null)
                {
                    continue;
                }

                if (rule.Remaining is { } n)
                {
                    rule.Remaining = n - 1;
                }

                _faultsInjected++;
                return fault;
            }
        }

        return null;
    }

    private FaultPlan Add(Func<ChatCompletionCall, bool> predicate, ScriptedReply fault, int? times)
    {
        ArgumentNullException.ThrowIfNull(fault);
        lock (_gate)
        {
            _rules.Add(new Rule(predicate, fault) { Remaining = times });
        }

        return this;
    }

    private sealed class Rule(Func<ChatCompletionCall, bool> predicate, ScriptedReply? fault)
    {
        public Func<ChatCompletionCall, bool> Predicate { get; } = predicate;

        public ScriptedReply? Fault { get; } = fault;

        public int? Remaining { get; set; }

        /// <summary>Picks the fault per call (null: this rule does not apply); when set, <see cref="Fault"/> is unused.</summary>
        public Func<ChatCompletionCall, ScriptedReply?>? Choose { get; init; }
    }
}
