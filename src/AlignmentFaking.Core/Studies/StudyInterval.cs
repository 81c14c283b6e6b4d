using System.Text.Json.Serialization;

namespace AlignmentFaking.Studies;

/// <summary>A 95% confidence interval, <c>{lower, upper}</c>.</summary>
public sealed record StudyInterval
{
    /// <summary>The lower limit.</summary>
    [JsonPropertyName("lower")]
    public double? Lower { get; init; }

    /// <summary>The upper limit.</summary>
    [JsonPropertyName("upper")]
    public double? Upper { get; init; }
}
