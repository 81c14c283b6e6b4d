using AlignmentFaking.Scenarios;

namespace AlignmentFaking.Studies;

/// <summary>
/// Builds a <see cref="Study"/> from code, with the same fields and defaults as <c>study.json</c>; <see cref="Build"/>
/// validates it.
/// </summary>
/// <example>
/// <code>
/// Study study = Study.CreateBuilder("lab-swap")
///     .WithDataset(new StudyDataset { Source = "advbench", Limit = 100 })
///     .WithModes(ReasoningMode.Cot, ReasoningMode.NoCot)
///     .AddSubject(new StudySubject { Id = "llama-405b", Endpoint = "https://api.deepinfra.com/v1/openai", Model = "meta-llama/Meta-Llama-3.1-405B-Instruct" })
///     .AddVariant(new StudyVariant { Id = "default" })
///     .AddVariant(new StudyVariant { Id = "openai-lab", Replace = new Dictionary&lt;string, string&gt; { ["Anthropic"] = "OpenAI" } })
///     .Build();
/// </code>
/// </example>
public sealed class StudyBuilder
{
    private readonly string _name;
    private readonly List<StudySubject> _subjects = [];
    private readonly List<StudyVariant> _variants = [];
    private StudyDataset _dataset = new();
    private IReadOnlyList<string> _modes = ["cot"];
    private int _epochs = 1;
    private StudySystemPrompt _prompt = StudySystemPrompt.ForAll("original");
    private StudyJudge? _judge;
    private StudyComparisons _comparisons = StudyComparisons.Auto;
    private decimal? _budget;
    private double _alpha = 0.05;
    private StudyPlanning _planning = new();
    private string _directory = Directory.GetCurrentDirectory();

    internal StudyBuilder(string name) => _name = name;

    /// <summary>Sets the dataset (default: AdvBench, every request).</summary>
    /// <param name="dataset">The dataset.</param>
    /// <returns>This builder.</returns>
    public StudyBuilder WithDataset(StudyDataset dataset)
    {
        _dataset = dataset ?? throw new ArgumentNullException(nameof(dataset));
        return this;
    }

    /// <summary>Sets the modes (default: CoT).</summary>
    /// <param name="modes">The modes.</param>
    /// <returns>This builder.</returns>
    public StudyBuilder WithModes(params ReasoningMode[] modes)
    {
        ArgumentNullException.ThrowIfNull(modes);
        _modes = [.. modes.Select(m => m.ToName())];
        return this;
    }

    /// <summary>Sets the epochs (default: 1).</summary>
    /// <param name="epochs">Samples per request and tier.</param>
    /// <returns>This builder.</returns>
    public StudyBuilder WithEpochs(int epochs)
    {
        _epochs = epochs;
        return this;
    }

    /// <summary>Sets the system prompt of every cell (default: <c>original</c>).</summary>
    /// <param name="prompt">The prompt: <see cref="StudySystemPrompt.ForAll"/> or one per mode.</param>
    /// <returns>This builder.</returns>
    public StudyBuilder WithSystemPrompt(StudySystemPrompt prompt)
    {
        _prompt = prompt ?? throw new ArgumentNullException(nameof(prompt));
        return this;
    }

    /// <summary>Adds a subject.</summary>
    /// <param name="subject">The subject.</param>
    /// <returns>This builder.</returns>
    public StudyBuilder AddSubject(StudySubject subject)
    {
        _subjects.Add(subject ?? throw new ArgumentNullException(nameof(subject)));
        return this;
    }

    /// <summary>Adds a variant; the first added is the reference of <c>"auto"</c> comparisons (default: one variant <c>default</c>).</summary>
    /// <param name="variant">The variant.</param>
    /// <returns>This builder.</returns>
    public StudyBuilder AddVariant(StudyVariant variant)
    {
        _variants.Add(variant ?? throw new ArgumentNullException(nameof(variant)));
        return this;
    }

    /// <summary>Sets the judge (default: none).</summary>
    /// <param name="judge">The judge.</param>
    /// <returns>This builder.</returns>
    public StudyBuilder WithJudge(StudyJudge? judge)
    {
        _judge = judge;
        return this;
    }

    /// <summary>Sets the comparisons (default: <see cref="StudyComparisons.Auto"/>).</summary>
    /// <param name="comparisons">The comparisons.</param>
    /// <returns>This builder.</returns>
    public StudyBuilder WithComparisons(StudyComparisons comparisons)
    {
        _comparisons = comparisons ?? throw new ArgumentNullException(nameof(comparisons));
        return this;
    }

    /// <summary>Sets the study's one budget in USD (default: none).</summary>
    /// <param name="budgetUsd">The budget.</param>
    /// <returns>This builder.</returns>
    public StudyBuilder WithBudgetUsd(decimal? budgetUsd)
    {
        _budget = budgetUsd;
        return this;
    }

    /// <summary>Sets the family-wise alpha of the comparisons (default: 0.05).</summary>
    /// <param name="alpha">The level.</param>
    /// <returns>This builder.</returns>
    public StudyBuilder WithAlpha(double alpha)
    {
        _alpha = alpha;
        return this;
    }

    /// <summary>Sets the power calculation's assumptions (default: <see cref="StudyPlanning"/>'s).</summary>
    /// <param name="planning">The assumptions.</param>
    /// <returns>This builder.</returns>
    public StudyBuilder WithPlanning(StudyPlanning planning)
    {
        _planning = planning ?? throw new ArgumentNullException(nameof(planning));
        return this;
    }

    /// <summary>Sets the folder relative paths resolve against (default: the current directory).</summary>
    /// <param name="directory">The folder.</param>
    /// <returns>This builder.</returns>
    public StudyBuilder InDirectory(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        _directory = directory;
        return this;
    }

    /// <summary>Builds and validates the study.</summary>
    /// <exception cref="StudyValidationException">The study is invalid.</exception>
    public Study Build()
    {
        var study = new Study
        {
            Name = _name,
            Dataset = _dataset,
            Modes = _modes,
            Epochs = _epochs,
            SystemPrompt = _prompt,
            Subjects = [.. _subjects],
            Variants = _variants.Count == 0 ? [new StudyVariant { Id = "default" }] : [.. _variants],
            Judge = _judge,
            Comparisons = _comparisons,
            BudgetUsd = _budget,
            Alpha = _alpha,
            Planning = _planning,
        }.WithBaseDirectory(_directory);
        study.Validate();
        return study;
    }
}
