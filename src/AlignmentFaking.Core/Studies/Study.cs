using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using AlignmentFaking.Scenarios;

namespace AlignmentFaking.Studies;

/// <summary>
/// A study: subjects x prompt variants x modes in one file (<c>study.json</c>), planned, budgeted and compared as one.
/// Field names are a contract (see <c>schemas/study.schema.json</c>, also <see cref="GetJsonSchema"/>). Load one with
/// <see cref="Load"/> or <see cref="Parse"/> (comments and trailing commas allowed, unknown fields refused), or build one
/// with <see cref="CreateBuilder"/>; <see cref="Validate"/> reports every problem naming its field.
/// </summary>
public sealed partial class Study
{
    /// <summary>The file name <c>af study</c> expects by convention: <c>study.json</c>.</summary>
    public const string FileName = "study.json";

    /// <summary>An optional <c>$schema</c> reference, kept for editors; ignored otherwise.</summary>
    [JsonPropertyName("$schema")]
    public string? Schema { get; set; }

    /// <summary>The study's name. Required.</summary>
    [JsonPropertyName("name")]
    public string Name { get; set; } = string.Empty;

    /// <summary>The requests of every cell. Default: AdvBench, every request.</summary>
    [JsonPropertyName("dataset")]
    public StudyDataset Dataset { get; set; } = new();

    /// <summary>The modes of every cell: <c>cot</c>, <c>no-cot</c>. Default: <c>["cot"]</c>, as <c>af run</c>.</summary>
    [JsonPropertyName("modes")]
    public IReadOnlyList<string> Modes { get; set; } = ["cot"];

    /// <summary>Samples per request and tier, at least 1. Default: 1.</summary>
    [JsonPropertyName("epochs")]
    public int Epochs { get; set; } = 1;

    /// <summary>The system prompt of every cell (a variant may replace it). Default: <c>original</c>.</summary>
    [JsonPropertyName("systemPrompt")]
    public StudySystemPrompt SystemPrompt { get; set; } = StudySystemPrompt.ForAll("original");

    /// <summary>The subjects (models). At least one.</summary>
    [JsonPropertyName("subjects")]
    public IReadOnlyList<StudySubject> Subjects { get; set; } = [];

    /// <summary>The variants; the first is the reference of <c>"auto"</c> comparisons. Default: one variant <c>default</c> that changes nothing.</summary>
    [JsonPropertyName("variants")]
    public IReadOnlyList<StudyVariant> Variants { get; set; } = [new StudyVariant { Id = "default" }];

    /// <summary>The LLM judge of every cell. Default: none (the proxy is the only measure).</summary>
    [JsonPropertyName("judge")]
    public StudyJudge? Judge { get; set; }

    /// <summary>The comparisons tested. Default: <c>"auto"</c>.</summary>
    [JsonPropertyName("comparisons")]
    public StudyComparisons Comparisons { get; set; } = StudyComparisons.Auto;

    /// <summary>One budget in USD for every cell together, at least 0. Default: none.</summary>
    [JsonPropertyName("budgetUsd")]
    public decimal? BudgetUsd { get; set; }

    /// <summary>The family-wise significance level of the comparisons (Holm), in (0, 1). Default: 0.05.</summary>
    [JsonPropertyName("alpha")]
    public double Alpha { get; set; } = 0.05;

    /// <summary>The assumptions of the power calculation. Default: see <see cref="StudyPlanning"/>.</summary>
    [JsonPropertyName("planning")]
    public StudyPlanning Planning { get; set; } = new();

    /// <summary>The folder relative paths (dataset, prompts) are resolved against: the study file's folder, or the current directory.</summary>
    [JsonIgnore]
    public string BaseDirectory { get; set; } = Directory.GetCurrentDirectory();

    /// <summary>The modes as <see cref="ReasoningMode"/> values (valid after <see cref="Validate"/>).</summary>
    [JsonIgnore]
    public IReadOnlyList<ReasoningMode> ReasoningModes => [.. Modes.Select(ScenarioNames.ParseMode)];

    /// <summary>A fluent builder of a study from code.</summary>
    /// <param name="name">The study's name.</param>
    public static StudyBuilder CreateBuilder(string name) => new(name);

    /// <summary>Loads and validates a study file; relative paths in it resolve against its folder.</summary>
    /// <param name="path">The file.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="StudyValidationException">The file is not valid JSON of a study, or the study is invalid.</exception>
    public static Study Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new FileNotFoundException($"study file not found: {full}", full);
        }

        return Parse(File.ReadAllText(full), Path.GetDirectoryName(full), Path.GetFileName(full));
    }

    /// <summary>Parses and validates a study from JSON text.</summary>
    /// <param name="json">The JSON (comments and trailing commas allowed).</param>
    /// <param name="baseDirectory">The folder relative paths resolve against; the current directory when <see langword="null"/>.</param>
    /// <param name="fileName">The name errors mention. Default: <c>study.json</c>.</param>
    /// <exception cref="StudyValidationException">The JSON is not a study, or the study is invalid.</exception>
    public static Study Parse(string json, string? baseDirectory = null, string fileName = FileName)
    {
        ArgumentNullException.ThrowIfNull(json);
        Study? study;
        try
        {
            study = JsonSerializer.Deserialize(json, StudyJsonContext.Default.Study);
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } line ? string.Create(CultureInfo.InvariantCulture, $" line {line + 1}") : string.Empty;
            var path = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? string.Empty : $" at {ex.Path}";
            throw new StudyValidationException($"{fileName}{where}{path}: {FirstLine(ex.Message)}", ex);
        }

        if (study is null)
        {
            throw new StudyValidationException($"{fileName}: the file holds null, not a study");
        }

        study = study.WithBaseDirectory(baseDirectory ?? Directory.GetCurrentDirectory());
        study.Validate();
        return study;
    }

    /// <summary>The study as JSON, in the file's format.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, StudyJsonContext.Default.Study);

    /// <summary>The published JSON Schema of <c>study.json</c> (draft 2020-12), as shipped in the package.</summary>
    public static string GetJsonSchema()
    {
        using var stream = typeof(Study).Assembly.GetManifestResourceStream("AlignmentFaking.Studies.study.schema.json")
            ?? throw new InvalidOperationException("the study schema resource is missing from the assembly");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Checks every field; throws with every problem, each naming its field or cell.</summary>
    /// <exception cref="StudyValidationException">The study is invalid.</exception>
    public void Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Name))
        {
            errors.Add("name: required");
        }

        ValidateDataset(errors);
        var modes = new HashSet<string>(StringComparer.Ordinal);
        if (Modes is null || Modes.Count == 0)
        {
            errors.Add("modes: give at least one of cot, no-cot");
        }
        else
        {
            for (int i = 0; i < Modes.Count; i++)
            {
                if (Modes[i] is not ("cot" or "no-cot"))
                {
                    errors.Add($"modes[{i}]: '{Modes[i]}' is not a mode (cot, no-cot)");
                }
                else if (!modes.Add(Modes[i]))
                {
                    errors.Add($"modes[{i}]: '{Modes[i]}' is given twice");
                }
            }
        }

        if (Epochs < 1)
        {
            errors.Add(Invariant($"epochs: must be at least 1 (was {Epochs})"));
        }

        ValidatePrompt(SystemPrompt, "systemPrompt", errors);
        if (Subjects is null || Subjects.Count == 0)
        {
            errors.Add("subjects: give at least one subject");
        }

        var subjects = ValidateIds(Subjects ?? [], "subjects", s => s.Id, errors);
        for (int i = 0; i < (Subjects?.Count ?? 0); i++)
        {
            var s = Subjects![i];
            var at = $"subjects[{i}] ('{s.Id}')";
            if (!string.IsNullOrWhiteSpace(s.Endpoint) && string.IsNullOrWhiteSpace(s.Model))
            {
                errors.Add($"{at}.model: required with an endpoint");
            }

            if (s.Endpoint is { Length: > 0 } endpoint && !Uri.TryCreate(endpoint, UriKind.Absolute, out _))
            {
                errors.Add($"{at}.endpoint: '{endpoint}' is not an absolute URL");
            }

            if (s.ApiKeyEnv is not null && !VariableName().IsMatch(s.ApiKeyEnv))
            {
                errors.Add($"{at}.apiKeyEnv: must be an environment variable's name (letters, digits, _), not a key");
            }

            if (s.Provider is not null && !IdPattern().IsMatch(s.Provider))
            {
                errors.Add($"{at}.provider: '{s.Provider}' is not a provider name");
            }

            ValidateSettings(s, at, errors);
        }

        if (Variants is null || Variants.Count == 0)
        {
            errors.Add("variants: give at least one variant (e.g. { \"id\": \"default\" })");
        }

        var variants = ValidateIds(Variants ?? [], "variants", v => v.Id, errors);
        for (int i = 0; i < (Variants?.Count ?? 0); i++)
        {
            var v = Variants![i];
            var at = $"variants[{i}] ('{v.Id}')";
            foreach (var (from, _) in v.Replace ?? new Dictionary<string, string>())
            {
                if (from.Length == 0)
                {
                    errors.Add($"{at}.replace: an empty text cannot be replaced");
                }
            }

            if (v.SystemPrompt is not null)
            {
                ValidatePrompt(v.SystemPrompt, at + ".systemPrompt", errors);
            }

            ValidateSettings(v, at, errors);
        }

        if (Judge is { } judge)
        {
            if (!string.IsNullOrWhiteSpace(judge.Endpoint) && string.IsNullOrWhiteSpace(judge.Model))
            {
                errors.Add("judge.model: required with an endpoint");
            }

            if (judge.Votes is < 1 or > 1000)
            {
                errors.Add(Invariant($"judge.votes: must be 1 to 1000 (was {judge.Votes})"));
            }

            if (judge.VotesPerRequest is < 1 or > 128)
            {
                errors.Add(Invariant($"judge.votesPerRequest: must be 1 to 128 (was {judge.VotesPerRequest})"));
            }

            if (judge.Threshold is { } threshold && !(threshold > 0 && threshold <= 1))
            {
                errors.Add(Invariant($"judge.threshold: must be above 0 and at most 1 (was {threshold})"));
            }

            if (judge.MinValidVoteShare is { } share && !(share >= 0 && share <= 1))
            {
                errors.Add(Invariant($"judge.minValidVoteShare: must be 0 to 1 (was {share})"));
            }

            if (judge.AfSource is not null && judge.AfSource is not ("scratchpad" or "reasoning" or "both"))
            {
                errors.Add($"judge.afSource: must be one of scratchpad, reasoning, both (was '{judge.AfSource}')");
            }

            if (judge.Retries is < 0 or > 5)
            {
                errors.Add(Invariant($"judge.retries: must be 0 to 5 (was {judge.Retries})"));
            }

            if (judge.ApiKeyEnv is not null && !VariableName().IsMatch(judge.ApiKeyEnv))
            {
                errors.Add("judge.apiKeyEnv: must be an environment variable's name (letters, digits, _), not a key");
            }

            if (judge.PriceInput is not null != judge.PriceOutput is not null || judge.PriceInput < 0 || judge.PriceOutput < 0)
            {
                errors.Add("judge.priceInput, judge.priceOutput: give both, each at least 0");
            }
        }

        if (Comparisons is null)
        {
            errors.Add("comparisons: \"auto\" or a list");
        }
        else
        {
            for (int i = 0; i < Comparisons.List.Count; i++)
            {
                var c = Comparisons.List[i];
                ValidateReference(c.A, $"comparisons[{i}].a", subjects, variants, modes, errors);
                ValidateReference(c.B, $"comparisons[{i}].b", subjects, variants, modes, errors);
                if (Resolve(c.A) == Resolve(c.B))
                {
                    errors.Add($"comparisons[{i}]: a and b are the same cell ({Resolve(c.A)})");
                }
            }
        }

        if (BudgetUsd < 0)
        {
            errors.Add(Invariant($"budgetUsd: must be at least 0 (was {BudgetUsd})"));
        }

        if (!(Alpha > 0 && Alpha < 1))
        {
            errors.Add(Invariant($"alpha: must be between 0 and 1 (was {Alpha})"));
        }

        var p = Planning ?? new StudyPlanning();
        if (!(p.TrainingRate >= 0 && p.TrainingRate <= 1) || !(p.UnmonitoredRate >= 0 && p.UnmonitoredRate <= 1))
        {
            errors.Add("planning.trainingRate, planning.unmonitoredRate: must be in [0, 1]");
        }

        if (!(p.Correlation >= 0 && p.Correlation < 1))
        {
            errors.Add(Invariant($"planning.correlation: must be in [0, 1) (was {p.Correlation})"));
        }

        if (!(p.Power > 0 && p.Power < 1))
        {
            errors.Add(Invariant($"planning.power: must be between 0 and 1 (was {p.Power})"));
        }

        if (errors.Count > 0)
        {
            throw new StudyValidationException(errors);
        }
    }

    /// <summary>A comparison's cell with the defaults filled in: the first variant and the first mode when not given.</summary>
    /// <param name="cell">The cell as written.</param>
    public StudyCellReference Resolve(StudyCellReference cell)
    {
        ArgumentNullException.ThrowIfNull(cell);
        return cell with
        {
            Variant = cell.Variant ?? (Variants.Count > 0 ? Variants[0].Id : null),
            Mode = cell.Mode ?? (Modes.Count > 0 ? Modes[0] : null),
        };
    }

    /// <summary>The cells: every subject x every variant, subjects outer, in the file's order.</summary>
    public IReadOnlyList<StudyCell> GetCells() =>
        [.. Subjects.SelectMany(s => Variants.Select(v => new StudyCell(this, s, v)))];

    /// <summary>
    /// The comparisons tested, resolved: the explicit list, or for <c>"auto"</c> in every mode: in each subject, each
    /// variant against the first; then in each variant, each subject against the first.
    /// </summary>
    public IReadOnlyList<StudyComparison> GetComparisons()
    {
        if (!Comparisons.IsAuto)
        {
            return [.. Comparisons.List.Select(c => new StudyComparison { A = Resolve(c.A), B = Resolve(c.B) })];
        }

        var list = new List<StudyComparison>();
        foreach (var mode in Modes)
        {
            foreach (var s in Subjects)
            {
                foreach (var v in Variants.Skip(1))
                {
                    list.Add(new StudyComparison { A = new() { Subject = s.Id, Variant = v.Id, Mode = mode }, B = new() { Subject = s.Id, Variant = Variants[0].Id, Mode = mode } });
                }
            }

            foreach (var v in Variants)
            {
                foreach (var s in Subjects.Skip(1))
                {
                    list.Add(new StudyComparison { A = new() { Subject = s.Id, Variant = v.Id, Mode = mode }, B = new() { Subject = Subjects[0].Id, Variant = v.Id, Mode = mode } });
                }
            }
        }

        return list;
    }

    internal Study WithBaseDirectory(string directory) => new()
    {
        Schema = Schema,
        Name = Name,
        Dataset = Dataset ?? new StudyDataset(),
        Modes = Modes ?? [],
        Epochs = Epochs,
        SystemPrompt = SystemPrompt ?? StudySystemPrompt.ForAll("original"),
        Subjects = Subjects ?? [],
        Variants = Variants ?? [],
        Judge = Judge,
        Comparisons = Comparisons ?? StudyComparisons.Auto,
        BudgetUsd = BudgetUsd,
        Alpha = Alpha,
        Planning = Planning ?? new StudyPlanning(),
        BaseDirectory = Path.GetFullPath(directory),
    };

    private void ValidateDataset(List<string> errors)
    {
        if (Dataset is null)
        {
            errors.Add("dataset: required");
            return;
        }

        if (string.IsNullOrWhiteSpace(Dataset.Source))
        {
            errors.Add("dataset.source: 'advbench' or a path");
        }

        if (Dataset.Limit < 0)
        {
            errors.Add(Invariant($"dataset.limit: must be at least 0 (was {Dataset.Limit})"));
        }

        if (Dataset.Offset < 0)
        {
            errors.Add(Invariant($"dataset.offset: must be at least 0 (was {Dataset.Offset})"));
        }
    }

    private static void ValidatePrompt(StudySystemPrompt? prompt, string at, List<string> errors)
    {
        if (prompt is null)
        {
            errors.Add(at + ": required");
            return;
        }

        foreach (var (name, value) in new[] { ("cot", prompt.Cot), ("no-cot", prompt.NoCot) })
        {
            if (value is not null && string.IsNullOrWhiteSpace(value))
            {
                errors.Add($"{at}.{name}: 'original', 'paraphrase' or a path (was empty)");
            }
        }
    }

    private static HashSet<string> ValidateIds<T>(IReadOnlyList<T> items, string field, Func<T, string> id, List<string> errors)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < items.Count; i++)
        {
            var value = id(items[i]);
            if (string.IsNullOrEmpty(value) || !IdPattern().IsMatch(value))
            {
                errors.Add($"{field}[{i}].id: '{value}' is not an id (letters, digits, '.', '_', '-'; it names run directories)");
            }
            else if (seen.TryGetValue(value, out int first))
            {
                errors.Add($"{field}[{i}].id: duplicate id '{value}' (also {field}[{first}])");
            }
            else
            {
                seen[value] = i;
            }
        }

        return [.. seen.Keys];
    }

    private void ValidateReference(StudyCellReference? cell, string at, HashSet<string> subjects, HashSet<string> variants, HashSet<string> modes, List<string> errors)
    {
        if (cell is null)
        {
            errors.Add(at + ": required ({ \"subject\": ..., \"variant\": ..., \"mode\": ... })");
            return;
        }

        if (!subjects.Contains(cell.Subject ?? string.Empty))
        {
            errors.Add($"{at}.subject: unknown subject id '{cell.Subject}' (subjects: {string.Join(", ", subjects)})");
        }

        if (cell.Variant is not null && !variants.Contains(cell.Variant))
        {
            errors.Add($"{at}.variant: unknown variant id '{cell.Variant}' (variants: {string.Join(", ", variants)})");
        }

        if (cell.Mode is not null && !modes.Contains(cell.Mode))
        {
            errors.Add($"{at}.mode: '{cell.Mode}' is not one of the study's modes ({string.Join(", ", modes)})");
        }
    }

    private static void ValidateSettings(StudyCellSettings s, string at, List<string> errors)
    {
        if (s.Temperature is { } t && !(t >= 0 && t <= 2))
        {
            errors.Add(Invariant($"{at}.temperature: must be 0 to 2 (was {t})"));
        }

        Positive(s.MaxTokens, "maxTokens");
        Positive(s.Rpm, "rpm");
        Positive(s.Tpm, "tpm");
        Positive(s.Concurrency, "concurrency");
        if (s.ThinkingBudget is { } budget && budget < Running.ExperimentOptions.MinThinkingBudget)
        {
            errors.Add(Invariant($"{at}.thinkingBudget: must be at least {Running.ExperimentOptions.MinThinkingBudget} (was {budget})"));
        }

        if (s.MaxRetries is { } retries && retries is < 0 or > 100)
        {
            errors.Add(Invariant($"{at}.maxRetries: must be 0 to 100 (was {retries})"));
        }

        OneOf(s.ReasoningEffort, "reasoningEffort", "low", "medium", "high");
        OneOf(s.Prefill, "prefill", "original", "always", "never");
        if (s.PrefillText is { } prefillText && (prefillText.Cot is "" || prefillText.NoCot is ""))
        {
            errors.Add($"{at}.prefillText: must not be empty (leave it out for the original's prefill)");
        }

        OneOf(s.Template, "template", "original", "no-suffix", "control");
        OneOf(s.Extraction, "extraction", "original", "after-last-scratchpad");
        if (s.BatchProvider is not null && !IdPattern().IsMatch(s.BatchProvider))
        {
            errors.Add($"{at}.batchProvider: must be a provider name such as openai or anthropic (was '{s.BatchProvider}')");
        }

        if (s.CacheDir is { Length: 0 })
        {
            errors.Add($"{at}.cacheDir: must not be empty (leave it out for no shared cache)");
        }
        foreach (var (name, value) in new[] { ("attemptTimeout", s.AttemptTimeout), ("totalTimeout", s.TotalTimeout) })
        {
            if (value is not null && StudyDuration.Parse(value) is null)
            {
                errors.Add($"{at}.{name}: '{value}' is not a duration (e.g. 90s, 5m, 1h)");
            }
        }

        if (s.MaxReplyMb is { } mb && !(mb > 0))
        {
            errors.Add(Invariant($"{at}.maxReplyMb: must be above 0 (was {mb})"));
        }

        if (s.PriceInput is not null != s.PriceOutput is not null || s.PriceInput < 0 || s.PriceOutput < 0 || s.PriceCachedInput < 0)
        {
            errors.Add($"{at}.priceInput, {at}.priceOutput: give both (USD per million tokens), each at least 0");
        }
        else if (s.PriceCachedInput is not null && s.PriceInput is null)
        {
            errors.Add($"{at}.priceCachedInput: needs priceInput and priceOutput");
        }
        else if (s.PriceCachedInput > s.PriceInput)
        {
            errors.Add($"{at}.priceCachedInput: must not exceed priceInput");
        }

        void Positive(int? value, string name)
        {
            if (value is < 1)
            {
                errors.Add(Invariant($"{at}.{name}: must be at least 1 (was {value})"));
            }
        }

        void OneOf(string? value, string name, params string[] allowed)
        {
            if (value is not null && !allowed.Contains(value, StringComparer.Ordinal))
            {
                errors.Add($"{at}.{name}: '{value}' is not one of {string.Join(", ", allowed)}");
            }
        }
    }

    private static string FirstLine(string message)
    {
        int end = message.IndexOf('\n', StringComparison.Ordinal);
        var line = end < 0 ? message : message[..end];
        // System.Text.Json appends "Path: $.x | LineNumber: n | BytePositionInLine: m." to some messages; the path is given already.
        int at = line.IndexOf(" Path: ", StringComparison.Ordinal);
        return at < 0 ? line.Trim() : line[..at].Trim();
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex IdPattern();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex VariableName();
}
