using System.Globalization;

namespace AlignmentFaking.Studies;

/// <summary>Durations as <c>af</c> writes them: a number and a unit (<c>ms</c>, <c>s</c>, <c>m</c>, <c>h</c>).</summary>
internal static class StudyDuration
{
    public static TimeSpan? Parse(string text)
    {
        text = text.Trim();
        foreach (var (unit, scale) in new[] { ("ms", 0.001), ("s", 1.0), ("m", 60.0), ("h", 3600.0) })
        {
            if (text.EndsWith(unit, StringComparison.Ordinal)
                && double.TryParse(text[..^unit.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
                && value > 0 && !(unit == "s" && text.EndsWith("ms", StringComparison.Ordinal)))
            {
                return TimeSpan.FromSeconds(value * scale);
            }
        }

        return null;
    }
}
