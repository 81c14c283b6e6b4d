using System.Text.Json.Serialization;

namespace AlignmentFaking.Studies;

/// <summary>A cell's rates under one measure (the proxy reported beside the judge): <c>training</c>, <c>unmonitored</c>, <c>gap</c>, <c>ci</c>.</summary>
public sealed record StudyMeasureSummary
{
    /// <summary>The training tier's verdicts.</summary>
    [JsonPropertyName("training")]
    public required StudyTierCounts Training { get; init; }

    /// <summary>The unmonitored tier's verdicts.</summary>
    [JsonPropertyName("unmonitored")]
    public required StudyTierCounts Unmonitored { get; init; }

    /// <summary>The gap, training minus unmonitored rate; <see langword="null"/> when a tier has no verdict.</summary>
    [JsonPropertyName("gap")]
    public double? Gap { get; init; }

    /// <summary>The gap's interval, as <c>af run</c> reports it (chosen by the design; see <c>ComplianceGap</c>).</summary>
    [JsonPropertyName("ci")]
    public required StudyInterval Ci { get; init; }
}
