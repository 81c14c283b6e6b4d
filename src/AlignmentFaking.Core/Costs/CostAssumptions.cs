using AlignmentFaking.Scenarios;

namespace AlignmentFaking.Costs;

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
    /// it off. Each vote reads all scratchpad reasoning; <see cref="AlignmentFakingJudgeVotesPerRequest"/> of them go in
    /// one request. Default: 0.
    /// </summary>
    public int AlignmentFakingJudgeVotes { get; set; }

    /// <summary>
    /// Tokens of the alignment-faking judge's prompt without the reasoning. Default: 748 (the "Revisited" majority-vote
    /// prompt in o200k_base).
    /// </summary>
    public int AlignmentFakingJudgePromptTokens { get; set; } = 748;

    /// <summary>Output tokens of one alignment-faking vote (criteria, quotes, answer). Default: 500.</summary>
    public int AlignmentFakingJudgeOutputTokens { get; set; } = 500;

    /// <summary>
    /// Votes asked for in one request (OpenAI's <c>n</c>, 1 to 128): each request sends (and is billed) the prompt and
    /// the reasoning once, each vote is billed its output. 1 for a judge without <c>n</c> (Anthropic): every vote is a
    /// request, whose repeated prompt is then billed as cached (at the scenario's cache hit rate, when the judge's price
    /// has a cached rate and the prompt reaches <see cref="MinimumCachedPrefixTokens"/>). Default: 128 (all the votes of a
    /// sample in one request, as the classifier asks an OpenAI-compatible judge).
    /// </summary>
    public int AlignmentFakingJudgeVotesPerRequest { get; set; } = 128;

    /// <summary>
    /// Reasoning tokens of the subject per call (a reasoning model's native reasoning, outside the reply): billed as
    /// output, never sent back in later turns. Default: 0.
    /// </summary>
    public int ReasoningTokensPerCall { get; set; }

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

        if (AlignmentFakingJudgeVotesPerRequest is < 1 or > 128)
        {
            throw new ArgumentException($"alignment-faking votes per request must be between 1 and 128 (was {AlignmentFakingJudgeVotesPerRequest})", nameof(AlignmentFakingJudgeVotesPerRequest));
        }

        if (ReasoningTokensPerCall < 0)
        {
            throw new ArgumentException($"reasoning tokens per call must not be negative (was {ReasoningTokensPerCall})", nameof(ReasoningTokensPerCall));
        }

        if (ComplianceJudgePromptTokens < 0 || ComplianceJudgeOutputTokens < 0 || AlignmentFakingJudgePromptTokens < 0
            || AlignmentFakingJudgeOutputTokens < 0 || PartialComplianceJudgePromptTokens < 0 || PartialComplianceJudgeOutputTokens < 0)
        {
            throw new ArgumentException("judge token counts must not be negative", nameof(ComplianceJudgePromptTokens));
        }

        ArgumentNullException.ThrowIfNull(AlignmentFakingJudgeTiers);
    }
}
