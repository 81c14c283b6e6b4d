using System.ClientModel;
using System.CommandLine;
using System.Globalization;
using System.Runtime.CompilerServices;
using AlignmentFaking.Anthropic;
using AlignmentFaking.Internal;
using AlignmentFaking.OpenAI;
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
        Provider = new("--batch-provider") { Description = $"With --batch: openai (the OpenAI-compatible Batch API at {endpointOption}) or anthropic (Message Batches at {endpointOption}, e.g. https://api.anthropic.com).", DefaultValueFactory = _ => "openai" };
        Provider.OneOf("openai", "anthropic");
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

        return new BatchSettings(options, parse.GetValue(Provider) ?? "openai");
    }
}

/// <summary>The batch flags of a parsed <c>af run</c>.</summary>
internal sealed record BatchSettings(BatchRunOptions Options, string Provider);

/// <summary><c>af run --batch</c>: the batch runner over the endpoint's Batch API (or, offline, the simulated organism in process).</summary>
internal static class BatchCommandPath
{
    public static async IAsyncEnumerable<ExperimentSample> StreamAsync(
        Uri? endpoint,
        string? apiKey,
        string keyVariable,
        IChatClient simulatedSubject,
        ScenarioBuilder scenarios,
        ExperimentOptions options,
        BatchSettings batch,
        IReadOnlyList<SampleKey> work,
        string runDirectory,
        TextWriter human,
        [EnumeratorCancellation] CancellationToken ct)
    {
        IBatchProvider provider = endpoint is null ? new ChatClientBatchProvider(simulatedSubject)
            : BatchTestHooks.Wrap(batch.Provider == "anthropic" ? new AnthropicBatchProvider(endpoint, apiKey ?? "no-key", Path.Combine(runDirectory, "batch-inputs"))
            : new OpenAIBatchProvider(endpoint, apiKey ?? "no-key"));
        var runner = new BatchExperimentRunner(provider, scenarios, options, batch.Options);
        var previous = BatchExperimentRunner.ReadBatches(runDirectory);
        int attached = previous.Count(b => !b.Consumed);
        await human.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"batch path ({provider.Name}): {work.Count} samples, up to {options.MaxTurns} rounds for CoT plus retries; results usually within minutes to hours, at most 24 hours per round{(attached > 0 ? $"; re-attaching to {attached} batch(es) in flight" : string.Empty)}")).ConfigureAwait(false);
        var enumerator = runner.StreamAsync(work, runDirectory, new BatchProgressPrinter(human), ct).GetAsyncEnumerator(ct);
        await using (enumerator.ConfigureAwait(false))
        {
            while (true)
            {
                bool more;
                try
                {
                    more = await enumerator.MoveNextAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (BatchApiErrors.Describe(ex, keyVariable) is { } reason)
                {
                    throw new FatalCallException("the batch API failed: " + reason);
                }

                if (!more)
                {
                    break;
                }

                yield return enumerator.Current;
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
