using System.Globalization;

namespace AlignmentFaking.Studies;

/// <summary>Durations as <c>af</c> writes them: a number and a unit (<c>ms</c>, <c>s</c>, <c>m</c>, <c>h</c>).</summary>
public static class StudyDuration
{
    /// <summary>Parses a duration such as <c>500ms</c>, <c>90s</c>, <c>5m</c> or <c>1h</c>; <see langword="null"/> when it is not one (or not positive).</summary>
    /// <param name="text">The text.</param>
    public static TimeSpan? Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
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
