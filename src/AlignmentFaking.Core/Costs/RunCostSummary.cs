using System.Text.Json;
using System.Text.Json.Serialization;
using AlignmentFaking.Running;

namespace AlignmentFaking.Costs;

/// <summary>
/// The <c>cost</c> object of <c>summary.json</c>: the estimate made for the run, the actual usage and cost recorded
/// by it, and their ratio, so the estimator's accuracy is visible. Field names are a contract.
/// </summary>
/// <example>
/// <code>
/// var estimator = new CostEstimator(TokenCounter.ForModel(modelId));
/// CostEstimate estimate = estimator.Estimate(runner.Scenarios, runner.Options, requests, price);
/// // ... run ...
/// summary = summary with { Cost = RunCostSummary.Create(estimate, samples) };
/// </code>
/// </example>
public sealed record RunCostSummary
{
    /// <summary>The estimated cost range (USD), or token totals only when no price was known.</summary>
    public required CostRange Estimate { get; init; }

    /// <summary>The recorded usage and its cost; <see langword="null"/> before the run.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ActualUsage? Actual { get; init; }

    /// <summary>Actual cost / expected cost; <see langword="null"/> without a price, an actual cost, or a positive expected cost.</summary>
    public double? Ratio { get; init; }

    /// <summary>Actual input tokens / expected input tokens (subject only); <see langword="null"/> without actual usage.</summary>
    public double? InputTokenRatio { get; init; }

    /// <summary>Actual output tokens / expected output tokens (subject only); <see langword="null"/> without actual usage.</summary>
    public double? OutputTokenRatio { get; init; }

    /// <summary>The subject's price used for both the estimate and the actual cost.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ModelPrice? Prices { get; init; }

    /// <summary>Whether batch prices were used.</summary>
    public bool Batch { get; init; }

    /// <summary>The tokenizer of the estimate.</summary>
    public required string Tokenizer { get; init; }

    /// <summary>Whether the tokenizer is an approximation.</summary>
    public required bool TokenizerIsApproximation { get; init; }

    /// <summary>
    /// Builds the cost object from an estimate and, after the run, its samples (priced with the estimate's price and
    /// batch setting). Judge usage is not in the samples yet, so the ratios compare subject usage only when the estimate
    /// assumed no judge; otherwise <see cref="Ratio"/> compares the subject parts (<see cref="ScenarioEstimate.SubjectCost"/>).
    /// </summary>
    /// <param name="estimate">The estimate made for the run.</param>
    /// <param name="samples">The run's samples; <see langword="null"/> before the run.</param>
    public static RunCostSummary Create(CostEstimate estimate, IEnumerable<ExperimentSample>? samples = null)
    {
        ArgumentNullException.ThrowIfNull(estimate);
        var actual = samples is null ? null : CostEstimator.Actual(samples, estimate.Price, estimate.Batch);
        var expected = estimate.Expected;
        return new RunCostSummary
        {
            Estimate = new CostRange
            {
                Low = estimate.Low.Cost,
                Expected = expected.Cost,
                High = estimate.High.Cost,
                LowTokens = estimate.Low.InputTokens + estimate.Low.OutputTokens,
                ExpectedTokens = expected.InputTokens + expected.OutputTokens,
                HighTokens = estimate.High.InputTokens + estimate.High.OutputTokens,
            },
            Actual = actual,
            Ratio = actual?.Cost is { } cost && expected.SubjectCost is { } subject && subject > 0 ? (double)(cost / subject) : null,
            InputTokenRatio = actual is not null && expected.InputTokens > 0 ? (double)actual.InputTokens / expected.InputTokens : null,
            OutputTokenRatio = actual is not null && expected.OutputTokens > 0 ? (double)actual.OutputTokens / expected.OutputTokens : null,
            Prices = estimate.Price,
            Batch = estimate.Batch,
            Tokenizer = estimate.Tokenizer,
            TokenizerIsApproximation = estimate.TokenizerIsApproximation,
        };
    }

    /// <summary>The object as indented camelCase JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, CostJson.Options.GetTypeInfo(typeof(RunCostSummary)));
}

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
}
