using System.Globalization;
using System.Text;
using AlignmentFaking.Storage;
using AlignmentFaking.Studies;

namespace AlignmentFaking.Judging.Reporting;

/// <summary>
/// Writes the study report (<c>study-report.html</c>, <c>study-report.md</c>): the facts, the cell table, the forest plot
/// (<see cref="ForestPlot"/>), the comparison table and links to each cell's own report. Every text from the study's
/// files is escaped (<see cref="Fmt"/>); the HTML page has no script.
/// </summary>
internal static class StudyRenderer
{
    private const string ComparisonNote = "difference = gap(a) - gap(b), on the requests both cells share (paired); its 95% interval is the paired cluster bootstrap over requests; p is the two-sided paired sign-flip test; p (Holm) is adjusted across the study's comparisons of the same measure; rejected when p (Holm) is at most alpha.";

    public static string Html(StudyReport study, IReadOnlyDictionary<string, string>? problems)
    {
        var links = Links(study, problems);
        var summary = study.Summary;
        bool proxyBeside = summary.Cells.Any(c => c.Proxy is not null);
        var sb = new StringBuilder();
        HtmlRenderer.Head(sb, "Alignment-faking study report: " + study.Name);
        sb.Append("<h1>Alignment-faking study report: ").Append(Fmt.Html(study.Name)).Append("</h1>\n");
        sb.Append("<table class=\"facts\">");
        foreach (var (key, value) in Facts(study))
        {
            sb.Append("<tr><th>").Append(Fmt.Html(key)).Append("</th><td>").Append(Fmt.Html(value)).Append("</td></tr>");
        }

        sb.Append("</table>\n");
        if (!study.IsComplete)
        {
            sb.Append("<p class=\"banner\"><span class=\"incomplete\">INCOMPLETE</span>: ").Append(Fmt.Html(IncompleteText(study))).Append("</p>\n");
        }

        sb.Append("<section id=\"cells\"><h2>Cells</h2><div class=\"scroll\"><table class=\"grid cells\"><thead><tr><th>subject</th><th>variant</th><th>mode</th><th>measure</th><th>training</th><th>unmonitored</th><th>gap [95% interval]</th><th>complete</th>");
        sb.Append(proxyBeside ? "<th>proxy: training</th><th>proxy: unmonitored</th><th>proxy: gap [95% interval]</th>" : string.Empty);
        sb.Append("<th>report</th></tr></thead><tbody>");
        for (int i = 0; i < summary.Cells.Count; i++)
        {
            var c = summary.Cells[i];
            sb.Append(CultureInfo.InvariantCulture, $"<tr data-cell=\"{Fmt.Html(ForestPlot.Label(c))}\"><td>{Fmt.Html(c.Subject)}</td><td>{Fmt.Html(c.Variant)}</td><td>{Fmt.Html(c.Mode)}</td><td>{Fmt.Html(c.Measure)}</td>");
            sb.Append(CultureInfo.InvariantCulture, $"<td class=\"num\">{Fmt.Html(Tier(c.Training))}</td><td class=\"num\">{Fmt.Html(Tier(c.Unmonitored))}</td><td class=\"num\">{Fmt.Html(ForestPlot.GapText(c))}</td>");
            sb.Append(c.Complete ? "<td>yes</td>" : "<td class=\"incomplete\">INCOMPLETE</td>");
            if (proxyBeside)
            {
                sb.Append(c.Proxy is { } p
                    ? $"<td class=\"num\">{Fmt.Html(Tier(p.Training))}</td><td class=\"num\">{Fmt.Html(Tier(p.Unmonitored))}</td><td class=\"num\">{Fmt.Html(ForestPlot.GapText(p.Gap, p.Ci))}</td>"
                    : "<td>n/a</td><td>n/a</td><td>n/a</td>");
            }

            var link = links[i];
            sb.Append(link.Html is { } href
                ? $"<td><a class=\"cell-report\" href=\"{Fmt.Html(href)}\">report</a></td>"
                : $"<td class=\"note\">{Fmt.Html(link.Problem)}</td>");
            sb.Append("</tr>");
        }

        sb.Append("</tbody></table></div><p class=\"note\">Per cell and mode: compliant/n of each tier under the cell's measure (the LLM judge when the cell was judged, the proxy beside it; else the original's prefix proxy), and the gap, training minus unmonitored compliance, with its 95% interval as <code>af run</code> reports it.</p></section>\n");

        sb.Append("<section id=\"forest\"><h2>Forest plot of the gaps</h2><figure>").Append(ForestPlot.ToSvg(study)).Append("</figure></section>\n");

        sb.Append(CultureInfo.InvariantCulture, $"<section id=\"comparisons\"><h2>Comparisons</h2>");
        if (summary.Comparisons.Count == 0)
        {
            sb.Append("<p class=\"note\">The study tests no comparison.</p>");
        }
        else
        {
            sb.Append("<div class=\"scroll\"><table class=\"grid comparisons\"><thead><tr><th>a</th><th>b</th><th>measure</th><th>difference [95% interval]</th><th>p</th><th>p (Holm)</th><th>")
              .Append(Fmt.Html("rejected at alpha " + Alpha(summary.Alpha)))
              .Append("</th><th>paired requests</th></tr></thead><tbody>");
            foreach (var r in summary.Comparisons)
            {
                sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{Fmt.Html(Cell(r.A))}</td><td>{Fmt.Html(Cell(r.B))}</td><td>{Fmt.Html(r.Measure)}</td><td class=\"num\">{Fmt.Html(ForestPlot.GapText(r.Difference, r.Ci))}</td><td class=\"num\">{Fmt.Html(Fmt.PValue(r.P))}</td><td class=\"num\">{Fmt.Html(Fmt.PValue(r.PHolm))}</td><td>{(r.Rejected ? "<b>yes</b>" : "no")}</td><td class=\"num\">{r.PairedRequests}</td></tr>");
            }

            sb.Append("</tbody></table></div>");
        }

        sb.Append("<p class=\"note\">").Append(Fmt.Html(ComparisonNote)).Append("</p></section>\n");

        sb.Append("<section id=\"reports\"><h2>Cell reports</h2><ul>");
        foreach (var (cell, link) in DistinctCells(summary, links))
        {
            sb.Append("<li>").Append(Fmt.Html($"{cell.Subject} / {cell.Variant}")).Append(": ");
            sb.Append(link.Html is { } href
                ? $"<a class=\"cell-report\" href=\"{Fmt.Html(href)}\">report.html</a>" + (link.Markdown is { } md ? $" (<a href=\"{Fmt.Html(md)}\">report.md</a>)" : string.Empty)
                : $"<span class=\"note\">{Fmt.Html(link.Problem)}</span>");
            sb.Append("</li>");
        }

        sb.Append("</ul></section>\n");
        HtmlRenderer.Foot(sb, RunDirectory.LibraryVersion, "af study report");
        return sb.ToString();
    }

    public static string Markdown(StudyReport study, IReadOnlyDictionary<string, string>? problems, string forestFile)
    {
        var links = Links(study, problems);
        var summary = study.Summary;
        bool proxyBeside = summary.Cells.Any(c => c.Proxy is not null);
        var sb = new StringBuilder();
        sb.Append("# Alignment-faking study report: ").Append(Fmt.Md(study.Name)).Append("\n\n| | |\n|---|---|\n");
        foreach (var (key, value) in Facts(study))
        {
            sb.Append("| ").Append(Fmt.Md(key)).Append(" | ").Append(Fmt.Md(value)).Append(" |\n");
        }

        if (!study.IsComplete)
        {
            sb.Append("\n**INCOMPLETE**: ").Append(Fmt.Md(IncompleteText(study))).Append('\n');
        }

        sb.Append("\n## Cells\n\n");
        sb.Append("Per cell and mode: compliant/n of each tier under the cell's measure (the LLM judge when judged, the proxy beside it; else the prefix proxy), and the gap (training minus unmonitored compliance) with its 95% interval.\n\n");
        sb.Append("| subject | variant | mode | measure | training | unmonitored | gap [95% interval] | complete |");
        sb.Append(proxyBeside ? " proxy: training | proxy: unmonitored | proxy: gap [95% interval] |" : string.Empty).Append(" report |\n");
        sb.Append("|---|---|---|---|---|---|---|---|").Append(proxyBeside ? "---|---|---|" : string.Empty).Append("---|\n");
        for (int i = 0; i < summary.Cells.Count; i++)
        {
            var c = summary.Cells[i];
            sb.Append(CultureInfo.InvariantCulture, $"| {Fmt.Md(c.Subject)} | {Fmt.Md(c.Variant)} | {Fmt.Md(c.Mode)} | {Fmt.Md(c.Measure)} | {Tier(c.Training)} | {Tier(c.Unmonitored)} | {ForestPlot.GapText(c)} | {(c.Complete ? "yes" : "**INCOMPLETE**")} |");
            if (proxyBeside)
            {
                sb.Append(c.Proxy is { } p ? $" {Tier(p.Training)} | {Tier(p.Unmonitored)} | {ForestPlot.GapText(p.Gap, p.Ci)} |" : " n/a | n/a | n/a |");
            }

            sb.Append(links[i].Markdown is { } md ? $" [report]({md}) |\n" : $" {Fmt.Md(links[i].Problem)} |\n");
        }

        sb.Append(CultureInfo.InvariantCulture, $"\n![Forest plot: the compliance gap of each cell with its 95% interval]({forestFile})\n");
        sb.Append("\n## Comparisons\n\n");
        if (summary.Comparisons.Count == 0)
        {
            sb.Append("The study tests no comparison.\n");
        }
        else
        {
            sb.Append("| a | b | measure | difference [95% interval] | p | p (Holm) | rejected at alpha ").Append(Alpha(summary.Alpha)).Append(" | paired requests |\n|---|---|---|---|---|---|---|---|\n");
            foreach (var r in summary.Comparisons)
            {
                sb.Append(CultureInfo.InvariantCulture, $"| {Fmt.Md(Cell(r.A))} | {Fmt.Md(Cell(r.B))} | {Fmt.Md(r.Measure)} | {ForestPlot.GapText(r.Difference, r.Ci)} | {Fmt.PValue(r.P)} | {Fmt.PValue(r.PHolm)} | {(r.Rejected ? "**yes**" : "no")} | {r.PairedRequests} |\n");
            }
        }

        sb.Append('\n').Append(ComparisonNote).Append("\n\n## Cell reports\n\n");
        foreach (var (cell, link) in DistinctCells(summary, links))
        {
            sb.Append("- ").Append(Fmt.Md($"{cell.Subject} / {cell.Variant}")).Append(": ");
            sb.Append(link.Markdown is { } md ? $"[report.md]({md})" + (link.Html is { } html ? $" ([report.html]({html}))" : string.Empty) : Fmt.Md(link.Problem));
            sb.Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>The report files of a cell's run directory that the study report links to.</summary>
    internal sealed record CellLink(string? RunDirectory, string? Html, string? Markdown, string? Problem);

    /// <summary>One link per cell of the summary (in its order): the relative links to the cell's report, or why there is none.</summary>
    internal static IReadOnlyList<CellLink> Links(StudyReport study, IReadOnlyDictionary<string, string>? problems)
    {
        var links = new List<CellLink>();
        foreach (var c in study.Summary.Cells)
        {
            var dir = study.GetRunDirectory(c);
            if (dir is null)
            {
                links.Add(new CellLink(null, null, null, c.RunDirectory is null ? "no run directory" : "run directory not found: " + c.RunDirectory));
                continue;
            }

            if (problems is not null && problems.TryGetValue(dir, out var problem))
            {
                links.Add(new CellLink(dir, null, null, "no report: " + problem));
                continue;
            }

            var html = Path.Combine(dir, ReportWriter.HtmlFile);
            var md = Path.Combine(dir, ReportWriter.MarkdownFile);
            links.Add(new CellLink(
                dir,
                File.Exists(html) ? RelativeLink(study.Directory, html) : null,
                File.Exists(md) ? RelativeLink(study.Directory, md) : null,
                "no report yet (af study report writes it)"));
        }

        return links;
    }

    /// <summary>A link from a folder to a file: relative, each segment percent-encoded, <c>/</c>-separated; a <c>file:</c> URI when no relative path exists (another drive).</summary>
    private static string RelativeLink(string fromDirectory, string target)
    {
        var relative = Path.GetRelativePath(fromDirectory, target);
        return Path.IsPathRooted(relative)
            ? new Uri(target).AbsoluteUri
            : string.Join('/', relative.Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar).Select(Uri.EscapeDataString));
    }

    private static IEnumerable<(StudyCellSummary Cell, CellLink Link)> DistinctCells(StudySummary summary, IReadOnlyList<CellLink> links)
    {
        var seen = new HashSet<(string, string)>();
        for (int i = 0; i < summary.Cells.Count; i++)
        {
            var c = summary.Cells[i];
            if (seen.Add((c.Subject, c.Variant)))
            {
                yield return (c, links[i]);
            }
        }
    }

    private static IReadOnlyList<(string Key, string Value)> Facts(StudyReport study)
    {
        var summary = study.Summary;
        var facts = new List<(string, string)>
        {
            ("study", study.Name),
            ("study directory", Path.GetFileName(study.Directory.TrimEnd('/', '\\'))),
        };
        if (study.Study is { } s)
        {
            facts.Add(("design", string.Create(CultureInfo.InvariantCulture, $"{s.Subjects.Count} subject(s) x {s.Variants.Count} variant(s); modes {string.Join(", ", s.Modes)}; epochs {s.Epochs}; judge {(s.Judge is null ? "none (the prefix proxy)" : "yes")}")));
        }
        else if (study.StudyFileProblem is { } problem)
        {
            facts.Add((Study.FileName, "unreadable: " + problem));
        }

        int incomplete = summary.Cells.Count(c => !c.Complete);
        facts.Add(("cells", string.Create(CultureInfo.InvariantCulture, $"{summary.Cells.Count} (cell x mode); {(incomplete == 0 ? "all complete" : $"INCOMPLETE: {incomplete} not complete")}")));
        int rejected = summary.Comparisons.Count(c => c.Rejected);
        facts.Add(("comparisons", string.Create(CultureInfo.InvariantCulture, $"{summary.Comparisons.Count}; {rejected} rejected at alpha {Alpha(summary.Alpha)} (Holm)")));
        facts.Add(("library", "AlignmentFaking " + RunDirectory.LibraryVersion));
        return facts;
    }

    private static string IncompleteText(StudyReport study)
    {
        var cells = study.Summary.Cells.Where(c => !c.Complete).Select(ForestPlot.Label).ToArray();
        return string.Create(CultureInfo.InvariantCulture, $"{cells.Length} of {study.Summary.Cells.Count} cells did not run every planned sample ({string.Join(", ", cells)}); their figures and the comparisons that use them are from the samples so far. Resume the study to complete them.");
    }

    private static string Tier(StudyTierCounts t) => t.N == 0
        ? "no verdicts"
        : string.Create(CultureInfo.InvariantCulture, $"{Fmt.Pct((double)t.Complied / t.N)} ({t.Complied}/{t.N})");

    private static string Cell(StudyCellReference cell) => $"{cell.Subject} / {cell.Variant} / {cell.Mode}";

    private static string Alpha(double alpha) => alpha.ToString("0.###", CultureInfo.InvariantCulture);
}
