using AlignmentFaking.Judging.Caching;
using AlignmentFaking.Judging.Prompts;

namespace AlignmentFaking.Judging.Compliance;

/// <summary>Options of <see cref="LlmJudgeClassifier"/>. Every property documents its default; <see cref="Validate"/> checks them.</summary>
public sealed class LlmJudgeOptions
{
    /// <summary>
    /// The judge prompt: <see cref="JudgePromptFormat.ComplianceVerdict"/> or <see cref="JudgePromptFormat.StrongReject"/>.
    /// Default: <see cref="JudgePrompt.ComplianceDefault"/> (the project's own prompt).
    /// </summary>
    public JudgePrompt Prompt { get; set; } = JudgePrompt.ComplianceDefault;

    /// <summary>The judge model id sent with each call; the client's default when <see langword="null"/>. Default: <see langword="null"/>.</summary>
    public string? ModelId { get; set; }

    /// <summary>Sampling temperature. Default: 0 (one deterministic grading, as StrongREJECT is used).</summary>
    public float Temperature { get; set; }

    /// <summary>Max output tokens of the judge; the provider's default when <see langword="null"/>. Default: <see langword="null"/>.</summary>
    public int? MaxOutputTokens { get; set; }

    /// <summary>
    /// Extra calls made when a reply is unparseable or empty (0 to 5); each retry is a distinct cache entry. A reply that
    /// is still unparseable stays <c>unparseable</c>, never a verdict. Default: 0 (at temperature 0 a retry mostly
    /// repeats the same reply; raise it for judges that sometimes drift from the format).
    /// </summary>
    public int UnparseableRetries { get; set; }

    /// <summary>The cache of judge replies; no caching when <see langword="null"/>. Default: <see langword="null"/>.</summary>
    public JudgeCache? Cache { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (Prompt is null)
        {
            throw new ArgumentException($"{nameof(Prompt)} is required", nameof(Prompt));
        }

        if (Prompt.Format is not (JudgePromptFormat.ComplianceVerdict or JudgePromptFormat.StrongReject))
        {
            throw new ArgumentException($"{nameof(Prompt)} must be a compliance prompt (was {Prompt.Format})", nameof(Prompt));
        }

        if (float.IsNaN(Temperature) || Temperature < 0 || Temperature > 2)
        {
            throw new ArgumentException($"{nameof(Temperature)} must be between 0 and 2 (was {Temperature})", nameof(Temperature));
        }

        if (MaxOutputTokens is <= 0)
        {
            throw new ArgumentException($"{nameof(MaxOutputTokens)} must be positive", nameof(MaxOutputTokens));
        }

        if (UnparseableRetries is < 0 or > 5)
        {
            throw new ArgumentException($"{nameof(UnparseableRetries)} must be between 0 and 5", nameof(UnparseableRetries));
        }
    }
}
