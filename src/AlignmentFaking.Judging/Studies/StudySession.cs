using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AlignmentFaking.Costs;
using AlignmentFaking.Diagnostics;
using AlignmentFaking.Internal;
using AlignmentFaking.Judging.Caching;
using AlignmentFaking.Judging.Compliance;
using AlignmentFaking.Judging.Reasoning;
using AlignmentFaking.Judging.Prompts;
using AlignmentFaking.Judging.Runs;
using AlignmentFaking.Judging.Simulation;
using AlignmentFaking.Providers;
using AlignmentFaking.Running;
using AlignmentFaking.Running.Batch;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Simulation;
using AlignmentFaking.Storage;
using Microsoft.Extensions.AI;

namespace AlignmentFaking.Studies;

/// <summary>
/// One session of a study over its study directory, what <c>af study run</c> does: every cell (subject x variant, its
/// modes inside) is a run directory of its own under <c>cells/subject/variant</c> (an <see cref="ExperimentSession"/>,
/// so <c>af report</c> reads each and a rerun resumes each with every sample once), all under one lock, one budget
/// (<see cref="SharedBudget"/>: the subjects' calls of every cell together) and one progress report. The cells of a
/// subject share one client, so they share its limits (its <c>rpm</c>, <c>tpm</c> and <c>concurrency</c> hold for the
/// cells together); batch cells are submitted together, each as its own batches. A fatal failure of a subject (a 401,
/// an unknown model) stops that subject's cells, not the others'. At the end <c>study-summary.json</c> is written from
/// the cells' samples (<see cref="StudySummary.ForStudy"/>).
/// </summary>
/// <remarks>
/// The directory pins the study file (<c>study.json</c>, every version under <c>pins/</c>), each cell's definition
/// (a SHA-256 over its model, provider, endpoint, sampling options, system prompts' SHA-256, user template, prefill,
/// dataset, modes, epochs and judge) and the package version (<c>study-pin.json</c>). Reopened with a study whose cell
/// changed, the session refuses, naming the cell, unless <see cref="StudySessionOptions.NewCells"/>. Operational
/// settings (rates, concurrency, retries, timeouts, prices, batch) may change between sessions.
/// </remarks>
public sealed class StudySession : IAsyncDisposable
{
    /// <summary>The pin file in the study directory: <c>study-pin.json</c>.</summary>
    public const string PinFile = "study-pin.json";

    /// <summary>The folder of the cells' run directories: <c>cells</c>.</summary>
    public const string CellsFolder = "cells";

    private readonly List<CellState> _cells;
    private readonly List<IDisposable> _owned;
    private readonly StudySessionOptions _options;
    private IDisposable? _lock;
    private bool _ran;

    private StudySession(Study study, StudyInputs inputs, StudyPlan plan, string fullPath, StudySessionOptions options, List<CellState> cells, List<IDisposable> owned, IDisposable studyLock, SharedBudget? budget, IReadOnlyList<string> notes)
    {
        Plan = plan;
        Study = study;
        Inputs = inputs;
        FullPath = fullPath;
        _options = options;
        _cells = cells;
        _owned = owned;
        _lock = studyLock;
        Budget = budget;
        Notes = notes;
    }

    /// <summary>The study.</summary>
    public Study Study { get; }

    /// <summary>The study's loaded inputs.</summary>
    public StudyInputs Inputs { get; }

    /// <summary>The study directory (full path).</summary>
    public string FullPath { get; }

    /// <summary>The study's plan (<c>af study plan</c>'s figures: every cell's estimate, the totals, the comparisons' detectable differences).</summary>
    public StudyPlan Plan { get; }

    /// <summary>The study's budget over every cell, when it has one (earlier sessions' spending counted as spent).</summary>
    public SharedBudget? Budget { get; }

    /// <summary>What opening found worth saying: cells resumed or replaced, a changed package version, prefill turned off for thinking.</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>Every cell, in the study's order, with its run directory, planned samples and those already done.</summary>
    public IReadOnlyList<StudyCellStart> Cells =>
        [.. _cells.Select(c => new StudyCellStart(c.Cell, c.Directory, c.Session.Plan.Count, c.Session.DoneBefore, c.Session.IsComplete))];

    /// <summary>
    /// Opens a study directory: checks it, takes its lock, pins the study, creates one client per subject (and the
    /// judge's), and opens every cell's run directory (taking each cell's lock). Nothing is called yet.
    /// </summary>
    /// <param name="study">The study.</param>
    /// <param name="inputs">Its inputs (<see cref="StudyInputs.LoadAsync"/>).</param>
    /// <param name="options">The session's options.</param>
    /// <param name="cancellationToken">Cancels the opening.</param>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    /// <exception cref="StudyValidationException">The study cannot run as given: a changed cell (without
    /// <see cref="StudySessionOptions.NewCells"/>), an unknown provider, a budget without a price, a replace that matches nothing, a directory that holds something other than this study.</exception>
    /// <exception cref="RunDirectoryLockedException">Another writer holds the study (or one of its cells).</exception>
    public static async Task<StudySession> OpenAsync(Study study, StudyInputs inputs, StudySessionOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        study.Validate();
        var full = Path.GetFullPath(options.Directory);
        EnsureStudyDirectory(full);
        var studyLock = RunDirectory.AcquireLock(full);
        var owned = new List<IDisposable>();
        var cells = new List<CellState>();
        try
        {
            var plan = StudyPlan.Create(study, inputs);
            var notes = new List<string>();
            var pins = plan.Cells.Select(c => new CellPin(
                c.Cell.Id,
                c.Cell.RelativeDirectory,
                Fingerprint(c.Cell, inputs, study),
                study.ReasoningModes.ToDictionary(m => m.ToName(), m => c.Cell.GetSystemPrompt(inputs, m).Sha256, StringComparer.Ordinal))).ToList();
            decimal? budgetUsd = options.BudgetUsd ?? study.BudgetUsd;
            var problems = new List<string>();
            foreach (var c in plan.Cells)
            {
                if (budgetUsd is not null && c.Cell.ResolvePrice() is null)
                {
                    problems.Add($"cell {c.Cell.Id}: the budget needs a price for '{c.Cell.ModelId}': set priceInput and priceOutput on the subject");
                }

                if (!c.Cell.Subject.IsSimulated && !options.Providers.TryGet(c.Cell.Subject.Provider ?? "openai-compatible", out _))
                {
                    problems.Add($"subject '{c.Cell.Subject.Id}': unknown provider '{c.Cell.Subject.Provider}' (known: {string.Join(", ", options.Providers.Names)})");
                }
            }

            if (problems.Count > 0)
            {
                throw new StudyValidationException(problems.Distinct().ToList());
            }

            var clients = new Dictionary<string, SubjectClient>(StringComparer.Ordinal);
            foreach (var subject in study.Subjects)
            {
                var client = CreateSubject(subject, options);
                clients[subject.Id] = client;
                owned.Add(client.Client);
            }

            IChatClient? judgeClient = null;
            JudgePrompts? judgePrompts = null;
            if (study.Judge is { } judge)
            {
                judgePrompts = LoadJudgePrompts(judge, study);
                judgeClient = CreateJudgeClient(judge, study, options);
                owned.Add(judgeClient);
            }

            // Everything is checked: only now is the directory pinned (a refused study writes nothing).
            await PinAsync(study, full, options, pins, inputs.Dataset.Sha256, notes, cancellationToken).ConfigureAwait(false);

            // Spending of earlier sessions of every cell counts against the study's budget.
            SharedBudget? budget = null;
            if (budgetUsd is { } limit)
            {
                decimal before = 0m;
                foreach (var c in plan.Cells)
                {
                    var dir = Path.Combine(full, c.Cell.RelativeDirectory);
                    if (File.Exists(Path.Combine(dir, RunDirectory.SamplesFile)))
                    {
                        before += CostEstimator.Actual(RunDirectory.EnumerateSamples(dir, includeText: false), c.Cell.ResolvePrice(), c.Cell.Batch).Cost ?? 0m;
                    }
                }

                budget = new SharedBudget(limit, before);
            }

            foreach (var c in plan.Cells)
            {
                cells.Add(await OpenCellAsync(study, inputs, full, options, c, clients[c.Cell.Subject.Id], judgeClient, judgePrompts, budget, notes, cancellationToken).ConfigureAwait(false));
            }

            return new StudySession(study, inputs, plan, full, options, cells, owned, studyLock, budget, notes);
        }
        catch
        {
            foreach (var c in cells)
            {
                await c.Session.DisposeAsync().ConfigureAwait(false);
            }

            foreach (var o in owned)
            {
                o.Dispose();
            }

            studyLock.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs every cell (up to <see cref="StudySessionOptions.MaxConcurrentCells"/> at once), each sample judged as it
    /// finishes when the study has a judge, then writes <c>study-summary.json</c> from the cells' samples (also when
    /// cancelled or stopped: every cell stays resumable) and releases the locks.
    /// </summary>
    /// <param name="progress">Receives progress after every finished sample of any cell.</param>
    /// <param name="cancellationToken">Stops every cell (<see cref="StudySessionStatus.Cancelled"/>).</param>
    /// <exception cref="InvalidOperationException">The session ran already.</exception>
    public async Task<StudySessionResult> RunAsync(IProgress<StudyProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (_ran)
        {
            throw new InvalidOperationException("a StudySession runs once; open a new one to resume the study");
        }

        _ran = true;
        var time = _options.TimeProvider;
        long started = time.GetTimestamp();
        int doneThisSession = 0;
        var failed = new System.Collections.Concurrent.ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        var subjectStops = Study.Subjects.ToDictionary(s => s.Id, _ => CancellationTokenSource.CreateLinkedTokenSource(cancellationToken), StringComparer.Ordinal);
        using var gate = new SemaphoreSlim(_options.MaxConcurrentCells ?? Math.Max(1, _cells.Count));
        var progressGate = new Lock();

        void Report()
        {
            if (progress is null)
            {
                return;
            }

            StudyProgress snapshot;
            lock (progressGate)
            {
                var cells = _cells.Select(c => new StudyCellProgress(c.Cell.Id, c.Done, c.Session.Plan.Count, c.State)).ToList();
                snapshot = new StudyProgress(cells, cells.Sum(c => c.Completed), cells.Sum(c => c.Total), time.GetElapsedTime(started), Volatile.Read(ref doneThisSession));
            }

            progress.Report(snapshot);
        }

        try
        {
            var tasks = _cells.Select(async cell =>
            {
                var stop = subjectStops[cell.Cell.Subject.Id];
                await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    if (stop.IsCancellationRequested)
                    {
                        cell.Outcome = Stopped(cell, failed, cancellationToken);
                        return;
                    }

                    cell.State = "running";
                    Report();
                    var cellProgress = new CallbackProgress<RunProgress>(p =>
                    {
                        cell.Done = cell.Session.DoneBefore + p.Completed;
                        Interlocked.Increment(ref doneThisSession);
                        Report();
                    });
                    cell.Outcome = await RunCellAsync(cell, cellProgress, stop.Token).ConfigureAwait(false);
                    if (cell.Outcome.Status == ExperimentSessionStatus.Fatal)
                    {
                        failed.TryAdd(cell.Cell.Subject.Id, $"cell {cell.Cell.Id}: {cell.Outcome.Message}");
                        await stop.CancelAsync().ConfigureAwait(false);
                    }
                    else if (cell.Outcome.Status == ExperimentSessionStatus.Cancelled && !cancellationToken.IsCancellationRequested && failed.ContainsKey(cell.Cell.Subject.Id))
                    {
                        cell.Outcome = Stopped(cell, failed, cancellationToken);
                    }
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    cell.Outcome ??= Outcome(cell, ExperimentSessionStatus.Cancelled, "cancelled before it started", 0);
                }
                finally
                {
                    gate.Release();
                    cell.State = cell.Outcome is { } o ? Describe(o.Status) : "stopped";
                    Report();
                }
            }).ToList();
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Each cell recorded its own outcome.
        }
        finally
        {
            foreach (var cts in subjectStops.Values)
            {
                cts.Dispose();
            }

            await DisposeCoreAsync().ConfigureAwait(false);
        }

        var outcomes = _cells.Select(c => c.Outcome ?? Outcome(c, ExperimentSessionStatus.Cancelled, "cancelled before it started", 0)).ToList();
        var summary = Summarize();
        await summary.WriteAsync(FullPath, CancellationToken.None).ConfigureAwait(false);
        var status = cancellationToken.IsCancellationRequested || outcomes.Any(o => o.Status == ExperimentSessionStatus.Cancelled) ? StudySessionStatus.Cancelled
            : !failed.IsEmpty ? StudySessionStatus.SubjectsFailed
            : outcomes.Any(o => o.Status == ExperimentSessionStatus.BudgetExhausted) ? StudySessionStatus.BudgetExhausted
            : outcomes.Any(o => o.Status == ExperimentSessionStatus.FinishedWithErrors) ? StudySessionStatus.FinishedWithErrors
            : StudySessionStatus.Complete;
        return new StudySessionResult
        {
            Status = status,
            Directory = FullPath,
            Cells = outcomes,
            FailedSubjects = new Dictionary<string, string>(failed, StringComparer.Ordinal),
            Summary = summary,
            Spent = Budget?.Spent,
            BudgetUsd = Budget?.LimitUsd,
        };
    }

    /// <summary>
    /// The summary of a study directory as its cells stand: every cell and mode of <paramref name="study"/> read from
    /// <c>cells/subject/variant</c> (a cell without a run directory has no samples), and the study's comparisons.
    /// </summary>
    /// <param name="study">The study.</param>
    /// <param name="directory">The study directory.</param>
    public static StudySummary Summarize(Study study, string directory)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var full = Path.GetFullPath(directory);
        var results = new List<StudyCellResult>();
        foreach (var cell in study.GetCells())
        {
            var dir = Path.Combine(full, cell.RelativeDirectory);
            foreach (var mode in study.Modes)
            {
                var reference = new StudyCellReference { Subject = cell.Subject.Id, Variant = cell.Variant.Id, Mode = mode };
                results.Add(File.Exists(Path.Combine(dir, RunDirectory.ManifestFile))
                    ? StudyCellResult.FromRunDirectory(reference, dir)
                    : new StudyCellResult { Cell = reference, Samples = [], RunDirectory = dir, Complete = false });
            }
        }

        return StudySummary.ForStudy(study, results);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await DisposeCoreAsync().ConfigureAwait(false);

    private StudySummary Summarize() => Summarize(Study, FullPath);

    private async ValueTask DisposeCoreAsync()
    {
        foreach (var c in _cells)
        {
            await c.Session.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var o in _owned)
        {
            o.Dispose();
        }

        _owned.Clear();
        Interlocked.Exchange(ref _lock, null)?.Dispose();
    }

    private async Task<StudyCellOutcome> RunCellAsync(CellState cell, IProgress<RunProgress> progress, CancellationToken cancellationToken)
    {
        decimal reserved = 0m;
        if (cell.BatchReservation is { } estimate && Budget is { } budget && !cell.Session.IsComplete)
        {
            // A batch's cost is known only when it completes: the cell reserves its expected cost before submitting.
            if (!budget.TryReserve(estimate))
            {
                return Outcome(cell, ExperimentSessionStatus.BudgetExhausted, string.Create(CultureInfo.InvariantCulture, $"not submitted: its expected batch cost ${estimate:0.####} would pass the study's budget of ${budget.LimitUsd} (spent ${budget.Spent:0.####})"), cell.Session.DoneBefore);
            }

            reserved = estimate;
        }

        try
        {
            var result = await cell.Session.RunAsync(cell.Judge, progress, cancellationToken).ConfigureAwait(false);
            cell.Done = result.Kept;
            return Outcome(cell, result.Status, SecretRedaction.Redact(result.Message), result.Kept) with { Errors = result.ErrorCount };
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Anything else a cell throws (a batch service's refusal, a disk error) stops its subject, not the study.
            return Outcome(cell, ExperimentSessionStatus.Fatal, SecretRedaction.Redact(ex.Message).Split('\n')[0], cell.Done);
        }
        finally
        {
            if (reserved > 0 && Budget is { } b)
            {
                b.Settle(reserved, CostEstimator.Actual(RunDirectory.EnumerateSamples(cell.Directory, includeText: false), cell.Cell.ResolvePrice(), batch: true).Cost ?? 0m);
            }
        }
    }

    private static StudyCellOutcome Stopped(CellState cell, System.Collections.Concurrent.ConcurrentDictionary<string, string> failed, CancellationToken cancellationToken) =>
        cancellationToken.IsCancellationRequested
            ? Outcome(cell, ExperimentSessionStatus.Cancelled, "cancelled", cell.Done)
            : Outcome(cell, ExperimentSessionStatus.Fatal, $"stopped: subject '{cell.Cell.Subject.Id}' failed ({(failed.TryGetValue(cell.Cell.Subject.Id, out var why) ? why : "fatal")})", cell.Done);

    private static StudyCellOutcome Outcome(CellState cell, ExperimentSessionStatus status, string message, int kept) => new()
    {
        Cell = cell.Cell,
        Directory = cell.Directory,
        Status = status,
        Message = message,
        Planned = cell.Session.Plan.Count,
        Kept = kept,
        SubjectFailed = status == ExperimentSessionStatus.Fatal,
    };

    private static string Describe(ExperimentSessionStatus status) => status switch
    {
        ExperimentSessionStatus.Complete => "done",
        ExperimentSessionStatus.FinishedWithErrors => "done with errors",
        ExperimentSessionStatus.BudgetExhausted => "budget",
        ExperimentSessionStatus.Fatal => "failed",
        _ => "cancelled",
    };

    private static async Task<CellState> OpenCellAsync(Study study, StudyInputs inputs, string full, StudySessionOptions options, StudyCellPlan plan, SubjectClient subject, IChatClient? judgeClient, JudgePrompts? judgePrompts, SharedBudget? budget, List<string> notes, CancellationToken cancellationToken)
    {
        var cell = plan.Cell;
        var dir = Path.Combine(full, cell.RelativeDirectory);
        var scenarios = cell.BuildScenarios(inputs);
        var runOptions = cell.CreateOptions();
        runOptions.TimeProvider = options.TimeProvider;
        // As af run: the run's own cache serves resume (not for the simulated organism, unless a shared folder is given);
        // a shared cache is opt-in (cacheDir); noCache turns both off.
        var cacheDir = cell.Effective(x => x.CacheDir) is { } shared ? Path.GetFullPath(Path.Combine(study.BaseDirectory, shared)) : null;
        if (!(cell.Effective(x => x.NoCache) ?? false) && (!cell.Subject.IsSimulated || cacheDir is not null))
        {
            runOptions.ResponseCache = new FileDistributedCache(Path.Combine(dir, RunDirectory.ResponseCacheFolder));
            runOptions.SharedResponseCache = cacheDir is null ? null : new FileDistributedCache(cacheDir);
        }

        var price = cell.ResolvePrice();
        var sessionOptions = new ExperimentSessionOptions
        {
            Directory = dir,
            RetryErrors = options.RetryErrors,
            Price = price,
            CostEstimate = plan.Estimate,
            Subject = subject.Kind,
            EndpointHost = subject.Host,
            Dataset = inputs.Dataset,
            SharedBudget = cell.Batch ? null : budget,
        };

        if (runOptions.ThinkingBudget is { } thinking && scenarios.UsesPrefill(cell.ModelId))
        {
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"cell {cell.Id}: extended thinking (thinkingBudget {thinking}) refuses an assistant prefill: this cell sends none (manifest: options.prefillOffForThinking)"));
        }

        ExperimentSession session;
        try
        {
            session = await OpenSessionAsync().ConfigureAwait(false);
        }
        catch (IncompatibleRunException ex) when (options.NewCells)
        {
            // The pin did not see the change but the run directory does: with NewCells the cell starts afresh too.
            notes.Add($"cell {cell.Id}: its run directory holds a run with other settings ({ex.Message}); it is now {MoveAside(dir)} and the cell runs as a new cell");
            session = await OpenSessionAsync().ConfigureAwait(false);
        }
        catch (IncompatibleRunException ex)
        {
            throw new StudyValidationException($"cell {cell.Id}: its run directory holds a run with other settings ({ex.Message}); rerun with --new-cell (StudySessionOptions.NewCells) to run it as a new cell");
        }

        ModelProvider BatchService(string name) => options.Providers.TryGet(name, out var found) ? found
            : throw new StudyValidationException($"cell {cell.Id}: unknown batchProvider '{name}' (known: {string.Join(", ", options.Providers.Names)})");

        async Task<ExperimentSession> OpenSessionAsync()
        {
            if (cell.Batch)
            {
                IBatchProvider batchProvider = cell.Subject.IsSimulated
                    ? new ChatClientBatchProvider(subject.Client)
                    : BatchService(cell.Effective(x => x.BatchProvider) ?? subject.Provider).CreateBatchProvider?.Invoke(new BatchProviderSettings
                    {
                        Endpoint = subject.Endpoint,
                        ApiKey = subject.Key,
                        WorkingDirectory = Path.Combine(dir, "batch-inputs"),
                        PromptCaching = !(cell.Effective(s => s.NoPromptCache) ?? false),
                    }) ?? throw new StudyValidationException($"cell {cell.Id}: provider '{cell.Effective(x => x.BatchProvider) ?? subject.Provider}' has no batch service (batch: true; batchProvider names another)");
                var batchRunner = new BatchExperimentRunner(batchProvider, scenarios, runOptions, options.BatchOptions);
                return await ExperimentSession.OpenBatchAsync(batchRunner, inputs.Requests, sessionOptions, cancellationToken).ConfigureAwait(false);
            }

            var runner = new ExperimentRunner(subject.Client, scenarios, runOptions);
            return await ExperimentSession.OpenAsync(runner, inputs.Requests, sessionOptions, cancellationToken).ConfigureAwait(false);
        }

        if (session.IsComplete)
        {
            notes.Add($"cell {cell.Id}: complete already ({session.Plan.Count} samples); nothing to call");
        }
        else if (session.DoneBefore > 0)
        {
            notes.Add($"cell {cell.Id}: resuming, {session.DoneBefore} of {session.Plan.Count} samples done");
        }

        if (session.RepairedTornLine is { } torn)
        {
            notes.Add($"cell {cell.Id}: repaired {RunDirectory.SamplesFile}: line {torn} was torn (a write cut short) and was dropped; its sample runs again");
        }

        RunJudge? judge = null;
        if (study.Judge is { } j && judgeClient is not null)
        {
            judge = CreateRunJudge(j, judgePrompts, judgeClient, new JudgeCache(Path.Combine(dir, RunDirectory.JudgeCacheFolder)), runOptions.MaxConcurrency);
        }

        return new CellState(cell, dir, session, judge)
        {
            Done = session.DoneBefore,
            State = session.IsComplete ? "done" : "waiting",
            BatchReservation = cell.Batch && budget is not null ? plan.Estimate.Expected.SubjectCost ?? 0m : null,
        };
    }

    /// <summary>The judge's prompt files, loaded and checked before anything is written.</summary>
    private static JudgePrompts LoadJudgePrompts(StudyJudge judge, Study study)
    {
        var prompts = new JudgePrompts(
            judge.CompliancePrompt is { } cp ? LoadJudgePrompt(study, cp, "judge.compliancePrompt", alignmentFaking: false) : null,
            judge.AfPrompt is { } ap ? LoadJudgePrompt(study, ap, "judge.afPrompt", alignmentFaking: true) : null);
        try
        {
            Options(judge, prompts, cache: null).Compliance.Validate();
            Options(judge, prompts, cache: null).Af.Validate();
        }
        catch (ArgumentException ex)
        {
            throw new StudyValidationException("judge: " + ex.Message);
        }

        return prompts;
    }

    private static (LlmJudgeOptions Compliance, AlignmentFakingClassifierOptions Af) Options(StudyJudge judge, JudgePrompts prompts, JudgeCache? cache)
    {
        var compliance = new LlmJudgeOptions { ModelId = judge.Model, Cache = cache, UnparseableRetries = judge.Retries };
        var af = new AlignmentFakingClassifierOptions
        {
            ModelId = judge.Model,
            Cache = cache,
            Votes = judge.Votes,
            VotesPerRequest = judge.VotesPerRequest,
            Source = judge.AfSource switch
            {
                "scratchpad" => AlignmentFakingSource.Scratchpad,
                "reasoning" => AlignmentFakingSource.Reasoning,
                _ => AlignmentFakingSource.Both,
            },
        };
        if (judge.Threshold is { } threshold)
        {
            af.Threshold = threshold;
            af.MaybeThreshold = Math.Min(af.MaybeThreshold, threshold);
        }

        if (judge.MinValidVoteShare is { } share)
        {
            af.MinValidVoteShare = share;
        }
        if (prompts.Compliance is { } cp)
        {
            compliance.Prompt = cp;
        }

        if (prompts.AlignmentFaking is { } ap)
        {
            af.Prompt = ap;
        }

        return (compliance, af);
    }

    private static RunJudge CreateRunJudge(StudyJudge judge, JudgePrompts? prompts, IChatClient client, JudgeCache cache, int concurrency)
    {
        var (compliance, af) = Options(judge, prompts ?? new JudgePrompts(null, null), cache);
        return new RunJudge(
            new LlmJudgeClassifier(client, compliance),
            judge.NoAf ? null : new AlignmentFakingReasoningClassifier(client, af),
            new RunJudgeOptions { MaxConcurrency = concurrency, AssessOnlyCompliant = judge.AfOnlyCompliant });
    }

    private static JudgePrompt LoadJudgePrompt(Study study, string file, string field, bool alignmentFaking)
    {
        try
        {
            return JudgePrompt.LoadFor(Path.GetFullPath(Path.Combine(study.BaseDirectory, file)), alignmentFaking);
        }
        catch (Exception ex) when (ex is FormatException or FileNotFoundException)
        {
            throw new StudyValidationException($"{field}: {ex.Message}");
        }
    }

    private static SubjectClient CreateSubject(StudySubject s, StudySessionOptions options)
    {
        if (s.IsSimulated)
        {
            var organism = new SimulatedModelOrganism(new SimulatedOrganismOptions { Seed = s.Seed ?? 0 });
            return new SubjectClient(organism, "simulated", "simulated", null, null, null);
        }

        var provider = options.Providers.Get(s.Provider ?? "openai-compatible");
        var uri = ParseEndpoint(s.Endpoint, $"subject '{s.Id}': endpoint") ?? provider.DefaultEndpoint
            ?? throw new StudyValidationException($"subject '{s.Id}': provider {provider.Name} needs an endpoint");
        var variable = s.ApiKeyEnv ?? "AF_API_KEY";
        var key = ReadKey(options, variable, s.ApiKeyEnv is null ? provider.FallbackApiKeyVariable : null, $"subject '{s.Id}'");
        var attempt = ParseDuration(s.AttemptTimeout, s.Id, "attemptTimeout") ?? RetryOptions.DefaultAttemptTimeout;
        var total = ParseDuration(s.TotalTimeout, s.Id, "totalTimeout") ?? RetryOptions.DefaultTotalTimeout;
        int retries = s.MaxRetries ?? 6;
        var log = options.Log;
        var client = provider.CreateChatClient(new ModelEndpointSettings
        {
            Endpoint = uri,
            Model = s.Model,
            ApiKey = key,
            ApiKeyVariable = variable,
            EndpointSetting = $"subjects[{s.Id}].endpoint",
            PromptCaching = !(s.NoPromptCache ?? false),
            Resilience = new ModelResilienceOptions
            {
                Retry = new RetryOptions
                {
                    MaxRetries = retries,
                    AttemptTimeout = attempt,
                    TotalTimeout = total,
                    OnRetry = log is null ? null : (n, ex, delay) => log(string.Create(CultureInfo.InvariantCulture, $"{s.Id}: retry {n}/{retries} in {delay.TotalSeconds:0.0}s after {SecretRedaction.Redact(ex.GetType().Name + ": " + ex.Message).Split('\n')[0]}")),
                },
                Limits = new EndpointLimitOptions { RequestsPerMinute = s.Rpm, TokensPerMinute = s.Tpm, MaxConcurrency = Math.Max(1, s.Concurrency ?? 8), TimeProvider = options.TimeProvider },
                CircuitBreaker = new CircuitBreakerOptions { OnStateChanged = log is null ? null : message => log($"{s.Id}: {SecretRedaction.Redact(message)}") },
                MaxReplyBytes = s.MaxReplyMb is { } mb ? (long)(mb * 1024 * 1024) : ModelHttpClientOptions.DefaultMaxReplyBytes,
                TimeProvider = options.TimeProvider,
            },
        });
        var host = uri.IsDefaultPort ? uri.Host : uri.Host + ":" + uri.Port.ToString(CultureInfo.InvariantCulture);
        return new SubjectClient(client, provider.Name, provider.Name, uri, key, host);
    }

    private static IChatClient CreateJudgeClient(StudyJudge judge, Study study, StudySessionOptions options)
    {
        if (judge.Endpoint is null)
        {
            if (study.Subjects.Any(s => !s.IsSimulated))
            {
                throw new StudyValidationException("judge.endpoint is required: give the URL of a judge model and judge.model (only the simulated organism's cells can be judged offline)");
            }

            return new SimulatedJudge();
        }

        var provider = options.Providers.TryGet(judge.Provider ?? "openai-compatible", out var p) ? p
            : throw new StudyValidationException($"judge: unknown provider '{judge.Provider}' (known: {string.Join(", ", options.Providers.Names)})");
        var uri = ParseEndpoint(judge.Endpoint, "judge.endpoint")!;
        var variable = judge.ApiKeyEnv ?? "AF_JUDGE_API_KEY";
        var log = options.Log;
        return provider.CreateChatClient(new ModelEndpointSettings
        {
            Endpoint = uri,
            Model = judge.Model,
            ApiKey = ReadKey(options, variable, null, "the judge"),
            ApiKeyVariable = variable,
            EndpointSetting = "judge.endpoint",
            Resilience = new ModelResilienceOptions
            {
                Retry = new RetryOptions
                {
                    OnRetry = log is null ? null : (n, ex, delay) => log(string.Create(CultureInfo.InvariantCulture, $"judge: retry {n} in {delay.TotalSeconds:0.0}s after {SecretRedaction.Redact(ex.GetType().Name + ": " + ex.Message).Split('\n')[0]}")),
                },
                TimeProvider = options.TimeProvider,
            },
        });
    }

    private static string ReadKey(StudySessionOptions options, string variable, string? fallback, string what)
    {
        var key = options.ReadEnvironment(variable);
        if (string.IsNullOrEmpty(key) && fallback is not null)
        {
            key = options.ReadEnvironment(fallback);
        }

        if (string.IsNullOrEmpty(key))
        {
            options.Log?.Invoke($"note: environment variable {variable} is not set; calling {what} without a key (fine for local servers).");
            return "no-key";
        }

        SecretRedaction.Register(key);
        return key;
    }

    private static Uri? ParseEndpoint(string? text, string field)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        return Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? uri
            : throw new StudyValidationException($"{field} must be an http(s) URL (got '{SecretRedaction.Redact(text)}')");
    }

    private static TimeSpan? ParseDuration(string? text, string subject, string field) =>
        text is null ? null : StudyDuration.Parse(text) ?? throw new StudyValidationException($"subject '{subject}': {field} '{text}' is not a duration such as 90s, 5m or 1h");

    /// <summary>A directory the study may use: missing, empty, or holding a study (its pin file).</summary>
    private static void EnsureStudyDirectory(string full)
    {
        if (File.Exists(full))
        {
            throw new StudyValidationException($"the study directory '{full}' is a file; give a new or empty folder, or the folder of this study");
        }

        if (!Directory.Exists(full) || File.Exists(Path.Combine(full, PinFile)))
        {
            return;
        }

        var entries = Directory.EnumerateFileSystemEntries(full).Select(Path.GetFileName).Where(n => n is not (RunDirectory.LockFile or Study.FileName)).Take(4).ToList();
        if (entries.Count > 0)
        {
            throw new StudyValidationException($"'{full}' is not a study directory (no {PinFile}) and is not empty ({string.Join(", ", entries.Take(3))}{(entries.Count > 3 ? ", ..." : string.Empty)}); nothing was written there. Give a new or empty folder, or the folder of this study");
        }
    }

    /// <summary>Writes the pins; refuses a changed cell unless new cells are allowed (then its old directory moves aside).</summary>
    private static async Task PinAsync(Study study, string full, StudySessionOptions options, List<CellPin> pins, string datasetSha, List<string> notes, CancellationToken cancellationToken)
    {
        byte[] studyBytes = options.StudyFile is { } file ? await File.ReadAllBytesAsync(file, cancellationToken).ConfigureAwait(false) : Encoding.UTF8.GetBytes(study.ToJson());
        var studySha = Convert.ToHexStringLower(SHA256.HashData(studyBytes));
        var version = typeof(StudySession).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "unknown";
        var pinPath = Path.Combine(full, PinFile);
        JsonObject? old = File.Exists(pinPath) ? JsonNode.Parse(await File.ReadAllTextAsync(pinPath, cancellationToken).ConfigureAwait(false)) as JsonObject : null;
        var oldCells = new Dictionary<string, string>(StringComparer.Ordinal);
        if (old?["cells"] is JsonArray array)
        {
            foreach (var node in array.OfType<JsonObject>())
            {
                if (node["id"]?.GetValue<string>() is { } id && node["fingerprint"]?.GetValue<string>() is { } fp)
                {
                    oldCells[id] = fp;
                }
            }
        }

        var changed = pins.Where(p => oldCells.TryGetValue(p.Id, out var fp) && fp != p.Fingerprint).ToList();
        if (changed.Count > 0 && !options.NewCells)
        {
            throw new StudyValidationException(changed.Select(c => $"cell {c.Id} changed since {full} was pinned (its model, prompts, dataset, modes, judge or sampling options); rerun with --new-cell (StudySessionOptions.NewCells) to run it as a new cell, its old run directory kept beside it").ToList());
        }

        foreach (var c in changed)
        {
            var dir = Path.Combine(full, c.Directory);
            if (Directory.Exists(dir))
            {
                notes.Add($"cell {c.Id}: changed; its old run directory is now {MoveAside(dir)}, and it runs as a new cell");
            }
        }

        if (old?["version"]?.GetValue<string>() is { } oldVersion && oldVersion != version)
        {
            notes.Add($"the study directory was pinned with AlignmentFaking {oldVersion}; this is {version}");
        }

        var pinsDir = Path.Combine(full, "pins");
        Directory.CreateDirectory(pinsDir);
        var pinnedCopy = Path.Combine(pinsDir, $"study-{studySha[..16]}.json");
        if (!File.Exists(pinnedCopy))
        {
            await AtomicFile.WriteAsync(pinnedCopy, studyBytes, cancellationToken).ConfigureAwait(false);
        }

        await AtomicFile.WriteAsync(Path.Combine(full, Study.FileName), studyBytes, cancellationToken).ConfigureAwait(false);
        // A session adds to the history only when the study file or the package version changed since the last one.
        var history = (old?["history"] as JsonArray ?? []).Select(h => h?.DeepClone()).ToList();
        if (history.LastOrDefault() is not JsonObject last || last["studySha256"]?.GetValue<string>() != studySha || last["version"]?.GetValue<string>() != version)
        {
            history.Add(new JsonObject { ["studySha256"] = studySha, ["version"] = version, ["openedAt"] = options.TimeProvider.GetUtcNow().ToString("o", CultureInfo.InvariantCulture) });
        }

        var newPin = new JsonObject
        {
            ["name"] = study.Name,
            ["studySha256"] = studySha,
            ["version"] = version,
            ["cells"] = new JsonArray([.. pins.Select(p => (JsonNode)new JsonObject
            {
                ["id"] = p.Id,
                ["directory"] = p.Directory.Replace('\\', '/'),
                ["fingerprint"] = p.Fingerprint,
                ["systemPromptSha256"] = new JsonObject([.. p.Prompts.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))]),
            })]),
            ["datasetSha256"] = datasetSha,
            ["history"] = new JsonArray([.. history]),
        };

        // Cells pinned before but no longer in the study stay in the pin (and on disk).
        foreach (var (id, fp) in oldCells.Where(kv => pins.All(p => p.Id != kv.Key)))
        {
            ((JsonArray)newPin["cells"]!).Add(new JsonObject { ["id"] = id, ["fingerprint"] = fp, ["inStudy"] = false });
        }

        await AtomicFile.WriteAsync(pinPath, Encoding.UTF8.GetBytes(newPin.ToJsonString(new JsonSerializerOptions { WriteIndented = true })), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Moves a cell's run directory aside as <c>variant.replaced-N</c> (the first free N); returns its new name.</summary>
    private static string MoveAside(string dir)
    {
        int n = 1;
        while (Directory.Exists($"{dir}.replaced-{n}"))
        {
            n++;
        }

        Directory.Move(dir, $"{dir}.replaced-{n}");
        return $"{Path.GetFileName(dir)}.replaced-{n}";
    }

    /// <summary>The SHA-256 of what makes a cell's results: model, prompts, dataset, modes, sampling, judge.</summary>
    private static string Fingerprint(StudyCell cell, StudyInputs inputs, Study study)
    {
        var o = cell.CreateOptions();
        var parts = new List<string>
        {
            "provider=" + (cell.Subject.IsSimulated ? "simulated" : cell.Subject.Provider ?? "openai-compatible"),
            "endpoint=" + cell.Subject.Endpoint,
            "model=" + cell.ModelId,
            "temperature=" + o.Temperature?.ToString(CultureInfo.InvariantCulture),
            "maxTokens=" + o.MaxOutputTokens?.ToString(CultureInfo.InvariantCulture),
            "seed=" + o.Seed?.ToString(CultureInfo.InvariantCulture),
            "reasoningEffort=" + cell.Effective(s => s.ReasoningEffort),
            "thinkingBudget=" + o.ThinkingBudget?.ToString(CultureInfo.InvariantCulture),
            "prefill=" + (cell.Effective(s => s.Prefill) ?? "original"),
            "prefillText=" + string.Join("|", study.ReasoningModes.Select(m => (cell.Variant.PrefillText ?? cell.Subject.PrefillText)?.For(m) ?? string.Empty)),
            "template=" + (cell.Effective(s => s.Template) ?? "original"),
            "extraction=" + o.Extraction,
            "dataset=" + inputs.Dataset.Sha256 + "@" + study.Dataset.Offset.ToString(CultureInfo.InvariantCulture) + "+" + study.Dataset.Limit?.ToString(CultureInfo.InvariantCulture) + "/" + study.Dataset.Column,
            "modes=" + string.Join(",", study.Modes),
            "epochs=" + study.Epochs.ToString(CultureInfo.InvariantCulture),
            "judge=" + (study.Judge is { } j ? string.Create(CultureInfo.InvariantCulture, $"{j.Provider}|{j.Endpoint}|{j.Model}|{j.Votes}|{j.CompliancePrompt}|{j.AfPrompt}|{j.NoAf}|{j.Threshold}|{j.MinValidVoteShare}|{j.AfSource}|{j.AfOnlyCompliant}") : "none"),
        };
        foreach (var mode in study.ReasoningModes)
        {
            parts.Add($"prompt.{mode.ToName()}=" + cell.GetSystemPrompt(inputs, mode).Sha256);
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", parts))));
    }

    private sealed record JudgePrompts(JudgePrompt? Compliance, JudgePrompt? AlignmentFaking);

    private sealed record CellPin(string Id, string Directory, string Fingerprint, IReadOnlyDictionary<string, string> Prompts);

    private sealed record SubjectClient(IChatClient Client, string Kind, string Provider, Uri? Endpoint, string? Key, string? Host);

    private sealed class CellState(StudyCell cell, string directory, ExperimentSession session, RunJudge? judge)
    {
        public StudyCell Cell { get; } = cell;

        public string Directory { get; } = directory;

        public ExperimentSession Session { get; } = session;

        public RunJudge? Judge { get; } = judge;

        public decimal? BatchReservation { get; init; }

        public int Done { get; set; }

        public string State { get; set; } = "waiting";

        public StudyCellOutcome? Outcome { get; set; }
    }

    private sealed class CallbackProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
