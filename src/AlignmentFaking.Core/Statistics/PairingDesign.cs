namespace AlignmentFaking.Statistics;

/// <summary>How the two tiers are sampled, for <see cref="PowerAnalysis"/>.</summary>
public enum PairingDesign
{
    /// <summary>Every request is run once in each tier and analysed in pairs (McNemar).</summary>
    Paired = 0,

    /// <summary>The tiers are independent samples of the given size each (two-proportion comparison).</summary>
    Unpaired,
}
