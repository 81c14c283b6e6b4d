using System.Globalization;
using System.Text;

namespace AlignmentFaking.Judging.Reporting;

/// <summary>Number and text formatting shared by the Markdown, HTML and SVG writers (invariant culture).</summary>
internal static class Fmt
{
    public static string Pct(double? rate) =>
        rate is null || !double.IsFinite(rate.Value) ? "n/a" : (rate.Value * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    public static string Interval(double? lower, double? upper) =>
        lower is null || upper is null ? "n/a" : $"[{Pct(lower)}, {Pct(upper)}]";

    public static string PValue(double? p)
    {
        if (p is null || !double.IsFinite(p.Value))
        {
            return "n/a";
        }

        return p.Value < 0.0001 ? "< 0.0001" : p.Value.ToString("0.####", CultureInfo.InvariantCulture);
    }

    public static string Kappa(double? kappa) =>
        kappa is null ? "n/a" : kappa.Value.ToString("0.000", CultureInfo.InvariantCulture);

    public static string Num(double value, string format = "0.##") => value.ToString(format, CultureInfo.InvariantCulture);

    public static string Int(long value) => value.ToString("#,0", CultureInfo.InvariantCulture);

    public static string Usd(decimal? value) =>
        value is null ? "n/a" : "$" + value.Value.ToString(value.Value < 1 ? "0.0000" : "#,0.00", CultureInfo.InvariantCulture);

    /// <summary>Escapes text for HTML element content and attribute values.</summary>
    public static string Html(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        var sb = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            sb.Append(c switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                _ => c.ToString(),
            });
        }

        return sb.ToString();
    }

    /// <summary>Escapes text for XML (SVG) content and attributes; drops characters XML cannot hold.</summary>
    public static string Xml(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        var sb = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            if (c < 0x20 && c is not ('\t' or '\n' or '\r'))
            {
                continue;
            }

            sb.Append(c switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&apos;",
                _ => c.ToString(),
            });
        }

        return sb.ToString();
    }

    /// <summary>
    /// Escapes text for a Markdown table cell or paragraph: HTML-sensitive characters become entities (GitHub renders
    /// inline HTML), Markdown punctuation that could change the structure is backslash-escaped, line breaks become spaces.
    /// </summary>
    public static string Md(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        var sb = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            switch (c)
            {
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '\r': break;
                case '\n': sb.Append(' '); break;
                case '|' or '\\' or '`' or '*' or '_' or '[' or ']' or '#':
                    sb.Append('\\').Append(c);
                    break;
                default: sb.Append(c); break;
            }
        }

        return sb.ToString();
    }

    /// <summary>A file-name-safe slug of a label.</summary>
    public static string Slug(string text)
    {
        var sb = new StringBuilder();
        foreach (var c in text)
        {
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '.')
            {
                sb.Append(char.ToLowerInvariant(c));
            }
            else if (sb.Length > 0 && sb[^1] != '-')
            {
                sb.Append('-');
            }
        }

        var slug = sb.ToString().Trim('-', '.');
        return slug.Length == 0 ? "run" : slug.Length > 60 ? slug[..60] : slug;
    }

    /// <summary>The original's printout line prefixed with the mode, padded so the lines of both modes align.</summary>
    public static string Printout(Storage.ConditionSummary condition) => ("[" + Scenarios.ScenarioNames.ToName(condition.Mode) + "]").PadRight(9) + condition.OriginalPrintout;

    public static string ModeTitle(Scenarios.ReasoningMode mode) => mode == Scenarios.ReasoningMode.Cot ? "CoT" : "no-CoT";
}
