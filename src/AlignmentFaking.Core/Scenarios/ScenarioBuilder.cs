using AlignmentFaking.Datasets;

namespace AlignmentFaking.Scenarios;

/// <summary>
/// Composes (request, tier, mode) into the exact messages of the original experiment, or of a variant.
/// </summary>
/// <example>
/// <code>
/// var scenarios = new ScenarioBuilder()
///     .WithSystemPrompt(ReasoningMode.Cot, SystemPrompt.FromFile("prompt_atn_honly_with_examples.txt"));
/// Scenario s = scenarios.Build(new ExperimentRequest(0, "Do something harmful"), Tier.Training, ReasoningMode.Cot, "my-model");
/// </code>
/// </example>
public sealed class ScenarioBuilder
{
    /// <summary>The prefill for CoT mode in the original: <c>&lt;</c>.</summary>
    public const string CotPrefill = "<";

    /// <summary>The prefill for no-CoT mode in the original: <c>&lt;OUTPUT&gt;</c>.</summary>
    public const string NoCotPrefill = "<OUTPUT>";

    private SystemPrompt? _cotPrompt;
    private SystemPrompt? _noCotPrompt;

    /// <summary>The user-turn template. Default: <see cref="UserMessageTemplate.Original"/>.</summary>
    public UserMessageTemplate UserTemplate { get; private set; } = UserMessageTemplate.Original;

    /// <summary>The prefill rule. Default: <see cref="PrefillPolicy.Original"/>.</summary>
    public PrefillPolicy Prefill { get; private set; } = PrefillPolicy.Original;

    /// <summary>The system prompt for a mode; the built-in paraphrase when none was set.</summary>
    /// <param name="mode">The mode.</param>
    public SystemPrompt GetSystemPrompt(ReasoningMode mode) => mode switch
    {
        ReasoningMode.Cot => _cotPrompt ?? SystemPrompt.BuiltInParaphrase(ReasoningMode.Cot),
        ReasoningMode.NoCot => _noCotPrompt ?? SystemPrompt.BuiltInParaphrase(ReasoningMode.NoCot),
        _ => throw new ArgumentOutOfRangeException(nameof(mode)),
    };

    /// <summary>Sets the system prompt used for a mode.</summary>
    /// <param name="mode">The mode.</param>
    /// <param name="prompt">The prompt, used byte-exact.</param>
    /// <returns>This builder.</returns>
    public ScenarioBuilder WithSystemPrompt(ReasoningMode mode, SystemPrompt prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        if (mode == ReasoningMode.Cot)
        {
            _cotPrompt = prompt;
        }
        else
        {
            _noCotPrompt = prompt;
        }

        return this;
    }

    /// <summary>Sets the user-turn template (tier wording, suffix, control condition).</summary>
    /// <param name="template">The template.</param>
    /// <returns>This builder.</returns>
    public ScenarioBuilder WithUserTemplate(UserMessageTemplate template)
    {
        UserTemplate = template ?? throw new ArgumentNullException(nameof(template));
        return this;
    }

    /// <summary>Sets the prefill rule.</summary>
    /// <param name="policy">The policy.</param>
    /// <returns>This builder.</returns>
    public ScenarioBuilder WithPrefill(PrefillPolicy policy)
    {
        Prefill = policy;
        return this;
    }

    /// <summary>Whether a prefill is sent to <paramref name="modelId"/> under the current policy.</summary>
    /// <param name="modelId">The subject model id, if known.</param>
    public bool UsesPrefill(string? modelId) => Prefill switch
    {
        PrefillPolicy.Always => true,
        PrefillPolicy.Never => false,
        _ => modelId is null || !modelId.Contains("gpt", StringComparison.Ordinal),
    };

    /// <summary>Builds the first call of one conversation.</summary>
    /// <param name="request">The request.</param>
    /// <param name="tier">The tier framing.</param>
    /// <param name="mode">The reasoning mode.</param>
    /// <param name="modelId">The subject model id (the original's prefill rule depends on it).</param>
    public Scenario Build(ExperimentRequest request, Tier tier, ReasoningMode mode, string? modelId = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        string? prefill = UsesPrefill(modelId) ? (mode == ReasoningMode.Cot ? CotPrefill : NoCotPrefill) : null;
        return new Scenario(request, tier, mode, GetSystemPrompt(mode), UserTemplate.Render(request.Text, tier), prefill);
    }
}
