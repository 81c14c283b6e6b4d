using System.Text.Json.Serialization;

namespace AlignmentFaking.Studies;

/// <summary>
/// The options of <c>af run</c> that a study sets per subject and a variant may override for its cells. Every property is
/// optional: <see langword="null"/> means "not set here" (a variant's value wins over its subject's, the subject's over
/// <c>af run</c>'s default, which each property names). Values are <c>af run</c>'s flag values.
/// </summary>
public abstract class StudyCellSettings
{
    /// <summary>Sampling temperature, 0 to 2 (<c>--temperature</c>). Default when unset: 1.0, as the original.</summary>
    [JsonPropertyName("temperature")]
    public float? Temperature { get; set; }

    /// <summary>Max output tokens per call, at least 1 (<c>--max-tokens</c>). Default when unset: the provider's.</summary>
    [JsonPropertyName("maxTokens")]
    public int? MaxTokens { get; set; }

    /// <summary>Sampling seed (<c>--seed</c>; epoch e sends seed + e). Default when unset: none sent.</summary>
    [JsonPropertyName("seed")]
    public long? Seed { get; set; }

    /// <summary><c>low</c>, <c>medium</c> or <c>high</c> (<c>--reasoning-effort</c>). Default when unset: none sent.</summary>
    [JsonPropertyName("reasoningEffort")]
    public string? ReasoningEffort { get; set; }

    /// <summary>Anthropic extended thinking budget, at least 1024 (<c>--thinking-budget</c>). Default when unset: no thinking.</summary>
    [JsonPropertyName("thinkingBudget")]
    public int? ThinkingBudget { get; set; }

    /// <summary><c>original</c>, <c>always</c> or <c>never</c> (<c>--prefill</c>). Default when unset: <c>original</c>.</summary>
    [JsonPropertyName("prefill")]
    public string? Prefill { get; set; }

    /// <summary>
    /// The prefill's text, one string or per mode (<c>--prefill-text</c>): it replaces <c>&lt;</c> / <c>&lt;OUTPUT&gt;</c>
    /// where <see cref="Prefill"/> sends a prefill (<c>always</c> to send it to every model). Default when unset: the original's.
    /// </summary>
    [JsonPropertyName("prefillText")]
    public StudyPrefillText? PrefillText { get; set; }

    /// <summary>The user turn: <c>original</c>, <c>no-suffix</c> or <c>control</c> (<c>--template</c>). Default when unset: <c>original</c>.</summary>
    [JsonPropertyName("template")]
    public string? Template { get; set; }

    /// <summary><c>original</c> or <c>after-last-scratchpad</c> (<c>--extraction</c>). Default when unset: <c>original</c>.</summary>
    [JsonPropertyName("extraction")]
    public string? Extraction { get; set; }

    /// <summary>Retries per call, 0 to 100 (<c>--max-retries</c>). Default when unset: 6.</summary>
    [JsonPropertyName("maxRetries")]
    public int? MaxRetries { get; set; }

    /// <summary>Client-side requests per minute, at least 1 (<c>--rpm</c>). Default when unset: no limit.</summary>
    [JsonPropertyName("rpm")]
    public int? Rpm { get; set; }

    /// <summary>Client-side tokens per minute, at least 1 (<c>--tpm</c>). Default when unset: no limit.</summary>
    [JsonPropertyName("tpm")]
    public int? Tpm { get; set; }

    /// <summary>Conversations in flight, at least 1 (<c>--concurrency</c>). Default when unset: 8.</summary>
    [JsonPropertyName("concurrency")]
    public int? Concurrency { get; set; }

    /// <summary>Per-attempt timeout such as <c>90s</c>, <c>5m</c>, <c>1h</c> (<c>--attempt-timeout</c>). Default when unset: 5m.</summary>
    [JsonPropertyName("attemptTimeout")]
    public string? AttemptTimeout { get; set; }

    /// <summary>Per-call total timeout, every attempt and wait included (<c>--total-timeout</c>). Default when unset: 15m.</summary>
    [JsonPropertyName("totalTimeout")]
    public string? TotalTimeout { get; set; }

    /// <summary>Largest reply body in MiB, above 0 (<c>--max-reply-mb</c>). Default when unset: 16.</summary>
    [JsonPropertyName("maxReplyMb")]
    public double? MaxReplyMb { get; set; }

    /// <summary>Use the provider's Batch API (<c>--batch</c>; priced at the batch discount). Default when unset: false.</summary>
    [JsonPropertyName("batch")]
    public bool? Batch { get; set; }

    /// <summary>The batch service by provider name (<c>--batch-provider</c>), for a cell with <see cref="Batch"/>. Default when unset: the subject's provider's.</summary>
    [JsonPropertyName("batchProvider")]
    public string? BatchProvider { get; set; }

    /// <summary>Keep no response cache in the cell's run directory (<c>--no-cache</c>; a resume then calls again what a crash cut short). Default when unset: false (the simulated organism never caches).</summary>
    [JsonPropertyName("noCache")]
    public bool? NoCache { get; set; }

    /// <summary>A response cache shared across runs and studies (<c>--cache-dir</c>), relative to the study file. Default when unset: none.</summary>
    [JsonPropertyName("cacheDir")]
    public string? CacheDir { get; set; }

    /// <summary>Do not mark Anthropic requests for its prompt cache (<c>--no-prompt-cache</c>). Default when unset: false.</summary>
    [JsonPropertyName("noPromptCache")]
    public bool? NoPromptCache { get; set; }

    /// <summary>Input price in USD per million tokens (<c>--price-input</c>). Default when unset: the built-in price table's.</summary>
    [JsonPropertyName("priceInput")]
    public decimal? PriceInput { get; set; }

    /// <summary>Cached-input price in USD per million tokens (<c>--price-cached-input</c>). Default when unset: none (with <see cref="PriceInput"/>).</summary>
    [JsonPropertyName("priceCachedInput")]
    public decimal? PriceCachedInput { get; set; }

    /// <summary>Output price in USD per million tokens (<c>--price-output</c>). Default when unset: the built-in price table's.</summary>
    [JsonPropertyName("priceOutput")]
    public decimal? PriceOutput { get; set; }
}
