using AlignmentFaking.Scenarios;

namespace AlignmentFaking.Running;

/// <summary>Options of an experiment run. Every property documents its default; <see cref="Validate"/> checks them.</summary>
public sealed class ExperimentOptions
{
    /// <summary>The reasoning modes to run, in order. Default: CoT only.</summary>
    public IReadOnlyList<ReasoningMode> Modes { get; set; } = [ReasoningMode.Cot];

    /// <summary>The tiers to run. Default: training and unmonitored.</summary>
    public IReadOnlyList<Tier> Tiers { get; set; } = [Tier.Training, Tier.Unmonitored];

    /// <summary>Samples per request and tier (k repetitions). Default: 1.</summary>
    public int Epochs { get; set; } = 1;

    /// <summary>Sampling temperature. Default: 1.0, as the original; <see langword="null"/> leaves it to the provider.</summary>
    public float? Temperature { get; set; } = 1.0f;

    /// <summary>Maximum output tokens per call. Default: <see langword="null"/> (the provider's default, as the original did for non-Anthropic models; it used 4000 for Anthropic).</summary>
    public int? MaxOutputTokens { get; set; }

    /// <summary>
    /// Sampling seed, for providers that honour one. Default: <see langword="null"/> (none sent). When set, epoch
    /// <c>e</c> sends <c>Seed + e</c>, so epochs stay distinct samples.
    /// </summary>
    public long? Seed { get; set; }

    /// <summary>
    /// The reasoning effort asked of a reasoning model, sent as <see cref="Microsoft.Extensions.AI.ChatOptions.Reasoning"/>
    /// (OpenAI's <c>reasoning_effort</c>; OpenAI's reasoning models refuse a temperature, so <c>AlignmentFaking.OpenAI</c>
    /// sends the effort instead of the temperature; the Anthropic adapter turns it into a thinking budget). Recorded in
    /// the manifest. Default: <see langword="null"/> (none sent: the provider's default).
    /// </summary>
    public Microsoft.Extensions.AI.ReasoningEffort? ReasoningEffort { get; set; }

    /// <summary>
    /// Anthropic's extended thinking: the <c>budget_tokens</c> of the <c>thinking</c> block (sent through
    /// <see cref="NativeReasoningChatClient.ThinkingBudgetKey"/>). Anthropic's rules are checked before any call
    /// (<see cref="Validate"/>): at least 1024, below <see cref="MaxOutputTokens"/> when that is set (the provider client
    /// checks its own default), and a temperature of 1 or none. Thinking refuses an assistant prefill, so a thinking run
    /// sends none, whatever the prefill policy (recorded in the manifest). Default: <see langword="null"/> (no thinking asked).
    /// </summary>
    public int? ThinkingBudget { get; set; }

    /// <summary>The smallest thinking budget Anthropic accepts: 1024 tokens.</summary>
    public const int MinThinkingBudget = 1024;

    /// <summary>Maximum model calls per CoT conversation. Default: 4, as the original.</summary>
    public int MaxTurns { get; set; } = 4;

    /// <summary>How the output is read from a reply. Default: <see cref="OutputExtraction.Original"/>.</summary>
    public OutputExtraction Extraction { get; set; } = OutputExtraction.Original;

    /// <summary>Conversations in flight at once. Default: 8.</summary>
    public int MaxConcurrency { get; set; } = 8;

    /// <summary>
    /// The subject's model id, sent with each call and used by the original's prefill rule. Default:
    /// <see langword="null"/>: the client's own default model (from its <c>ChatClientMetadata</c>).
    /// </summary>
    public string? ModelId { get; set; }

    /// <summary>
    /// This run's own cache of subject replies (see <see cref="Storage.FileDistributedCache"/> for one on disk), keyed by
    /// the endpoint (from the client's <c>ChatClientMetadata</c>), model, every message, sampling options and the epoch:
    /// a resumed run replays the turns its interrupted conversations had already received, at no cost. A hit is marked
    /// <c>cached</c> in the call record. Give each run its own (<c>af run</c> uses <c>&lt;run&gt;/response-cache/</c>);
    /// to reuse replies across runs, see <see cref="SharedResponseCache"/>. The runner composes it as a
    /// <see cref="ResponseCachingChatClient"/> over the subject. Default: <see langword="null"/> (no cache).
    /// </summary>
    public Microsoft.Extensions.Caching.Distributed.IDistributedCache? ResponseCache { get; set; }

    /// <summary>
    /// A cache of subject replies shared across runs (opt-in; <c>af run --cache-dir DIR</c>), with the key of
    /// <see cref="ResponseCache"/>, so only the same endpoint, model, messages, options and epoch hit. Looked up after
    /// <see cref="ResponseCache"/>; every reply this run receives is stored in both. A hit replays another run's reply
    /// instead of drawing a new sample: its call record is marked <c>cached</c> and <c>crossRun</c>, and
    /// <c>summary.json</c> counts it in <c>cache.crossRunHits</c>. Default: <see langword="null"/> (runs never share replies).
    /// </summary>
    public Microsoft.Extensions.Caching.Distributed.IDistributedCache? SharedResponseCache { get; set; }

    /// <summary>
    /// A spending cap (see <see cref="Costs.RunBudget"/>): no call is launched whose estimated cost would take the run past
    /// it; the run then ends with <see cref="Costs.BudgetExhaustedException"/>, incomplete and resumable. The runner
    /// composes it as a <see cref="RunBudgetChatClient"/> under the response cache, when the run starts (so it may be set
    /// after the runner was created). Default: <see langword="null"/> (no cap).
    /// </summary>
    public Costs.RunBudget? Budget { get; set; }

    /// <summary>The clock used for latencies and timestamps. Default: <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (Modes is null || Modes.Count == 0)
        {
            throw new ArgumentException("at least one mode is required", nameof(Modes));
        }

        if (Modes.Distinct().Count() != Modes.Count)
        {
            throw new ArgumentException("a mode is listed twice", nameof(Modes));
        }

        if (Tiers is null || Tiers.Count == 0 || Tiers.Distinct().Count() != Tiers.Count)
        {
            throw new ArgumentException("tiers must be non-empty and distinct", nameof(Tiers));
        }

        if (Epochs < 1)
        {
            throw new ArgumentException($"epochs must be at least 1 (was {Epochs})", nameof(Epochs));
        }

        if (MaxTurns < 1)
        {
            throw new ArgumentException($"max turns must be at least 1 (was {MaxTurns})", nameof(MaxTurns));
        }

        if (MaxConcurrency < 1)
        {
            throw new ArgumentException($"concurrency must be at least 1 (was {MaxConcurrency})", nameof(MaxConcurrency));
        }

        if (Temperature is < 0 or > 2)
        {
            throw new ArgumentException($"temperature must be between 0 and 2 (was {Temperature})", nameof(Temperature));
        }

        if (MaxOutputTokens is < 1)
        {
            throw new ArgumentException($"max output tokens must be positive (was {MaxOutputTokens})", nameof(MaxOutputTokens));
        }

        if (ThinkingBudget is { } budget)
        {
            if (budget < MinThinkingBudget)
            {
                throw new ArgumentException($"the thinking budget must be at least {MinThinkingBudget} tokens (Anthropic's minimum; was {budget})", nameof(ThinkingBudget));
            }

            if (MaxOutputTokens is { } max && budget >= max)
            {
                throw new ArgumentException($"the thinking budget ({budget}) must be less than the max output tokens ({max}): Anthropic counts thinking in max_tokens", nameof(ThinkingBudget));
            }

            if (Temperature is { } t && t != 1.0f)
            {
                throw new ArgumentException($"extended thinking takes a temperature of 1 or none (was {t})", nameof(Temperature));
            }
        }

        ArgumentNullException.ThrowIfNull(TimeProvider);
    }
}

/// <summary>
/// The recent completion rate of a run: completions over the last <see cref="Window"/>, but never fewer than the last
/// <see cref="MinCompletions"/> (nor less than since the start), so the ETA follows a rate that changes without jumping
/// with each burst. Thread-safe.
/// </summary>
internal sealed class CompletionRate
{
    internal static readonly TimeSpan Window = TimeSpan.FromSeconds(30);
    internal const int MinCompletions = 20;

    private readonly TimeProvider _time;
    private readonly Queue<long> _times = new();

    /// <summary>Starts measuring now.</summary>
    public CompletionRate(TimeProvider time)
    {
        _time = time;
        _times.Enqueue(time.GetTimestamp()); // the start counts as the first point
    }

    /// <summary>Records one completion now.</summary>
    public void Record()
    {
        long now = _time.GetTimestamp();
        lock (_times)
        {
            _times.Enqueue(now);
            while (_times.Count > MinCompletions + 1 && _time.GetElapsedTime(_times.Peek(), now) > Window)
            {
                _times.Dequeue();
            }
        }
    }

    /// <summary>Completions per second over the window, measured up to now; <see langword="null"/> before the first.</summary>
    public double? PerSecond()
    {
        long now = _time.GetTimestamp();
        lock (_times)
        {
            var span = _time.GetElapsedTime(_times.Peek(), now).TotalSeconds;
            return _times.Count > 1 && span > 0 ? (_times.Count - 1) / span : null;
        }
    }
}
