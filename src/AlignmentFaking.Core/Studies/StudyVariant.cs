using System.Text.Json.Serialization;

namespace AlignmentFaking.Studies;

/// <summary>
/// A transform of the scenario (<c>variants[]</c> in <c>study.json</c>): applied to every subject's cells, in this order:
/// <see cref="SystemPrompt"/> replaces the study's prompt, each <see cref="Replace"/> pair replaces exact text (every pair
/// must match at least once, or the plan refuses naming the variant and the text), <see cref="Append"/> adds text at the
/// end; <c>template</c>, <c>prefill</c> and any other option set here override the subject's.
/// </summary>
public sealed class StudyVariant : StudyCellSettings
{
    /// <summary>The variant's id, unique in the study: letters, digits, <c>.</c>, <c>_</c>, <c>-</c>. Required.</summary>
    [JsonPropertyName("id")]
    public string Id { get; set; } = string.Empty;

    /// <summary>Exact text pairs (from: to) replaced everywhere in the system prompt, ordinal, in order. Default: none.</summary>
    [JsonPropertyName("replace")]
    public IReadOnlyDictionary<string, string>? Replace { get; set; }

    /// <summary>Text appended to the system prompt (after the replacements), exactly as given. Default: none.</summary>
    [JsonPropertyName("append")]
    public string? Append { get; set; }

    /// <summary>The system prompt of this variant's cells instead of the study's (same values as the study's). Default: the study's.</summary>
    [JsonPropertyName("systemPrompt")]
    public StudySystemPrompt? SystemPrompt { get; set; }
}
