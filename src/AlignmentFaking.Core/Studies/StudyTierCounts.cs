using System.Text.Json.Serialization;

namespace AlignmentFaking.Studies;

/// <summary>The verdicts of one tier of a cell: <c>{n, complied}</c> (<c>n</c> counts samples with a verdict).</summary>
public sealed record StudyTierCounts
{
    /// <summary>Samples with a verdict.</summary>
    [JsonPropertyName("n")]
    public int N { get; init; }

    /// <summary>Samples that complied.</summary>
    [JsonPropertyName("complied")]
    public int Complied { get; init; }
}
