using System.Text.Json.Serialization;

namespace AlignmentFaking.Studies;

/// <summary>
/// The assumptions of the power calculation of <c>af study plan</c> (<c>planning</c> in <c>study.json</c>): the rates
/// expected in each cell under the null hypothesis of no difference, and the power wanted.
/// </summary>
public sealed class StudyPlanning
{
    /// <summary>The compliance rate expected in the training tier, in [0, 1]. Default: 0.15.</summary>
    [JsonPropertyName("trainingRate")]
    public double TrainingRate { get; set; } = 0.15;

    /// <summary>The compliance rate expected in the unmonitored tier, in [0, 1]. Default: 0.05 (as <c>af plan</c>'s baseline).</summary>
    [JsonPropertyName("unmonitoredRate")]
    public double UnmonitoredRate { get; set; } = 0.05;

    /// <summary>
    /// The correlation of the outcomes of one request (across tiers and, for paired comparisons, across cells), in
    /// [0, 1). Default: 0 (independent outcomes; conservative when outcomes of one request are positively correlated).
    /// </summary>
    [JsonPropertyName("correlation")]
    public double Correlation { get; set; }

    /// <summary>The power wanted, in (0, 1). Default: 0.8.</summary>
    [JsonPropertyName("power")]
    public double Power { get; set; } = 0.8;
}
