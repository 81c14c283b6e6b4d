using System.Globalization;
using System.Text.Json;
using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;

namespace AlignmentFaking.Storage;

/// <summary>Combines the run directories of shards (<c>--shard i/n</c>) into one run with one summary.</summary>
public static class RunMerger
{
    /// <summary>
    /// Merges shard run directories into <paramref name="outputDirectory"/> (holding its lock while it writes): the
    /// manifests must agree on everything but the shard; samples are combined (each sample id once; the same id with
    /// different content is an error), prompts copied, the cost estimates added up, and the summary computed from the
    /// merged samples (<see cref="RunSummary.Compute(RunManifest, IEnumerable{ExperimentSample})"/>).
    /// The merged run is complete only when every shard of the split is there and complete and every planned sample
    /// is in it. Merging the same shards again changes nothing when the merged run is complete, and merges them again
    /// (from the shards as they are now) when it is not.
    /// </summary>
    /// <param name="outputDirectory">The merged run directory; must not hold another run.</param>
    /// <param name="shardDirectories">The shard run directories.</param>
    /// <param name="cancellationToken">Cancels the merge.</param>
    /// <returns>The merged run's summary and manifest, and why it is incomplete.</returns>
    public static async Task<RunMergeResult> MergeAsync(string outputDirectory, IReadOnlyList<string> shardDirectories, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(outputDirectory);
        ArgumentNullException.ThrowIfNull(shardDirectories);
        if (shardDirectories.Count == 0)
        {
            throw new ArgumentException("no run directories to merge", nameof(shardDirectories));
        }

        var manifests = shardDirectories.Select(d => (Dir: Path.GetFullPath(d), Manifest: ReadManifestOrThrow(d))).ToArray();
        var first = manifests[0].Manifest;
        foreach (var (dir, manifest) in manifests.Skip(1))
        {
            var differences = RunCompatibility.Differences(first, manifest, ignoreShard: true);
            if (differences.Count > 0)
            {
                throw new IncompatibleRunException(dir, differences);
            }
        }

        var shardNames = manifests.Select(m => m.Manifest.Shard).Where(s => s is not null).ToArray();
        if (shardNames.Distinct().Count() != shardNames.Length)
        {
            throw new ArgumentException("the same shard is given twice: " + string.Join(", ", shardNames), nameof(shardDirectories));
        }

        var sources = manifests.Select(m => m.Dir).ToArray();
        var output = Path.GetFullPath(outputDirectory);
        RunDirectory.EnsureWritable(output);
        using var directoryLock = RunDirectory.AcquireLock(output);
        if (File.Exists(Path.Combine(output, RunDirectory.ManifestFile)))
        {
            var existing = RunDirectory.ReadManifest(output);
            bool sameSources = existing.MergedFrom is { } from && from.Order(StringComparer.Ordinal).SequenceEqual(sources.Order(StringComparer.Ordinal), StringComparer.Ordinal);
            if (!sameSources)
            {
                throw new IOException($"{outputDirectory} already holds a run; merge into a new directory");
            }

            if (existing.Complete)
            {
                return new RunMergeResult { Summary = RunDirectory.Summarize(output), Manifest = existing, AlreadyMerged = true, Incomplete = [] };
            }
        }

        var samples = new Dictionary<string, ExperimentSample>(StringComparer.Ordinal);
        foreach (var (dir, _) in manifests)
        {
            foreach (var sample in RunDirectory.EnumerateSamples(dir))
            {
                if (samples.TryGetValue(sample.SampleId, out var existing) && !SameContent(existing, sample))
                {
                    throw new InvalidDataException($"sample {sample.SampleId} appears in two shards with different content ({dir})");
                }

                samples[sample.SampleId] = sample;
            }
        }

        var prompts = new List<SystemPrompt>();
        foreach (var (dir, manifest) in manifests)
        {
            foreach (var record in manifest.Prompts)
            {
                var file = Path.Combine(dir, RunDirectory.PromptsFolder, record.Sha256 + ".txt");
                if (File.Exists(file) && prompts.All(p => p.Sha256 != record.Sha256))
                {
                    prompts.Add(await SystemPrompt.FromFileAsync(file, cancellationToken).ConfigureAwait(false));
                }
            }
        }

        var ordered = samples.Values.ToList();
        ordered.Sort(SampleOrder.Instance);
        var merged = first with
        {
            Shard = null,
            MergedFrom = sources,
            StartedAt = manifests.Min(m => m.Manifest.StartedAt),
            EndedAt = manifests.Select(m => m.Manifest.EndedAt).Max() ?? DateTimeOffset.UtcNow,
            Resumes = 0,
            ResumeLog = null,
            CostEstimate = Costs.RunCostSummary.Combine(manifests.Select(m => RunDirectory.CostEstimateOf(m.Dir, m.Manifest))),
            Complete = false,
        };
        var summary = RunSummary.Compute(merged, ordered);
        var incomplete = Incomplete(manifests, first, ordered.Count, summary);
        merged = merged with { Complete = incomplete.Count == 0 };

        await RunDirectory.WritePromptsAsync(output, prompts, cancellationToken).ConfigureAwait(false);
        await RunDirectory.RewriteSamplesAsync(output, ordered, cancellationToken).ConfigureAwait(false);
        await RunDirectory.WriteSummaryAsync(output, summary, cancellationToken).ConfigureAwait(false);
        await RunDirectory.WriteAtomicAsync(Path.Combine(output, RunDirectory.ManifestFile), JsonSerializer.SerializeToUtf8Bytes(merged, RunJson.Indented), cancellationToken).ConfigureAwait(false);
        return new RunMergeResult { Summary = summary, Manifest = merged, Incomplete = incomplete };
    }

    /// <summary>Why a merge is not the whole run: shards missing or incomplete, planned samples missing, no verdict.</summary>
    private static List<string> Incomplete((string Dir, RunManifest Manifest)[] manifests, RunManifest first, int sampleCount, RunSummary summary)
    {
        var reasons = new List<string>();
        foreach (var (dir, manifest) in manifests.Where(m => !m.Manifest.Complete))
        {
            reasons.Add($"{dir} is not complete");
        }

        var shards = manifests.Select(m => m.Manifest.Shard).OfType<string>().Select(Shard.Parse).ToArray();
        if (shards.Length > 0)
        {
            var splits = shards.Select(s => s.Count).Distinct().ToArray();
            if (splits.Length > 1)
            {
                reasons.Add("the shards come from different splits: " + string.Join(", ", shards.Select(s => s.ToString())));
            }
            else
            {
                var missing = Enumerable.Range(1, splits[0]).Where(i => shards.All(s => s.Index != i)).Select(i => new Shard(i, splits[0]).ToString()).ToArray();
                if (missing.Length > 0)
                {
                    reasons.Add("shard(s) " + string.Join(", ", missing) + " missing");
                }
            }
        }

        var options = first.Options;
        long planned = (long)first.Dataset.Count * options.Tiers.Count * options.Modes.Count * options.Epochs;
        if (sampleCount != planned)
        {
            reasons.Add(string.Create(CultureInfo.InvariantCulture, $"{sampleCount} of {planned} planned samples"));
        }

        if (sampleCount > 0 && summary.SamplesWithVerdict == 0)
        {
            reasons.Add("no sample has a verdict");
        }

        return reasons;
    }

    private static RunManifest ReadManifestOrThrow(string directory) =>
        File.Exists(Path.Combine(directory, RunDirectory.ManifestFile))
            ? RunDirectory.ReadManifest(directory)
            : throw new DirectoryNotFoundException($"{directory} is not a run directory (no {RunDirectory.ManifestFile})");

    private static bool SameContent(ExperimentSample a, ExperimentSample b) =>
        a.Output == b.Output && a.Proxy == b.Proxy && a.Transcript.SequenceEqual(b.Transcript);
}
