using AlignmentFaking.Datasets;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Storage;

namespace AlignmentFaking.Studies;

/// <summary>
/// The loaded inputs of a study: the requests (the same in every cell) and every system prompt a cell starts from,
/// resolved as <c>af run</c> resolves <c>--dataset</c> and <c>--system-prompt</c> (<c>advbench</c> and <c>original</c>
/// through the pinned cache; <c>paraphrase</c> built in; anything else a file relative to the study's folder).
/// </summary>
public sealed class StudyInputs
{
    private readonly Dictionary<(string Choice, ReasoningMode Mode), SystemPrompt> _prompts;

    private StudyInputs(IReadOnlyList<ExperimentRequest> requests, DatasetRecord dataset, Dictionary<(string, ReasoningMode), SystemPrompt> prompts)
    {
        Requests = requests;
        Dataset = dataset;
        _prompts = prompts;
    }

    /// <summary>The requests of every cell.</summary>
    public IReadOnlyList<ExperimentRequest> Requests { get; }

    /// <summary>What the requests are (name, source, sha256, slice), as a run manifest records it.</summary>
    public DatasetRecord Dataset { get; }

    /// <summary>Loads the study's dataset and every system prompt its cells start from.</summary>
    /// <param name="study">The study.</param>
    /// <param name="cache">The pinned-file cache for <c>advbench</c> and <c>original</c>; a default cache when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the loading.</param>
    /// <exception cref="StudyValidationException">A file is missing or unreadable, or the dataset slice is empty.</exception>
    public static async Task<StudyInputs> LoadAsync(Study study, PinnedResourceCache? cache = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(study);
        cache ??= new PinnedResourceCache();
        try
        {
            var (requests, dataset) = await LoadDatasetAsync(study, cache, cancellationToken).ConfigureAwait(false);
            var prompts = new Dictionary<(string, ReasoningMode), SystemPrompt>();
            foreach (var cell in study.GetCells())
            {
                foreach (var mode in study.ReasoningModes)
                {
                    var choice = cell.PromptChoice(mode);
                    if (!prompts.ContainsKey((choice, mode)))
                    {
                        prompts[(choice, mode)] = await LoadPromptAsync(study, choice, mode, cache, cancellationToken).ConfigureAwait(false);
                    }
                }
            }

            return new StudyInputs(requests, dataset, prompts);
        }
        catch (Exception ex) when (ex is DatasetFormatException or PinnedResourceUnavailableException or PinnedResourceHashMismatchException
            or PinnedResourceCacheException or FileNotFoundException or DirectoryNotFoundException or System.Text.DecoderFallbackException)
        {
            throw new StudyValidationException(ex.Message, ex);
        }
    }

    /// <summary>Inputs given in memory (for tests and harnesses): the requests and the prompt of each (choice, mode).</summary>
    /// <param name="requests">The requests.</param>
    /// <param name="prompts">The prompt of each value a study's <c>systemPrompt</c> uses, per mode.</param>
    /// <param name="datasetName">The dataset's name for the manifest.</param>
    public static StudyInputs FromMemory(IReadOnlyList<ExperimentRequest> requests, IEnumerable<(string Choice, ReasoningMode Mode, SystemPrompt Prompt)> prompts, string datasetName = "memory")
    {
        ArgumentNullException.ThrowIfNull(requests);
        ArgumentNullException.ThrowIfNull(prompts);
        var dataset = new DatasetRecord
        {
            Name = datasetName,
            Source = "memory",
            Sha256 = ContentHash.Sha256(string.Join('\n', requests.Select(r => r.Text))),
            Count = requests.Count,
        };
        return new StudyInputs(requests, dataset, prompts.ToDictionary(p => (p.Choice, p.Mode), p => p.Prompt));
    }

    /// <summary>The prompt a cell starts from for <paramref name="choice"/> (<c>original</c>, <c>paraphrase</c> or a path) in a mode.</summary>
    /// <param name="choice">The value of <c>systemPrompt</c>.</param>
    /// <param name="mode">The mode.</param>
    /// <exception cref="KeyNotFoundException">The prompt was not loaded.</exception>
    public SystemPrompt GetPrompt(string choice, ReasoningMode mode)
    {
        ArgumentNullException.ThrowIfNull(choice);
        if (_prompts.TryGetValue((choice, mode), out var prompt))
        {
            return prompt;
        }

        if (string.Equals(choice, "paraphrase", StringComparison.OrdinalIgnoreCase))
        {
            return SystemPrompt.BuiltInParaphrase(mode);
        }

        throw new KeyNotFoundException($"the system prompt '{choice}' ({mode.ToName()}) was not loaded");
    }

    private static async Task<(IReadOnlyList<ExperimentRequest>, DatasetRecord)> LoadDatasetAsync(Study study, PinnedResourceCache cache, CancellationToken ct)
    {
        var d = study.Dataset;
        var slice = new RequestSlice { Offset = d.Offset, Limit = d.Limit };
        bool advbench = string.Equals(d.Source, "advbench", StringComparison.OrdinalIgnoreCase);
        string path = advbench
            ? await cache.GetAsync(KnownResources.AdvBenchHarmfulBehaviors, ct).ConfigureAwait(false)
            : Path.GetFullPath(Path.Combine(study.BaseDirectory, d.Source));
        if (!File.Exists(path))
        {
            throw new StudyValidationException($"dataset.source: file not found: {path}");
        }

        var (requests, record) = await RequestDataset.LoadFileAsync(path, d.Column, slice, advbench ? "advbench" : null, ct).ConfigureAwait(false);
        if (requests.Count == 0)
        {
            throw new StudyValidationException($"dataset: no requests in '{d.Source}' after offset {d.Offset}" + (d.Limit is null ? string.Empty : $" limit {d.Limit}"));
        }

        return (requests, record);
    }

    private static Task<SystemPrompt> LoadPromptAsync(Study study, string choice, ReasoningMode mode, PinnedResourceCache cache, CancellationToken ct) =>
        SystemPrompt.ResolveAsync(choice, mode, cache, study.BaseDirectory, ct);
}
