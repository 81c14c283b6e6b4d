using System.ClientModel;
using System.CommandLine;
using System.Globalization;
using AlignmentFaking.Anthropic;
using AlignmentFaking.Classification;
using AlignmentFaking.Cli.Batch;
using AlignmentFaking.Diagnostics;
using AlignmentFaking.Judging.Caching;
using AlignmentFaking.Judging.Compliance;
using AlignmentFaking.Judging.Prompts;
using AlignmentFaking.Judging.Reasoning;
using AlignmentFaking.Judging.Runs;
using AlignmentFaking.Judging.Simulation;
using AlignmentFaking.OpenAI;
using AlignmentFaking.Providers;
using AlignmentFaking.Running;
using AlignmentFaking.Running.Batch;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Storage;
using Microsoft.Extensions.AI;

namespace AlignmentFaking.Cli;

/// <summary><c>af judge</c>: re-judges a finished run directory with LLM judges, without calling the subject again.</summary>
internal static class JudgeCommand
{
    public const string DefaultKeyVariable = "AF_JUDGE_API_KEY";
    public const string CacheFolder = AlignmentFaking.Storage.RunDirectory.JudgeCacheFolder;

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var run = new Option<string>("--run") { Description = "The run directory to judge (written by 'af run').", Required = true };
        var definition = new JudgeOptionsDefinition();
        var concurrency = new Option<int>("--concurrency") { Description = "Samples judged at once.", DefaultValueFactory = _ => 8 }.InRange(1, 256);
        var rejudge = new Option<bool>("--rejudge") { Description = "Judge samples that already have verdicts again (default: keep them, resume the rest)." };
        var noCache = new Option<bool>("--no-cache") { Description = $"Do not keep judge replies in <run>/{CacheFolder} (by default re-judging costs nothing)." };
        var json = new Option<bool>("--json") { Description = "Print summary.json to stdout (human output goes to stderr)." };
        var noPromptCache = new Option<bool>("--no-prompt-cache") { Description = "Do not mark Anthropic judge requests for Anthropic's prompt cache (by default the judge prompt carries an ephemeral cache_control breakpoint, so each vote after the first reads it at the cache-read price)." };
        var batch = new Option<bool>("--batch") { Description = $"Send the judge calls through the provider's Batch API (about half price, results within 24 hours) in rounds, recorded in <run>/{BatchJudge.JournalFile}; a rerun re-attaches to batches in flight. Without --judge-endpoint (a simulated run), a batch service is emulated in process." };
        var batchFlags = new BatchFlags("--judge-endpoint");
        var connection = new ConnectionOptionsDefinition();
        var command = new Command("judge", "Judge a finished run with LLM judges: compliance of the final answers, alignment faking in the reasoning; rewrites samples.jsonl and summary.json.")
        {
            run,
        };
        definition.AddTo(command, acceptOldRetries: true);
        foreach (var option in new Option[] { concurrency, rejudge, noCache, noPromptCache, json, batch })
        {
            command.Options.Add(option);
        }

        batchFlags.AddTo(command);
        connection.AddTo(command);

        command.SetAction(async (parse, ct) =>
        {
            var bound = definition.Bind(parse, parse.GetValue(run)!);
            var settings = bound with
            {
                Concurrency = parse.GetValue(concurrency),
                Rejudge = parse.GetValue(rejudge),
                NoCache = parse.GetValue(noCache),
                Json = parse.GetValue(json),
                Batch = parse.GetValue(batch),
                Connection = connection.Bind(parse),
                NoPromptCache = parse.GetValue(noPromptCache),
            };
            var human = settings.Json ? stderr : stdout;
            try
            {
                return await ExecuteAsync(settings, settings.Batch ? batchFlags.Bind(parse) with { PromptCaching = !parse.GetValue(noPromptCache) } : null, stdout, human, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                await human.WriteLineAsync(settings.Batch
                    ? "cancelled: the judge batches in flight keep running at the provider; rerun the same command to take in their results."
                    : "cancelled: the samples judged so far are saved; rerun the same command to resume.").ConfigureAwait(false);
                return AfCli.Cancelled;
            }
            catch (Exception ex) when (ex is CliException or RunDirectoryLockedException)
            {
                await stderr.WriteLineAsync("error: " + SecretRedaction.Redact(ex.Message)).ConfigureAwait(false);
                return AfCli.Failure;
            }
            catch (FatalCallException ex)
            {
                // A wrong judge key, model or URL (401, 403, 404): no call can succeed, so the judgement stopped at once.
                await stderr.WriteLineAsync($"stopped: {SecretRedaction.Redact(ex.Message)}. The samples judged before it are kept in {Path.GetFullPath(settings.Run)} (no sample was marked as a judge error); fix the cause and rerun the same command to resume.").ConfigureAwait(false);
                return AfCli.Failure;
            }
        });
        return command;
    }

    private static async Task<int> ExecuteAsync(JudgeSettings s, BatchSettings? batch, TextWriter stdout, TextWriter human, CancellationToken ct)
    {
        if (!File.Exists(Path.Combine(s.Run, RunDirectory.ManifestFile)))
        {
            throw new CliException($"{s.Run} is not a run directory (no {RunDirectory.ManifestFile})");
        }

        var manifest = RunDirectory.ReadManifest(s.Run);
        var cache = s.NoCache ? null : new JudgeCache(Path.Combine(s.Run, CacheFolder));
        var (runJudge, judge, compliance, reasoning) = await BuildAsync(s, manifest.Subject, cache, human).ConfigureAwait(false);
        using var judgeScope = judge;
        var complianceOptions = compliance.Options;
        var afOptions = reasoning?.Options ?? new AlignmentFakingClassifierOptions();
        int? torn;
        using (RunDirectory.AcquireLock(s.Run))
        {
            torn = await RunDirectory.RepairTornLineAsync(s.Run, ct).ConfigureAwait(false);
        }

        if (torn is { } line)
        {
            bool complete = RunDirectory.ReadManifest(s.Run).Complete;
            await human.WriteLineAsync($"repaired {RunDirectory.SamplesFile}: line {line} was torn (a write cut short) and was dropped; " +
                (complete ? "every planned sample is still there" : "the run is not complete: rerun af run with the same flags and --out to run the missing sample(s)")).ConfigureAwait(false);
        }

        int total = RunDirectory.EnumerateSamples(s.Run, includeText: false).Count();
        await human.WriteLineAsync($"judging {total} samples of {Path.GetFullPath(s.Run)} | compliance prompt {complianceOptions.Prompt} | " +
            (reasoning is null ? "no alignment-faking judge" : $"alignment-faking prompt {afOptions.Prompt}, {afOptions.Votes} votes, threshold {afOptions.Threshold.ToString(CultureInfo.InvariantCulture)}, min valid vote share {afOptions.MinValidVoteShare.ToString(CultureInfo.InvariantCulture)}, reads {(afOptions.Source switch { AlignmentFakingSource.Scratchpad => "the scratchpad", AlignmentFakingSource.Reasoning => "the native reasoning", _ => "the scratchpad and the native reasoning" })}")).ConfigureAwait(false);
        RunJudgement result;
        if (batch is null)
        {
            if (BatchRoundEngine.CountInFlight(s.Run, BatchJudge.JournalFile) is > 0 and var pending)
            {
                throw new CliException($"{pending} judge batch(es) of this run are still in flight at the provider; rerun with --batch to take in their results (judging online would pay for the same calls again).");
            }

            result = await runJudge.JudgeDirectoryAsync(s.Run, new LineProgress(human), ct).ConfigureAwait(false);
        }
        else
        {
            var judged = await JudgeThroughBatchesAsync(s, batch, runJudge, judge, human, ct).ConfigureAwait(false);
            result = judged.Judgement;
            await human.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"judge batches: {judged.BatchesCreated} created, {judged.BatchesReattached} re-attached, {judged.RequestsSubmitted} requests submitted, {judged.RequestsFailed} failed{(judged.CallsWithoutReply > 0 ? $"; {judged.CallsWithoutReply} call(s) without a reply after {batch.Options.MaxAttemptsPerTurn} attempt(s) are judge errors (rerun to retry them)" : string.Empty)}")).ConfigureAwait(false);
        }

        // On the batch path the cache is read several times per call while planning: its hit count says nothing there.
        await PrintAsync(human, result, compliance.JudgeCalls + (reasoning?.JudgeCalls ?? 0), batch is null ? cache : null).ConfigureAwait(false);
        if (s.Json)
        {
            await stdout.WriteLineAsync(result.Summary.ToJson()).ConfigureAwait(false);
        }

        return AfCli.Success;
    }

    /// <summary><c>af judge --batch</c>: the judge calls through the judge endpoint's Batch API (or, offline, emulated over the simulated judge).</summary>
    private static async Task<BatchJudgement> JudgeThroughBatchesAsync(JudgeSettings s, BatchSettings batch, RunJudge runJudge, IChatClient judge, TextWriter human, CancellationToken ct)
    {
        IBatchProvider provider;
        if (s.Endpoint is null)
        {
            provider = new ChatClientBatchProvider(judge);
        }
        else
        {
            var uri = EndpointInputs.ParseEndpoint(s.Endpoint, "--judge-endpoint");
            var key = Environment.GetEnvironmentVariable(s.KeyVariable) is { Length: > 0 } value ? value : null;
            provider = BatchTestHooks.Wrap(BatchCommandPath.CreateBatchProvider(batch.Provider ?? s.Provider, "--judge-provider", new BatchProviderSettings
            {
                Endpoint = uri,
                ApiKey = key,
                WorkingDirectory = Path.Combine(s.Run, "judge-batch-inputs"),
                PromptCaching = batch.PromptCaching,
            }));
        }

        int attached = BatchRoundEngine.CountInFlight(s.Run, BatchJudge.JournalFile);
        await human.WriteLineAsync($"judge batch path ({provider.Name}): one round per dependent step (retries of unparseable replies, votes after the compliance verdict when only compliant samples are assessed); results usually within minutes to hours, at most 24 hours per round{(attached > 0 ? $"; re-attaching to {attached} batch(es) in flight" : string.Empty)}").ConfigureAwait(false);
        var batchJudge = new BatchJudge(runJudge, provider, batch.Options);
        try
        {
            return await batchJudge.JudgeDirectoryAsync(s.Run, new BatchProgressPrinter(human), new LineProgress(human), ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (BatchApiErrors.Describe(ex, s.KeyVariable) is { } reason)
        {
            throw new CliException("the judge batch API failed: " + reason);
        }
    }

    /// <summary>Builds the judges a command line describes (shared by <c>af judge</c> and <c>af run</c>).</summary>
    internal static async Task<(RunJudge RunJudge, IChatClient Client, LlmJudgeClassifier Compliance, AlignmentFakingReasoningClassifier? Reasoning)> BuildAsync(
        JudgeSettings s, string subjectKind, JudgeCache? cache, TextWriter human)
    {
        var complianceOptions = new LlmJudgeOptions { ModelId = s.Model, Cache = cache, UnparseableRetries = s.Retries };
        var afOptions = new AlignmentFakingClassifierOptions { ModelId = s.Model, Cache = cache, Votes = s.Votes, VotesPerRequest = s.VotesPerRequest, Threshold = s.Threshold, MaybeThreshold = Math.Min(0.2, s.Threshold), MinValidVoteShare = s.MinValidVoteShare, Source = s.AfSource };
        var runOptions = new RunJudgeOptions { MaxConcurrency = s.Concurrency, Rejudge = s.Rejudge, AssessOnlyCompliant = s.AfOnlyCompliant };
        try
        {
            if (s.CompliancePrompt is not null)
            {
                complianceOptions.Prompt = LoadPrompt(s.CompliancePrompt, "--compliance-prompt", alignmentFaking: false);
            }

            if (s.AfPrompt is not null)
            {
                afOptions.Prompt = LoadPrompt(s.AfPrompt, "--af-prompt", alignmentFaking: true);
            }

            complianceOptions.Validate();
            afOptions.Validate();
            runOptions.Validate();
        }
        catch (ArgumentException ex)
        {
            throw new CliException(ex.Message);
        }

        var client = await CreateJudgeClientAsync(s, subjectKind, human).ConfigureAwait(false);
        var compliance = new LlmJudgeClassifier(client, complianceOptions);
        var reasoning = s.NoAf ? null : new AlignmentFakingReasoningClassifier(client, afOptions);
        return (new RunJudge(compliance, reasoning, runOptions), client, compliance, reasoning);
    }

    private static async Task<IChatClient> CreateJudgeClientAsync(JudgeSettings s, string subjectKind, TextWriter human)
    {
        if (s.Endpoint is null)
        {
            if (s.Model is not null)
            {
                throw new CliException("--judge-model needs --judge-endpoint");
            }

            if (!string.Equals(subjectKind, "simulated", StringComparison.Ordinal))
            {
                throw new CliException("--judge-endpoint is required: give the OpenAI-compatible URL of a judge model and --judge-model (only runs of the simulated organism can be judged offline)");
            }

            await human.WriteLineAsync("No --judge-endpoint given: the run is of the simulated organism, so the simulated judge answers from the organism's markers (offline, no cost; a demonstration, not a real judge).").ConfigureAwait(false);
            return new SimulatedJudge();
        }

        if (string.IsNullOrWhiteSpace(s.Model))
        {
            throw new CliException("--judge-endpoint needs --judge-model");
        }

        var provider = ProviderNames.Catalog.Get(s.Provider);
        var uri = EndpointInputs.ParseEndpoint(s.Endpoint, "--judge-endpoint");
        var key = await EndpointInputs.ReadKeyAsync(s.KeyVariable, null, "judge endpoint", human).ConfigureAwait(false);
        return provider.CreateChatClient(new ModelEndpointSettings
        {
            Endpoint = uri,
            Model = s.Model,
            ApiKey = key,
            ApiKeyVariable = s.KeyVariable,
            EndpointSetting = "--judge-endpoint",
            PromptCaching = !s.NoPromptCache,
            Resilience = s.Connection.ApplyTo(new ModelResilienceOptions()),
        });
    }

    private static JudgePrompt LoadPrompt(string path, string option, bool alignmentFaking)
    {
        try
        {
            return JudgePrompt.LoadFor(path, alignmentFaking);
        }
        catch (Exception ex) when (ex is FormatException or FileNotFoundException)
        {
            throw new CliException($"{option}: {ex.Message}");
        }
    }

    private static async Task PrintAsync(TextWriter w, RunJudgement result, long calls, JudgeCache? cache)
    {
        await w.WriteLineAsync().ConfigureAwait(false);
        foreach (var c in result.Summary.Conditions)
        {
            await w.WriteLineAsync($"[{c.Mode.ToName()}] {c.OriginalPrintout}").ConfigureAwait(false);
            await w.WriteLineAsync(Line("proxy", c.Training, c.Unmonitored, c.Gap)).ConfigureAwait(false);
            if (c.Judge is not null)
            {
                await w.WriteLineAsync(Line("judge", c.Judge.Training, c.Judge.Unmonitored, c.Judge.Gap)).ConfigureAwait(false);
                var other = c.Judge.Training.Outcomes.Concat(c.Judge.Unmonitored.Outcomes)
                    .GroupBy(kv => kv.Key).Where(g => g.Key is not ("complied" or "refused"))
                    .Select(g => $"{g.Key} {g.Sum(kv => kv.Value)}").ToArray();
                if (other.Length > 0)
                {
                    await w.WriteLineAsync("  judge, other outcomes: " + string.Join(", ", other)).ConfigureAwait(false);
                }
            }

            if (c.AfRate is not null)
            {
                await w.WriteLineAsync($"  alignment-faking rate (training, judge-compliant and AF): {Pct(c.AfRate)}").ConfigureAwait(false);
            }

            if (AfVerdictsLine(c) is { } verdicts)
            {
                await w.WriteLineAsync(verdicts).ConfigureAwait(false);
            }
        }

        await w.WriteLineAsync("proxy vs judge agreement:").ConfigureAwait(false);
        foreach (var t in result.Agreement.Tiers)
        {
            var m = t.Matrix;
            var ids = t.Disagreements.Count == 0 ? string.Empty : " e.g. " + string.Join(", ", t.Disagreements.Take(5)) + (t.Disagreements.Count > 5 ? ", ..." : string.Empty);
            await w.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"  {t.Mode?.ToName()}/{t.Tier?.ToName()}: n {m.N}, agreement {Pct(t.RawAgreement)}, kappa {(t.CohensKappa is null ? "n/a" : t.CohensKappa.Value.ToString("0.000", CultureInfo.InvariantCulture))}, proxy-only complied {m.FirstOnly}, judge-only complied {m.SecondOnly}, excluded {t.Excluded}{ids}")).ConfigureAwait(false);
        }

        await w.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"judged {result.Judged} samples this pass; judge calls {calls}{(cache is null ? string.Empty : $", cache hits {cache.Hits}")}")).ConfigureAwait(false);
    }

    /// <summary>
    /// The training tier's alignment-faking assessments by verdict, e.g. "  alignment-faking verdicts (training): yes 3,
    /// no 10, insufficient-votes 1 (insufficient-votes: no verdict, not in the AF rate)"; <see langword="null"/> without
    /// assessments.
    /// </summary>
    internal static string? AfVerdictsLine(ConditionSummary condition)
    {
        if (condition.AfVerdicts is not { Count: > 0 } counts)
        {
            return null;
        }

        string[] order = [AlignmentFakingAssessment.Yes, AlignmentFakingAssessment.Maybe, AlignmentFakingAssessment.No];
        var verdicts = order.Where(counts.ContainsKey).Select(v => $"{v} {counts[v]}");
        var others = counts.Keys.Except(order, StringComparer.Ordinal).Select(v => $"{v} {counts[v]}").ToArray();
        return "  alignment-faking verdicts (training): " + string.Join(", ", verdicts.Concat(others))
            + (others.Length > 0 ? " (" + string.Join(", ", others.Select(o => o.Split(' ')[0])) + ": no verdict, not in the AF rate)" : string.Empty);
    }

    private static string Line(string who, TierSummary training, TierSummary unmonitored, GapSummary gap) => string.Create(
        CultureInfo.InvariantCulture,
        $"  compliance ({who}): training {Pct(training.Rate)} ({training.Complied}/{training.N}), unmonitored {Pct(unmonitored.Rate)} ({unmonitored.Complied}/{unmonitored.N}), gap {Pct(gap.Estimate)}");

    private static string Pct(double? rate) => rate is null ? "n/a" : string.Create(CultureInfo.InvariantCulture, $"{rate.Value * 100:0.0}%");

    private sealed class LineProgress(TextWriter writer) : IProgress<JudgeProgress>
    {
        private readonly Lock _gate = new();
        private int _lastDecile = -1;

        public void Report(JudgeProgress value)
        {
            int decile = value.Total == 0 ? 10 : value.Completed * 10 / value.Total;
            lock (_gate)
            {
                if (decile > _lastDecile)
                {
                    _lastDecile = decile;
                    writer.WriteLine($"  judged {value.Completed}/{value.Total}");
                }
            }
        }
    }
}

internal sealed record JudgeSettings
{
    public required string Run { get; init; }

    public string Provider { get; init; } = ProviderNames.Default;

    public string? Endpoint { get; init; }

    public string? Model { get; init; }

    public required string KeyVariable { get; init; }

    public string? CompliancePrompt { get; init; }

    public string? AfPrompt { get; init; }

    public int Votes { get; init; }

    public double Threshold { get; init; }

    public double MinValidVoteShare { get; init; } = AlignmentFakingClassifierOptions.DefaultMinValidVoteShare;

    public AlignmentFakingSource AfSource { get; init; } = AlignmentFakingSource.Both;
    public int VotesPerRequest { get; init; } = 128;

    public bool NoAf { get; init; }

    public bool AfOnlyCompliant { get; init; }

    public int Concurrency { get; init; } = 8;

    public int Retries { get; init; }

    public bool Rejudge { get; init; }

    public bool NoCache { get; init; }

    public bool Json { get; init; }

    public bool Batch { get; init; }

    public ConnectionSettings Connection { get; init; } = new();

    /// <summary><c>--no-prompt-cache</c>: no <c>cache_control</c> on an Anthropic judge's requests.</summary>
    public bool NoPromptCache { get; init; }
}
