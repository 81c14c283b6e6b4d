using AlignmentFaking.Datasets;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Storage;

namespace AlignmentFaking.Cli;

/// <summary>Resolves the dataset and system prompts of a command line into loaded inputs.</summary>
internal sealed record Inputs(IReadOnlyList<ExperimentRequest> Requests, DatasetRecord Dataset, IReadOnlyList<(ReasoningMode Mode, SystemPrompt Prompt)> Prompts)
{
    public static async Task<Inputs> ResolveAsync(RunSettings s, bool simulated, TextWriter human, CancellationToken ct)
    {
        var cache = PinnedCaches.Create();
        try
        {
            var slice = new RequestSlice { Offset = s.Offset, Limit = s.Limit };
            var (requests, dataset) = await LoadDatasetAsync(s, simulated, cache, slice, human, ct).ConfigureAwait(false);
            if (requests.Count == 0)
            {
                throw new CliException($"the dataset '{dataset.Name}' has no requests after --offset {s.Offset}" + (s.Limit is null ? string.Empty : $" --limit {s.Limit}"));
            }

            var prompts = new List<(ReasoningMode, SystemPrompt)>();
            foreach (var mode in s.Modes)
            {
                prompts.Add((mode, await LoadPromptAsync(s, mode, simulated, cache, human, ct).ConfigureAwait(false)));
            }

            return new Inputs(requests, dataset, prompts);
        }
        catch (Exception ex) when (ex is DatasetFormatException or PinnedResourceUnavailableException or PinnedResourceHashMismatchException or PinnedResourceCacheException or FileNotFoundException or DirectoryNotFoundException or ArgumentException or System.Text.DecoderFallbackException)
        {
            throw new CliException(ex.Message);
        }
    }

    private static async Task<(IReadOnlyList<ExperimentRequest>, DatasetRecord)> LoadDatasetAsync(
        RunSettings s, bool simulated, PinnedResourceCache cache, RequestSlice slice, TextWriter human, CancellationToken ct)
    {
        var choice = s.Dataset;
        if (choice is null)
        {
            if (!simulated || cache.TryGetCached(KnownResources.AdvBenchHarmfulBehaviors, out _))
            {
                choice = "advbench";
            }
            else
            {
                await human.WriteLineAsync($"dataset: the project's built-in request set ({BuiltInRequests.Count} requests; AdvBench is not cached, use --dataset advbench to download it).").ConfigureAwait(false);
                var builtIn = RequestDataset.FromList(BuiltInRequests.Texts, slice);
                return (builtIn, new DatasetRecord
                {
                    Name = "built-in",
                    Source = "built-in",
                    Sha256 = ContentHash.Sha256(string.Join('\n', BuiltInRequests.Texts)),
                    Offset = slice.Offset,
                    Limit = slice.Limit,
                    Count = builtIn.Count,
                });
            }
        }

        string path;
        if (string.Equals(choice, "advbench", StringComparison.OrdinalIgnoreCase))
        {
            path = await cache.GetAsync(KnownResources.AdvBenchHarmfulBehaviors, ct).ConfigureAwait(false);
        }
        else
        {
            path = Path.GetFullPath(choice);
            if (!File.Exists(path))
            {
                throw new CliException($"dataset file not found: {path}");
            }
        }

        return await RequestDataset.LoadFileAsync(path, s.Column, slice, string.Equals(choice, "advbench", StringComparison.OrdinalIgnoreCase) ? "advbench" : null, ct).ConfigureAwait(false);
    }

    private static async Task<SystemPrompt> LoadPromptAsync(RunSettings s, ReasoningMode mode, bool simulated, PinnedResourceCache cache, TextWriter human, CancellationToken ct)
    {
        string? value = null;
        foreach (var entry in s.SystemPrompts)
        {
            var (target, v) = Split(entry);
            if (target is null || target == mode)
            {
                value = v;
            }
        }

        var resource = KnownResources.OriginalSystemPrompt(mode);
        if (value is null)
        {
            if (!simulated || cache.TryGetCached(resource, out _))
            {
                value = "original";
            }
            else
            {
                await human.WriteLineAsync($"system prompt ({mode.ToName()}): the project's built-in paraphrase (the original is not cached; --system-prompt original downloads it).").ConfigureAwait(false);
                return SystemPrompt.BuiltInParaphrase(mode);
            }
        }

        return await SystemPrompt.ResolveAsync(value, mode, cache, cancellationToken: ct).ConfigureAwait(false);
    }

    internal static (ReasoningMode? Mode, string Value) Split(string entry)
    {
        if (entry.StartsWith("cot=", StringComparison.OrdinalIgnoreCase))
        {
            return (ReasoningMode.Cot, entry[4..]);
        }

        if (entry.StartsWith("no-cot=", StringComparison.OrdinalIgnoreCase))
        {
            return (ReasoningMode.NoCot, entry[7..]);
        }

        return (null, entry);
    }
}
