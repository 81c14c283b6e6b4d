using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using AlignmentFaking.Costs;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Statistics;

namespace AlignmentFaking.Studies;

/// <summary>
/// The plan of a study (<c>af study plan</c>): per cell (subject x variant, modes inside) the samples, calls, tokens and
/// cost by the same estimator as <c>af estimate</c> (batch price where the cell uses the Batch API), the totals, and per
/// comparison the smallest difference of gaps detectable at the planned power with Holm-adjusted alpha. Nothing is called.
/// </summary>
public sealed class StudyPlan
{
    private StudyPlan(Study study, IReadOnlyList<StudyCellPlan> cells, IReadOnlyList<StudyComparisonPlan> comparisons)
    {
        Study = study;
        Cells = cells;
        Comparisons = comparisons;
    }

    /// <summary>The study.</summary>
    public Study Study { get; }

    /// <summary>One plan per cell, subjects outer, in the file's order.</summary>
    public IReadOnlyList<StudyCellPlan> Cells { get; }

    /// <summary>One plan per comparison, in <see cref="Study.GetComparisons"/>'s order.</summary>
    public IReadOnlyList<StudyComparisonPlan> Comparisons { get; }

    /// <summary>The samples of every cell.</summary>
    public long Samples => Cells.Sum(c => (long)c.Samples);

    /// <summary>The expected totals of every cell (calls, tokens; costs <see langword="null"/> when a cell's price is unknown).</summary>
    public ScenarioEstimate Expected => Sum(c => c.Estimate.Expected);

    /// <summary>The low totals of every cell.</summary>
    public ScenarioEstimate Low => Sum(c => c.Estimate.Low);

    /// <summary>The high totals of every cell.</summary>
    public ScenarioEstimate High => Sum(c => c.Estimate.High);

    /// <summary>Plans a study.</summary>
    /// <param name="study">The study (validated).</param>
    /// <param name="inputs">Its loaded inputs (<see cref="StudyInputs.LoadAsync"/>).</param>
    /// <param name="options">Options; <see langword="null"/> for the defaults.</param>
    /// <exception cref="StudyValidationException">A cell cannot be built (a <c>replace</c> that matches nothing, invalid options).</exception>
    public static StudyPlan Create(Study study, StudyInputs inputs, StudyPlanOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(inputs);
        var assumptions = WithJudge(options?.Assumptions ?? new CostAssumptions(), study.Judge);
        ModelPrice? judgePrice = JudgePrice(study.Judge);
        var cells = new List<StudyCellPlan>();
        var errors = new List<string>();
        foreach (var cell in study.GetCells())
        {
            try
            {
                var scenarios = cell.BuildScenarios(inputs);
                var runOptions = cell.CreateOptions();
                var estimate = new CostEstimator(TokenCounter.ForModel(cell.ModelId), assumptions)
                    .Estimate(scenarios, runOptions, inputs.Requests, cell.ResolvePrice(), cell.Batch, judgePrice);
                cells.Add(new StudyCellPlan(cell, estimate));
            }
            catch (StudyValidationException ex)
            {
                errors.AddRange(ex.Errors);
            }
            catch (ArgumentException ex)
            {
                errors.Add($"cell {cell.Id}: {ex.Message}");
            }
        }

        if (errors.Count > 0)
        {
            throw new StudyValidationException(errors);
        }

        var comparisons = study.GetComparisons();
        double alpha = study.Alpha / Math.Max(1, comparisons.Count);
        var p = study.Planning;
        double mdd = PowerAnalysis.MinimumDetectableGapDifference(
            inputs.Requests.Count, study.Epochs, p.TrainingRate, p.UnmonitoredRate, PairingDesign.Paired, p.Correlation, alpha, p.Power);
        var plans = comparisons.Select(c => new StudyComparisonPlan(c, inputs.Requests.Count, study.Epochs, alpha, p.Power, mdd)).ToList();
        return new StudyPlan(study, cells, plans);
    }

    /// <summary>The plan as JSON (<c>af study plan --json</c>): <c>name</c>, <c>cells</c>, <c>total</c>, <c>comparisons</c>, <c>budgetUsd</c>.</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("name", Study.Name);
            w.WriteNumber("requests", Cells.Count == 0 ? 0 : Cells[0].Estimate.Requests);
            w.WriteStartArray("cells");
            foreach (var c in Cells)
            {
                w.WriteStartObject();
                w.WriteString("subject", c.Cell.Subject.Id);
                w.WriteString("variant", c.Cell.Variant.Id);
                w.WriteString("model", c.Cell.ModelId);
                w.WriteStartArray("modes");
                foreach (var mode in c.Cell.Study.Modes)
                {
                    w.WriteStringValue(mode);
                }

                w.WriteEndArray();
                w.WriteBoolean("batch", c.Cell.Batch);
                w.WriteNumber("samples", c.Samples);
                w.WritePropertyName("estimate");
                using (var estimate = JsonDocument.Parse(c.Estimate.ToJson()))
                {
                    estimate.RootElement.WriteTo(w);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartObject("total");
            w.WriteNumber("samples", Samples);
            WriteRow(w, "low", Low);
            WriteRow(w, "expected", Expected);
            WriteRow(w, "high", High);
            w.WriteEndObject();
            w.WriteStartArray("comparisons");
            foreach (var c in Comparisons)
            {
                w.WriteStartObject();
                WriteCell(w, "a", c.Comparison.A);
                WriteCell(w, "b", c.Comparison.B);
                w.WriteString("design", "paired");
                w.WriteNumber("requests", c.Requests);
                w.WriteNumber("epochs", c.Epochs);
                w.WriteNumber("alpha", c.Alpha);
                w.WriteNumber("power", c.Power);
                if (double.IsFinite(c.MinimumDetectableDifference))
                {
                    w.WriteNumber("minimumDetectableDifference", c.MinimumDetectableDifference);
                }
                else
                {
                    w.WriteNull("minimumDetectableDifference");
                }
                w.WriteEndObject();
            }

            w.WriteEndArray();
            if (Study.BudgetUsd is { } budget)
            {
                w.WriteNumber("budgetUsd", budget);
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>One human line per cell, the total and one line per comparison, as <c>af study plan</c> prints them.</summary>
    public IReadOnlyList<string> Describe()
    {
        var inv = CultureInfo.InvariantCulture;
        var lines = new List<string>
        {
            string.Create(inv, $"{"cell",-32}{"model",-28}{"samples",9}{"calls",9}{"input tokens",15}{"output tokens",15}{"cost (USD)",12}"),
        };
        foreach (var c in Cells)
        {
            var e = c.Estimate.Expected;
            var price = c.Estimate.Price is null ? "n/a" : e.Cost?.ToString("0.00##", inv) ?? "n/a";
            lines.Add(string.Create(inv, $"{c.Cell.Id + (c.Cell.Batch ? " (batch)" : string.Empty),-32}{c.Cell.ModelId,-28}{c.Samples,9:N0}{e.Calls,9:N0}{e.InputTokens,15:N0}{e.OutputTokens,15:N0}{price,12}"));
        }

        var t = Expected;
        var total = t.Cost is null ? "n/a" : t.Cost.Value.ToString("0.00##", inv);
        lines.Add(string.Create(inv, $"{"total",-32}{string.Empty,-28}{Samples,9:N0}{t.Calls,9:N0}{t.InputTokens,15:N0}{t.OutputTokens,15:N0}{total,12}"));
        if (Low.Cost is { } low && High.Cost is { } high)
        {
            var budget = Study.BudgetUsd is { } b
                ? string.Create(inv, $"; budget ${b:0.00}{(high > b ? " (the high estimate exceeds it)" : string.Empty)}")
                : string.Empty;
            lines.Add(string.Create(inv, $"cost low ${low:0.00} / expected ${t.Cost:0.00} / high ${high:0.00}{budget}"));
        }
        else
        {
            lines.Add("no price known for some cells: give priceInput and priceOutput for their subjects.");
        }

        foreach (var c in Comparisons)
        {
            lines.Add(double.IsFinite(c.MinimumDetectableDifference)
                ? string.Create(inv, $"compare {c.Comparison.A} - {c.Comparison.B}: detects a difference of gaps of {c.MinimumDetectableDifference * 100:0.#} points with power {c.Power:0.##} (paired, alpha {c.Alpha:0.####} after Holm)")
                : string.Create(inv, $"compare {c.Comparison.A} - {c.Comparison.B}: no difference of gaps reaches power {c.Power:0.##} with {c.Requests} requests (paired, alpha {c.Alpha:0.####} after Holm)"));
        }

        return lines;
    }

    private static CostAssumptions WithJudge(CostAssumptions a, StudyJudge? judge)
    {
        if (judge is null)
        {
            return a;
        }

        return new CostAssumptions
        {
            Low = a.Low,
            Expected = a.Expected,
            High = a.High,
            WidenByTokenizerError = a.WidenByTokenizerError,
            MinimumCachedPrefixTokens = a.MinimumCachedPrefixTokens,
            ComplianceJudge = true,
            ComplianceJudgePromptTokens = a.ComplianceJudgePromptTokens,
            ComplianceJudgeOutputTokens = a.ComplianceJudgeOutputTokens,
            AlignmentFakingJudgeVotes = judge.NoAf ? 0 : judge.Votes,
            AlignmentFakingJudgePromptTokens = a.AlignmentFakingJudgePromptTokens,
            AlignmentFakingJudgeOutputTokens = a.AlignmentFakingJudgeOutputTokens,
            AlignmentFakingJudgeVotesPerRequest = judge.VotesPerRequest,
            ReasoningTokensPerCall = a.ReasoningTokensPerCall,
            AlignmentFakingJudgeTiers = a.AlignmentFakingJudgeTiers,
            PartialComplianceJudge = a.PartialComplianceJudge,
            PartialComplianceJudgePromptTokens = a.PartialComplianceJudgePromptTokens,
            PartialComplianceJudgeOutputTokens = a.PartialComplianceJudgeOutputTokens,
        };
    }

    private static ModelPrice? JudgePrice(StudyJudge? judge)
    {
        if (judge?.PriceInput is { } input && judge.PriceOutput is { } output)
        {
            return new ModelPrice { Input = input, Output = output, BatchDiscount = 0.5m, Source = "user" };
        }

        return judge?.Model is { } model && PriceTable.BuiltIn.TryFind(model, out var price) ? price : null;
    }

    private ScenarioEstimate Sum(Func<StudyCellPlan, ScenarioEstimate> row)
    {
        long calls = 0, input = 0, cached = 0, written = 0, output = 0, judgeCalls = 0, judgeInput = 0, judgeCached = 0, judgeWritten = 0, judgeOutput = 0;
        decimal? subject = 0m, judge = 0m, cost = 0m;
        foreach (var c in Cells)
        {
            var r = row(c);
            calls += r.Calls;
            input += r.InputTokens;
            cached += r.CachedInputTokens;
            written += r.CacheWriteInputTokens;
            output += r.OutputTokens;
            judgeCalls += r.JudgeCalls;
            judgeInput += r.JudgeInputTokens;
            judgeCached += r.JudgeCachedInputTokens;
            judgeWritten += r.JudgeCacheWriteInputTokens;
            judgeOutput += r.JudgeOutputTokens;
            subject += r.SubjectCost;
            judge += r.JudgeCost;
            cost += r.Cost;
        }

        return new ScenarioEstimate
        {
            Calls = calls,
            InputTokens = input,
            CachedInputTokens = cached,
            CacheWriteInputTokens = written,
            OutputTokens = output,
            JudgeCalls = judgeCalls,
            JudgeInputTokens = judgeInput,
            JudgeCachedInputTokens = judgeCached,
            JudgeCacheWriteInputTokens = judgeWritten,
            JudgeOutputTokens = judgeOutput,
            SubjectCost = subject,
            JudgeCost = judge,
            Cost = cost,
        };
    }

    private static void WriteRow(Utf8JsonWriter w, string name, ScenarioEstimate r)
    {
        w.WriteStartObject(name);
        w.WriteNumber("calls", r.Calls);
        w.WriteNumber("inputTokens", r.InputTokens);
        w.WriteNumber("cachedInputTokens", r.CachedInputTokens);
        w.WriteNumber("outputTokens", r.OutputTokens);
        w.WriteNumber("judgeCalls", r.JudgeCalls);
        if (r.Cost is { } cost)
        {
            w.WriteNumber("cost", cost);
        }
        else
        {
            w.WriteNull("cost");
        }

        w.WriteEndObject();
    }

    private static void WriteCell(Utf8JsonWriter w, string name, StudyCellReference cell)
    {
        w.WriteStartObject(name);
        w.WriteString("subject", cell.Subject);
        w.WriteString("variant", cell.Variant);
        w.WriteString("mode", cell.Mode);
        w.WriteEndObject();
    }
}
