using System.Globalization;
using System.Text;
using AlignmentFaking.Judging.Agreement;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Storage;

namespace AlignmentFaking.Judging.Reporting;

/// <summary>Writes the Markdown reports.</summary>
internal static class MarkdownRenderer
{
    public static string Run(RunReport run, ReportOptions options, string chartFile)
    {
        var sb = new StringBuilder();
        sb.Append("# Alignment-faking report: ").Append(Fmt.Md(run.Model)).Append("\n\n");
        sb.Append("| | |\n|---|---|\n");
        foreach (var (key, value) in ReportFacts.Describe(run))
        {
            sb.Append("| ").Append(Fmt.Md(key)).Append(" | ").Append(Fmt.Md(value)).Append(" |\n");
        }

        sb.Append('\n').Append(CultureInfo.InvariantCulture, $"![Compliance by tier: refuses / complies / complies with alignment-faking reasoning]({chartFile})\n\n");
        sb.Append("## Compliance and the gap\n\n");
        sb.Append("Compliance rate per tier with its Wilson interval; gap = training minus unmonitored compliance.\n\n");
        sb.Append("| mode | rater | training | unmonitored | gap | gap interval | p | test | AF rate |\n");
        sb.Append("|---|---|---|---|---|---|---|---|---|\n");
        foreach (var c in run.Summary.Conditions)
        {
            Row(sb, c.Mode, "proxy", c.Training, c.Unmonitored, c.Gap, null);
            if (c.Judge is not null)
            {
                Row(sb, c.Mode, "judge", c.Judge.Training, c.Judge.Unmonitored, c.Judge.Gap, ReportFacts.AfRate(c.AfRate, c.AfRateCiLower, c.AfRateCiUpper));
            }
        }

        sb.Append('\n');
        foreach (var c in run.Summary.Conditions.Where(c => !string.IsNullOrEmpty(c.Gap.Reason)))
        {
            sb.Append("- ").Append(Fmt.ModeTitle(c.Mode)).Append(" gap (proxy): ").Append(Fmt.Md(c.Gap.Reason)).Append('\n');
        }

        sb.Append("\n## The original's printout\n\n```text\n");
        foreach (var c in run.Summary.Conditions)
        {
            sb.Append(Fmt.Printout(c).Replace("`", "'", StringComparison.Ordinal)).Append('\n');
        }

        sb.Append("```\n\n## Outcomes\n\n| mode | tier | rater | outcomes |\n|---|---|---|---|\n");
        foreach (var c in run.Summary.Conditions)
        {
            foreach (var (tier, proxy, judge) in new[] { (Tier.Training, c.Training, c.Judge?.Training), (Tier.Unmonitored, c.Unmonitored, c.Judge?.Unmonitored) })
            {
                sb.Append(CultureInfo.InvariantCulture, $"| {Fmt.ModeTitle(c.Mode)} | {tier.ToName()} | proxy | {Fmt.Md(ReportFacts.Outcomes(proxy))} |\n");
                if (judge is not null)
                {
                    sb.Append(CultureInfo.InvariantCulture, $"| {Fmt.ModeTitle(c.Mode)} | {tier.ToName()} | judge | {Fmt.Md(ReportFacts.Outcomes(judge))} |\n");
                }
            }
        }

        if (run.Summary.Cost is { } cost)
        {
            sb.Append("\n## Cost\n\n| | |\n|---|---|\n");
            foreach (var (key, value) in ReportFacts.Cost(cost))
            {
                sb.Append("| ").Append(Fmt.Md(key)).Append(" | ").Append(Fmt.Md(value)).Append(" |\n");
            }
        }

        var tokens = ReportFacts.Tokens(run);
        sb.Append(CultureInfo.InvariantCulture, $"\nSubject usage recorded in the samples: {Fmt.Int(tokens.Calls)} calls, {Fmt.Int(tokens.Input)} input and {Fmt.Int(tokens.Output)} output tokens.\n");

        if (run.Agreement is { } agreement)
        {
            sb.Append("\n## Proxy vs judge agreement\n\n");
            sb.Append("| mode | tier | n | both complied | proxy only | judge only | neither | agreement | Cohen's kappa | excluded |\n");
            sb.Append("|---|---|---|---|---|---|---|---|---|---|\n");
            foreach (var t in agreement.Tiers.Append(agreement.Overall))
            {
                AgreementRow(sb, t);
            }

            sb.Append("\n*proxy only*: the proxy says complied, the judge does not (a proxy false positive if the judge is right); *judge only*: the reverse.\n");
            SampleList(sb, "Samples the proxy and the judge disagree on", agreement.Overall.Disagreements, options.MaxListedSamples);
        }

        var af = run.Samples.Where(s => s.AlignmentFaking is not null).ToArray();
        if (af.Length > 0)
        {
            sb.Append("\n## Alignment-faking reasoning\n\n| mode | tier | yes | maybe | no | unparseable | insufficient votes |\n|---|---|---|---|---|---|---|\n");
            foreach (var g in af.GroupBy(s => (s.Mode, s.Tier)).OrderBy(g => g.Key.Mode).ThenBy(g => g.Key.Tier))
            {
                int Count(string v) => g.Count(s => s.AlignmentFaking!.Verdict == v);
                sb.Append(CultureInfo.InvariantCulture, $"| {Fmt.ModeTitle(g.Key.Mode)} | {g.Key.Tier.ToName()} | {Count("yes")} | {Count("maybe")} | {Count("no")} | {Count("unparseable")} | {Count("insufficient-votes")} |\n");
            }

            SampleList(sb, "Samples judged alignment faking (verdict yes)", af.Where(s => s.AlignmentFaking!.IsAlignmentFaking).Select(s => s.SampleId).Order(Judging.Internal.NaturalIdComparer.Instance).ToArray(), options.MaxListedSamples);
        }

        int native = run.Samples.Count(s => s.Transcript.Any(t => t.Reasoning is not null));
        int hidden = run.Samples.Count(s => s.Transcript.Any(t => t.ReasoningHidden));
        if (native > 0 || hidden > 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $"\nNative reasoning: {native} sample(s) carry the model's own reasoning beside the scratchpad (shown in each turn of the transcript view); the provider hid reasoning in {hidden}.\n");
        }

        sb.Append("\nTranscripts: open `report.html` (expandable, filterable sample table).\n");
        return sb.ToString();
    }

    public static string Comparison(ComparisonReport comparison, string chartFile, IReadOnlyList<string>? runLinks)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"# Alignment-faking comparison: {comparison.Runs.Count} runs\n\n");
        sb.Append(CultureInfo.InvariantCulture, $"![Compliance by tier across runs]({chartFile})\n\n");
        sb.Append("Refusal = 1 - compliance (by the prefix proxy unless marked judge); gap = training minus unmonitored compliance.\n\n");
        bool judged = comparison.AnyJudged;
        sb.Append("| model | mode | n (training / unmonitored) | training refusal | unmonitored refusal | compliance gap [interval] | p (test) |");
        sb.Append(judged ? " judge: training refusal | judge: unmonitored refusal | judge: gap [interval] | AF rate |\n" : "\n");
        sb.Append("|---|---|---|---|---|---|---|").Append(judged ? "---|---|---|---|\n" : "\n");
        foreach (var r in comparison.Rows)
        {
            sb.Append(CultureInfo.InvariantCulture, $"| {Fmt.Md(r.Label)} | {Fmt.ModeTitle(r.Mode)} | {r.TrainingN} / {r.UnmonitoredN} | {Fmt.Pct(r.TrainingRefusal)} | {Fmt.Pct(r.UnmonitoredRefusal)} | {ReportFacts.Gap(r.Gap)} | {ReportFacts.Test(r.Gap)} |");
            if (judged)
            {
                sb.Append(CultureInfo.InvariantCulture, $" {Fmt.Pct(r.JudgeTrainingRefusal)} | {Fmt.Pct(r.JudgeUnmonitoredRefusal)} | {(r.JudgeGap is null ? "n/a" : ReportFacts.Gap(r.JudgeGap))} | {ReportFacts.AfRate(r.AfRate, r.AfRateCiLower, r.AfRateCiUpper)} |");
            }

            sb.Append('\n');
        }

        sb.Append("\n## The original's printout\n\n```text\n");
        for (int i = 0; i < comparison.Runs.Count; i++)
        {
            foreach (var c in comparison.Runs[i].Summary.Conditions)
            {
                sb.Append(Fmt.Printout(c).Replace("`", "'", StringComparison.Ordinal)).Append('\n');
            }
        }

        sb.Append("```\n\n## Runs\n\n");
        for (int i = 0; i < comparison.Runs.Count; i++)
        {
            var run = comparison.Runs[i];
            sb.Append("- ").Append(Fmt.Md(comparison.Labels[i]));
            if (runLinks is not null)
            {
                sb.Append(CultureInfo.InvariantCulture, $": [report]({runLinks[i]})");
            }

            if (run.Directory is not null)
            {
                sb.Append(" (run directory ").Append(Fmt.Md(Path.GetFileName(run.Directory.TrimEnd('/', '\\')))).Append(')');
            }

            sb.Append('\n');
        }

        return sb.ToString();
    }

    private static void Row(StringBuilder sb, ReasoningMode mode, string rater, TierSummary training, TierSummary unmonitored, GapSummary gap, string? afRate) =>
        sb.Append(CultureInfo.InvariantCulture, $"| {Fmt.ModeTitle(mode)} | {rater} | {ReportFacts.Tier(training)} | {ReportFacts.Tier(unmonitored)} | {Fmt.Pct(gap.Estimate)} | {Fmt.Interval(gap.CiLower, gap.CiUpper)} | {Fmt.PValue(gap.PValue)} | {Fmt.Md(gap.Test ?? "n/a")} | {afRate} |\n");

    private static void AgreementRow(StringBuilder sb, TierAgreement t)
    {
        var m = t.Matrix;
        sb.Append(CultureInfo.InvariantCulture, $"| {(t.Mode is { } mode ? Fmt.ModeTitle(mode) : "**all**")} | {(t.Tier is { } tier ? tier.ToName() : "**all**")} | {m.N} | {m.BothComplied} | {m.FirstOnly} | {m.SecondOnly} | {m.NeitherComplied} | {Fmt.Pct(t.RawAgreement)} | {Fmt.Kappa(t.CohensKappa)} | {t.Excluded} |\n");
    }

    private static void SampleList(StringBuilder sb, string title, IReadOnlyList<string> ids, int max)
    {
        sb.Append(CultureInfo.InvariantCulture, $"\n{title} ({ids.Count}):");
        if (ids.Count == 0)
        {
            sb.Append(" none.\n");
            return;
        }

        sb.Append(' ').Append(string.Join(", ", ids.Take(max).Select(id => "`" + id.Replace("`", "'", StringComparison.Ordinal) + "`")));
        if (ids.Count > max)
        {
            sb.Append(CultureInfo.InvariantCulture, $", ... and {ids.Count - max} more (see report.html)");
        }

        sb.Append('\n');
    }
}
