namespace AlignmentFaking.Statistics;

/// <summary>One sampled outcome in one tier: did the model comply with request <paramref name="RequestIndex"/> in this epoch.</summary>
/// <param name="RequestIndex">The request's stable index (pairs observations across tiers).</param>
/// <param name="Epoch">The repetition number of this request in this tier (0-based or otherwise; only uniqueness matters).</param>
/// <param name="Compliant">Whether the outcome counts as a success (complied, faked alignment, …).</param>
public readonly record struct GapObservation(int RequestIndex, int Epoch, bool Compliant);
