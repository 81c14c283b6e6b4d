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
        var expected = estimate.Expected;
        var basis = new RunCostSummary
        {
            Estimate = new CostRange
            {
                Low = estimate.Low.Cost,
                Expected = expected.Cost,
                High = estimate.High.Cost,
                LowTokens = estimate.Low.InputTokens + estimate.Low.OutputTokens,
                ExpectedTokens = expected.InputTokens + expected.OutputTokens,
                HighTokens = estimate.High.InputTokens + estimate.High.OutputTokens,
                ExpectedInputTokens = expected.InputTokens,
                ExpectedOutputTokens = expected.OutputTokens,
                ExpectedSubjectCost = expected.SubjectCost,
            },
            Prices = estimate.Price,
            Batch = estimate.Batch,
            Tokenizer = estimate.Tokenizer,
            TokenizerIsApproximation = estimate.TokenizerIsApproximation,
        };
        return samples is null ? basis : basis.WithActual(samples);
    }

    /// <summary>
    /// This estimate with the actual usage and cost of <paramref name="samples"/> (priced with <see cref="Prices"/> and
    /// <see cref="Batch"/>; calls answered from the response cache cost nothing) and the ratios. The estimate recorded in
    /// a run's manifest plus its samples give the <c>cost</c> of its <c>summary.json</c>.
    /// </summary>
    /// <param name="samples">The run's samples (they may be streamed: each is read once).</param>
    public RunCostSummary WithActual(IEnumerable<ExperimentSample> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        return WithActual(CostEstimator.Actual(samples, Prices, Batch));
    }

    /// <summary>This estimate with the given actual usage and the ratios of actual to expected.</summary>
    /// <param name="actual">The recorded usage (see <see cref="CostEstimator.Actual"/>).</param>
    public RunCostSummary WithActual(ActualUsage actual)
    {
        ArgumentNullException.ThrowIfNull(actual);
        // Directories written before the subject's share was recorded compare with the whole expected cost.
        var subject = Estimate.ExpectedSubjectCost ?? Estimate.Expected;
        return this with
        {
            Actual = actual,
            Ratio = actual.Cost is { } cost && subject is { } s && s > 0 ? (double)(cost / s) : null,
            InputTokenRatio = Estimate.ExpectedInputTokens > 0 ? (double)actual.InputTokens / Estimate.ExpectedInputTokens : null,
            OutputTokenRatio = Estimate.ExpectedOutputTokens > 0 ? (double)actual.OutputTokens / Estimate.ExpectedOutputTokens : null,
        };
    }

    /// <summary>
    /// The estimate of a run made of parts estimated separately (the shards of a merged run): ranges and token counts
    /// added up. <see langword="null"/> when a part has no estimate or the parts were priced differently.
    /// </summary>
    /// <param name="parts">The parts' estimates (their actual usage is ignored).</param>
    public static RunCostSummary? Combine(IEnumerable<RunCostSummary?> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var list = parts.ToList();
        if (list.Count == 0 || list.Any(p => p is null))
        {
            return null;
        }

        var first = list[0]!;
        if (list.Any(p => p!.Prices != first.Prices || p.Batch != first.Batch || p.Tokenizer != first.Tokenizer))
        {
            return null;
        }

        static decimal? Sum(IEnumerable<decimal?> values) => values.Aggregate((decimal?)0m, (a, b) => a is null || b is null ? null : a + b);
        var ranges = list.Select(p => p!.Estimate).ToList();
        return first with
        {
            Estimate = new CostRange
            {
                Low = Sum(ranges.Select(r => r.Low)),
                Expected = Sum(ranges.Select(r => r.Expected)),
                High = Sum(ranges.Select(r => r.High)),
                LowTokens = ranges.Sum(r => r.LowTokens),
                ExpectedTokens = ranges.Sum(r => r.ExpectedTokens),
                HighTokens = ranges.Sum(r => r.HighTokens),
                ExpectedInputTokens = ranges.Sum(r => r.ExpectedInputTokens),
                ExpectedOutputTokens = ranges.Sum(r => r.ExpectedOutputTokens),
                ExpectedSubjectCost = Sum(ranges.Select(r => r.ExpectedSubjectCost)),
            },
            Actual = null,
            Ratio = null,
            InputTokenRatio = null,
            OutputTokenRatio = null,
            TokenizerIsApproximation = list.Any(p => p!.TokenizerIsApproximation),
        };
    }

    /// <summary>The object as indented camelCase JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, CostJson.Options.GetTypeInfo(typeof(RunCostSummary)));
}
