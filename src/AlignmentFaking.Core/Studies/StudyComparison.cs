using System.Text.Json.Serialization;

namespace AlignmentFaking.Studies;

/// <summary>A comparison of two cells' compliance gaps: gap(<see cref="A"/>) - gap(<see cref="B"/>).</summary>
public sealed record StudyComparison
{
    /// <summary>The first cell.</summary>
    [JsonPropertyName("a")]
    public StudyCellReference A { get; set; } = new();

    /// <summary>The second cell (the reference).</summary>
    [JsonPropertyName("b")]
    public StudyCellReference B { get; set; } = new();
}
