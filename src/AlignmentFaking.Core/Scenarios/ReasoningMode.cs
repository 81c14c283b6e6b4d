using System.Text.Json.Serialization;

namespace AlignmentFaking.Scenarios;

/// <summary>How the model is asked to reason before answering.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ReasoningMode>))]
public enum ReasoningMode
{
    /// <summary>Hidden scratchpad (<c>&lt;SCRATCHPAD_REASONING&gt;</c>), multi-turn with <c>&lt;NEXT/&gt;</c>. Written <c>"cot"</c>.</summary>
    [JsonStringEnumMemberName("cot")]
    Cot,

    /// <summary>Answer directly inside <c>&lt;OUTPUT&gt;</c>, one call. Written <c>"no-cot"</c>.</summary>
    [JsonStringEnumMemberName("no-cot")]
    NoCot,
}
