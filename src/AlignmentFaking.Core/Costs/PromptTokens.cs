using AlignmentFaking.Scenarios;

namespace AlignmentFaking.Costs;

/// <summary>A system prompt of an estimate and its size.</summary>
/// <param name="Mode">The mode it is used for.</param>
/// <param name="Name">Its name.</param>
/// <param name="Sha256">SHA-256 of its UTF-8 bytes.</param>
/// <param name="Characters">Its length in characters.</param>
/// <param name="Tokens">Its tokens (text only).</param>
public sealed record PromptTokens(ReasoningMode Mode, string Name, string Sha256, int Characters, long Tokens);
