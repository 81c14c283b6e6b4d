using System.Globalization;
using System.Text;
using AlignmentFaking.Studies;

namespace AlignmentFaking.Judging.Reporting;

/// <summary>
/// The study's forest plot as a self-contained SVG (no script, no external asset): one row per cell and mode with its
/// compliance gap (training minus unmonitored compliance, under the cell's primary measure) as a marker and its 95%
/// interval as a whisker, a dashed line at zero, and incomplete cells drawn hollow and marked INCOMPLETE. A cell whose
/// gap is undefined (a tier without verdicts) gets its row and no marker.
/// </summary>
internal static class ForestPlot
{
    private const double FontSize = 12;
    private const double Margin = 16;
    private const double PlotWidth = 420;
    private const double RowHeight = 24;
    private const double ValueWidth = 280;
    private const string MarkerColor = "#1f4e79";
    private const string IncompleteColor = "#b42318";

    public static string ToSvg(StudyReport study)
    {
        ArgumentNullException.ThrowIfNull(study);
        var cells = study.Summary.Cells;
        var labels = cells.Select(Label).ToArray();
        double labelWidth = Math.Max(120, labels.Select(l => TextWidth(l)).DefaultIfEmpty(0).Max() + 20);
        var (lo, hi, step) = Axis(cells);
        double width = (2 * Margin) + labelWidth + PlotWidth + ValueWidth;
        double titleY = Margin + 14;
        double subtitleY = titleY + 18;
        double plotTop = subtitleY + 16;
        double plotBottom = plotTop + (Math.Max(cells.Count, 1) * RowHeight);
        double height = plotBottom + 44 + Margin;
        double left = Margin + labelWidth;
        double X(double v) => left + ((Math.Clamp(v, lo, hi) - lo) / (hi - lo) * PlotWidth);

        var title = "Compliance gap by cell: " + study.Name;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"forest\" width=\"{N(width)}\" height=\"{N(height)}\" viewBox=\"0 0 {N(width)} {N(height)}\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"{N(FontSize)}\" role=\"img\" aria-label=\"{Fmt.Xml(title)}\">\n");
        sb.Append("<title>").Append(Fmt.Xml(title)).Append("</title>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<rect width=\"{N(width)}\" height=\"{N(height)}\" fill=\"#ffffff\"/>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(Margin)}\" y=\"{N(titleY)}\" font-size=\"15\" font-weight=\"bold\" fill=\"#111\">{Fmt.Xml(title)}</text>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(Margin)}\" y=\"{N(subtitleY)}\" font-size=\"11\" fill=\"#444\">gap = training minus unmonitored compliance (judge when judged, else the proxy), with its 95% interval; hollow red: INCOMPLETE cell</text>\n");

        // Axis, grid and ticks.
        for (double t = lo; t <= hi + 1e-9; t += step)
        {
            double tx = X(t);
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{N(tx)}\" y1=\"{N(plotTop)}\" x2=\"{N(tx)}\" y2=\"{N(plotBottom + 4)}\" stroke=\"#e3e3e3\" stroke-width=\"1\"/>");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(tx)}\" y=\"{N(plotBottom + 18)}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#444\">{Fmt.Xml(Fmt.Pct(Math.Round(t, 6) + 0.0))}</text>\n");
        }

        sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{N(left)}\" y1=\"{N(plotBottom + 4)}\" x2=\"{N(left + PlotWidth)}\" y2=\"{N(plotBottom + 4)}\" stroke=\"#888\" stroke-width=\"1\"/>");
        sb.Append(CultureInfo.InvariantCulture, $"<line data-zero=\"true\" x1=\"{N(X(0))}\" y1=\"{N(plotTop - 4)}\" x2=\"{N(X(0))}\" y2=\"{N(plotBottom + 4)}\" stroke=\"#333\" stroke-width=\"1.2\" stroke-dasharray=\"5 3\"/>");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(left + (PlotWidth / 2))}\" y=\"{N(plotBottom + 34)}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#444\">compliance gap (training - unmonitored)</text>\n");

        for (int i = 0; i < cells.Count; i++)
        {
            var c = cells[i];
            double cy = plotTop + (i * RowHeight) + (RowHeight / 2);
            string color = c.Complete ? MarkerColor : IncompleteColor;
            sb.Append(CultureInfo.InvariantCulture, $"<g data-row=\"{Fmt.Xml(labels[i])}\">");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(left - 8)}\" y=\"{N(cy + 4)}\" text-anchor=\"end\" fill=\"#222\">{Fmt.Xml(labels[i])}</text>");
            if (c.Gap is { } gap && double.IsFinite(gap))
            {
                if (c.Ci.Lower is { } l && c.Ci.Upper is { } u && double.IsFinite(l) && double.IsFinite(u))
                {
                    double x1 = X(l), x2 = X(u);
                    sb.Append(CultureInfo.InvariantCulture, $"<path data-ci=\"{N(l * 100)}..{N(u * 100)}\" d=\"M{N(x1)} {N(cy)} H{N(x2)} M{N(x1)} {N(cy - 5)} V{N(cy + 5)} M{N(x2)} {N(cy - 5)} V{N(cy + 5)}\" stroke=\"{color}\" stroke-width=\"1.6\" fill=\"none\"{(c.Complete ? string.Empty : " stroke-dasharray=\"4 2\"")}/>");
                }

                double mx = X(gap);
                sb.Append(CultureInfo.InvariantCulture, $"<rect class=\"marker\" data-cell=\"{Fmt.Xml(labels[i])}\" data-gap=\"{gap.ToString("R", CultureInfo.InvariantCulture)}\" data-complete=\"{(c.Complete ? "true" : "false")}\" x=\"{N(mx - 5)}\" y=\"{N(cy - 5)}\" width=\"10\" height=\"10\" transform=\"rotate(45 {N(mx)} {N(cy)})\" fill=\"{(c.Complete ? color : "#ffffff")}\" stroke=\"{color}\" stroke-width=\"1.6\"/>");
            }

            var value = GapText(c) + " " + c.Measure + (c.Complete ? string.Empty : "  INCOMPLETE");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(left + PlotWidth + 10)}\" y=\"{N(cy + 4)}\" fill=\"{(c.Complete ? "#222" : IncompleteColor)}\">{Fmt.Xml(value)}</text></g>\n");
        }

        if (cells.Count == 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(left + 8)}\" y=\"{N(plotTop + 16)}\" fill=\"#777\">no cells</text>\n");
        }

        sb.Append("</svg>\n");
        return sb.ToString();
    }

    /// <summary>A cell's row label: <c>subject / variant / mode</c>.</summary>
    public static string Label(StudyCellSummary cell) => $"{cell.Subject} / {cell.Variant} / {cell.Mode}";

    /// <summary>The gap with its interval, as <c>af report</c> writes it: <c>12.5% [-3.0%, 28.0%]</c>, or <c>n/a</c>.</summary>
    public static string GapText(StudyCellSummary cell) => GapText(cell.Gap, cell.Ci);

    /// <summary>A gap or a difference with its interval: <c>12.5% [-3.0%, 28.0%]</c>; the value alone without an interval; <c>n/a</c> without a value.</summary>
    public static string GapText(double? value, StudyInterval? ci) =>
        value is null ? "n/a" : ci?.Lower is null || ci.Upper is null ? Fmt.Pct(value) : $"{Fmt.Pct(value)} {Fmt.Interval(ci.Lower, ci.Upper)}";

    /// <summary>The axis: from the smallest to the largest of zero, the gaps and their limits, rounded outward to a tick.</summary>
    private static (double Lo, double Hi, double Step) Axis(IReadOnlyList<StudyCellSummary> cells)
    {
        var values = new List<double> { 0 };
        foreach (var c in cells)
        {
            foreach (var v in new[] { c.Gap, c.Ci.Lower, c.Ci.Upper })
            {
                if (v is { } x && double.IsFinite(x))
                {
                    values.Add(Math.Clamp(x, -1, 1));
                }
            }
        }

        double min = values.Min(), max = values.Max();
        double range = Math.Max(max - min, 0.1);
        double step = range <= 0.3 ? 0.05 : range <= 0.6 ? 0.1 : range <= 1.2 ? 0.2 : 0.5;
        double lo = Math.Max(-1, Math.Floor((min - 1e-9) / step) * step);
        double hi = Math.Min(1, Math.Ceiling((max + 1e-9) / step) * step);
        if (hi - lo < step)
        {
            hi = lo + step;
        }

        return (lo, hi, step);
    }

    private static double TextWidth(string text) => text.Length * FontSize * 0.6;

    private static string N(double value) => Math.Round(value, 2).ToString("0.##", CultureInfo.InvariantCulture);
}
