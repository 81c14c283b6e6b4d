using System.Collections.Concurrent;
using AlignmentFaking.Judging.Caching;
using AlignmentFaking.Judging.Runs;
using Microsoft.Extensions.AI;

namespace AlignmentFaking.Judging.Internal;

/// <summary>
/// While set (for the current async flow), judge calls are not made: a <see cref="JudgeInvoker"/> answers from its cache
/// and, for every reply missing there, records the call it would make and returns a "not judged yet" error reply in its
/// place. Running the normal judgement under a scope therefore lists exactly the calls an online judgement would make
/// next (the same prompts, options and cache keys), and a final pass under a scope turns calls that never got a reply
/// into <c>error</c> outcomes instead of calling the judge.
/// </summary>
internal sealed class JudgeCallPlanScope
{
    private static readonly AsyncLocal<JudgeCallPlanScope?> CurrentScope = new();
    private readonly ConcurrentDictionary<string, PlannedJudgeCall> _calls = new(StringComparer.Ordinal);
    private readonly IReadOnlyDictionary<string, string> _failures;
    private int _samplesPending;

    public JudgeCallPlanScope(JudgeCache? fallbackCache, IReadOnlyDictionary<string, string>? failures = null)
    {
        FallbackCache = fallbackCache;
        _failures = failures ?? new Dictionary<string, string>(StringComparer.Ordinal);
    }

    /// <summary>The scope of the current async flow, if any.</summary>
    public static JudgeCallPlanScope? Current => CurrentScope.Value?.Root ?? CurrentScope.Value;

    /// <summary>The sample being planned in the current flow (a per-sample child scope), if any.</summary>
    public static SampleMark? CurrentSample => CurrentScope.Value?.Sample;

    /// <summary>Used by invokers that have no cache of their own.</summary>
    public JudgeCache? FallbackCache { get; }

    /// <summary>The calls recorded, one per cache key, in no particular order.</summary>
    public IReadOnlyCollection<PlannedJudgeCall> Calls => (IReadOnlyCollection<PlannedJudgeCall>)_calls.Values;

    /// <summary>Samples that recorded at least one call.</summary>
    public int SamplesPending => Volatile.Read(ref _samplesPending);

    private JudgeCallPlanScope? Root { get; init; }

    private SampleMark? Sample { get; init; }

    /// <summary>Makes this scope current for the calling flow (and the flows it starts).</summary>
    public void Enter() => CurrentScope.Value = this;

    /// <summary>Makes this scope current for one sample, so that its calls are counted against it.</summary>
    public void EnterSample() => CurrentScope.Value = new JudgeCallPlanScope(FallbackCache, _failures) { Root = this, Sample = new SampleMark() };

    /// <summary>Leaves any scope in the calling flow.</summary>
    public static void Exit() => CurrentScope.Value = null;

    /// <summary>Records a call that has no reply in the cache; returns the error reply that stands in for it.</summary>
    public JudgeReply Record(string key, IReadOnlyList<ChatMessage> messages, ChatOptions options, JudgeCache cache)
    {
        _calls.TryAdd(key, new PlannedJudgeCall(key, messages.ToArray(), options, cache));
        if (CurrentSample is { } mark && Interlocked.Exchange(ref mark.Counted, 1) == 0)
        {
            Interlocked.Increment(ref _samplesPending);
        }

        return new JudgeReply(null, null, _failures.TryGetValue(key, out var error) ? error : "no judge reply yet (batch judgement pending)", false);
    }

    /// <summary>Whether the sample being planned recorded a call.</summary>
    internal sealed class SampleMark
    {
        public int Counted;
    }
}
