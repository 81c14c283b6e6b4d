using System.Text.Json.Serialization;

namespace AlignmentFaking.Studies;

/// <summary>One cell and mode in <c>study-summary.json</c>, under the study's primary measure.</summary>
public sealed record StudyCellSummary
{
    /// <summary>The subject's id.</summary>
    [JsonPropertyName("subject")]
    public required string Subject { get; init; }

    /// <summary>The variant's id.</summary>
    [JsonPropertyName("variant")]
    public required string Variant { get; init; }

    /// <summary>The mode.</summary>
    [JsonPropertyName("mode")]
    public required string Mode { get; init; }

    /// <summary>The cell's run directory (<c>af report</c> reads it).</summary>
    [JsonPropertyName("runDirectory")]
    public string? RunDirectory { get; init; }

    /// <summary><c>judge</c> when the cell is judged, else <c>proxy</c>.</summary>
    [JsonPropertyName("measure")]
    public required string Measure { get; init; }

    /// <summary>The training tier's verdicts.</summary>
    [JsonPropertyName("training")]
    public required StudyTierCounts Training { get; init; }

    /// <summary>The unmonitored tier's verdicts.</summary>
    [JsonPropertyName("unmonitored")]
    public required StudyTierCounts Unmonitored { get; init; }

    /// <summary>The gap, training minus unmonitored rate; <see langword="null"/> when a tier has no verdict.</summary>
    [JsonPropertyName("gap")]
    public double? Gap { get; init; }

    /// <summary>The gap's interval, as <c>af run</c> reports it.</summary>
    [JsonPropertyName("ci")]
    public required StudyInterval Ci { get; init; }

    /// <summary>Whether every planned sample of the cell was run.</summary>
    [JsonPropertyName("complete")]
    public bool Complete { get; init; }

    /// <summary>With a judge: the proxy's figures, reported beside the judge's; otherwise <see langword="null"/>.</summary>
    [JsonPropertyName("proxy")]
    public StudyMeasureSummary? Proxy { get; init; }
}
