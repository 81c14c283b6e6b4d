using AlignmentFaking.Scenarios;

namespace AlignmentFaking.Storage;

/// <summary>A system prompt recorded in the manifest; its text is in <c>prompts/{sha256}.txt</c>.</summary>
public sealed record PromptRecord
{
    /// <summary>The mode it is used for.</summary>
    public required ReasoningMode Mode { get; init; }

    /// <summary>Its name.</summary>
    public required string Name { get; init; }

    /// <summary>Where it came from.</summary>
    public required string Source { get; init; }

    /// <summary>SHA-256 of its UTF-8 bytes.</summary>
    public required string Sha256 { get; init; }
}
