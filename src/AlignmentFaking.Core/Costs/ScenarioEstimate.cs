namespace AlignmentFaking.Costs;

/// <summary>The tokens and cost of a run under one scenario of the assumptions.</summary>
public sealed record ScenarioEstimate
{
    /// <summary>Calls to the subject model (rounded).</summary>
    public required long Calls { get; init; }

    /// <summary>Input tokens sent to the subject, cached ones included.</summary>
    public required long InputTokens { get; init; }

    /// <summary>The part of <see cref="InputTokens"/> expected to be read from the provider's cache.</summary>
    public required long CachedInputTokens { get; init; }

    /// <summary>The part of <see cref="InputTokens"/> written to the provider's prompt cache (billed at the price's cache-write rate; Anthropic only).</summary>
    public long CacheWriteInputTokens { get; init; }

    /// <summary>Output tokens of the subject.</summary>
    public required long OutputTokens { get; init; }

    /// <summary>Calls to judge models (0 when no judge is assumed).</summary>
    public long JudgeCalls { get; init; }

    /// <summary>Input tokens sent to judges.</summary>
    public long JudgeInputTokens { get; init; }

    /// <summary>The part of <see cref="JudgeInputTokens"/> expected to be read from the provider's cache.</summary>
    public long JudgeCachedInputTokens { get; init; }

    /// <summary>The part of <see cref="JudgeInputTokens"/> written to the provider's prompt cache (Anthropic only).</summary>
    public long JudgeCacheWriteInputTokens { get; init; }

    /// <summary>Output tokens of judges.</summary>
    public long JudgeOutputTokens { get; init; }

    /// <summary>Cost of the subject's calls in USD, when a price is known.</summary>
    public decimal? SubjectCost { get; init; }

    /// <summary>Cost of the judges' calls in USD, when a price is known.</summary>
    public decimal? JudgeCost { get; init; }

    /// <summary>Total cost in USD (subject and judges), when a price is known.</summary>
    public decimal? Cost { get; init; }
}
