using System.ClientModel;
using System.CommandLine;
using System.Globalization;
using AlignmentFaking.Anthropic;
using AlignmentFaking.OpenAI;
using AlignmentFaking.Providers;
using AlignmentFaking.Running;
using AlignmentFaking.Running.Batch;
using AlignmentFaking.Scenarios;
using Microsoft.Extensions.AI;

namespace AlignmentFaking.Cli.Batch;

/// <summary>The flags of <c>af run</c> that tune the batch path (<c>--batch</c> itself is a shared run option).</summary>
internal sealed class BatchFlags
{
    public BatchFlags(string endpointOption = "--endpoint")
    {
        Provider = new("--batch-provider") { Description = $"With --batch: openai (the OpenAI-compatible Batch API at {endpointOption}) or anthropic (Message Batches at {endpointOption}, e.g. https://api.anthropic.com). Default: the batch service of the model's provider." };
        Provider.OneOf(ProviderNames.WithBatch);
        PollSeconds.InRange(0.0);
        MaxRequests.InRange(1);
        MaxMegabytes.InRange(1);
        MaxAttempts.InRange(1);
    }

    public Option<string> Provider { get; }

    public Option<double> PollSeconds { get; } = new("--batch-poll-seconds") { Description = "With --batch: seconds between two checks of the batches in flight.", DefaultValueFactory = _ => 30 };

    public Option<int?> MaxRequests { get; } = new("--batch-max-requests") { Description = "With --batch: requests per batch (default and maximum: the provider's, 50,000 for OpenAI)." };

    public Option<int?> MaxMegabytes { get; } = new("--batch-max-mb") { Description = "With --batch: input file size per batch in MB (default and maximum: the provider's, 200 for OpenAI)." };

    public Option<int> MaxAttempts { get; } = new("--batch-max-attempts") { Description = "With --batch: times one request is sent (failed, expired or missing results are sent again in the next round) before it is given up: for af run its conversation becomes an error sample, for af judge its verdict or vote is error.", DefaultValueFactory = _ => 3 };

    public void AddTo(Command command)
    {
        command.Options.Add(Provider);
        command.Options.Add(PollSeconds);
        command.Options.Add(MaxRequests);
        command.Options.Add(MaxMegabytes);
        command.Options.Add(MaxAttempts);
    }

    public BatchSettings Bind(ParseResult parse)
    {
        var seconds = parse.GetValue(PollSeconds);
        if (double.IsNaN(seconds) || seconds < 0 || seconds > TimeSpan.MaxValue.TotalSeconds / 2)
        {
            throw new CliException($"--batch-poll-seconds must be a non-negative number (was {seconds.ToString(CultureInfo.InvariantCulture)})");
        }

        var options = new BatchRunOptions
        {
            PollInterval = TimeSpan.FromSeconds(seconds),
            MaxRequestsPerBatch = parse.GetValue(MaxRequests),
            MaxBytesPerBatch = parse.GetValue(MaxMegabytes) is { } mb ? mb * 1024L * 1024L : null,
            MaxAttemptsPerTurn = parse.GetValue(MaxAttempts),
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentException ex)
        {
            throw new CliException(ex.Message);
        }

        return new BatchSettings(options, parse.GetValue(Provider));
    }
}

/// <summary>The batch flags of a parsed <c>af run</c>.</summary>
internal sealed record BatchSettings(BatchRunOptions Options, string? Provider)
{
    /// <summary>Whether Anthropic requests are marked for the prompt cache (off with <c>--no-prompt-cache</c>).</summary>
    public bool PromptCaching { get; init; } = true;
}

/// <summary><c>af run --batch</c>: the batch runner over the endpoint's Batch API (or, offline, the simulated organism in process).</summary>
internal static class BatchCommandPath
{
    /// <summary>The batch runner of <c>af run --batch</c>: the provider's failures stop the run as fatal, with the provider's reason.</summary>
    public static BatchExperimentRunner CreateRunner(
        Uri? endpoint,
        string? apiKey,
        string keyVariable,
        IChatClient simulatedSubject,
        ScenarioBuilder scenarios,
        ExperimentOptions options,
        BatchSettings batch,
        string runDirectory,
        string subjectProvider)
    {
        IBatchProvider provider = endpoint is null ? new ChatClientBatchProvider(simulatedSubject)
            : BatchTestHooks.Wrap(CreateBatchProvider(batch.Provider ?? subjectProvider, "--provider", new BatchProviderSettings
            {
                Endpoint = endpoint,
                ApiKey = apiKey,
                WorkingDirectory = Path.Combine(runDirectory, "batch-inputs"),
                PromptCaching = batch.PromptCaching,
            }));
        return new BatchExperimentRunner(new FatalOnApiFailure(provider, keyVariable), scenarios, options, batch.Options);
    }

    /// <summary>The batch service of a provider named by <c>--batch-provider</c> (or the model's provider), from the catalogue.</summary>
    public static IBatchProvider CreateBatchProvider(string name, string providerOption, BatchProviderSettings settings)
    {
        var provider = ProviderNames.Catalog.Get(name);
        return provider.CreateBatchProvider?.Invoke(settings)
            ?? throw new CliException($"{provider.Name} has no batch service ({providerOption} {provider.Name}); give --batch-provider {string.Join(" or ", ProviderNames.WithBatch)}");
    }

    /// <summary>The line <c>af run --batch</c> prints as its batches start.</summary>
    public static string StartLine(BatchExperimentRunner runner, int samples, string runDirectory)
    {
        int attached = BatchRoundEngine.CountInFlight(runDirectory, BatchExperimentRunner.JournalFile);
        return string.Create(CultureInfo.InvariantCulture, $"batch path ({runner.Provider.Name}): {samples} samples, up to {runner.Options.MaxTurns} rounds for CoT plus retries; results usually within minutes to hours, at most 24 hours per round{(attached > 0 ? $"; re-attaching to {attached} batch(es) in flight" : string.Empty)}");
    }

    /// <summary>
    /// A provider whose failed API calls (upload, create, retrieve, list, download, cancel) are <see cref="FatalCallException"/>s
    /// naming the provider's reason (<see cref="BatchApiErrors"/>), so the run stops as fatal and stays resumable.
    /// </summary>
    private sealed class FatalOnApiFailure(IBatchProvider inner, string keyVariable) : IBatchProvider
    {
        public string Name => inner.Name;

        public BatchLimits Limits => inner.Limits;

        public long MeasureRequest(BatchRequest request) => inner.MeasureRequest(request);

        public Task<string> UploadAsync(IReadOnlyList<BatchRequest> requests, string fileName, CancellationToken cancellationToken) =>
            Guard(() => inner.UploadAsync(requests, fileName, cancellationToken));

        public Task<BatchJob> CreateAsync(string inputFileId, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken) =>
            Guard(() => inner.CreateAsync(inputFileId, metadata, cancellationToken));

        public Task<BatchJob?> FindByInputFileAsync(string inputFileId, CancellationToken cancellationToken) =>
            Guard(() => inner.FindByInputFileAsync(inputFileId, cancellationToken));

        public Task<BatchJob?> FindCreatedAsync(BatchSearch search, CancellationToken cancellationToken) =>
            Guard(() => inner.FindCreatedAsync(search, cancellationToken));

        public Task<BatchJob> GetAsync(string batchId, CancellationToken cancellationToken) =>
            Guard(() => inner.GetAsync(batchId, cancellationToken));

        public Task<IReadOnlyList<BatchItemResult>> DownloadResultsAsync(BatchJob job, CancellationToken cancellationToken) =>
            Guard(() => inner.DownloadResultsAsync(job, cancellationToken));

        public Task CancelAsync(string batchId, CancellationToken cancellationToken) =>
            Guard(async () =>
            {
                await inner.CancelAsync(batchId, cancellationToken).ConfigureAwait(false);
                return true;
            });

        private async Task<T> Guard<T>(Func<Task<T>> call)
        {
            try
            {
                return await call().ConfigureAwait(false);
            }
            catch (Exception ex) when (BatchApiErrors.Describe(ex, keyVariable) is { } reason)
            {
                throw new FatalCallException("the batch API failed: " + reason);
            }
        }
    }
}

/// <summary>Prints one line per round and phase, and while waiting at most one line every 10 seconds (or when a count changes).</summary>
internal sealed class BatchProgressPrinter(TextWriter writer) : IProgress<BatchRunProgress>
{
    private readonly Lock _gate = new();
    private BatchRunProgress? _last;

    public void Report(BatchRunProgress value)
    {
        lock (_gate)
        {
            if (_last is { } last && last.Phase == value.Phase && last.Round == value.Round
                && last.RequestsCompleted == value.RequestsCompleted && last.SamplesCompleted == value.SamplesCompleted
                && value.Elapsed - last.Elapsed < TimeSpan.FromSeconds(10))
            {
                return;
            }

            _last = value;
            var elapsed = value.Elapsed.ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture);
            writer.WriteLine(value.Phase switch
            {
                "submitting" => string.Create(CultureInfo.InvariantCulture, $"round {value.Round}: submitting | {value.SamplesCompleted}/{value.SamplesTotal} samples done | {elapsed}"),
                "done" => string.Create(CultureInfo.InvariantCulture, $"batch run done after {value.Round} round(s): {value.SamplesCompleted}/{value.SamplesTotal} samples | {elapsed}"),
                _ => string.Create(CultureInfo.InvariantCulture, $"round {value.Round}: {value.Phase} | {value.BatchesInFlight} batch(es) in flight, {value.RequestsCompleted}/{value.RequestsInFlight} requests done | {value.SamplesCompleted}/{value.SamplesTotal} samples done | {elapsed}"),
            });
        }
    }
}
