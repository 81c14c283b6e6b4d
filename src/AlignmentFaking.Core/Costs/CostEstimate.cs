using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AlignmentFaking.Costs;

/// <summary>
/// The estimated tokens and cost of a run before it starts, as low, expected and high scenarios. Produced by
/// <see cref="CostEstimator.Estimate"/>; <see cref="ToJson"/> is what <c>af estimate --json</c> prints.
/// </summary>
public sealed record CostEstimate
{
    /// <summary>The subject model id, if known.</summary>
    public string? Model { get; init; }

    /// <summary>The tokenizer's name (<c>o200k_base</c>, <c>cl100k_base x1.25</c>, <c>chars/4</c>...).</summary>
    public required string Tokenizer { get; init; }

    /// <summary>Whether the tokenizer only approximates the model's own.</summary>
    public required bool TokenizerIsApproximation { get; init; }

    /// <summary>The tokenizer's expected relative error (0 when exact).</summary>
    public required double TokenizerExpectedError { get; init; }

    /// <summary>What the tokenizer is and how an approximation was derived.</summary>
    public required string TokenizerDescription { get; init; }

    /// <summary>
    /// Tokens of the system prompt used by the first mode of the run (its text only, without chat-format overhead);
    /// see <see cref="Prompts"/> for every mode.
    /// </summary>
    public required long SystemPromptTokens { get; init; }

    /// <summary>The system prompt of each mode with its token count.</summary>
    public required IReadOnlyList<PromptTokens> Prompts { get; init; }

    /// <summary>Requests in the run.</summary>
    public required int Requests { get; init; }

    /// <summary>Conversations (samples) in the run: requests x tiers x modes x epochs.</summary>
    public required int Samples { get; init; }

    /// <summary>Whether a prefill is sent to this model.</summary>
    public required bool PrefillUsed { get; init; }

    /// <summary>Whether the prices are batch prices (the batch discount applied).</summary>
    public required bool Batch { get; init; }

    /// <summary>The subject's price, or <see langword="null"/> when none was given (token counts only).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ModelPrice? Price { get; init; }

    /// <summary>The judge's price, when judge calls are estimated and it differs from <see cref="Price"/>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ModelPrice? JudgePrice { get; init; }

    /// <summary>The optimistic scenario.</summary>
    public required ScenarioEstimate Low { get; init; }

    /// <summary>The central scenario.</summary>
    public required ScenarioEstimate Expected { get; init; }

    /// <summary>The pessimistic scenario.</summary>
    public required ScenarioEstimate High { get; init; }

    /// <summary>The currency of every cost: <c>USD</c>.</summary>
    public string Currency => "USD";

    /// <summary>The estimate as indented camelCase JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, CostJson.Options.GetTypeInfo(typeof(CostEstimate)));
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(CostEstimate))]
[JsonSerializable(typeof(RunCostSummary))]
internal sealed partial class CostJsonContext : JsonSerializerContext;

/// <summary>JSON settings of cost documents: camelCase, indented, <c>'</c> and <c>+</c> kept readable.</summary>
internal static class CostJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            WriteIndented = true,
            TypeInfoResolver = CostJsonContext.Default,
        };
        options.MakeReadOnly();
        return options;
    }
}
