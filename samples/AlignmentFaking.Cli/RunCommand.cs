using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using AlignmentFaking.Cli.Batch;
using AlignmentFaking.Datasets;
using AlignmentFaking.Internal;
using AlignmentFaking.Running;
using AlignmentFaking.Running.Batch;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Simulation;
using AlignmentFaking.Storage;
using Microsoft.Extensions.AI;

namespace AlignmentFaking.Cli;

internal static class RunCommand
{
    public const string DefaultKeyVariable = "AF_API_KEY";

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var definition = new RunOptionsDefinition("Print summary.json to stdout (human output goes to stderr).");
        var command = new Command("run", "Run the experiment and write a run directory.");
        definition.AddTo(command);
        var batchOptions = new BatchFlags();
        batchOptions.AddTo(command);

        command.SetAction(async (parse, ct) =>
        {
            var settings = definition.Bind(parse);
            var human = settings.Json ? stderr : stdout;
            try
            {
                return await ExecuteAsync(settings, stdout, human, ct, batchOptions.Bind(parse)).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                await human.WriteLineAsync("cancelled: finished samples are kept; rerun the same command to resume.").ConfigureAwait(false);
                return AfCli.Cancelled;
            }
            catch (Exception ex) when (ex is CliException or ArgumentException)
            {
                await stderr.WriteLineAsync("error: " + SecretRedactor.Redact(ex.Message)).ConfigureAwait(false);
                return AfCli.Failure;
            }
        });
        return command;
    }

    private static async Task<int> ExecuteAsync(RunSettings s, TextWriter stdout, TextWriter human, CancellationToken ct, BatchSettings? batchSettings = null)
    {
        if (s.Endpoint is null && s.Model is not null)
        {
            throw new CliException("--model needs --endpoint (without an endpoint the simulated model organism runs)");
        }

        IChatClient subject;
        string subjectKind;
        string? endpointHost = null;
        string modelId;
        Uri? endpointUri = null;
        string? endpointKey = null;
        bool simulated = s.Endpoint is null;
        if (simulated)
        {
            await human.WriteLineAsync("No --endpoint given: running the simulated model organism offline (no API calls, no cost; results are synthetic).").ConfigureAwait(false);
            var organism = new SimulatedModelOrganism(new SimulatedOrganismOptions { Seed = s.Seed ?? 0 });
            subject = organism;
            subjectKind = "simulated";
            modelId = organism.Options.ModelId;
        }
        else
        {
            if (string.IsNullOrWhiteSpace(s.Model))
            {
                throw new CliException("--endpoint needs --model");
            }

            if (!Uri.TryCreate(s.Endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                throw new CliException($"--endpoint must be an http(s) URL (got '{SecretRedactor.Redact(s.Endpoint)}')");
            }

            var key = Environment.GetEnvironmentVariable(s.KeyVariable);
            if (string.IsNullOrEmpty(key) && s.KeyVariable == DefaultKeyVariable)
            {
                key = Environment.GetEnvironmentVariable("OPENAI_API_KEY");
            }

            if (string.IsNullOrEmpty(key))
            {
                await human.WriteLineAsync($"note: environment variable {s.KeyVariable} is not set; calling the endpoint without a key (fine for local servers).").ConfigureAwait(false);
                key = "no-key";
            }

            subject = OpenAICompatibleSubject.Create(uri, s.Model, key, s.KeyVariable, s.MaxRetries, (attempt, ex, delay) =>
                human.WriteLine(string.Create(CultureInfo.InvariantCulture, $"retry {attempt}/{s.MaxRetries} in {delay.TotalSeconds:0.0}s after {SecretRedactor.Redact(ex.GetType().Name + ": " + ex.Message).Split('\n')[0]}")),
                limits: new EndpointLimitOptions { RequestsPerMinute = s.Rpm, TokensPerMinute = s.Tpm, MaxConcurrency = Math.Max(1, s.Concurrency) });
            subjectKind = "openai-compatible";
            endpointUri = uri;
            endpointKey = key;
            endpointHost = uri.IsDefaultPort ? uri.Host : uri.Host + ":" + uri.Port.ToString(CultureInfo.InvariantCulture);
            modelId = s.Model;
        }

        using var subjectScope = subject;
        var inputs = await Inputs.ResolveAsync(s, simulated, human, ct).ConfigureAwait(false);
        var scenarios = s.BuildScenarios(inputs);
        var options = s.BuildOptions(modelId, simulated);

        var runner = new ExperimentRunner(subject, scenarios, options);
        var outDir = s.Out ?? Path.Combine("runs", DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "-" + Sanitize(modelId));
        var manifest = new RunManifest
        {
            Model = modelId,
            Subject = subjectKind,
            EndpointHost = endpointHost,
            Options = new RunOptionsRecord
            {
                Modes = options.Modes,
                Tiers = options.Tiers,
                Epochs = options.Epochs,
                Temperature = options.Temperature,
                MaxOutputTokens = options.MaxOutputTokens,
                Seed = options.Seed,
                MaxTurns = options.MaxTurns,
                Extraction = s.Extraction == OutputExtraction.Original ? "original" : "after-last-scratchpad",
                PrefillPolicy = s.Prefill.ToString().ToLowerInvariant(),
                PrefillUsed = scenarios.UsesPrefill(modelId),
                UserTemplate = s.Template.Name,
                UserTemplateSha256 = s.Template.Sha256,
                MaxConcurrency = options.MaxConcurrency,
            },
            Dataset = inputs.Dataset,
            Prompts = options.Modes.Select(m => new PromptRecord
            {
                Mode = m,
                Name = scenarios.GetSystemPrompt(m).Name,
                Source = scenarios.GetSystemPrompt(m).Source,
                Sha256 = scenarios.GetSystemPrompt(m).Sha256,
            }).ToArray(),
            StartedAt = DateTimeOffset.UtcNow,
            Shard = ParseShard(s.Shard)?.ToString(),
            Path = s.Batch ? "batch" : "online",
        };

        var shard = ParseShard(s.Shard);
        var plan = runner.Plan(inputs.Requests, shard);
        await human.WriteLineAsync($"model {modelId} | {(shard is null ? string.Empty : $"shard {shard}: ")}{plan.Count / (options.Tiers.Count * options.Modes.Count * options.Epochs)} requests x {options.Tiers.Count} tiers x {options.Modes.Count} mode(s) x {options.Epochs} epoch(s) = {plan.Count} samples | run directory {Path.GetFullPath(outDir)}").ConfigureAwait(false);
        RunDirectory run;
        try
        {
            run = await RunDirectory.CreateAsync(outDir, manifest, options.Modes.Select(scenarios.GetSystemPrompt), ct).ConfigureAwait(false);
        }
        catch (IncompatibleRunException ex)
        {
            throw new CliException(ex.Message);
        }

        await using var runScope = run;
        var planned = plan.Select(k => k.SampleId).ToHashSet(StringComparer.Ordinal);
        var samples = run.ExistingSamples.Where(x => planned.Contains(x.SampleId)).ToList();
        var done = samples.Select(x => x.SampleId).ToHashSet(StringComparer.Ordinal);
        var work = plan.Where(k => !done.Contains(k.SampleId)).ToArray();
        if (done.Count > 0)
        {
            await human.WriteLineAsync($"resuming: {done.Count} of {plan.Count} samples already done, {work.Length} to go").ConfigureAwait(false);
        }

        if (!s.Batch && BatchExperimentRunner.ReadBatches(run.FullPath).Count(b => !b.Consumed) is > 0 and var pendingBatches)
        {
            throw new CliException($"{pendingBatches} batch(es) of this run are still in flight at the provider; rerun with --batch to take in their results (an online run would pay for the same requests again).");
        }

        var progress = new ProgressPrinter(human, work.Length);
        bool cancelled = false;
        FatalCallException? fatal = null;
        try
        {
            var stream = s.Batch
                ? BatchCommandPath.StreamAsync(endpointUri, endpointKey, s.KeyVariable, subject, scenarios, options, batchSettings ?? new BatchSettings(new BatchRunOptions(), "openai"), work, run.FullPath, human, ct)
                : runner.StreamAsync(work, progress, ct);
            await foreach (var sample in stream.ConfigureAwait(false))
            {
                await run.AppendAsync(sample, CancellationToken.None).ConfigureAwait(false);
                samples.Add(sample);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            cancelled = true;
        }
        catch (FatalCallException ex)
        {
            fatal = ex;
        }

        progress.Finish();
        var summary = RunSummary.Compute(modelId, samples);
        await run.CompleteAsync(summary, DateTimeOffset.UtcNow, complete: !cancelled && fatal is null && samples.Count == plan.Count, CancellationToken.None).ConfigureAwait(false);
        await PrintSummaryAsync(human, summary, samples).ConfigureAwait(false);
        if (s.Json)
        {
            await stdout.WriteLineAsync(JsonSerializer.Serialize(summary, RunJson.Indented)).ConfigureAwait(false);
        }

        if (fatal is not null)
        {
            await human.WriteLineAsync($"stopped: {SecretRedactor.Redact(fatal.Message)}. {samples.Count} of {plan.Count} samples are kept in {run.FullPath}; fix the cause and rerun the same command to resume.").ConfigureAwait(false);
            return AfCli.Failure;
        }

        if (cancelled)
        {
            await human.WriteLineAsync($"cancelled after {samples.Count} of {plan.Count} samples; they are kept in {run.FullPath}; rerun the same command to resume.").ConfigureAwait(false);
            return AfCli.Cancelled;
        }

        return AfCli.Success;
    }

    private static async Task PrintSummaryAsync(TextWriter w, RunSummary summary, IReadOnlyList<ExperimentSample> samples)
    {
        await w.WriteLineAsync().ConfigureAwait(false);
        foreach (var c in summary.Conditions)
        {
            await w.WriteLineAsync($"[{c.Mode.ToName()}] {c.OriginalPrintout}").ConfigureAwait(false);
            await w.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  compliance (proxy): training {Pct(c.Training.Rate)} ({c.Training.Complied}/{c.Training.N}), unmonitored {Pct(c.Unmonitored.Rate)} ({c.Unmonitored.Complied}/{c.Unmonitored.N})")).ConfigureAwait(false);
            var interval = c.Gap.CiLower is null ? string.Empty
                : string.Create(CultureInfo.InvariantCulture, $" (95% CI {Pct(c.Gap.CiLower)} to {Pct(c.Gap.CiUpper)}, {c.Gap.Test} p = {c.Gap.PValue:0.####})");
            await w.WriteLineAsync($"  gap {Pct(c.Gap.Estimate)}{interval}").ConfigureAwait(false);
            var other = c.Training.Outcomes.Concat(c.Unmonitored.Outcomes)
                .GroupBy(kv => kv.Key).Where(g => g.Key is not ("complied" or "refused"))
                .Select(g => $"{g.Key} {g.Sum(kv => kv.Value)}").ToArray();
            if (other.Length > 0)
            {
                await w.WriteLineAsync("  other outcomes: " + string.Join(", ", other)).ConfigureAwait(false);
            }
        }

        var usage = samples.Aggregate(TokenUsage.Zero, (a, s) => a + s.Usage);
        await w.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"calls {samples.Sum(s => s.Turns)}, tokens in {usage.InputTokens:N0}, out {usage.OutputTokens:N0}")).ConfigureAwait(false);
    }

    internal static Shard? ParseShard(string? text)
    {
        try
        {
            return text is null ? null : Shard.Parse(text);
        }
        catch (FormatException ex)
        {
            throw new CliException(ex.Message);
        }
    }

    private static string Pct(double? rate) => rate is null ? "n/a" : string.Create(CultureInfo.InvariantCulture, $"{rate.Value * 100:0.0}%");

    private static string Sanitize(string model)
    {
        var chars = model.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' ? c : '_').ToArray();
        return new string(chars);
    }
}

internal sealed class RunSettings
{
    public string? Endpoint { get; init; }

    public string? Model { get; init; }

    public required string KeyVariable { get; init; }

    public string? Dataset { get; init; }

    public string? Column { get; init; }

    public int? Limit { get; init; }

    public int Offset { get; init; }

    public required IReadOnlyList<ReasoningMode> Modes { get; init; }

    public required string[] SystemPrompts { get; init; }

    public int Epochs { get; init; }

    public float? Temperature { get; init; }

    public int? MaxTokens { get; init; }

    public long? Seed { get; init; }

    public PrefillPolicy Prefill { get; init; }

    public OutputExtraction Extraction { get; init; }

    public required UserMessageTemplate Template { get; init; }

    public int Concurrency { get; init; }

    public int MaxRetries { get; init; }

    public string? Shard { get; init; }

    public int? Rpm { get; init; }

    public int? Tpm { get; init; }

    public string? CacheDir { get; init; }

    public bool NoCache { get; init; }

    public string? Out { get; init; }

    public bool Json { get; init; }

    public bool Batch { get; init; }

    /// <summary>The scenario builder these settings describe, with the resolved system prompts.</summary>
    public ScenarioBuilder BuildScenarios(Inputs inputs)
    {
        var scenarios = new ScenarioBuilder().WithUserTemplate(Template).WithPrefill(Prefill);
        foreach (var (mode, prompt) in inputs.Prompts)
        {
            scenarios.WithSystemPrompt(mode, prompt);
        }

        return scenarios;
    }

    /// <summary>The validated experiment options these settings describe.</summary>
    /// <exception cref="CliException">An option is invalid.</exception>
    /// <param name="modelId">The subject model id.</param>
    /// <param name="simulated">Whether the subject is the simulated organism (no response cache unless a folder is given).</param>
    public ExperimentOptions BuildOptions(string modelId, bool simulated = false)
    {
        var options = new ExperimentOptions
        {
            Modes = Modes,
            Epochs = Epochs,
            Temperature = Temperature ?? 1.0f,
            MaxOutputTokens = MaxTokens,
            Seed = Seed,
            Extraction = Extraction,
            MaxConcurrency = Concurrency,
            ModelId = modelId,
            ResponseCache = NoCache || (simulated && CacheDir is null) ? null
                : new FileDistributedCache(CacheDir ?? Path.Combine(PinnedResourceCacheOptions.GetDefaultCacheDirectory(), "responses")),
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentException ex)
        {
            throw new CliException(ex.Message);
        }

        return options;
    }
}

internal sealed class CliException(string message) : Exception(message);
