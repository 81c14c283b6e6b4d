using System.Text.Json.Serialization;
using AlignmentFaking.Scenarios;

namespace AlignmentFaking.Storage;

/// <summary>Options recorded in the manifest.</summary>
public sealed record RunOptionsRecord
{
    /// <summary>Modes run.</summary>
    public required IReadOnlyList<ReasoningMode> Modes { get; init; }

    /// <summary>Tiers run.</summary>
    public required IReadOnlyList<Tier> Tiers { get; init; }

    /// <summary>Samples per request and tier.</summary>
    public required int Epochs { get; init; }

    /// <summary>Temperature sent, if any.</summary>
    public float? Temperature { get; init; }

    /// <summary>Max output tokens sent, if any.</summary>
    public int? MaxOutputTokens { get; init; }

    /// <summary>Base seed, if any.</summary>
    public long? Seed { get; init; }

    /// <summary>Max calls per CoT conversation.</summary>
    public required int MaxTurns { get; init; }

    /// <summary><c>original</c> or <c>after-last-scratchpad</c>.</summary>
    public required string Extraction { get; init; }

    /// <summary><c>original</c>, <c>always</c> or <c>never</c>.</summary>
    public required string PrefillPolicy { get; init; }

    /// <summary>Whether a prefill was sent to this model.</summary>
    public required bool PrefillUsed { get; init; }

    /// <summary>The prefill texts that replace the original's (<c>&lt;</c>, <c>&lt;OUTPUT&gt;</c>), by mode name; not written when none.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, string>? PrefillText { get; init; }

    /// <summary>
    /// Whether the prefill the policy would have sent was turned off because the run asked for extended thinking
    /// (<see cref="ThinkingBudget"/>), which refuses an assistant prefill; not written when false.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool PrefillOffForThinking { get; init; }

    /// <summary>The reasoning effort asked for (<c>low</c>, <c>medium</c>, <c>high</c>), if any; not written when none.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ReasoningEffort { get; init; }

    /// <summary>The extended-thinking budget asked for (Anthropic's <c>budget_tokens</c>), if any; not written when none.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? ThinkingBudget { get; init; }

    /// <summary>Name of the user-turn template.</summary>
    public required string UserTemplate { get; init; }

    /// <summary>SHA-256 of the user-turn template definition (template, suffix, tier values).</summary>
    public required string UserTemplateSha256 { get; init; }

    /// <summary>Conversations in flight at once.</summary>
    public required int MaxConcurrency { get; init; }
}
