using AlignmentFaking.Scenarios;

namespace AlignmentFaking.Storage;

/// <summary>The content of <c>manifest.json</c>: what was run, on what, with which inputs. Field names are a contract.</summary>
public sealed record RunManifest
{
    /// <summary>Version of the run-directory format.</summary>
    public int SchemaVersion { get; init; } = RunDirectory.SchemaVersion;

    /// <summary>Version of the AlignmentFaking library that wrote the run.</summary>
    public string LibraryVersion { get; init; } = RunDirectory.LibraryVersion;

    /// <summary>The subject model id.</summary>
    public required string Model { get; init; }

    /// <summary>What kind of subject: <c>openai-compatible</c>, <c>simulated</c>, or <c>custom</c>.</summary>
    public required string Subject { get; init; }

    /// <summary>
    /// Host (and port) of the endpoint the run started with, never with credentials or path; <see langword="null"/>
    /// in-process. A resume keeps it and records its own endpoint in <see cref="ResumeLog"/>.
    /// </summary>
    public string? EndpointHost { get; init; }

    /// <summary>The run's options.</summary>
    public required RunOptionsRecord Options { get; init; }

    /// <summary>The dataset.</summary>
    public required DatasetRecord Dataset { get; init; }

    /// <summary>The system prompts, one per mode.</summary>
    public required IReadOnlyList<PromptRecord> Prompts { get; init; }

    /// <summary>When the run started.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>When the run ended; <see langword="null"/> while it runs or if it was interrupted.</summary>
    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>Whether every planned sample is in <c>samples.jsonl</c>.</summary>
    public bool Complete { get; init; }

    /// <summary>How many times the run was resumed.</summary>
    public int Resumes { get; init; }

    /// <summary>
    /// One entry per resume, in order: when, against which endpoint host, on which path. <see langword="null"/> (and not
    /// written) for a run never resumed.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<ResumeRecord>? ResumeLog { get; init; }

    /// <summary>
    /// The cost estimate made for the run (its shard, for a shard; the sum of the shards' for a merged run), without
    /// actual usage: with the samples it gives the <c>cost</c> of <c>summary.json</c> (see
    /// <see cref="RunSummary.Compute(RunManifest, IEnumerable{Running.ExperimentSample})"/>).
    /// <see langword="null"/> (and not written) when no estimate was made.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public Costs.RunCostSummary? CostEstimate { get; init; }

    /// <summary>The shard this run directory holds (<c>i/n</c>), or <see langword="null"/> for a whole run.</summary>
    public string? Shard { get; init; }

    /// <summary>
    /// How the model was called: <c>online</c> (live calls) or <c>batch</c> (the provider's batch API, see
    /// <c>Running.Batch.BatchExperimentRunner</c>); the path of the last (re)start. <see langword="null"/> when not recorded.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Path { get; init; }

    /// <summary>For a merged run, the shard directories it was merged from.</summary>
    public IReadOnlyList<string>? MergedFrom { get; init; }
}

/// <summary>One resume of a run, in <see cref="RunManifest.ResumeLog"/>.</summary>
public sealed record ResumeRecord
{
    /// <summary>When the resuming session started.</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>Host (and port) of the endpoint it called, never with credentials or path; <see langword="null"/> in-process.</summary>
    public string? EndpointHost { get; init; }

    /// <summary><c>online</c> or <c>batch</c>, when recorded.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Path { get; init; }
}

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

    /// <summary>Name of the user-turn template.</summary>
    public required string UserTemplate { get; init; }

    /// <summary>SHA-256 of the user-turn template definition (template, suffix, tier values).</summary>
    public required string UserTemplateSha256 { get; init; }

    /// <summary>Conversations in flight at once.</summary>
    public required int MaxConcurrency { get; init; }
}

/// <summary>The dataset recorded in the manifest.</summary>
public sealed record DatasetRecord
{
    /// <summary>A name (<c>advbench</c>, a file name, <c>built-in</c>).</summary>
    public required string Name { get; init; }

    /// <summary>Where it was read from.</summary>
    public string? Source { get; init; }

    /// <summary>SHA-256 of the dataset file, or of the request texts joined by newlines for in-memory lists.</summary>
    public required string Sha256 { get; init; }

    /// <summary>Rows skipped at the start.</summary>
    public int Offset { get; init; }

    /// <summary>Row limit, if any.</summary>
    public int? Limit { get; init; }

    /// <summary>Requests run.</summary>
    public required int Count { get; init; }
}

/// <summary>A system prompt recorded in the manifest; its text is in <c>prompts/{sha256}.txt</c>.</summary>
public sealed record PromptRecord
{
    /// <summary>The mode it is used for.</summary>
    public required ReasoningMode Mode { get; init; }

    /// <summary>Its name.</summary>
    public required string Name { get; init; }

    /// <summary>Where it came from.</summary>
    public required string Source { get; init; }

    /// <summary>SHA-256 of its UTF-8 bytes.</summary>
    public required string Sha256 { get; init; }
}
