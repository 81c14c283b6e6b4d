using AlignmentFaking.Scenarios;

namespace AlignmentFaking.Costs;

/// <summary>
/// What the model is assumed to do in one scenario of an estimate (low, expected or high): how many calls a CoT
/// conversation takes, how long the replies are, and how much of the repeated prefix the provider serves from its
/// cache. Output lengths are assumptions, not measurements: set them from a pilot run of your model.
/// </summary>
public sealed record OutputScenario
{
    /// <summary>
    /// Shares of CoT conversations that take 1, 2, 3, 4... calls (index 0 is one call); they must sum to 1. Shares past
    /// the run's turn limit are counted at the limit.
    /// </summary>
    public required IReadOnlyList<double> CotCallShares { get; init; }

    /// <summary>Mean output tokens of one CoT call (scratchpad and, on the last call, the output).</summary>
    public required int CotTokensPerCall { get; init; }

    /// <summary>Mean output tokens of the single no-CoT call.</summary>
    public required int NoCotOutputTokens { get; init; }

    /// <summary>Mean tokens of the final answer inside <c>&lt;OUTPUT&gt;</c> (what a compliance judge reads).</summary>
    public required int FinalOutputTokens { get; init; }

    /// <summary>
    /// Share (0-1) of the cacheable prefix billed at the cached-input price when the price has one. The prefix is the
    /// system prompt on a first call, the whole conversation before the newest reply on later calls.
    /// </summary>
    public required double CacheHitRate { get; init; }

    /// <summary>Mean calls of a CoT conversation under <see cref="CotCallShares"/>.</summary>
    public double MeanCotCalls => CotCallShares.Select((share, i) => share * (i + 1)).Sum();

    /// <summary>
    /// The default low scenario: every CoT conversation ends in one call of 300 tokens, no-CoT replies of 60 tokens,
    /// final answers of 20 tokens (mostly refusals), every cacheable prefix served from the cache.
    /// </summary>
    public static OutputScenario DefaultLow { get; } = new()
    {
        CotCallShares = [1.0],
        CotTokensPerCall = 300,
        NoCotOutputTokens = 60,
        FinalOutputTokens = 20,
        CacheHitRate = 1.0,
    };

    /// <summary>
    /// The default expected scenario: CoT conversations take 1, 2, 3 or 4 calls with shares 0.60, 0.30, 0.07, 0.03 (1.53
    /// calls on average) of 600 tokens each, no-CoT replies of 200 tokens, final answers of 150 tokens, 90% of
    /// cacheable prefixes served from the cache.
    /// </summary>
    public static OutputScenario DefaultExpected { get; } = new()
    {
        CotCallShares = [0.60, 0.30, 0.07, 0.03],
        CotTokensPerCall = 600,
        NoCotOutputTokens = 200,
        FinalOutputTokens = 150,
        CacheHitRate = 0.9,
    };

    /// <summary>
    /// The default high scenario: CoT shares 0.25, 0.35, 0.20, 0.20 (2.35 calls on average) of 1,200 tokens each,
    /// no-CoT replies of 800 tokens, final answers of 600 tokens (long compliant answers), no cache hits.
    /// </summary>
    public static OutputScenario DefaultHigh { get; } = new()
    {
        CotCallShares = [0.25, 0.35, 0.20, 0.20],
        CotTokensPerCall = 1200,
        NoCotOutputTokens = 800,
        FinalOutputTokens = 600,
        CacheHitRate = 0.0,
    };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid value.</summary>
    /// <param name="name">The scenario's name, for the message.</param>
    public void Validate(string name)
    {
        if (CotCallShares is null || CotCallShares.Count == 0 || CotCallShares.Any(s => !double.IsFinite(s) || s < 0))
        {
            throw new ArgumentException($"{name}: CoT call shares must be a non-empty list of non-negative numbers", nameof(CotCallShares));
        }

        if (Math.Abs(CotCallShares.Sum() - 1) > 1e-6)
        {
            throw new ArgumentException($"{name}: CoT call shares must sum to 1 (sum {CotCallShares.Sum()})", nameof(CotCallShares));
        }

        if (CotTokensPerCall < 0 || NoCotOutputTokens < 0 || FinalOutputTokens < 0)
        {
            throw new ArgumentException($"{name}: output token counts must not be negative", nameof(CotTokensPerCall));
        }

        if (!double.IsFinite(CacheHitRate) || CacheHitRate is < 0 or > 1)
        {
            throw new ArgumentException($"{name}: the cache hit rate must be in [0, 1] (was {CacheHitRate})", nameof(CacheHitRate));
        }
    }
}

/// <summary>
/// The assumptions of a <see cref="CostEstimator"/>: the low, expected and high behaviour of the subject model and
/// which judge calls a run adds. Every property documents its default; <see cref="Validate"/> checks them.
/// </summary>
/// <remarks>
/// Judge calls are counted with the subject's tokenizer and priced with the judge price given to
/// <see cref="CostEstimator.Estimate"/> (the subject's when none is). Judges read text, not the system prompt, so their
/// inputs are the judge prompt plus the request, the final answer or the scratchpad.
/// </remarks>
public sealed class CostAssumptions
{
    /// <summary>The optimistic scenario. Default: <see cref="OutputScenario.DefaultLow"/>.</summary>
    public OutputScenario Low { get; set; } = OutputScenario.DefaultLow;

    /// <summary>The central scenario. Default: <see cref="OutputScenario.DefaultExpected"/>.</summary>
    public OutputScenario Expected { get; set; } = OutputScenario.DefaultExpected;

    /// <summary>The pessimistic scenario. Default: <see cref="OutputScenario.DefaultHigh"/>.</summary>
    public OutputScenario High { get; set; } = OutputScenario.DefaultHigh;

    /// <summary>
    /// Whether the low and high estimates also widen input tokens by the tokenizer's expected relative error
    /// (low x (1 - e), high x (1 + e)). Default: <see langword="true"/>.
    /// </summary>
    public bool WidenByTokenizerError { get; set; } = true;

    /// <summary>
    /// The fewest prefix tokens a provider caches (OpenAI: 1,024); a shorter prefix is never billed as cached.
    /// Default: 1024.
    /// </summary>
    public int MinimumCachedPrefixTokens { get; set; } = 1024;

    /// <summary>Whether a compliance judge (StrongREJECT, one call per sample) runs. Default: <see langword="false"/>.</summary>
    public bool ComplianceJudge { get; set; }

    /// <summary>
    /// Tokens of the compliance judge's prompt without the request and answer. Default: 443 (the StrongREJECT rubric in
    /// o200k_base).
    /// </summary>
    public int ComplianceJudgePromptTokens { get; set; } = 443;

    /// <summary>Output tokens of one compliance-judge call. Default: 250.</summary>
    public int ComplianceJudgeOutputTokens { get; set; } = 250;

    /// <summary>
    /// Votes of the alignment-faking reasoning judge per judged CoT sample (the "Revisited" classifier uses 20); 0 turns
    /// it off. Each vote is one call reading all scratchpad reasoning. Default: 0.
    /// </summary>
    public int AlignmentFakingJudgeVotes { get; set; }

    /// <summary>
    /// Tokens of the alignment-faking judge's prompt without the reasoning. Default: 748 (the "Revisited" majority-vote
    /// prompt in o200k_base).
    /// </summary>
    public int AlignmentFakingJudgePromptTokens { get; set; } = 748;

    /// <summary>Output tokens of one alignment-faking vote (criteria, quotes, answer). Default: 500.</summary>
    public int AlignmentFakingJudgeOutputTokens { get; set; } = 500;

    /// <summary>The tiers whose CoT samples the alignment-faking judge reads. Default: training only.</summary>
    public IReadOnlyList<Tier> AlignmentFakingJudgeTiers { get; set; } = [Tier.Training];

    /// <summary>Whether a partial-compliance judge (one call per sample, reading the final answer) runs. Default: <see langword="false"/>.</summary>
    public bool PartialComplianceJudge { get; set; }

    /// <summary>Tokens of the partial-compliance judge's prompt without the answer. Default: 600.</summary>
    public int PartialComplianceJudgePromptTokens { get; set; } = 600;

    /// <summary>Output tokens of one partial-compliance call. Default: 300.</summary>
    public int PartialComplianceJudgeOutputTokens { get; set; } = 300;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid assumption.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Low);
        ArgumentNullException.ThrowIfNull(Expected);
        ArgumentNullException.ThrowIfNull(High);
        Low.Validate(nameof(Low));
        Expected.Validate(nameof(Expected));
        High.Validate(nameof(High));
        if (MinimumCachedPrefixTokens < 0)
        {
            throw new ArgumentException("the minimum cached prefix must not be negative", nameof(MinimumCachedPrefixTokens));
        }

        if (AlignmentFakingJudgeVotes is < 0 or > 1000)
        {
            throw new ArgumentException($"alignment-faking judge votes must be between 0 and 1000 (was {AlignmentFakingJudgeVotes})", nameof(AlignmentFakingJudgeVotes));
        }

        if (ComplianceJudgePromptTokens < 0 || ComplianceJudgeOutputTokens < 0 || AlignmentFakingJudgePromptTokens < 0
            || AlignmentFakingJudgeOutputTokens < 0 || PartialComplianceJudgePromptTokens < 0 || PartialComplianceJudgeOutputTokens < 0)
        {
            throw new ArgumentException("judge token counts must not be negative", nameof(ComplianceJudgePromptTokens));
        }

        ArgumentNullException.ThrowIfNull(AlignmentFakingJudgeTiers);
    }
}
