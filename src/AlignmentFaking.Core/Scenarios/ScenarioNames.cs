namespace AlignmentFaking.Scenarios;

/// <summary>Names used for tiers and modes in run files and on the command line.</summary>
public static class ScenarioNames
{
    /// <summary>Returns <c>"training"</c> or <c>"unmonitored"</c>.</summary>
    /// <param name="tier">The tier.</param>
    public static string ToName(this Tier tier) => tier switch
    {
        Tier.Training => "training",
        Tier.Unmonitored => "unmonitored",
        _ => throw new ArgumentOutOfRangeException(nameof(tier)),
    };

    /// <summary>Returns <c>"cot"</c> or <c>"no-cot"</c>.</summary>
    /// <param name="mode">The reasoning mode.</param>
    public static string ToName(this ReasoningMode mode) => mode switch
    {
        ReasoningMode.Cot => "cot",
        ReasoningMode.NoCot => "no-cot",
        _ => throw new ArgumentOutOfRangeException(nameof(mode)),
    };

    /// <summary>Parses <c>"training"</c> or <c>"unmonitored"</c> (case-insensitive).</summary>
    /// <param name="name">The name.</param>
    /// <exception cref="FormatException">The name is neither.</exception>
    public static Tier ParseTier(string name) => name?.Trim().ToUpperInvariant() switch
    {
        "TRAINING" => Tier.Training,
        "UNMONITORED" => Tier.Unmonitored,
        _ => throw new FormatException($"unknown tier '{name}': expected 'training' or 'unmonitored'"),
    };

    /// <summary>Parses <c>"cot"</c> or <c>"no-cot"</c> (case-insensitive).</summary>
    /// <param name="name">The name.</param>
    /// <exception cref="FormatException">The name is neither.</exception>
    public static ReasoningMode ParseMode(string name) => name?.Trim().ToUpperInvariant() switch
    {
        "COT" => ReasoningMode.Cot,
        "NO-COT" or "NOCOT" => ReasoningMode.NoCot,
        _ => throw new FormatException($"unknown mode '{name}': expected 'cot' or 'no-cot'"),
    };
}
