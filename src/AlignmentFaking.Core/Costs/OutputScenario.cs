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
