using System.Text.Json.Serialization;

namespace AlignmentFaking.Studies;

/// <summary>The requests of every cell (<c>dataset</c> in <c>study.json</c>), as <c>af run</c>'s <c>--dataset</c>, <c>--limit</c>, <c>--offset</c>, <c>--column</c>.</summary>
public sealed class StudyDataset
{
    /// <summary>
    /// <c>advbench</c> (the pinned download, cached) or a path (relative to the study file): an AdvBench-format CSV, a CSV
    /// with <see cref="Column"/>, or JSONL. Default: <c>advbench</c>.
    /// </summary>
    [JsonPropertyName("source")]
    public string Source { get; set; } = "advbench";

    /// <summary>Use the first N requests after <see cref="Offset"/>. Default: all.</summary>
    [JsonPropertyName("limit")]
    public int? Limit { get; set; }

    /// <summary>Skip the first N requests. Default: 0.</summary>
    [JsonPropertyName("offset")]
    public int Offset { get; set; }

    /// <summary>The CSV column or JSONL field of the request text. Default: AdvBench's <c>goal</c>.</summary>
    [JsonPropertyName("column")]
    public string? Column { get; set; }
}
