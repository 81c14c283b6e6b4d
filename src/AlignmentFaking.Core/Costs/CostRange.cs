namespace AlignmentFaking.Costs;

/// <summary>A low / expected / high range of a run's cost in USD (subject and judges), with the subject's token totals.</summary>
public sealed record CostRange
{
    /// <summary>The low estimate in USD, when a price is known.</summary>
    public decimal? Low { get; init; }

    /// <summary>The expected estimate in USD, when a price is known.</summary>
    public decimal? Expected { get; init; }

    /// <summary>The high estimate in USD, when a price is known.</summary>
    public decimal? High { get; init; }

    /// <summary>The currency: <c>USD</c>.</summary>
    public string Currency => "USD";

    /// <summary>Subject input plus output tokens, low scenario.</summary>
    public long LowTokens { get; init; }

    /// <summary>Subject input plus output tokens, expected scenario.</summary>
    public long ExpectedTokens { get; init; }

    /// <summary>Subject input plus output tokens, high scenario.</summary>
    public long HighTokens { get; init; }

    /// <summary>Subject input tokens, expected scenario (the denominator of <see cref="RunCostSummary.InputTokenRatio"/>).</summary>
    public long ExpectedInputTokens { get; init; }

    /// <summary>Subject output tokens, expected scenario (the denominator of <see cref="RunCostSummary.OutputTokenRatio"/>).</summary>
    public long ExpectedOutputTokens { get; init; }

    /// <summary>The subject's part of <see cref="Expected"/> (without judges), the denominator of <see cref="RunCostSummary.Ratio"/>.</summary>
    public decimal? ExpectedSubjectCost { get; init; }
}
