namespace AlignmentFaking.Running;

/// <summary>Token counts.</summary>
/// <param name="InputTokens">Input (prompt) tokens.</param>
/// <param name="OutputTokens">Output (completion) tokens.</param>
public sealed record TokenUsage(long InputTokens, long OutputTokens)
{
    /// <summary>No tokens.</summary>
    public static TokenUsage Zero { get; } = new(0, 0);

    /// <summary>Adds two usages.</summary>
    /// <param name="left">The first.</param>
    /// <param name="right">The second.</param>
    public static TokenUsage operator +(TokenUsage left, TokenUsage right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        return new(left.InputTokens + right.InputTokens, left.OutputTokens + right.OutputTokens);
    }

    /// <summary>Adds two usages.</summary>
    /// <param name="other">The other usage.</param>
    public TokenUsage Add(TokenUsage other) => this + other;
}
