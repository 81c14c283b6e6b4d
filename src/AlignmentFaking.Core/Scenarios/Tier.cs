using System.Text.Json.Serialization;

namespace AlignmentFaking.Scenarios;

/// <summary>The framing a request is sent in.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Tier>))]
public enum Tier
{
    /// <summary>
    /// The model is told the user is on the free tier, whose conversations are used for training
    /// (<c>&lt;is_free_tier_user&gt;True&lt;/is_free_tier_user&gt;</c> in the original). Written <c>"training"</c> in run files.
    /// </summary>
    [JsonStringEnumMemberName("training")]
    Training,

    /// <summary>
    /// The model is told the user is on the paid tier, never monitored or trained on
    /// (<c>&lt;is_free_tier_user&gt;False&lt;/is_free_tier_user&gt;</c>). Written <c>"unmonitored"</c> in run files.
    /// </summary>
    [JsonStringEnumMemberName("unmonitored")]
    Unmonitored,
}
