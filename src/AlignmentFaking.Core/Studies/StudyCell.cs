using AlignmentFaking.Costs;
using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;

namespace AlignmentFaking.Studies;

/// <summary>
/// One cell of a study: a subject with a variant applied (its modes inside). Each option is the variant's when set,
/// else the subject's, else <c>af run</c>'s default.
/// </summary>
public sealed class StudyCell
{
    internal StudyCell(Study study, StudySubject subject, StudyVariant variant)
    {
        Study = study;
        Subject = subject;
        Variant = variant;
    }

    /// <summary>The study.</summary>
    public Study Study { get; }

    /// <summary>The subject.</summary>
    public StudySubject Subject { get; }

    /// <summary>The variant.</summary>
    public StudyVariant Variant { get; }

    /// <summary>The cell's id, <c>subject/variant</c>.</summary>
    public string Id => Subject.Id + "/" + Variant.Id;

    /// <summary>The cell's run directory under the study directory: <c>cells/subject/variant</c>.</summary>
    public string RelativeDirectory => Path.Combine("cells", Subject.Id, Variant.Id);

    /// <summary>The model id: the subject's model, or the simulated organism's.</summary>
    public string ModelId => Subject.IsSimulated ? new Simulation.SimulatedOrganismOptions().ModelId : Subject.Model!;

    /// <summary>Whether the cell uses the provider's Batch API (priced at the batch discount).</summary>
    public bool Batch => Variant.Batch ?? Subject.Batch ?? false;

    /// <summary>The effective settings: the variant's value when set, else the subject's.</summary>
    /// <typeparam name="T">The value type.</typeparam>
    /// <param name="select">Reads one option.</param>
    public T? Effective<T>(Func<StudyCellSettings, T?> select)
        where T : struct
    {
        ArgumentNullException.ThrowIfNull(select);
        return select(Variant) ?? select(Subject);
    }

    /// <summary>The effective string setting: the variant's value when set, else the subject's.</summary>
    /// <param name="select">Reads one option.</param>
    public string? Effective(Func<StudyCellSettings, string?> select)
    {
        ArgumentNullException.ThrowIfNull(select);
        return select(Variant) ?? select(Subject);
    }

    /// <summary>The <c>systemPrompt</c> value the cell starts from in a mode: the variant's, else the study's, else <c>original</c>.</summary>
    /// <param name="mode">The mode.</param>
    public string PromptChoice(ReasoningMode mode) => Variant.SystemPrompt?.For(mode) ?? Study.SystemPrompt.For(mode) ?? "original";

    /// <summary>
    /// The cell's system prompt in a mode: the prompt it starts from with the variant's <c>replace</c> pairs (each must
    /// match) and <c>append</c> applied.
    /// </summary>
    /// <param name="inputs">The loaded inputs.</param>
    /// <param name="mode">The mode.</param>
    /// <exception cref="StudyValidationException">A <c>replace</c> text matches nothing in the prompt (the message names the variant and the text).</exception>
    public SystemPrompt GetSystemPrompt(StudyInputs inputs, ReasoningMode mode)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var start = inputs.GetPrompt(PromptChoice(mode), mode);
        if ((Variant.Replace is null || Variant.Replace.Count == 0) && string.IsNullOrEmpty(Variant.Append))
        {
            return start;
        }

        var text = start.Text;
        foreach (var (from, to) in Variant.Replace ?? new Dictionary<string, string>())
        {
            if (!text.Contains(from, StringComparison.Ordinal))
            {
                throw new StudyValidationException(
                    $"variant '{Variant.Id}': replace \"{Shorten(from)}\" matches nothing in the {mode.ToName()} system prompt '{start.Name}' (subject '{Subject.Id}')");
            }

            text = text.Replace(from, to, StringComparison.Ordinal);
        }

        text += Variant.Append ?? string.Empty;
        return SystemPrompt.FromText($"{start.Name}~{Variant.Id}", text, $"{start.Source} (variant {Variant.Id})");
    }

    /// <summary>The scenarios of the cell: its system prompts, user template and prefill rule.</summary>
    /// <param name="inputs">The loaded inputs.</param>
    /// <exception cref="StudyValidationException">A <c>replace</c> text matches nothing.</exception>
    public ScenarioBuilder BuildScenarios(StudyInputs inputs)
    {
        var scenarios = new ScenarioBuilder()
            .WithUserTemplate(Effective(s => s.Template) switch
            {
                "no-suffix" => UserMessageTemplate.NoSuffix,
                "control" => UserMessageTemplate.Control,
                _ => UserMessageTemplate.Original,
            })
            .WithPrefill(Effective(s => s.Prefill) switch
            {
                "always" => PrefillPolicy.Always,
                "never" => PrefillPolicy.Never,
                _ => PrefillPolicy.Original,
            });
        var prefillText = Variant.PrefillText ?? Subject.PrefillText;
        foreach (var mode in Study.ReasoningModes)
        {
            scenarios.WithSystemPrompt(mode, GetSystemPrompt(inputs, mode));
            if (prefillText?.For(mode) is { Length: > 0 } text)
            {
                scenarios.WithPrefillText(mode, text);
            }
        }

        return scenarios;
    }

    /// <summary>The experiment options of the cell (no response cache or budget: the caller adds those).</summary>
    public ExperimentOptions CreateOptions() => new()
    {
        Modes = Study.ReasoningModes,
        Epochs = Study.Epochs,
        Temperature = Effective(s => s.Temperature) ?? 1.0f,
        MaxOutputTokens = Effective(s => s.MaxTokens),
        ReasoningEffort = Effective(s => s.ReasoningEffort) switch
        {
            "low" => Microsoft.Extensions.AI.ReasoningEffort.Low,
            "medium" => Microsoft.Extensions.AI.ReasoningEffort.Medium,
            "high" => Microsoft.Extensions.AI.ReasoningEffort.High,
            _ => null,
        },
        ThinkingBudget = Effective(s => s.ThinkingBudget),
        Seed = Effective(s => s.Seed),
        Extraction = Effective(s => s.Extraction) == "after-last-scratchpad" ? OutputExtraction.AfterLastScratchpad : OutputExtraction.Original,
        MaxConcurrency = Effective(s => s.Concurrency) ?? 8,
        ModelId = ModelId,
    };

    /// <summary>
    /// The subject's price as <c>af estimate</c> resolves it: the cell's <c>priceInput</c>/<c>priceOutput</c>, else the
    /// built-in table's (with <c>noPromptCache</c>, an Anthropic price without its caching rates); the simulated organism
    /// costs nothing; <see langword="null"/> when unknown.
    /// </summary>
    public ModelPrice? ResolvePrice()
    {
        ModelPrice? price;
        if (Effective(s => s.PriceInput) is { } input && Effective(s => s.PriceOutput) is { } output)
        {
            price = new ModelPrice { Input = input, CachedInput = Effective(s => s.PriceCachedInput), Output = output, BatchDiscount = 0.5m, Source = "user" };
        }
        else if (Subject.IsSimulated)
        {
            price = new ModelPrice { Input = 0m, Output = 0m, Source = "simulated organism: no cost" };
        }
        else
        {
            price = PriceTable.BuiltIn.TryFind(ModelId, out var builtIn) ? builtIn : null;
        }

        return (Effective(s => s.NoPromptCache) ?? false) && price?.CacheWriteInput is not null
            ? price with { CachedInput = null, CacheWriteInput = null }
            : price;
    }

    /// <inheritdoc />
    public override string ToString() => Id;

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..57] + "...";
}
