using System.Globalization;
using AlignmentFaking.Costs;
using AlignmentFaking.Datasets;
using AlignmentFaking.Internal;
using AlignmentFaking.Running.Batch;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Storage;

namespace AlignmentFaking.Running;

/// <summary>
/// One session of a run over its run directory, what <c>af run</c> does: plans the work (of a shard), skips the samples
/// already there (resume), calls again the failed ones when asked (<see cref="ExperimentSessionOptions.RetryErrors"/>),
/// holds a budget that counts earlier sessions' spending, judges each sample as it finishes (<see cref="ISampleJudge"/>),
/// appends it to <c>samples.jsonl</c>, and ends by writing <c>summary.json</c> (computed from the samples and the
/// manifest, with the cost estimate recorded in the manifest) and the final manifest. The online
/// (<see cref="ExperimentRunner"/>) and batch (<see cref="BatchExperimentRunner"/>) paths are two drivers of it.
/// </summary>
/// <remarks>
/// <see cref="OpenAsync"/> (online) and <see cref="OpenBatchAsync"/> open the directory and take its writer lock
/// (another writer gets <see cref="RunDirectoryLockedException"/>); a directory holding another run's settings is
/// refused (<see cref="IncompatibleRunException"/>), and so is an online session while batches of the run are in flight
/// (<see cref="BatchesInFlightException"/>). A run that is complete
/// already (every planned sample there, same settings) is not opened at all: <see cref="IsComplete"/> is set and
/// <see cref="RunAsync"/> returns its summary without calling anything or changing a file. The lock is released when
/// <see cref="RunAsync"/> ends (or on <see cref="DisposeAsync"/>). A session runs once.
/// </remarks>
public sealed class ExperimentSession : IAsyncDisposable
{
    private readonly Driver _driver;
    private readonly RunSummary? _completeSummary;
    private RunDirectory? _run;
    private bool _ran;

    private ExperimentSession(Driver driver, string fullPath, RunManifest manifest, IReadOnlyList<SampleKey> plan, CostEstimate? estimate)
    {
        _driver = driver;
        FullPath = fullPath;
        Manifest = manifest;
        Plan = plan;
        Work = [];
        CostEstimate = estimate;
    }

    private ExperimentSession(Driver driver, string fullPath, RunManifest manifest, IReadOnlyList<SampleKey> plan, CostEstimate? estimate, RunSummary completeSummary)
        : this(driver, fullPath, manifest, plan, estimate)
    {
        _completeSummary = completeSummary;
    }

    /// <summary>The run directory (full path).</summary>
    public string FullPath { get; }

    /// <summary>The manifest: as this session wrote it (a resume keeps the first session's start and endpoint), or as recorded when <see cref="IsComplete"/>.</summary>
    public RunManifest Manifest { get; private set; }

    /// <summary>The planned samples (this shard's, when sharded), in launch order.</summary>
    public IReadOnlyList<SampleKey> Plan { get; }

    /// <summary>The samples this session produces: the plan less the samples already in the directory.</summary>
    public IReadOnlyList<SampleKey> Work { get; private set; }

    /// <summary>Planned samples already in the directory when it was opened.</summary>
    public int DoneBefore => Plan.Count - Work.Count;

    /// <summary>Whether the run is complete already: <see cref="RunAsync"/> calls nothing and changes no file.</summary>
    public bool IsComplete => _completeSummary is not null;

    /// <summary>With <see cref="ExperimentSessionOptions.RetryErrors"/> on a resumed run: the failed samples removed to be called again; otherwise <see langword="null"/>.</summary>
    public int? ErrorsRemoved { get; private set; }

    /// <summary>
    /// The 1-based number of the torn last line of <c>samples.jsonl</c> (a write cut short) that opening the run dropped
    /// (<see cref="RunDirectory.RepairTornLineAsync"/>): its sample is run again. <see langword="null"/> when there was none.
    /// </summary>
    public int? RepairedTornLine { get; private set; }

    /// <summary>With a budget: what earlier sessions' samples of this plan cost; otherwise <see langword="null"/>.</summary>
    public decimal? SpentBefore { get; private set; }

    /// <summary>The cost estimate of the run (this shard's), as recorded in the manifest.</summary>
    public CostEstimate? CostEstimate { get; }

    /// <summary>The path of this session's driver: <c>online</c> or <c>batch</c>.</summary>
    public string Path => _driver.Path;

    /// <summary>Opens a session that calls the subject online through <paramref name="runner"/>.</summary>
    /// <param name="runner">The online runner; its <see cref="ExperimentRunner.Options"/> receive the budget.</param>
    /// <param name="requests">The requests (the whole dataset slice; the shard is taken from <paramref name="options"/>).</param>
    /// <param name="options">The session's options.</param>
    /// <param name="cancellationToken">Cancels the opening.</param>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    /// <exception cref="IncompatibleRunException">The directory holds a run with other settings.</exception>
    /// <exception cref="RunDirectoryLockedException">Another writer holds the directory.</exception>
    /// <exception cref="BatchesInFlightException">Batches of the run are in flight at the provider.</exception>
    public static Task<ExperimentSession> OpenAsync(ExperimentRunner runner, IReadOnlyList<ExperimentRequest> requests, ExperimentSessionOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runner);
        var driver = new Driver(
            "online",
            runner.Options,
            runner.Scenarios,
            runner.ModelId,
            runner.Plan,
            (work, _, progress, ct) => runner.StreamAsync(work, progress, ct));
        return OpenCoreAsync(driver, requests, options, cancellationToken);
    }

    /// <summary>Opens a session that sends the subject's calls through the provider's batch service with <paramref name="runner"/>.</summary>
    /// <param name="runner">The batch runner (its journal, <c>batches.jsonl</c>, lives in the run directory).</param>
    /// <param name="requests">The requests (the whole dataset slice; the shard is taken from <paramref name="options"/>).</param>
    /// <param name="options">The session's options (no budget on this path).</param>
    /// <param name="cancellationToken">Cancels the opening.</param>
    /// <exception cref="ArgumentException">An option is invalid, or a budget is set.</exception>
    /// <exception cref="IncompatibleRunException">The directory holds a run with other settings.</exception>
    /// <exception cref="RunDirectoryLockedException">Another writer holds the directory.</exception>
    public static Task<ExperimentSession> OpenBatchAsync(BatchExperimentRunner runner, IReadOnlyList<ExperimentRequest> requests, ExperimentSessionOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(options);
        if (options.BudgetUsd is not null || options.SharedBudget is not null)
        {
            throw new ArgumentException("a budget does not apply to the batch path (a batch's cost is known only when it completes)", nameof(options));
        }

        var driver = new Driver(
            "batch",
            runner.Options,
            runner.Scenarios,
            runner.Options.ModelId,
            runner.Plan,
            (work, directory, _, ct) => runner.StreamAsync(work, directory, options.BatchProgress, ct));
        return OpenCoreAsync(driver, requests, options, cancellationToken);
    }

    /// <summary>
    /// Runs the session's work: each sample, judged first when <paramref name="judge"/> is given (several at once, up to
    /// <see cref="ExperimentOptions.MaxConcurrency"/>), is appended to <c>samples.jsonl</c> as it finishes; then
    /// <c>summary.json</c> and the final manifest are written (also when cancelled, stopped by the budget or by a fatal
    /// failure: the run stays resumable) and the directory's lock is released. On a complete run, returns its summary
    /// and changes nothing.
    /// </summary>
    /// <param name="judge">Judges each sample before it is written; none when <see langword="null"/>.</param>
    /// <param name="progress">Receives progress after each sample (online path; see <see cref="ExperimentSessionOptions.BatchProgress"/> for the batch path).</param>
    /// <param name="cancellationToken">Stops the session (<see cref="ExperimentSessionStatus.Cancelled"/>).</param>
    /// <exception cref="InvalidOperationException">The session ran already.</exception>
    public async Task<ExperimentSessionResult> RunAsync(ISampleJudge? judge = null, IProgress<RunProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (_ran)
        {
            throw new InvalidOperationException("an ExperimentSession runs once; open a new one to resume the run");
        }

        _ran = true;
        if (_completeSummary is { } complete)
        {
            return Result(
                complete.SamplesWithoutVerdict == 0 ? ExperimentSessionStatus.Complete : ExperimentSessionStatus.FinishedWithErrors,
                complete,
                Plan.Count,
                alreadyComplete: true);
        }

        var run = _run ?? throw new ObjectDisposedException(nameof(ExperimentSession));
        try
        {
            return await RunOpenAsync(run, judge, progress, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _run = null;
            await run.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_run is { } run)
        {
            _run = null;
            await run.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async Task<ExperimentSession> OpenCoreAsync(Driver driver, IReadOnlyList<ExperimentRequest> requests, ExperimentSessionOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requests);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var plan = driver.Plan(requests, options.Shard);
        var estimate = options.CostEstimate ?? Estimate(driver, requests, options);
        var manifest = CreateManifest(driver, requests, options, estimate);
        var full = System.IO.Path.GetFullPath(options.Directory);
        RunDirectory.EnsureWritable(full);   // before anything is read or written there

        // A rerun of a complete run with the same settings: nothing to call, nothing to write (no lock either).
        if (CompleteSummary(full, manifest, plan, options.RetryErrors) is { } summary)
        {
            return new ExperimentSession(driver, full, RunDirectory.ReadManifest(full), plan, estimate, summary);
        }

        // Online while batches of the run are in flight would pay for their requests a second time.
        if (driver.Path == "online" && BatchRoundEngine.CountInFlight(full, BatchExperimentRunner.JournalFile) is > 0 and var pending)
        {
            throw new BatchesInFlightException(full, BatchExperimentRunner.JournalFile, pending);
        }

        int? removed = null;
        int? repaired = null;
        if (options.RetryErrors && File.Exists(System.IO.Path.Combine(full, RunDirectory.ManifestFile)))
        {
            var differences = RunCompatibility.Differences(RunDirectory.ReadManifest(full), manifest);
            if (differences.Count > 0)
            {
                throw new IncompatibleRunException(full, differences);
            }

            using (RunDirectory.AcquireLock(full))
            {
                repaired = await RunDirectory.RepairTornLineAsync(full, cancellationToken).ConfigureAwait(false);
            }

            removed = await RunDirectory.RemoveFailedSamplesAsync(full, cancellationToken).ConfigureAwait(false);
        }

        var run = await RunDirectory.CreateAsync(full, manifest, driver.Options.Modes.Select(driver.Scenarios.GetSystemPrompt), cancellationToken).ConfigureAwait(false);
        var session = new ExperimentSession(driver, full, run.Manifest, plan, estimate)
        {
            _run = run,
            ErrorsRemoved = removed,
            RepairedTornLine = repaired ?? run.RepairedTornLine,
            Work = plan.Where(k => !run.ExistingSampleIds.Contains(k.SampleId)).ToArray(),
        };

        if (options.BudgetUsd is not null || options.SharedBudget is not null)
        {
            // The budget covers the whole run: what earlier sessions' samples of this plan cost counts as spent (a shared
            // budget's creator counted it already).
            var planned = plan.Select(k => k.SampleId).ToHashSet(StringComparer.Ordinal);
            var spentBefore = CostEstimator.Actual(RunDirectory.EnumerateSamples(full, includeText: false).Where(x => planned.Contains(x.SampleId)), options.Price).Cost ?? 0m;
            driver.Options.Budget = options.SharedBudget is { } shared ? shared.For(options.Price!) : new RunBudget(options.BudgetUsd!.Value, options.Price!, spentBefore);
            session.SpentBefore = spentBefore;
        }

        return session;
    }

    private async Task<ExperimentSessionResult> RunOpenAsync(RunDirectory run, ISampleJudge? judge, IProgress<RunProgress>? progress, CancellationToken cancellationToken)
    {
        int written = 0;
        ExperimentSessionStatus? stopped = null;
        string? fatalMessage = null;
        BudgetExhaustedException? budgetStop = null;
        try
        {
            var stream = _driver.Stream(Work, run.FullPath, progress, cancellationToken);
            if (judge is null)
            {
                await foreach (var sample in stream.ConfigureAwait(false))
                {
                    await run.AppendAsync(sample, CancellationToken.None).ConfigureAwait(false);
                    written++;
                }
            }
            else
            {
                // Judge as the run goes: each finished sample is judged (several at once) before it is written.
                var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _driver.Options.MaxConcurrency), CancellationToken = cancellationToken };
                await Parallel.ForEachAsync(stream, parallel, async (sample, token) =>
                {
                    var judged = await judge.JudgeSampleAsync(sample, token).ConfigureAwait(false);
                    await run.AppendAsync(judged, CancellationToken.None).ConfigureAwait(false);
                    Interlocked.Increment(ref written);
                }).ConfigureAwait(false);
            }
        }
        catch (BudgetExhaustedException ex)
        {
            stopped = ExperimentSessionStatus.BudgetExhausted;
            budgetStop = ex;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            stopped = ExperimentSessionStatus.Cancelled;
        }
        catch (FatalCallException ex)
        {
            stopped = ExperimentSessionStatus.Fatal;
            fatalMessage = SecretRedactor.Redact(ex.Message);
        }

        int kept = DoneBefore + written;

        // The summary is computed from samples.jsonl and the manifest: whatever the samples carry (judge, AF, cost) is in it.
        var summary = await run.CompleteFromSamplesAsync(_driver.Options.TimeProvider.GetUtcNow(), allPlannedWritten: stopped is null && kept == Plan.Count, CancellationToken.None).ConfigureAwait(false);
        Manifest = run.Manifest;
        var status = stopped ?? (summary.SamplesWithoutVerdict == 0 ? ExperimentSessionStatus.Complete : ExperimentSessionStatus.FinishedWithErrors);
        if (budgetStop is null)
        {
            return Result(status, summary, kept, fatalMessage: fatalMessage);
        }

        // One figure: what the kept samples cost, as summary.json records it; calls of conversations the stop cut short
        // were paid too but are in no sample.
        var recorded = summary.Cost?.Actual?.Cost ?? 0m;
        return Result(status, summary, kept) with
        {
            BudgetUsd = budgetStop.Limit,
            SpentCutShort = Math.Max(0, budgetStop.Spent - recorded),
        };
    }

    private ExperimentSessionResult Result(ExperimentSessionStatus status, RunSummary summary, int kept, bool alreadyComplete = false, string? fatalMessage = null)
    {
        int errors = summary.SamplesWithoutVerdict;
        var spent = summary.Cost?.Actual?.Cost;
        var message = status switch
        {
            ExperimentSessionStatus.Complete when alreadyComplete => $"complete: {FullPath} already holds all {Plan.Count} samples of this run; nothing called, nothing changed",
            ExperimentSessionStatus.Complete => $"complete: {kept} of {Plan.Count} samples in {FullPath}",
            ExperimentSessionStatus.FinishedWithErrors => $"finished with errors: {errors} samples have no verdict (their calls failed after all retries); a session with RetryErrors calls them again" + (summary.SamplesWithVerdict == 0 ? " (no sample has a verdict: the run is not complete)" : string.Empty),
            ExperimentSessionStatus.Cancelled => $"cancelled after {kept} of {Plan.Count} samples; they are kept in {FullPath}; a new session resumes the run",
            ExperimentSessionStatus.BudgetExhausted => string.Create(CultureInfo.InvariantCulture, $"stopped by the budget: spent ${spent ?? 0m:0.####} on the {kept} of {Plan.Count} samples kept in {FullPath}; a session with a higher budget resumes the run"),
            _ => fatalMessage ?? "stopped by a fatal failure",
        };
        return new ExperimentSessionResult
        {
            Status = status,
            Message = message,
            Directory = FullPath,
            Summary = summary,
            Planned = Plan.Count,
            Kept = kept,
            DoneBefore = DoneBefore,
            AlreadyComplete = alreadyComplete,
            Spent = spent,
        };
    }

    /// <summary>
    /// The summary of a complete run with the same settings whose directory holds every planned sample; <see langword="null"/>
    /// when there is work to do (or failed samples to call again with <paramref name="retryErrors"/>).
    /// </summary>
    private static RunSummary? CompleteSummary(string directory, RunManifest manifest, IReadOnlyList<SampleKey> plan, bool retryErrors)
    {
        if (!File.Exists(System.IO.Path.Combine(directory, RunDirectory.ManifestFile)))
        {
            return null;
        }

        var previous = RunDirectory.ReadManifest(directory);
        if (!previous.Complete || RunCompatibility.Differences(previous, manifest).Count > 0)
        {
            return null; // resumed, or refused with the differences, as usual
        }

        HashSet<string> ids;
        RunSummary summary;
        try
        {
            ids = RunDirectory.EnumerateSamples(directory, includeText: false).Select(x => x.SampleId).ToHashSet(StringComparer.Ordinal);
            if (!plan.All(k => ids.Contains(k.SampleId)))
            {
                return null;
            }

            summary = RunDirectory.Summarize(directory);
        }
        catch (TornSamplesFileException)
        {
            return null; // resumed: opening the directory repairs the torn line and says so
        }

        return retryErrors && summary.SamplesWithoutVerdict > 0 ? null : summary;
    }

    private static CostEstimate Estimate(Driver driver, IReadOnlyList<ExperimentRequest> requests, ExperimentSessionOptions options)
    {
        var shard = options.Shard;
        IReadOnlyList<ExperimentRequest> mine = shard is null ? requests : requests.Where((_, position) => shard.Contains(position)).ToArray();
        return new CostEstimator(TokenCounter.ForModel(driver.ModelId)).Estimate(driver.Scenarios, driver.Options, mine, options.Price, batch: driver.Path == "batch");
    }

    private static RunManifest CreateManifest(Driver driver, IReadOnlyList<ExperimentRequest> requests, ExperimentSessionOptions options, CostEstimate? estimate)
    {
        var o = driver.Options;
        var scenarios = driver.Scenarios;
        var modelId = driver.ModelId ?? "unknown";
        return new RunManifest
        {
            Model = modelId,
            Subject = options.Subject,
            EndpointHost = options.EndpointHost,
            Options = new RunOptionsRecord
            {
                Modes = o.Modes,
                Tiers = o.Tiers,
                Epochs = o.Epochs,
                Temperature = o.Temperature,
                MaxOutputTokens = o.MaxOutputTokens,
                Seed = o.Seed,
                MaxTurns = o.MaxTurns,
                Extraction = o.Extraction == OutputExtraction.Original ? "original" : "after-last-scratchpad",
                PrefillPolicy = scenarios.Prefill.ToString().ToLowerInvariant(),
                PrefillUsed = scenarios.UsesPrefill(modelId) && o.ThinkingBudget is null,
                PrefillText = scenarios.CustomPrefillTexts is { Count: > 0 } texts ? texts : null,
                PrefillOffForThinking = ExperimentRunner.PrefillOffForThinking(scenarios, o, modelId),
                ReasoningEffort = o.ReasoningEffort?.ToString().ToLowerInvariant(),
                ThinkingBudget = o.ThinkingBudget,
                UserTemplate = scenarios.UserTemplate.Name,
                UserTemplateSha256 = scenarios.UserTemplate.Sha256,
                MaxConcurrency = o.MaxConcurrency,
            },
            Dataset = options.Dataset ?? new DatasetRecord
            {
                Name = "in-memory",
                Sha256 = ContentHash.Sha256(string.Join('\n', requests.Select(r => r.Text))),
                Count = requests.Count,
            },
            Prompts = o.Modes.Select(m => new PromptRecord
            {
                Mode = m,
                Name = scenarios.GetSystemPrompt(m).Name,
                Source = scenarios.GetSystemPrompt(m).Source,
                Sha256 = scenarios.GetSystemPrompt(m).Sha256,
            }).ToArray(),
            StartedAt = o.TimeProvider.GetUtcNow(),
            Shard = options.Shard?.ToString(),
            Path = driver.Path,
            CostEstimate = estimate is null ? null : RunCostSummary.Create(estimate),
        };
    }

    /// <summary>What differs between the online and the batch path: the runner's plan and stream.</summary>
    private sealed record Driver(
        string Path,
        ExperimentOptions Options,
        ScenarioBuilder Scenarios,
        string? ModelId,
        Func<IReadOnlyList<ExperimentRequest>, Shard?, IReadOnlyList<SampleKey>> Plan,
        Func<IReadOnlyList<SampleKey>, string, IProgress<RunProgress>?, CancellationToken, IAsyncEnumerable<ExperimentSample>> Stream);
}
