using System.Text.Json.Serialization;

namespace AlignmentFaking.Studies;

/// <summary>One cell and mode of a study (<c>{subject, variant, mode}</c> in comparisons and the summary).</summary>
public sealed record StudyCellReference
{
    /// <summary>The subject's id.</summary>
    [JsonPropertyName("subject")]
    public string Subject { get; set; } = string.Empty;

    /// <summary>The variant's id. Default in a comparison: the study's first variant.</summary>
    [JsonPropertyName("variant")]
    public string? Variant { get; set; }

    /// <summary>The mode (<c>cot</c> or <c>no-cot</c>). Default in a comparison: the study's first mode.</summary>
    [JsonPropertyName("mode")]
    public string? Mode { get; set; }

    /// <inheritdoc />
    public override string ToString() => $"{Subject}/{Variant}/{Mode}";
}
