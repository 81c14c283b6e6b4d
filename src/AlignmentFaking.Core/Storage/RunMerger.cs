using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;

namespace AlignmentFaking.Storage;

/// <summary>Combines the run directories of shards (<c>--shard i/n</c>) into one run with one summary.</summary>
public static class RunMerger
{
    /// <summary>
    /// Merges shard run directories into <paramref name="outputDirectory"/>: the manifests must agree on everything but
    /// the shard; samples are combined (each sample id once; the same id with different content is an error), prompts
    /// copied, and the summary recomputed over all samples.
    /// </summary>
    /// <param name="outputDirectory">The merged run directory; must not already hold a run.</param>
    /// <param name="shardDirectories">The shard run directories.</param>
    /// <param name="cancellationToken">Cancels the merge.</param>
    /// <returns>The merged run's summary.</returns>
    public static async Task<RunSummary> MergeAsync(string outputDirectory, IReadOnlyList<string> shardDirectories, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(outputDirectory);
        ArgumentNullException.ThrowIfNull(shardDirectories);
        if (shardDirectories.Count == 0)
        {
            throw new ArgumentException("no run directories to merge", nameof(shardDirectories));
        }

        if (File.Exists(Path.Combine(outputDirectory, RunDirectory.ManifestFile)))
        {
            throw new IOException($"{outputDirectory} already holds a run; merge into a new directory");
        }

        var manifests = shardDirectories.Select(d => (Dir: d, Manifest: ReadManifestOrThrow(d))).ToArray();
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

        var samples = new Dictionary<string, ExperimentSample>(StringComparer.Ordinal);
        foreach (var (dir, _) in manifests)
        {
            foreach (var sample in RunDirectory.ReadSamples(dir))
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

        var merged = first with
        {
            Shard = null,
            MergedFrom = manifests.Select(m => Path.GetFullPath(m.Dir)).ToArray(),
            StartedAt = manifests.Min(m => m.Manifest.StartedAt),
            Dataset = first.Dataset with { Count = manifests.Sum(m => m.Manifest.Dataset.Count) },
            Resumes = 0,
        };
        var ordered = samples.Values.ToList();
        ordered.Sort(SampleOrder.Instance);
        var summary = RunSummary.Compute(first.Model, ordered);
        await using var run = await RunDirectory.CreateAsync(outputDirectory, merged, prompts, cancellationToken).ConfigureAwait(false);
        foreach (var sample in ordered)
        {
            await run.AppendAsync(sample, cancellationToken).ConfigureAwait(false);
        }

        bool complete = manifests.All(m => m.Manifest.Complete);
        var ended = manifests.Select(m => m.Manifest.EndedAt).Max() ?? DateTimeOffset.UtcNow;
        await run.CompleteAsync(summary, ended, complete, cancellationToken).ConfigureAwait(false);
        return summary;
    }

    private static RunManifest ReadManifestOrThrow(string directory) =>
        File.Exists(Path.Combine(directory, RunDirectory.ManifestFile))
            ? RunDirectory.ReadManifest(directory)
            : throw new DirectoryNotFoundException($"{directory} is not a run directory (no {RunDirectory.ManifestFile})");

    private static bool SameContent(ExperimentSample a, ExperimentSample b) =>
        a.Output == b.Output && a.Proxy == b.Proxy && a.Transcript.SequenceEqual(b.Transcript);
}
