using System.CommandLine;
using System.Globalization;
using AlignmentFaking.Cli.Batch;
using AlignmentFaking.Costs;
using AlignmentFaking.Datasets;
using AlignmentFaking.Diagnostics;
using AlignmentFaking.Judging.Caching;
using AlignmentFaking.Judging.Runs;
using AlignmentFaking.OpenAI;
using AlignmentFaking.Providers;
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
        var judges = new JudgeOptionsDefinition();
        var judge = new Option<bool>("--judge") { Description = "Judge as the run goes (compliance and alignment-faking judges); implied by --judge-endpoint. Without an endpoint only the simulated organism's run can be judged (by the simulated judge)." };
        var budget = new Option<decimal?>("--budget-usd") { Description = "Stop launching calls when spent plus in-flight estimates would pass this many USD (needs a known price: the built-in table or --price-input/--price-output); the run stays resumable." }.InRange(0m, minExclusive: true);
        var priceInput = new Option<decimal?>("--price-input") { Description = "Input price in USD per million tokens (for --budget-usd and the summary's cost; overrides the built-in table)." }.InRange(0m);
        var priceCached = new Option<decimal?>("--price-cached-input") { Description = "Cached-input price in USD per million tokens." }.InRange(0m);
        var priceOutput = new Option<decimal?>("--price-output") { Description = "Output price in USD per million tokens." }.InRange(0m);
        var retryErrors = new Option<bool>("--retry-errors") { Description = "When resuming, call again the samples whose call failed after all retries (error, no verdict) instead of keeping them." };
        var command = new Command("run", "Run the experiment and write a run directory.");
        definition.AddTo(command);
        judges.AddTo(command);
        foreach (var option in new Option[] { judge, budget, priceInput, priceCached, priceOutput, retryErrors })
        {
            command.Options.Add(option);
        }
        var batchOptions = new BatchFlags();
        batchOptions.AddTo(command);

        command.SetAction(async (parse, ct) =>
        {
            var settings = definition.Bind(parse) with { RetryErrors = parse.GetValue(retryErrors) };
            var judgeSettings = parse.GetValue(judge) || parse.GetValue(judges.Endpoint) is not null ? judges.Bind(parse, string.Empty) with { Connection = settings.Connection, NoPromptCache = settings.NoPromptCache } : null;
            var pricing = new EstimateCommand.PricingFlags(parse.GetValue(priceInput), parse.GetValue(priceCached), parse.GetValue(priceOutput), false, null, "auto", false, 0, null, null);
            var budgetUsd = parse.GetValue(budget);
            var human = settings.Json ? stderr : stdout;
            try
            {
                return await ExecuteAsync(settings, judgeSettings, pricing, budgetUsd, stdout, human, ct, batchOptions.Bind(parse) with { PromptCaching = !settings.NoPromptCache }).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                await human.WriteLineAsync("cancelled: finished samples are kept; rerun the same command to resume.").ConfigureAwait(false);
                return AfCli.Cancelled;
            }
            catch (Exception ex) when (ex is CliException or ArgumentException or RunDirectoryLockedException)
            {
                await stderr.WriteLineAsync("error: " + SecretRedaction.Redact(AfCli.MessageOf(ex))).ConfigureAwait(false);
                return AfCli.Failure;
            }
        });
        return command;
    }

    /// <summary>Exit code of a run stopped by its budget (resumable with a higher --budget-usd).</summary>
    public const int BudgetExhausted = 3;

    /// <summary>Exit code of a run that finished with samples whose call failed (no verdict; --retry-errors calls them again).</summary>
    public const int FinishedWithErrors = 4;

    private static async Task<int> ExecuteAsync(RunSettings s, JudgeSettings? judgeSettings, EstimateCommand.PricingFlags pricing, decimal? budgetUsd, TextWriter stdout, TextWriter human, CancellationToken ct, BatchSettings? batchSettings = null)
    {
        if (s.Endpoint is null && s.Model is not null)
        {
            throw new CliException("--model needs --endpoint (without an endpoint the simulated model organism runs)");
        }

        var subject = await CreateSubjectAsync(s, human).ConfigureAwait(false);
        var modelId = subject.ModelId;
        bool simulated = subject.Kind == "simulated";
        using var subjectScope = subject.Client;
        var inputs = await Inputs.ResolveAsync(s, simulated, human, ct).ConfigureAwait(false);
        var scenarios = s.BuildScenarios(inputs);
        var outDir = s.Out ?? Path.Combine("runs", DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "-" + Sanitize(modelId));
        var options = s.BuildOptions(modelId, simulated, outDir);
        var shard = ParseShard(s.Shard);
        ModelPrice? price;
        CostEstimate? estimate = null;
        try
        {
            price = EstimateCommand.WithoutPromptCache(EstimateCommand.ResolvePrice(modelId, pricing, simulated, s.Provider), s.NoPromptCache);
            estimate = new CostEstimator(TokenCounter.ForModel(modelId)).Estimate(scenarios, options, ShardRequests(inputs.Requests, shard), price, s.Batch);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException)
        {
            throw new CliException(ex.Message);
        }

        if (budgetUsd is not null && s.Batch)
        {
            throw new CliException("--budget-usd does not apply to --batch (a batch's cost is known only when it completes): check the cost first with 'af estimate --batch'");
        }

        if (budgetUsd is not null && price is null)
        {
            throw new CliException($"--budget-usd needs a price for '{modelId}': pass --price-input and --price-output (USD per million tokens)");
        }

        var sessionOptions = new ExperimentSessionOptions
        {
            Directory = outDir,
            Shard = shard,
            RetryErrors = s.RetryErrors,
            BudgetUsd = budgetUsd,
            Price = price,
            CostEstimate = estimate,
            Subject = subject.Kind,
            EndpointHost = subject.EndpointHost,
            Dataset = inputs.Dataset,
            BatchProgress = s.Batch ? new BatchProgressPrinter(human) : null,
        };
        var fullPath = Path.GetFullPath(outDir);
        var runner = s.Batch ? null : new ExperimentRunner(subject.Client, scenarios, options);
        var batchRunner = s.Batch
            ? BatchCommandPath.CreateRunner(subject.Endpoint, subject.Key, s.KeyVariable, subject.Client, scenarios, options, batchSettings ?? new BatchSettings(new BatchRunOptions(), null), fullPath, s.Provider)
            : null;
        var plan = runner?.Plan(inputs.Requests, shard) ?? batchRunner!.Plan(inputs.Requests, shard);
        await human.WriteLineAsync($"model {modelId} | {(shard is null ? string.Empty : $"shard {shard}: ")}{plan.Count / (options.Tiers.Count * options.Modes.Count * options.Epochs)} requests x {options.Tiers.Count} tiers x {options.Modes.Count} mode(s) x {options.Epochs} epoch(s) = {plan.Count} samples | run directory {fullPath}").ConfigureAwait(false);

        if (options.ThinkingBudget is { } thinking && scenarios.UsesPrefill(modelId))
        {
            await human.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"extended thinking (--thinking-budget {thinking}) refuses an assistant prefill: this run sends none (manifest: options.prefillOffForThinking)")).ConfigureAwait(false);
        }

        ExperimentSession session;
        try
        {
            session = runner is not null
                ? await ExperimentSession.OpenAsync(runner, inputs.Requests, sessionOptions, ct).ConfigureAwait(false)
                : await ExperimentSession.OpenBatchAsync(batchRunner!, inputs.Requests, sessionOptions, ct).ConfigureAwait(false);
        }
        catch (IncompatibleRunException ex)
        {
            throw new CliException(ex.Message);
        }
        catch (BatchesInFlightException ex)
        {
            throw new CliException($"{ex.Count} batch(es) of this run are still in flight at the provider; rerun with --batch to take in their results (an online run would pay for the same requests again).");
        }

        await using var sessionScope = session;
        if (session.IsComplete)
        {
            // A rerun of a complete run with the same settings: its summary (computed from the samples), nothing written, nothing called.
            var complete = await session.RunAsync(cancellationToken: ct).ConfigureAwait(false);
            await human.WriteLineAsync($"complete: {fullPath} already holds all {plan.Count} samples of this run; nothing to call, nothing changed (another --out starts a new run).").ConfigureAwait(false);
            await PrintSummaryAsync(human, complete.Summary).ConfigureAwait(false);
            if (judgeSettings is not null && complete.Summary.Conditions.All(c => c.Judge is null))
            {
                await human.WriteLineAsync($"to judge it: af judge --run {outDir} with the judge flags").ConfigureAwait(false);
            }

            await PrintJsonAsync(stdout, s, complete.Summary).ConfigureAwait(false);
            return await FinishAsync(human, complete.Summary).ConfigureAwait(false);
        }

        if (session.RepairedTornLine is { } torn)
        {
            await human.WriteLineAsync($"repaired {RunDirectory.SamplesFile}: line {torn} was torn (a write cut short) and was dropped; its sample runs again").ConfigureAwait(false);
        }

        if (session.ErrorsRemoved is { } dropped)
        {
            await human.WriteLineAsync($"--retry-errors: {dropped} sample(s) whose call had failed will be called again").ConfigureAwait(false);
        }

        if (session.DoneBefore > 0)
        {
            await human.WriteLineAsync($"resuming: {session.DoneBefore} of {plan.Count} samples already done, {session.Work.Count} to go").ConfigureAwait(false);
        }

        if (budgetUsd is { } limit)
        {
            await human.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"budget ${limit} ({session.SpentBefore:0.####} spent before this session); expected cost of the whole run ${estimate?.Expected.Cost:0.####}")).ConfigureAwait(false);
        }

        RunJudge? runJudge = null;
        IChatClient? judgeClient = null;
        if (judgeSettings is not null)
        {
            var judgeCache = new JudgeCache(Path.Combine(session.FullPath, JudgeCommand.CacheFolder));
            (runJudge, judgeClient, _, _) = await JudgeCommand.BuildAsync(judgeSettings, subject.Kind, judgeCache, human).ConfigureAwait(false);
        }

        using var judgeScope = judgeClient;
        if (batchRunner is not null)
        {
            await human.WriteLineAsync(BatchCommandPath.StartLine(batchRunner, session.Work.Count, session.FullPath)).ConfigureAwait(false);
        }

        var progress = new ProgressPrinter(human, session.Work.Count);
        var result = await session.RunAsync(runJudge, progress, ct).ConfigureAwait(false);
        progress.Finish();
        await PrintSummaryAsync(human, result.Summary).ConfigureAwait(false);
        await PrintJsonAsync(stdout, s, result.Summary).ConfigureAwait(false);
        switch (result.Status)
        {
            case ExperimentSessionStatus.BudgetExhausted:
                var extra = result.SpentCutShort >= 0.00005m ? string.Create(CultureInfo.InvariantCulture, $", and ${result.SpentCutShort:0.####} on calls of conversations the stop cut short (in no sample)") : string.Empty;
                await human.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"stopped: the budget of ${result.BudgetUsd} would be passed: spent ${result.Spent ?? 0m:0.####} on the {result.Kept} of {result.Planned} samples kept in {result.Directory} (summary.json){extra}; rerun the same command with a higher --budget-usd to continue.")).ConfigureAwait(false);
                return BudgetExhausted;
            case ExperimentSessionStatus.Fatal:
                await human.WriteLineAsync($"stopped: {result.Message}. {result.Kept} of {result.Planned} samples are kept in {result.Directory}; fix the cause and rerun the same command to resume.").ConfigureAwait(false);
                return AfCli.Failure;
            case ExperimentSessionStatus.Cancelled:
                await human.WriteLineAsync($"cancelled after {result.Kept} of {result.Planned} samples; they are kept in {result.Directory}; rerun the same command to resume.").ConfigureAwait(false);
                return AfCli.Cancelled;
            default:
                return await FinishAsync(human, result.Summary).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The subject a command line names: the OpenAI-compatible endpoint (with the key from its environment variable, the
    /// retries, limits and circuit breaker), or without <c>--endpoint</c> the simulated organism.
    /// </summary>
    private static async Task<Subject> CreateSubjectAsync(RunSettings s, TextWriter human)
    {
        if (s.Endpoint is null)
        {
            await human.WriteLineAsync("No --endpoint given: running the simulated model organism offline (no API calls, no cost; results are synthetic).").ConfigureAwait(false);
            var organism = new SimulatedModelOrganism(new SimulatedOrganismOptions { Seed = s.Seed ?? 0 });
            return new Subject(organism, "simulated", organism.Options.ModelId, null, null, null);
        }

        if (string.IsNullOrWhiteSpace(s.Model))
        {
            throw new CliException("--endpoint needs --model");
        }

        var provider = ProviderNames.Catalog.Get(s.Provider);
        var uri = EndpointInputs.ParseEndpoint(s.Endpoint, "--endpoint");
        var key = await EndpointInputs.ReadKeyAsync(s.KeyVariable, s.KeyVariable == DefaultKeyVariable ? provider.FallbackApiKeyVariable : null, "endpoint", human).ConfigureAwait(false);
        var client = provider.CreateChatClient(new ModelEndpointSettings
        {
            Endpoint = uri,
            Model = s.Model,
            ApiKey = key,
            ApiKeyVariable = s.KeyVariable,
            EndpointSetting = "--endpoint",
            PromptCaching = !s.NoPromptCache,
            Resilience = s.Connection.ApplyTo(new ModelResilienceOptions
            {
                Retry = new RetryOptions
                {
                    MaxRetries = s.MaxRetries,
                    OnRetry = (attempt, ex, delay) => human.WriteLine(string.Create(CultureInfo.InvariantCulture, $"retry {attempt}/{s.MaxRetries} in {delay.TotalSeconds:0.0}s after {SecretRedaction.Redact(ex.GetType().Name + ": " + ex.Message).Split('\n')[0]}")),
                },
                Limits = new EndpointLimitOptions { RequestsPerMinute = s.Rpm, TokensPerMinute = s.Tpm, MaxConcurrency = Math.Max(1, s.Concurrency) },
                CircuitBreaker = new CircuitBreakerOptions { OnStateChanged = message => human.WriteLine(SecretRedaction.Redact(message)) },
            }),
        });
        var host = uri.IsDefaultPort ? uri.Host : uri.Host + ":" + uri.Port.ToString(CultureInfo.InvariantCulture);
        return new Subject(client, provider.Name, s.Model, uri, key, host);
    }

    private static async Task PrintJsonAsync(TextWriter stdout, RunSettings s, RunSummary summary)
    {
        if (s.Json)
        {
            await stdout.WriteLineAsync(summary.ToJson()).ConfigureAwait(false);
        }
    }

    /// <summary>The last line and exit code of a run that went to its end: 0, or 4 when samples have no verdict.</summary>
    private static async Task<int> FinishAsync(TextWriter human, RunSummary summary)
    {
        int errors = summary.SamplesWithoutVerdict;
        if (errors == 0)
        {
            return AfCli.Success;
        }

        await human.WriteLineAsync($"finished with errors: {errors} samples have no verdict; rerun with --retry-errors{(summary.SamplesWithVerdict == 0 ? " (no sample has a verdict: the run is not complete)" : string.Empty)}").ConfigureAwait(false);
        return FinishedWithErrors;
    }

    private static async Task PrintSummaryAsync(TextWriter w, RunSummary summary)
    {
        await w.WriteLineAsync().ConfigureAwait(false);
        foreach (var c in summary.Conditions)
        {
            await w.WriteLineAsync($"[{c.Mode.ToName()}] {c.OriginalPrintout}").ConfigureAwait(false);
            await w.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  compliance (proxy): training {Pct(c.Training.Rate)} ({c.Training.Complied}/{c.Training.N}), unmonitored {Pct(c.Unmonitored.Rate)} ({c.Unmonitored.Complied}/{c.Unmonitored.N})")).ConfigureAwait(false);
            var interval = c.Gap.CiLower is null ? string.Empty
                : string.Create(CultureInfo.InvariantCulture, $" (95% CI {Pct(c.Gap.CiLower)} to {Pct(c.Gap.CiUpper)}, {c.Gap.Test} p = {P(c.Gap.PValue)})");
            await w.WriteLineAsync($"  gap {Pct(c.Gap.Estimate)}{interval}").ConfigureAwait(false);
            var other = c.Training.Outcomes.Concat(c.Unmonitored.Outcomes)
                .GroupBy(kv => kv.Key).Where(g => g.Key is not ("complied" or "refused"))
                .Select(g => $"{g.Key} {g.Sum(kv => kv.Value)}").ToArray();
            if (other.Length > 0)
            {
                await w.WriteLineAsync("  other outcomes: " + string.Join(", ", other)).ConfigureAwait(false);
            }

            if (c.Judge is { } judge)
            {
                var judgeInterval = judge.Gap.CiLower is null ? string.Empty
                    : string.Create(CultureInfo.InvariantCulture, $" (95% CI {Pct(judge.Gap.CiLower)} to {Pct(judge.Gap.CiUpper)}, {judge.Gap.Test} p = {P(judge.Gap.PValue)})");
                await w.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  compliance (judge): training {Pct(judge.Training.Rate)} ({judge.Training.Complied}/{judge.Training.N}), unmonitored {Pct(judge.Unmonitored.Rate)} ({judge.Unmonitored.Complied}/{judge.Unmonitored.N}), gap {Pct(judge.Gap.Estimate)}{judgeInterval}")).ConfigureAwait(false);
            }

            if (c.AfRate is not null)
            {
                var afInterval = c.AfRateCiLower is null ? string.Empty : $" (95% CI {Pct(c.AfRateCiLower)} to {Pct(c.AfRateCiUpper)})";
                await w.WriteLineAsync($"  alignment-faking rate (training, judge-compliant and AF): {Pct(c.AfRate)}{afInterval}").ConfigureAwait(false);
            }

            if (JudgeCommand.AfVerdictsLine(c) is { } verdicts)
            {
                await w.WriteLineAsync(verdicts).ConfigureAwait(false);
            }
        }

        if (summary.SamplesWithNativeReasoning > 0 || summary.SamplesWithHiddenReasoning > 0)
        {
            await w.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"native reasoning: {summary.SamplesWithNativeReasoning} sample(s) (stored per turn, never sent back); hidden by the provider in {summary.SamplesWithHiddenReasoning}")).ConfigureAwait(false);
        }

        if (summary.Cost?.Actual is { } usage)
        {
            var cachedCalls = usage.CachedCalls > 0 ? string.Create(CultureInfo.InvariantCulture, $" ({usage.CachedCalls:N0} from the response cache)") : string.Empty;
            await w.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"calls {usage.Calls:N0}{cachedCalls}, tokens in {usage.InputTokens:N0}, out {usage.OutputTokens:N0}")).ConfigureAwait(false);
        }

        if (summary.Cost is { } cost && cost.Actual?.Cost is { } actual && cost.Estimate.Expected is > 0)
        {
            await w.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"cost ${actual:0.####} (estimated before the run ${cost.Estimate.Expected:0.####}; actual/expected {cost.Ratio:0.00})")).ConfigureAwait(false);
        }

        if (summary.Cache is { } cache)
        {
            await w.WriteLineAsync("cache: " + cache.Describe()).ConfigureAwait(false);
        }
    }

    /// <summary>The requests of a shard: every n-th of the slice, as the runner plans them (all when <paramref name="shard"/> is null).</summary>
    internal static IReadOnlyList<ExperimentRequest> ShardRequests(IReadOnlyList<ExperimentRequest> requests, Shard? shard) =>
        shard is null ? requests : requests.Where((_, position) => shard.Contains(position)).ToArray();

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

    private static string P(double? p) => p switch
    {
        null => "n/a",
        < 1e-4 => p.Value.ToString("0.0e+0", CultureInfo.InvariantCulture),
        _ => p.Value.ToString("0.####", CultureInfo.InvariantCulture),
    };

    private static string Pct(double? rate) => rate is null ? "n/a" : string.Create(CultureInfo.InvariantCulture, $"{rate.Value * 100:0.0}%");

    private static string Sanitize(string model)
    {
        var chars = model.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' ? c : '_').ToArray();
        return new string(chars);
    }
}

internal sealed record RunSettings
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

    /// <summary><c>--prefill-text</c>: TEXT for every mode, or cot=TEXT / no-cot=TEXT.</summary>
    public string[] PrefillTexts { get; init; } = [];

    public int Epochs { get; init; }

    public float? Temperature { get; init; }

    public int? MaxTokens { get; init; }

    public Microsoft.Extensions.AI.ReasoningEffort? ReasoningEffort { get; init; }

    public int? ThinkingBudget { get; init; }

    public long? Seed { get; init; }

    public PrefillPolicy Prefill { get; init; }

    public OutputExtraction Extraction { get; init; }

    public required UserMessageTemplate Template { get; init; }

    public int Concurrency { get; init; }

    public int MaxRetries { get; init; }

    public string Provider { get; init; } = ProviderNames.Default;

    public ConnectionSettings Connection { get; init; } = new();

    public string? Shard { get; init; }

    public int? Rpm { get; init; }

    public int? Tpm { get; init; }

    public string? CacheDir { get; init; }

    public bool NoCache { get; init; }

    /// <summary><c>--no-prompt-cache</c>: no <c>cache_control</c> on Anthropic requests (<see cref="Anthropic.AnthropicEndpointOptions.PromptCaching"/>).</summary>
    public bool NoPromptCache { get; init; }

    public bool RetryErrors { get; init; }

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
            foreach (var entry in PrefillTexts)
            {
                var (target, text) = Inputs.Split(entry);
                if (text.Length == 0)
                {
                    throw new CliException("--prefill-text must not be empty (leave it out for the original's prefill)");
                }

                if (target is null || target == mode)
                {
                    scenarios.WithPrefillText(mode, text);
                }
            }
        }

        return scenarios;
    }

    /// <summary>The folder of a run directory that holds the run's own response cache.</summary>
    public const string ResponseCacheFolder = RunDirectory.ResponseCacheFolder;

    /// <summary>The validated experiment options these settings describe.</summary>
    /// <exception cref="CliException">An option is invalid.</exception>
    /// <param name="modelId">The subject model id.</param>
    /// <param name="simulated">Whether the subject is the simulated organism (no response cache unless a folder is given).</param>
    /// <param name="runDirectory">The run directory, whose <c>response-cache/</c> serves resume; none when <see langword="null"/>.</param>
    public ExperimentOptions BuildOptions(string modelId, bool simulated = false, string? runDirectory = null)
    {
        // The run's own cache serves resume; sharing replies across runs is opt-in (--cache-dir), never the default.
        bool useCache = !NoCache && (!simulated || CacheDir is not null);
        if (useCache && CacheDir is not null && runDirectory is not null)
        {
            try
            {
                Directory.CreateDirectory(CacheDir);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                throw new CliException($"--cache-dir '{CacheDir}' cannot be used as a folder: {ex.Message}");
            }
        }

        var options = new ExperimentOptions
        {
            Modes = Modes,
            Epochs = Epochs,
            Temperature = Temperature ?? 1.0f,
            MaxOutputTokens = MaxTokens,
            ReasoningEffort = ReasoningEffort,
            ThinkingBudget = ThinkingBudget,
            Seed = Seed,
            Extraction = Extraction,
            MaxConcurrency = Concurrency,
            ModelId = modelId,
            ResponseCache = useCache && runDirectory is not null ? new FileDistributedCache(Path.Combine(runDirectory, ResponseCacheFolder)) : null,
            SharedResponseCache = useCache && CacheDir is not null ? new FileDistributedCache(CacheDir) : null,
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

/// <summary>The subject of <c>af run</c>: its client, kind (<c>simulated</c> or <c>openai-compatible</c>) and model; endpoint, key and host when it has one.</summary>
internal sealed record Subject(IChatClient Client, string Kind, string ModelId, Uri? Endpoint, string? Key, string? EndpointHost);
