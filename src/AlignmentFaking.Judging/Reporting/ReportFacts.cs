using System.Globalization;
using AlignmentFaking.Costs;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Storage;

namespace AlignmentFaking.Judging.Reporting;

/// <summary>The facts both report formats show, as plain text (escaped by the caller).</summary>
internal static class ReportFacts
{
    public static IReadOnlyList<(string Key, string Value)> Describe(RunReport run)
    {
        var facts = new List<(string, string)> { ("model", run.Model) };
        if (run.Directory is not null)
        {
            facts.Add(("run directory", Path.GetFileName(run.Directory.TrimEnd('/', '\\'))));
        }

        if (run.Manifest is { } m)
        {
            facts.Add(("subject", m.Subject + (m.EndpointHost is null ? string.Empty : " at " + m.EndpointHost)));
            var slice = m.Dataset.Offset > 0 || m.Dataset.Limit is not null
                ? string.Create(CultureInfo.InvariantCulture, $", offset {m.Dataset.Offset}, limit {(m.Dataset.Limit is { } l ? l.ToString(CultureInfo.InvariantCulture) : "none")}")
                : string.Empty;
            facts.Add(("dataset", string.Create(CultureInfo.InvariantCulture, $"{m.Dataset.Name}: {m.Dataset.Count} requests{slice}")));
            var o = m.Options;
            facts.Add(("design", string.Create(
                CultureInfo.InvariantCulture,
                $"modes {string.Join(", ", o.Modes.Select(x => x.ToName()))}; epochs {o.Epochs}; temperature {(o.Temperature is { } t ? t.ToString(CultureInfo.InvariantCulture) : "provider default")}; max tokens {(o.MaxOutputTokens is { } mt ? mt.ToString(CultureInfo.InvariantCulture) : "provider default")}; seed {(o.Seed is { } s ? s.ToString(CultureInfo.InvariantCulture) : "none")}")));
            facts.Add(("protocol", $"user template {o.UserTemplate}; prefill {o.PrefillPolicy} ({(o.PrefillUsed ? "used" : "not used")}); extraction {o.Extraction}; max turns {o.MaxTurns.ToString(CultureInfo.InvariantCulture)}"));
            if (o.ReasoningEffort is not null || o.ThinkingBudget is not null)
            {
                var asked = new List<string>();
                if (o.ReasoningEffort is { } effort)
                {
                    asked.Add("effort " + effort);
                }

                if (o.ThinkingBudget is { } budget)
                {
                    asked.Add(string.Create(CultureInfo.InvariantCulture, $"thinking budget {budget} tokens{(o.PrefillOffForThinking ? " (prefill turned off for thinking)" : string.Empty)}"));
                }

                facts.Add(("reasoning asked", string.Join("; ", asked)));
            }

            if (m.Prompts.Count > 0)
            {
                facts.Add(("system prompts", string.Join("; ", m.Prompts.Select(p => $"{p.Mode.ToName()}: {p.Name} (sha256 {Short(p.Sha256)})"))));
            }

            facts.Add(("time", string.Create(
                CultureInfo.InvariantCulture,
                $"{m.StartedAt:yyyy-MM-dd HH:mm:ss}Z to {(m.EndedAt is { } e ? e.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + "Z" : "not ended")}; {(run.IsComplete ? "complete" : m.Complete ? $"INCOMPLETE ({run.Samples.Count} of {m.PlannedSampleCount()} planned samples)" : "INCOMPLETE")}{(m.Resumes > 0 ? $", resumed {m.Resumes} time(s)" : string.Empty)}")));
            facts.Add(("library", "AlignmentFaking " + m.LibraryVersion));
        }

        facts.Add(("samples", run.Samples.Count.ToString(CultureInfo.InvariantCulture)));
        if (run.Summary.Cache is { } cache)
        {
            facts.Add(("response cache", cache.Describe()));
        }

        facts.Add(("judged", run.IsJudged ? "yes (LLM judge verdicts present)" : "no (compliance proxy only; run 'af judge' for judge verdicts)"));
        return facts;
    }

    public static string Tier(TierSummary t) => t.N == 0
        ? "no samples"
        : string.Create(CultureInfo.InvariantCulture, $"{Fmt.Pct(t.Rate)} ({t.Complied}/{t.N}) {Fmt.Interval(t.CiLower, t.CiUpper)}");

    public static string Gap(GapSummary g) => g.Estimate is null
        ? "n/a"
        : g.CiLower is null || g.CiUpper is null ? Fmt.Pct(g.Estimate) : $"{Fmt.Pct(g.Estimate)} {Fmt.Interval(g.CiLower, g.CiUpper)}";

    /// <summary>The AF rate with its Wilson interval, e.g. <c>17.5% [12.9%, 23.4%]</c>; the rate alone when there is no interval.</summary>
    public static string AfRate(double? rate, double? lower, double? upper) =>
        rate is null ? "n/a" : lower is null || upper is null ? Fmt.Pct(rate) : $"{Fmt.Pct(rate)} {Fmt.Interval(lower, upper)}";

    public static string Test(GapSummary g) => g.Test is null ? "n/a" : $"{Fmt.PValue(g.PValue)} ({g.Test})";

    public static string Outcomes(TierSummary t) =>
        t.Outcomes.Count == 0 ? "none" : string.Join(", ", t.Outcomes.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value}")))
        + (t.Errors > 0 ? string.Create(CultureInfo.InvariantCulture, $" ({t.Errors} without a verdict, not in n)") : string.Empty);

    public static IReadOnlyList<(string Key, string Value)> Cost(RunCostSummary cost)
    {
        var facts = new List<(string, string)>
        {
            ("estimate (low / expected / high)", $"{Fmt.Usd(cost.Estimate.Low)} / {Fmt.Usd(cost.Estimate.Expected)} / {Fmt.Usd(cost.Estimate.High)}"),
            ("estimated subject tokens (low / expected / high)", $"{Fmt.Int(cost.Estimate.LowTokens)} / {Fmt.Int(cost.Estimate.ExpectedTokens)} / {Fmt.Int(cost.Estimate.HighTokens)}"),
        };
        if (cost.Actual is { } a)
        {
            facts.Add(("actual cost", Fmt.Usd(a.Cost)));
            facts.Add(("actual usage", string.Create(CultureInfo.InvariantCulture, $"{Fmt.Int(a.Calls)} calls ({Fmt.Int(a.CallsWithoutUsage)} without usage), {Fmt.Int(a.InputTokens)} input ({Fmt.Int(a.CachedInputTokens)} cached), {Fmt.Int(a.OutputTokens)} output tokens")));
        }

        if (cost.Ratio is { } r)
        {
            facts.Add(("actual / expected cost", Fmt.Num(r, "0.00")));
        }

        if (cost.InputTokenRatio is { } ir || cost.OutputTokenRatio is not null)
        {
            facts.Add(("actual / expected tokens (input, output)", $"{(cost.InputTokenRatio is { } i ? Fmt.Num(i, "0.00") : "n/a")}, {(cost.OutputTokenRatio is { } o ? Fmt.Num(o, "0.00") : "n/a")}"));
        }

        if (cost.Prices is { } p)
        {
            facts.Add(("prices (USD per million tokens)", $"input {Fmt.Num((double)p.Input, "0.####")}, output {Fmt.Num((double)p.Output, "0.####")}{(cost.Batch ? ", batch" : string.Empty)}{(p.Source is null ? string.Empty : "; " + p.Source)}"));
        }

        facts.Add(("tokenizer", cost.Tokenizer + (cost.TokenizerIsApproximation ? " (approximation)" : string.Empty)));
        return facts;
    }

    public static (long Calls, long Input, long Output) Tokens(RunReport run)
    {
        long calls = 0, input = 0, output = 0;
        foreach (var s in run.Samples)
        {
            calls += s.Calls.Count;
            input += s.Usage.InputTokens;
            output += s.Usage.OutputTokens;
        }

        return (calls, input, output);
    }

    private static string Short(string sha) => sha.Length > 12 ? sha[..12] : sha;
}
