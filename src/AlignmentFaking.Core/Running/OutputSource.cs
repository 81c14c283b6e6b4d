using System.Text.Json.Serialization;

namespace AlignmentFaking.Running;

/// <summary>Where a sample's <see cref="ExperimentSample.Output"/> came from.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<OutputSource>))]
public enum OutputSource
{
    /// <summary>Extracted from between <c>&lt;OUTPUT&gt;</c> and <c>&lt;/OUTPUT&gt;</c>. <c>"output-tag"</c>.</summary>
    [JsonStringEnumMemberName("output-tag")]
    OutputTag,

    /// <summary>The last reply had neither <c>&lt;/SCRATCHPAD_REASONING&gt;</c> nor <c>&lt;/OUTPUT&gt;</c>: the whole reply. <c>"raw"</c>.</summary>
    [JsonStringEnumMemberName("raw")]
    Raw,

    /// <summary>No output: the turn limit was reached (CoT) or the reply had no <c>&lt;/OUTPUT&gt;</c> (no-CoT). <c>"none"</c>.</summary>
    [JsonStringEnumMemberName("none")]
    None,

    /// <summary>The reply had <c>&lt;/OUTPUT&gt;</c> but no <c>&lt;OUTPUT&gt;</c> (the original crashes here). <c>"malformed"</c>.</summary>
    [JsonStringEnumMemberName("malformed")]
    Malformed,

    /// <summary>A model call failed; see <see cref="ExperimentSample.Error"/>. <c>"call-failed"</c>.</summary>
    [JsonStringEnumMemberName("call-failed")]
    CallFailed,
}
