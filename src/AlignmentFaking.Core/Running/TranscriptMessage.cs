namespace AlignmentFaking.Running;

/// <summary>One message of a transcript.</summary>
/// <param name="Role"><c>user</c> or <c>assistant</c>.</param>
/// <param name="Content">The exact text.</param>
public sealed record TranscriptMessage(string Role, string Content);
