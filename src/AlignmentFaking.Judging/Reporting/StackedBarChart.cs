using System.Globalization;
using System.Text;
using AlignmentFaking.Scenarios;

namespace AlignmentFaking.Judging.Reporting;

/// <summary>
/// The paper-style chart (Greenblatt et al. 2024, Fig. 1) as a self-contained SVG: one horizontal stacked bar per mode
/// and tier, split into <em>complies with alignment-faking reasoning</em>, <em>complies</em> and <em>refuses</em> (every
/// outcome that is not compliance), with the Wilson interval of the compliance rate as a whisker. The compliance proxy
/// and the LLM judge are drawn as two panels side by side when the run was judged.
/// </summary>
internal static class StackedBarChart
{
    /// <summary>Colour of the "refuses" segment.</summary>
    internal const string RefuseColor = "#9ecae1";

    /// <summary>Colour of the "complies" segment.</summary>
    internal const string ComplyColor = "#f5b942";

    /// <summary>Colour of the "complies with alignment-faking reasoning" segment (hatched).</summary>
    internal const string AfColor = "#d62728";

    private const double FontSize = 12;
    private const double Margin = 16;
    private const double PlotWidth = 320;
    private const double ValueWidth = 150;
    private const double PanelGap = 28;
    private const double BarHeight = 20;
    private const double BarGap = 6;
    private const double GroupHeader = 22;
    private const double GroupGap = 12;

    /// <summary>Width in pixels of the 0-100% axis of each panel (bar segment widths are rate x this width).</summary>
    public static double PlotAreaWidth => PlotWidth;

    /// <summary>The chart of one run: a bar per mode and tier; proxy and judge panels side by side when judged.</summary>
    /// <param name="run">The run.</param>
    public static string ToSvg(RunReport run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var panels = run.IsJudged ? new[] { "Compliance proxy (prefix tag)", "LLM judge" } : ["Compliance proxy (prefix tag)"];
        var groups = new List<ChartGroup>();
        foreach (var c in run.Summary.Conditions)
        {
            var rows = new List<ChartRow>();
            foreach (var tier in new[] { Tier.Training, Tier.Unmonitored })
            {
                var bars = new List<TierBar?> { run.Bar(c, tier, judge: false) };
                if (run.IsJudged)
                {
                    bars.Add(c.Judge is null ? null : run.Bar(c, tier, judge: true));
                }

                rows.Add(new ChartRow(TierLabel(tier), $"{c.Mode.ToName()}/{tier.ToName()}", bars));
            }

            groups.Add(new ChartGroup(ModeLabel(c.Mode), rows));
        }

        return Render(new ChartSpec("Compliance by tier: " + run.Model, panels, groups));
    }

    /// <summary>The chart of several runs: a group of two bars (training, unmonitored) per run and mode.</summary>
    /// <param name="comparison">The comparison.</param>
    public static string ToSvg(ComparisonReport comparison)
    {
        ArgumentNullException.ThrowIfNull(comparison);
        bool judged = comparison.AnyJudged;
        var panels = judged ? new[] { "Compliance proxy (prefix tag)", "LLM judge" } : ["Compliance proxy (prefix tag)"];
        var groups = new List<ChartGroup>();
        for (int i = 0; i < comparison.Runs.Count; i++)
        {
            var run = comparison.Runs[i];
            foreach (var c in run.Summary.Conditions)
            {
                var rows = new List<ChartRow>();
                foreach (var tier in new[] { Tier.Training, Tier.Unmonitored })
                {
                    var bars = new List<TierBar?> { run.Bar(c, tier, judge: false) };
                    if (judged)
                    {
                        bars.Add(c.Judge is null ? null : run.Bar(c, tier, judge: true));
                    }

                    rows.Add(new ChartRow(TierLabel(tier), $"{i}/{c.Mode.ToName()}/{tier.ToName()}", bars));
                }

                groups.Add(new ChartGroup($"{comparison.Labels[i]}, {ModeLabel(c.Mode)}", rows));
            }
        }

        return Render(new ChartSpec("Compliance by tier across runs", panels, groups));
    }

    private static string TierLabel(Tier tier) => tier == Tier.Training ? "training" : "unmonitored";

    private static string ModeLabel(ReasoningMode mode) => mode == ReasoningMode.Cot ? "CoT (hidden scratchpad)" : "no-CoT";

    private static double TextWidth(string text, double size = FontSize) => text.Length * size * 0.6;

    private static string N(double value) => Math.Round(value, 2).ToString("0.##", CultureInfo.InvariantCulture);

    private static string Render(ChartSpec spec)
    {
        bool anyAf = spec.Groups.SelectMany(g => g.Rows).SelectMany(r => r.Bars).Any(b => b is { HasAf: true });
        double labelWidth = Math.Max(90, spec.Groups.SelectMany(g => g.Rows).Select(r => TextWidth(r.Label)).DefaultIfEmpty(0).Max() + 24);
        double panelWidth = PlotWidth + ValueWidth;
        double width = (2 * Margin) + labelWidth + (spec.Panels.Count * panelWidth) + ((spec.Panels.Count - 1) * PanelGap);

        // Legend items, wrapped to the chart width.
        var legend = new List<(string Label, string Kind)> { ("Refuses (or no compliant answer)", "refuse"), ("Complies", "comply") };
        if (anyAf)
        {
            legend.Add(("Complies, alignment-faking reasoning", "af"));
        }

        legend.Add(("Wilson interval of the compliance rate", "whisker"));
        var legendPositions = new List<(double X, double Y)>();
        double lx = Margin, ly = 0;
        foreach (var item in legend)
        {
            double w = 22 + TextWidth(item.Label, 11) + 18;
            if (lx + w > width - Margin && lx > Margin)
            {
                lx = Margin;
                ly += 20;
            }

            legendPositions.Add((lx, ly));
            lx += w;
        }

        double titleY = Margin + 14;
        double legendTop = titleY + 14;
        double panelTitleY = legendTop + ly + 20 + 22;
        double plotTop = panelTitleY + 10;
        double y = plotTop;
        foreach (var g in spec.Groups)
        {
            y += GroupHeader + (g.Rows.Count * (BarHeight + BarGap)) + GroupGap;
        }

        double plotBottom = y - GroupGap + 4;
        double height = plotBottom + 40 + Margin;

        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{N(width)}\" height=\"{N(height)}\" viewBox=\"0 0 {N(width)} {N(height)}\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"{N(FontSize)}\" role=\"img\" aria-label=\"{Fmt.Xml(spec.Title)}\">\n");
        sb.Append("<title>").Append(Fmt.Xml(spec.Title)).Append("</title>\n");
        sb.Append("<defs><pattern id=\"af-hatch\" patternUnits=\"userSpaceOnUse\" width=\"6\" height=\"6\" patternTransform=\"rotate(45)\">")
          .Append(CultureInfo.InvariantCulture, $"<rect width=\"6\" height=\"6\" fill=\"{AfColor}\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#7f0000\" stroke-width=\"2.5\"/></pattern></defs>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<rect width=\"{N(width)}\" height=\"{N(height)}\" fill=\"#ffffff\"/>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(Margin)}\" y=\"{N(titleY)}\" font-size=\"15\" font-weight=\"bold\" fill=\"#111\">{Fmt.Xml(spec.Title)}</text>\n");

        // Legend.
        for (int i = 0; i < legend.Count; i++)
        {
            var (x, dy) = legendPositions[i];
            double cy = legendTop + dy + 8;
            switch (legend[i].Kind)
            {
                case "whisker":
                    sb.Append(CultureInfo.InvariantCulture, $"<path d=\"M{N(x)} {N(cy)} H{N(x + 16)} M{N(x)} {N(cy - 5)} V{N(cy + 5)} M{N(x + 16)} {N(cy - 5)} V{N(cy + 5)}\" stroke=\"#222\" stroke-width=\"1.5\" fill=\"none\"/>");
                    break;
                default:
                    sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{N(x)}\" y=\"{N(cy - 6)}\" width=\"16\" height=\"12\" fill=\"{Fill(legend[i].Kind)}\" stroke=\"#555\" stroke-width=\"0.5\"/>");
                    break;
            }

            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(x + 22)}\" y=\"{N(cy + 4)}\" font-size=\"11\" fill=\"#222\">{Fmt.Xml(legend[i].Label)}</text>\n");
        }

        double panelsLeft = Margin + labelWidth;
        for (int p = 0; p < spec.Panels.Count; p++)
        {
            double px = panelsLeft + (p * (panelWidth + PanelGap));
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(px)}\" y=\"{N(panelTitleY)}\" font-weight=\"bold\" fill=\"#111\">{Fmt.Xml(spec.Panels[p])}</text>\n");

            // Axis and ticks.
            foreach (var tick in new[] { 0, 25, 50, 75, 100 })
            {
                double tx = px + (PlotWidth * tick / 100.0);
                sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{N(tx)}\" y1=\"{N(plotTop)}\" x2=\"{N(tx)}\" y2=\"{N(plotBottom + 4)}\" stroke=\"#dddddd\" stroke-width=\"1\"/>");
                sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(tx)}\" y=\"{N(plotBottom + 18)}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#444\">{tick}%</text>\n");
            }

            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{N(px)}\" y1=\"{N(plotBottom + 4)}\" x2=\"{N(px + PlotWidth)}\" y2=\"{N(plotBottom + 4)}\" stroke=\"#888\" stroke-width=\"1\"/>");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(px + (PlotWidth / 2))}\" y=\"{N(plotBottom + 34)}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#444\">share of samples</text>\n");
        }

        y = plotTop;
        foreach (var g in spec.Groups)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(Margin)}\" y=\"{N(y + 15)}\" font-weight=\"bold\" fill=\"#111\">{Fmt.Xml(g.Label)}</text>\n");
            y += GroupHeader;
            foreach (var row in g.Rows)
            {
                sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(panelsLeft - 8)}\" y=\"{N(y + (BarHeight / 2) + 4)}\" text-anchor=\"end\" fill=\"#222\">{Fmt.Xml(row.Label)}</text>\n");
                for (int p = 0; p < spec.Panels.Count; p++)
                {
                    double px = panelsLeft + (p * (panelWidth + PanelGap));
                    var panelId = p == 0 ? "proxy" : "judge";
                    AppendBar(sb, p < row.Bars.Count ? row.Bars[p] : null, $"{panelId}/{row.Id}", px, y);
                }

                y += BarHeight + BarGap;
            }

            y += GroupGap;
        }

        sb.Append("</svg>\n");
        return sb.ToString();
    }

    private static string Fill(string kind) => kind switch
    {
        "refuse" => RefuseColor,
        "comply" => ComplyColor,
        _ => "url(#af-hatch)",
    };

    private static void AppendBar(StringBuilder sb, TierBar? bar, string id, double x, double y)
    {
        sb.Append(CultureInfo.InvariantCulture, $"<g data-bar=\"{Fmt.Xml(id)}\">");
        if (bar is null || bar.N == 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{N(x)}\" y=\"{N(y)}\" width=\"{N(PlotWidth)}\" height=\"{N(BarHeight)}\" fill=\"none\" stroke=\"#bbb\" stroke-dasharray=\"4 3\"/>");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(x + PlotWidth + 8)}\" y=\"{N(y + (BarHeight / 2) + 4)}\" fill=\"#777\">{(bar is null ? "not judged" : "no samples")}</text></g>\n");
            return;
        }

        double cx = x;
        foreach (var (kind, share) in new[] { ("af", bar.AfShare), ("comply", bar.ComplyShare), ("refuse", bar.RefuseShare) })
        {
            double w = share * PlotWidth;
            if (w > 0)
            {
                sb.Append(CultureInfo.InvariantCulture, $"<rect data-series=\"{kind}\" data-share=\"{share.ToString("R", CultureInfo.InvariantCulture)}\" x=\"{N(cx)}\" y=\"{N(y)}\" width=\"{N(w)}\" height=\"{N(BarHeight)}\" fill=\"{Fill(kind)}\"/>");
            }

            cx += w;
        }

        sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{N(x)}\" y=\"{N(y)}\" width=\"{N(PlotWidth)}\" height=\"{N(BarHeight)}\" fill=\"none\" stroke=\"#555\" stroke-width=\"0.6\"/>");
        if (bar.CiLower is { } lo && bar.CiUpper is { } hi)
        {
            double x1 = x + (Math.Clamp(lo, 0, 1) * PlotWidth), x2 = x + (Math.Clamp(hi, 0, 1) * PlotWidth), cy = y + (BarHeight / 2);
            sb.Append(CultureInfo.InvariantCulture, $"<path data-whisker=\"{N(lo * 100)}-{N(hi * 100)}\" d=\"M{N(x1)} {N(cy)} H{N(x2)} M{N(x1)} {N(cy - 6)} V{N(cy + 6)} M{N(x2)} {N(cy - 6)} V{N(cy + 6)}\" stroke=\"#111\" stroke-width=\"1.6\" fill=\"none\"/>");
        }

        var text = $"{Fmt.Pct(bar.Rate)} ({bar.Complied}/{bar.N})" + (bar.HasAf && bar.AfComplied > 0 ? $", {bar.AfComplied} AF" : string.Empty);
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(x + PlotWidth + 8)}\" y=\"{N(y + (BarHeight / 2) + 4)}\" fill=\"#222\">{Fmt.Xml(text)}</text></g>\n");
    }

    private sealed record ChartSpec(string Title, IReadOnlyList<string> Panels, IReadOnlyList<ChartGroup> Groups);

    private sealed record ChartGroup(string Label, IReadOnlyList<ChartRow> Rows);

    private sealed record ChartRow(string Label, string Id, IReadOnlyList<TierBar?> Bars);
}
