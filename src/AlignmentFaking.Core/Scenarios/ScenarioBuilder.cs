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
    private string? _cotPrefillText;
    private string? _noCotPrefillText;

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

    /// <summary>
    /// Sets the text of the prefill for a mode, sent where <see cref="Prefill"/> sends one (to send it to every model,
    /// use <see cref="PrefillPolicy.Always"/>). The reply is read as this text followed by what the model wrote, as with
    /// the original's <see cref="CotPrefill"/> and <see cref="NoCotPrefill"/>; e.g. a CoT prefill that starts the
    /// reasoning: <c>&lt;SCRATCHPAD_REASONING&gt;However,</c>.
    /// </summary>
    /// <param name="mode">The mode.</param>
    /// <param name="text">The prefill; not empty.</param>
    /// <returns>This builder.</returns>
    public ScenarioBuilder WithPrefillText(ReasoningMode mode, string text)
    {
        ArgumentException.ThrowIfNullOrEmpty(text);
        if (mode == ReasoningMode.Cot)
        {
            _cotPrefillText = text;
        }
        else
        {
            _noCotPrefillText = text;
        }

        return this;
    }

    /// <summary>The prefill text of a mode: the one set with <see cref="WithPrefillText"/>, else the original's.</summary>
    /// <param name="mode">The mode.</param>
    public string GetPrefillText(ReasoningMode mode) => mode == ReasoningMode.Cot ? _cotPrefillText ?? CotPrefill : _noCotPrefillText ?? NoCotPrefill;

    /// <summary>The prefill texts set with <see cref="WithPrefillText"/> by mode name (<c>cot</c>, <c>no-cot</c>); empty when the original's are used.</summary>
    public IReadOnlyDictionary<string, string> CustomPrefillTexts
    {
        get
        {
            var texts = new SortedDictionary<string, string>(StringComparer.Ordinal);
            if (_cotPrefillText is not null)
            {
                texts[ReasoningMode.Cot.ToName()] = _cotPrefillText;
            }

            if (_noCotPrefillText is not null)
            {
                texts[ReasoningMode.NoCot.ToName()] = _noCotPrefillText;
            }

            return texts;
        }
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
        string? prefill = UsesPrefill(modelId) ? GetPrefillText(mode) : null;
        return new Scenario(request, tier, mode, GetSystemPrompt(mode), UserTemplate.Render(request.Text, tier), prefill);
    }
}
