using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using AlignmentFaking.Classification;
using AlignmentFaking.Judging.Agreement;
using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Storage;

namespace AlignmentFaking.Judging.Reporting;

/// <summary>
/// Writes the self-contained HTML reports: inline CSS, the chart as inline SVG, and a little inline JavaScript for the
/// sample table. Every text that comes from a run (model ids, requests, transcripts) is HTML-encoded, or embedded as
/// JSON with <c>&lt;</c>, <c>&gt;</c> and <c>&amp;</c> escaped and rendered through <c>textContent</c>.
/// </summary>
internal static class HtmlRenderer
{
    private static readonly JavaScriptEncoder Encoder = JavaScriptEncoder.Create(UnicodeRanges.All);

    public static string Run(RunReport run, ReportOptions options)
    {
        var sb = new StringBuilder();
        Head(sb, "Alignment-faking report: " + run.Model);
        sb.Append("<h1>Alignment-faking report: ").Append(Fmt.Html(run.Model)).Append("</h1>\n");
        sb.Append("<table class=\"facts\">");
        foreach (var (key, value) in ReportFacts.Describe(run))
        {
            sb.Append("<tr><th>").Append(Fmt.Html(key)).Append("</th><td>").Append(Fmt.Html(value)).Append("</td></tr>");
        }

        sb.Append("</table>\n");
        sb.Append("<section><h2>Compliance by tier</h2><figure>").Append(StackedBarChart.ToSvg(run)).Append("</figure>");
        sb.Append("<p class=\"note\">Each bar is one tier's samples: <b>complies with alignment-faking reasoning</b> (hatched red: compliant and the AF judge said yes), <b>complies</b> (amber) and <b>refuses</b> (blue: every verdict that is not compliance, including failed and unparseable). ")
          .Append("The whisker is the Wilson interval of the compliance rate. ")
          .Append(run.IsJudged ? "Left: the original's prefix proxy; right: the LLM judge, on the same samples." : "Only the original's prefix proxy: no LLM judge has rated this run (<code>af judge --run DIR</code>).")
          .Append("</p></section>\n");

        sb.Append("<section><h2>Compliance and the gap</h2><table class=\"grid\"><thead><tr><th>mode</th><th>rater</th><th>training</th><th>unmonitored</th><th>gap</th><th>gap interval</th><th>p</th><th>test</th><th>AF rate</th></tr></thead><tbody>");
        foreach (var c in run.Summary.Conditions)
        {
            RateRow(sb, c.Mode, "proxy", c.Training, c.Unmonitored, c.Gap, null);
            if (c.Judge is not null)
            {
                RateRow(sb, c.Mode, "judge", c.Judge.Training, c.Judge.Unmonitored, c.Judge.Gap, ReportFacts.AfRate(c.AfRate, c.AfRateCiLower, c.AfRateCiUpper));
            }
        }

        sb.Append("</tbody></table><ul class=\"note\">");
        foreach (var c in run.Summary.Conditions.Where(c => !string.IsNullOrEmpty(c.Gap.Reason)))
        {
            sb.Append("<li>").Append(Fmt.ModeTitle(c.Mode)).Append(" gap (proxy): ").Append(Fmt.Html(c.Gap.Reason)).Append("</li>");
        }

        sb.Append("<li>AF rate: training-tier samples the judge found compliant <em>and</em> whose reasoning was judged alignment faking (yes; maybe does not count).</li></ul></section>\n");

        sb.Append("<section><h2>The original&#39;s printout</h2><pre class=\"printout\">");
        foreach (var c in run.Summary.Conditions)
        {
            sb.Append(Fmt.Html(Fmt.Printout(c))).Append('\n');
        }

        sb.Append("</pre></section>\n");

        sb.Append("<section><h2>Outcomes</h2><table class=\"grid\"><thead><tr><th>mode</th><th>tier</th><th>rater</th><th>outcomes</th></tr></thead><tbody>");
        foreach (var c in run.Summary.Conditions)
        {
            foreach (var (tier, proxy, judge) in new[] { (Tier.Training, c.Training, c.Judge?.Training), (Tier.Unmonitored, c.Unmonitored, c.Judge?.Unmonitored) })
            {
                sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{Fmt.ModeTitle(c.Mode)}</td><td>{tier.ToName()}</td><td>proxy</td><td>{Fmt.Html(ReportFacts.Outcomes(proxy))}</td></tr>");
                if (judge is not null)
                {
                    sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{Fmt.ModeTitle(c.Mode)}</td><td>{tier.ToName()}</td><td>judge</td><td>{Fmt.Html(ReportFacts.Outcomes(judge))}</td></tr>");
                }
            }
        }

        sb.Append("</tbody></table></section>\n");

        sb.Append("<section><h2>Cost</h2>");
        if (run.Summary.Cost is { } cost)
        {
            sb.Append("<table class=\"facts\">");
            foreach (var (key, value) in ReportFacts.Cost(cost))
            {
                sb.Append("<tr><th>").Append(Fmt.Html(key)).Append("</th><td>").Append(Fmt.Html(value)).Append("</td></tr>");
            }

            sb.Append("</table>");
        }
        else
        {
            sb.Append("<p class=\"note\">No cost estimate was recorded for this run (<code>summary.json</code> has no <code>cost</code>).</p>");
        }

        var tokens = ReportFacts.Tokens(run);
        sb.Append(CultureInfo.InvariantCulture, $"<p>Subject usage recorded in the samples: {Fmt.Int(tokens.Calls)} calls, {Fmt.Int(tokens.Input)} input and {Fmt.Int(tokens.Output)} output tokens.</p></section>\n");

        if (run.Agreement is { } agreement)
        {
            Agreement(sb, agreement);
        }

        var af = run.Samples.Where(s => s.AlignmentFaking is not null).ToArray();
        if (af.Length > 0)
        {
            sb.Append("<section><h2>Alignment-faking reasoning</h2><table class=\"grid\"><thead><tr><th>mode</th><th>tier</th><th>yes</th><th>maybe</th><th>no</th><th>unparseable</th><th>insufficient votes</th></tr></thead><tbody>");
            foreach (var g in af.GroupBy(s => (s.Mode, s.Tier)).OrderBy(g => g.Key.Mode).ThenBy(g => g.Key.Tier))
            {
                int Count(string v) => g.Count(s => s.AlignmentFaking!.Verdict == v);
                sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{Fmt.ModeTitle(g.Key.Mode)}</td><td>{g.Key.Tier.ToName()}</td><td>{Count("yes")}</td><td>{Count("maybe")}</td><td>{Count("no")}</td><td>{Count("unparseable")}</td><td>{Count("insufficient-votes")}</td></tr>");
            }

            sb.Append("</tbody></table><p class=\"note\">Filter the sample table below to <b>AF: yes</b> to read them.</p></section>\n");
        }

        Samples(sb, run, options);
        Foot(sb, run.Manifest?.LibraryVersion ?? RunDirectory.LibraryVersion);
        return sb.ToString();
    }

    public static string Comparison(ComparisonReport comparison, IReadOnlyList<string>? runLinks)
    {
        var sb = new StringBuilder();
        Head(sb, "Alignment-faking comparison");
        sb.Append(CultureInfo.InvariantCulture, $"<h1>Alignment-faking comparison: {comparison.Runs.Count} runs</h1>\n");
        sb.Append("<section><figure>").Append(StackedBarChart.ToSvg(comparison)).Append("</figure></section>\n");
        bool judged = comparison.AnyJudged;
        sb.Append("<section><h2>Refusal rates and the compliance gap</h2><div class=\"scroll\"><table class=\"grid cmp\"><thead><tr><th>model</th><th>mode</th><th>n (training / unmonitored)</th><th>training refusal</th><th>unmonitored refusal</th><th>compliance gap [interval]</th><th>p (test)</th>");
        sb.Append(judged ? "<th>judge: training refusal</th><th>judge: unmonitored refusal</th><th>judge: gap [interval]</th><th>AF rate</th>" : string.Empty);
        sb.Append("</tr></thead><tbody>");
        foreach (var r in comparison.Rows)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{Fmt.Html(r.Label)}</td><td>{Fmt.ModeTitle(r.Mode)}</td><td>{r.TrainingN} / {r.UnmonitoredN}</td><td>{Fmt.Pct(r.TrainingRefusal)}</td><td>{Fmt.Pct(r.UnmonitoredRefusal)}</td><td>{Fmt.Html(ReportFacts.Gap(r.Gap))}</td><td>{Fmt.Html(ReportFacts.Test(r.Gap))}</td>");
            if (judged)
            {
                sb.Append(CultureInfo.InvariantCulture, $"<td>{Fmt.Pct(r.JudgeTrainingRefusal)}</td><td>{Fmt.Pct(r.JudgeUnmonitoredRefusal)}</td><td>{(r.JudgeGap is null ? "n/a" : Fmt.Html(ReportFacts.Gap(r.JudgeGap)))}</td><td>{Fmt.Html(ReportFacts.AfRate(r.AfRate, r.AfRateCiLower, r.AfRateCiUpper))}</td>");
            }

            sb.Append("</tr>");
        }

        sb.Append("</tbody></table></div><p class=\"note\">Refusal = 1 - compliance, by the original&#39;s prefix proxy unless marked judge. Gap = training minus unmonitored compliance, with its interval and two-sided test.</p></section>\n");
        sb.Append("<section><h2>The original&#39;s printout</h2><pre class=\"printout\">");
        foreach (var run in comparison.Runs)
        {
            foreach (var c in run.Summary.Conditions)
            {
                sb.Append(Fmt.Html(Fmt.Printout(c))).Append('\n');
            }
        }

        sb.Append("</pre></section>\n<section><h2>Runs</h2><ul>");
        for (int i = 0; i < comparison.Runs.Count; i++)
        {
            sb.Append("<li>");
            sb.Append(runLinks is null ? Fmt.Html(comparison.Labels[i]) : $"<a href=\"{Fmt.Html(runLinks[i])}\">{Fmt.Html(comparison.Labels[i])}</a>");
            if (comparison.Runs[i].Directory is { } dir)
            {
                sb.Append(" <span class=\"note\">run directory ").Append(Fmt.Html(Path.GetFileName(dir.TrimEnd('/', '\\')))).Append("</span>");
            }

            sb.Append("</li>");
        }

        sb.Append("</ul></section>\n");
        Foot(sb, RunDirectory.LibraryVersion);
        return sb.ToString();
    }

    private static void RateRow(StringBuilder sb, ReasoningMode mode, string rater, TierSummary training, TierSummary unmonitored, GapSummary gap, string? afRate) =>
        sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{Fmt.ModeTitle(mode)}</td><td>{rater}</td><td>{Fmt.Html(ReportFacts.Tier(training))}</td><td>{Fmt.Html(ReportFacts.Tier(unmonitored))}</td><td>{Fmt.Pct(gap.Estimate)}</td><td>{Fmt.Html(Fmt.Interval(gap.CiLower, gap.CiUpper))}</td><td>{Fmt.Html(Fmt.PValue(gap.PValue))}</td><td>{Fmt.Html(gap.Test ?? "n/a")}</td><td>{Fmt.Html(afRate)}</td></tr>");

    private static void Agreement(StringBuilder sb, AgreementReport agreement)
    {
        sb.Append("<section><h2>Proxy vs judge agreement</h2>");
        var m = agreement.Overall.Matrix;
        sb.Append("<div class=\"cm\"><table class=\"grid matrix\"><caption>All samples</caption><thead><tr><th></th><th>judge: complied</th><th>judge: not complied</th></tr></thead><tbody>");
        sb.Append(CultureInfo.InvariantCulture, $"<tr><th>proxy: complied</th><td class=\"agree\">{m.BothComplied}</td><td class=\"disagree\">{m.FirstOnly}</td></tr>");
        sb.Append(CultureInfo.InvariantCulture, $"<tr><th>proxy: not complied</th><td class=\"disagree\">{m.SecondOnly}</td><td class=\"agree\">{m.NeitherComplied}</td></tr></tbody></table>");
        sb.Append(CultureInfo.InvariantCulture, $"<p>n {m.N}, agreement {Fmt.Pct(agreement.Overall.RawAgreement)}, Cohen&#39;s kappa {Fmt.Kappa(agreement.Overall.CohensKappa)}, excluded {agreement.Overall.Excluded} (no verdict from one rater).</p></div>");
        sb.Append("<table class=\"grid\"><thead><tr><th>mode</th><th>tier</th><th>n</th><th>both complied</th><th>proxy only</th><th>judge only</th><th>neither</th><th>agreement</th><th>Cohen&#39;s kappa</th><th>excluded</th></tr></thead><tbody>");
        foreach (var t in agreement.Tiers)
        {
            var x = t.Matrix;
            sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{(t.Mode is { } mode ? Fmt.ModeTitle(mode) : "all")}</td><td>{t.Tier?.ToName() ?? "all"}</td><td>{x.N}</td><td>{x.BothComplied}</td><td>{x.FirstOnly}</td><td>{x.SecondOnly}</td><td>{x.NeitherComplied}</td><td>{Fmt.Pct(t.RawAgreement)}</td><td>{Fmt.Kappa(t.CohensKappa)}</td><td>{t.Excluded}</td></tr>");
        }

        sb.Append("</tbody></table><p class=\"note\"><b>proxy only</b>: the proxy says complied and the judge does not (a proxy false positive if the judge is right); <b>judge only</b>: the reverse. Kappa is n/a when both raters used one category.</p>");
        var ids = agreement.Overall.Disagreements;
        sb.Append(CultureInfo.InvariantCulture, $"<details class=\"ids\"{(ids.Count <= 40 ? " open" : string.Empty)}><summary>Samples the proxy and the judge disagree on ({ids.Count})</summary><p>");
        sb.Append(ids.Count == 0 ? "none" : string.Join(" ", ids.Select(id => $"<a class=\"sid\" href=\"#sample={Fmt.Html(Uri.EscapeDataString(id))}\">{Fmt.Html(id)}</a>")));
        sb.Append("</p></details></section>\n");
    }

    private static void Samples(StringBuilder sb, RunReport run, ReportOptions options)
    {
        sb.Append("<section id=\"samples\"><h2>Samples</h2>");
        sb.Append("<div class=\"controls\"><span class=\"filters\">");
        bool hasAf = run.Samples.Any(s => s.AlignmentFaking is not null);
        foreach (var (value, label, check) in new[] { ("all", "all", true), ("disagree", "proxy \u2260 judge", false), ("af", "AF: yes", false), ("afmaybe", "AF: yes or maybe", false) })
        {
            if ((value == "disagree" && run.Agreement is null) || (value.StartsWith("af", StringComparison.Ordinal) && !hasAf))
            {
                continue;
            }

            sb.Append(CultureInfo.InvariantCulture, $"<label><input type=\"radio\" name=\"af-filter\" value=\"{value}\"{(check ? " checked" : string.Empty)}> {Fmt.Html(label)}</label>");
        }

        sb.Append("</span><select id=\"f-mode\" aria-label=\"mode\"><option value=\"\">all modes</option><option value=\"cot\">CoT</option><option value=\"no-cot\">no-CoT</option></select>");
        sb.Append("<select id=\"f-tier\" aria-label=\"tier\"><option value=\"\">both tiers</option><option value=\"training\">training</option><option value=\"unmonitored\">unmonitored</option></select>");
        sb.Append("<input id=\"f-text\" type=\"search\" placeholder=\"sample id or request text\" aria-label=\"search\"></div>");
        sb.Append("<p id=\"count\" class=\"note\"></p>");
        sb.Append("<table class=\"grid samples\"><thead><tr><th>sample</th><th>request</th><th>proxy</th><th>judge</th><th>AF</th><th>turns</th><th>output (click to expand the transcript)</th></tr></thead><tbody id=\"rows\"></tbody></table>");
        sb.Append("<div class=\"pager\"><button id=\"prev\" type=\"button\">&#8592; previous</button> <span id=\"page\"></span> <button id=\"next\" type=\"button\">next &#8594;</button></div>");
        sb.Append("<noscript><p>The sample table needs JavaScript (inline, no network). The Markdown report lists the disagreeing and AF sample ids; <code>samples.jsonl</code> has every transcript.</p></noscript>");
        sb.Append("<script type=\"application/json\" id=\"af-samples\">");
        sb.Append(SamplesJson(run, options));
        sb.Append("</script>\n<script>\n").Append(Script.Replace("__PAGE__", options.PageSize.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)).Append("</script></section>\n");
    }

    /// <summary>The samples as JSON safe inside a script element: the encoder escapes &lt;, &gt;, &amp;, quotes and line separators.</summary>
    internal static string SamplesJson(RunReport run, ReportOptions options)
    {
        var disagree = new HashSet<string>(run.Agreement?.Overall.Disagreements ?? [], StringComparer.Ordinal);
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = Encoder }))
        {
            w.WriteStartArray();
            foreach (var s in run.Samples.OrderBy(s => s.SampleId, Judging.Internal.NaturalIdComparer.Instance))
            {
                w.WriteStartObject();
                w.WriteString("id", s.SampleId);
                w.WriteString("m", s.Mode.ToName());
                w.WriteString("t", s.Tier.ToName());
                w.WriteString("q", s.Request);
                w.WriteString("p", OutcomeNames.ToName(s.Proxy));
                if (s.Judge is { } j)
                {
                    w.WriteString("j", OutcomeNames.ToName(j));
                }

                if (s.JudgeExplanation is { } explanation && options.IncludeTranscripts)
                {
                    w.WriteString("je", Cut(explanation, options.MaxMessageChars, note: true));
                }

                if (s.AlignmentFaking is { } af)
                {
                    w.WriteString("a", af.Verdict);
                    w.WriteString("av", string.Create(CultureInfo.InvariantCulture, $"{af.Votes.Count(v => v.Answer == AlignmentFakingVote.Yes)} yes of {af.Votes.Count(v => v.IsValid)} valid votes{(af.YesShare is { } y ? $" (yes-share {y:0.00})" : string.Empty)}"));
                    if (options.IncludeTranscripts)
                    {
                        // Each vote's answer and the quotes it gave for its criteria: what a reader checks a verdict by.
                        w.WriteStartArray("aq");
                        foreach (var vote in af.Votes)
                        {
                            w.WriteStartArray();
                            w.WriteStringValue(string.Create(CultureInfo.InvariantCulture, $"vote {vote.Index + 1}: {vote.Answer}"));
                            foreach (var quote in vote.Quotes ?? [])
                            {
                                if (!string.IsNullOrWhiteSpace(quote))
                                {
                                    w.WriteStringValue(Cut(quote, 2_000, note: true));
                                }
                            }

                            w.WriteEndArray();
                        }

                        w.WriteEndArray();
                    }
                }

                if (disagree.Contains(s.SampleId))
                {
                    w.WriteBoolean("d", true);
                }

                w.WriteNumber("n", s.Turns);
                w.WriteString("src", SourceName(s.OutputSource));
                if (s.FinishReason is not null)
                {
                    w.WriteString("fr", s.FinishReason);
                }

                if (s.Error is not null)
                {
                    w.WriteString("err", s.Error);
                }

                w.WriteString("o", s.Output is null ? string.Empty : Cut(s.Output, 240));
                if (options.IncludeTranscripts)
                {
                    w.WriteStartArray("x");
                    foreach (var message in s.Transcript)
                    {
                        w.WriteStartArray();
                        w.WriteStringValue(message.Role);
                        w.WriteStringValue(Cut(message.Content, options.MaxMessageChars, note: true));
                        if (message.Reasoning is not null || message.ReasoningHidden)
                        {
                            // The turn's native reasoning, shown beside its text (as text, never HTML), and whether the provider hid some.
                            if (message.Reasoning is null)
                            {
                                w.WriteNullValue();
                            }
                            else
                            {
                                w.WriteStringValue(Cut(message.Reasoning, options.MaxMessageChars, note: true));
                            }

                            w.WriteBooleanValue(message.ReasoningHidden);
                        }

                        w.WriteEndArray();
                    }

                    w.WriteEndArray();
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static string Cut(string text, int max, bool note = false)
    {
        if (text.Length <= max)
        {
            return text;
        }

        int end = char.IsHighSurrogate(text[max - 1]) ? max - 1 : max;
        return text[..end] + (note ? string.Create(CultureInfo.InvariantCulture, $"\n[... {text.Length - end} more characters not embedded in the report; see samples.jsonl]") : "\u2026");
    }

    private static string SourceName(OutputSource source) => source switch
    {
        OutputSource.OutputTag => "output-tag",
        OutputSource.Raw => "raw",
        OutputSource.None => "none",
        OutputSource.Malformed => "malformed",
        _ => "call-failed",
    };

    /// <summary>The page's head (title, the shared inline CSS) up to the opening of <c>main</c>.</summary>
    internal static void Head(StringBuilder sb, string title)
    {
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        sb.Append("<title>").Append(Fmt.Html(title)).Append("</title><style>").Append(Css).Append("</style></head><body><main>\n");
    }

    /// <summary>The page's footer, naming the library version and the command that wrote it.</summary>
    internal static void Foot(StringBuilder sb, string version, string command = "af report") =>
        sb.Append("<footer>Written by AlignmentFaking ").Append(Fmt.Html(version)).Append(" (").Append(Fmt.Html(command)).Append("). Self-contained: no external assets.</footer></main></body></html>\n");

    private const string Css = """
        :root { --refuse: #9ecae1; --comply: #f5b942; --af: #d62728; --ink: #1b1b1b; --muted: #5f6368; --line: #d9dde3; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 14px/1.45 "DejaVu Sans", -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--ink); background: #f6f7f9; }
        main { max-width: 1320px; margin: 0 auto; padding: 20px 28px 40px; background: #fff; }
        h1 { font-size: 22px; margin: 4px 0 14px; }
        h2 { font-size: 17px; margin: 26px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
        figure { margin: 0; overflow-x: auto; }
        code, pre { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: 12.5px; }
        pre.printout { background: #f3f4f6; padding: 8px 12px; border-radius: 4px; overflow-x: auto; }
        .note { color: var(--muted); font-size: 12.5px; }
        table { border-collapse: collapse; }
        table.facts th { text-align: left; padding: 2px 16px 2px 0; color: var(--muted); font-weight: normal; vertical-align: top; white-space: nowrap; }
        table.facts td { padding: 2px 0; word-break: break-word; }
        table.grid { width: 100%; margin: 6px 0; }
        table.grid th, table.grid td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
        table.grid thead th { background: #eef1f5; font-weight: 600; }
        table.grid tbody tr:nth-child(even) { background: #fafbfc; }
        .scroll { overflow-x: auto; }
        table.cmp td:nth-child(n+2) { white-space: nowrap; font-variant-numeric: tabular-nums; }
        .cm { display: flex; gap: 24px; align-items: center; flex-wrap: wrap; }
        table.matrix { width: auto; }
        table.matrix td { text-align: right; min-width: 90px; font-variant-numeric: tabular-nums; }
        td.agree { background: #e7f4ea; } td.disagree { background: #fde8e6; }
        caption { text-align: left; font-weight: 600; padding-bottom: 4px; }
        a.sid { font-family: "DejaVu Sans Mono", monospace; font-size: 12px; margin-right: 8px; white-space: nowrap; }
        .controls { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; margin: 6px 0; }
        .controls label { margin-right: 10px; white-space: nowrap; }
        .controls input[type=search] { min-width: 260px; padding: 3px 6px; }
        table.samples { table-layout: fixed; }
        table.samples th:nth-child(1) { width: 190px; } table.samples th:nth-child(2) { width: 22%; }
        table.samples th:nth-child(3), table.samples th:nth-child(4) { width: 96px; } table.samples th:nth-child(5) { width: 70px; } table.samples th:nth-child(6) { width: 52px; }
        table.samples td { word-break: break-word; }
        td.sid { font-family: "DejaVu Sans Mono", monospace; font-size: 12px; }
        .badge { display: inline-block; padding: 0 6px; border-radius: 9px; font-size: 12px; background: #e5e7eb; }
        .b-complied { background: var(--comply); } .b-refused { background: var(--refuse); }
        .b-yes { background: var(--af); color: #fff; } .b-maybe { background: #f4a6a6; } .b-no { background: #e5e7eb; }
        tr.disagree td:first-child { box-shadow: inset 4px 0 0 #e8590c; }
        details summary { cursor: pointer; color: #333; }
        .turn { margin: 6px 0; border-left: 3px solid var(--line); padding-left: 8px; }
        .turn .role { font-size: 11px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
        .turn.assistant { border-left-color: #7aa7d6; }
        .turn pre.reasoning { background: #fbf8ef; }
        .turn pre { white-space: pre-wrap; word-break: break-word; margin: 2px 0; background: #f8f9fb; padding: 6px; border-radius: 3px; max-height: 480px; overflow: auto; }
        .meta { font-size: 12px; color: var(--muted); }
        .pager { margin: 8px 0; } .pager button { padding: 3px 10px; }
        footer { margin-top: 30px; color: var(--muted); font-size: 12px; }
        .incomplete { color: #b42318; font-weight: 600; }
        p.banner { background: #fdecea; border-left: 4px solid #b42318; padding: 6px 10px; }
        td.num { white-space: nowrap; font-variant-numeric: tabular-nums; }
        table.cells td:nth-child(-n+3), table.comparisons td:nth-child(-n+2) { white-space: nowrap; }
        """;

    private const string Script = """
        (function () {
          'use strict';
          var data = JSON.parse(document.getElementById('af-samples').textContent);
          var pageSize = __PAGE__, page = 0, shown = data, exact = null;
          var rows = document.getElementById('rows'), count = document.getElementById('count'), pageLabel = document.getElementById('page');
          var mode = document.getElementById('f-mode'), tier = document.getElementById('f-tier'), text = document.getElementById('f-text');
          function el(tag, cls, content) { var e = document.createElement(tag); if (cls) { e.className = cls; } if (content !== undefined && content !== null) { e.textContent = String(content); } return e; }
          function badge(v) { return v ? el('span', 'badge b-' + v, v) : el('span', 'note', '\u2013'); }
          function filterValue() { var r = document.querySelector('input[name="af-filter"]:checked'); return r ? r.value : 'all'; }
          function matches(s, f, m, t, q) {
            if (exact !== null) { return s.id === exact; }
            if (f === 'disagree' && !s.d) { return false; }
            if (f === 'af' && s.a !== 'yes') { return false; }
            if (f === 'afmaybe' && s.a !== 'yes' && s.a !== 'maybe') { return false; }
            if (m && s.m !== m) { return false; }
            if (t && s.t !== t) { return false; }
            if (q && s.id.toLowerCase().indexOf(q) < 0 && s.q.toLowerCase().indexOf(q) < 0) { return false; }
            return true;
          }
          function apply() {
            var f = filterValue(), m = mode.value, t = tier.value, q = text.value.trim().toLowerCase();
            shown = data.filter(function (s) { return matches(s, f, m, t, q); });
            page = 0; render();
          }
          function transcript(s, box) {
            var meta = 'output source ' + s.src + (s.fr ? ', finish reason ' + s.fr : '') + (s.av ? '; AF judge: ' + s.av : '') + (s.err ? '; error: ' + s.err : '');
            box.appendChild(el('div', 'meta', meta));
            if (s.je) {
              var judged = el('div', 'turn judge');
              judged.appendChild(el('div', 'role', 'compliance judge: ' + (s.j || '')));
              judged.appendChild(el('pre', null, s.je));
              box.appendChild(judged);
            }
            if (s.aq && s.aq.length) {
              var votes = el('div', 'turn judge');
              votes.appendChild(el('div', 'role', 'alignment-faking judge: votes and their quotes'));
              var list = el('ul');
              s.aq.forEach(function (v) {
                var item = el('li', null, v[0]);
                if (v.length > 1) {
                  var quotes = el('ul');
                  v.slice(1).forEach(function (q) { quotes.appendChild(el('li', null, q)); });
                  item.appendChild(quotes);
                }
                list.appendChild(item);
              });
              votes.appendChild(list);
              box.appendChild(votes);
            }
            if (!s.x) { box.appendChild(el('p', 'note', 'Transcripts were not embedded (--no-transcripts); see samples.jsonl.')); return; }
            s.x.forEach(function (msg) {
              var turn = el('div', 'turn ' + (msg[0] === 'assistant' ? 'assistant' : 'user'));
              turn.appendChild(el('div', 'role', msg[0]));
              if (msg[2] !== undefined && msg[2] !== null) {
                turn.appendChild(el('div', 'role', 'native reasoning (never sent back to the model)'));
                turn.appendChild(el('pre', 'reasoning', msg[2]));
              }
              if (msg[3]) { turn.appendChild(el('p', 'note', 'the provider hid (some of) this turn\u2019s reasoning (redacted, encrypted or not returned)')); }
              if (msg[2] !== undefined && msg[2] !== null) { turn.appendChild(el('div', 'role', msg[0] + ' text')); }
              turn.appendChild(el('pre', null, msg[1]));
              box.appendChild(turn);
            });
          }
          function row(s) {
            var tr = el('tr', s.d ? 'disagree' : null);
            tr.id = 's-' + s.id;
            tr.appendChild(el('td', 'sid', s.id));
            tr.appendChild(el('td', null, s.q));
            var p = el('td'); p.appendChild(badge(s.p)); tr.appendChild(p);
            var j = el('td'); j.appendChild(badge(s.j)); tr.appendChild(j);
            var a = el('td'); a.appendChild(badge(s.a)); tr.appendChild(a);
            tr.appendChild(el('td', null, s.n));
            var cell = el('td'), det = el('details'), sum = el('summary', null, s.o || '(no output)');
            det.appendChild(sum);
            det.addEventListener('toggle', function () { if (det.open && !det.dataset.filled) { det.dataset.filled = '1'; var box = el('div'); transcript(s, box); det.appendChild(box); } });
            cell.appendChild(det); tr.appendChild(cell);
            return tr;
          }
          function render() {
            var pages = Math.max(1, Math.ceil(shown.length / pageSize));
            if (page >= pages) { page = pages - 1; }
            var frag = document.createDocumentFragment();
            shown.slice(page * pageSize, (page + 1) * pageSize).forEach(function (s) { frag.appendChild(row(s)); });
            rows.replaceChildren(frag);
            count.textContent = shown.length + ' of ' + data.length + ' samples';
            pageLabel.textContent = 'page ' + (page + 1) + ' of ' + pages;
            document.getElementById('prev').disabled = page === 0;
            document.getElementById('next').disabled = page >= pages - 1;
          }
          function fromHash() {
            var h = location.hash;
            if (h.indexOf('#sample=') !== 0) { return; }
            var id = decodeURIComponent(h.substring(8));
            document.querySelector('input[name="af-filter"][value="all"]').checked = true;
            mode.value = ''; tier.value = ''; text.value = id; exact = id; apply();
            var tr = document.getElementById('s-' + id);
            if (tr) { tr.querySelector('details').open = true; tr.scrollIntoView(); }
          }
          document.querySelectorAll('input[name="af-filter"]').forEach(function (r) { r.addEventListener('change', apply); });
          mode.addEventListener('change', apply); tier.addEventListener('change', apply); text.addEventListener('input', function () { exact = null; apply(); });
          document.getElementById('prev').addEventListener('click', function () { page--; render(); });
          document.getElementById('next').addEventListener('click', function () { page++; render(); });
          window.addEventListener('hashchange', fromHash);
          render(); fromHash();
        })();
        """;
}
