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

    /// <summary>
    /// The number of samples the run plans: every request of the dataset slice (of this shard's share, for a shard) in
    /// each tier, mode and epoch. A run is complete only when this many samples are in <c>samples.jsonl</c>.
    /// </summary>
    /// <returns>The planned number of samples.</returns>
    public long PlannedSampleCount()
    {
        long requests = Dataset.Count;
        if (Shard is not null)
        {
            var shard = Running.Shard.Parse(Shard);
            requests = requests < shard.Index ? 0 : ((requests - shard.Index) / shard.Count) + 1;
        }

        return requests * Options.Tiers.Count * Options.Modes.Count * Options.Epochs;
    }
}
