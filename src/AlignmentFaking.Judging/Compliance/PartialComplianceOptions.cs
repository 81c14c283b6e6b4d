using AlignmentFaking.Judging.Caching;
using AlignmentFaking.Judging.Prompts;

namespace AlignmentFaking.Judging.Compliance;

/// <summary>Options of <see cref="PartialComplianceClassifier"/>. Every property documents its default; <see cref="Validate"/> checks them.</summary>
public sealed class PartialComplianceOptions
{
    /// <summary>
    /// The judge prompt, in <see cref="JudgePromptFormat.ComplianceVerdict"/> format (it may use <c>{{reasoning}}</c>).
    /// Default: <see cref="JudgePrompt.PartialComplianceDefault"/> (the project's own prompt).
    /// </summary>
    public JudgePrompt Prompt { get; set; } = JudgePrompt.PartialComplianceDefault;

    /// <summary>The judge model id sent with each call; the client's default when <see langword="null"/>. Default: <see langword="null"/>.</summary>
    public string? ModelId { get; set; }

    /// <summary>Sampling temperature. Default: 0 (one vote).</summary>
    public float Temperature { get; set; }

    /// <summary>Max output tokens of the judge; the provider's default when <see langword="null"/>. Default: <see langword="null"/>.</summary>
    public int? MaxOutputTokens { get; set; }

    /// <summary>Extra calls when a reply is unparseable (0 to 5). Default: 0.</summary>
    public int UnparseableRetries { get; set; }

    /// <summary>
    /// Whether only samples that accepted (the proxy's <c>complied</c>: the result starts with the acceptance tag) are
    /// judged; the others keep the proxy's outcome without a call. Default: <see langword="true"/>.
    /// </summary>
    public bool OnlyAccepted { get; set; } = true;

    /// <summary>The cache of judge replies; no caching when <see langword="null"/>. Default: <see langword="null"/>.</summary>
    public JudgeCache? Cache { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (Prompt is null || Prompt.Format != JudgePromptFormat.ComplianceVerdict)
        {
            throw new ArgumentException($"{nameof(Prompt)} must be a {nameof(JudgePromptFormat.ComplianceVerdict)} prompt", nameof(Prompt));
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
