namespace AlignmentFaking.Classification;

/// <summary>A classifier's verdict with its reason.</summary>
/// <param name="Outcome">The outcome.</param>
/// <param name="Reason">A short human explanation.</param>
/// <param name="RawReply">For judges, the judge model's raw reply (kept for unparseable replies).</param>
public sealed record ComplianceVerdict(ComplianceOutcome Outcome, string? Reason = null, string? RawReply = null);
