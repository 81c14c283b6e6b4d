using System.Globalization;
using System.Runtime.CompilerServices;
using AlignmentFaking.Classification;
using AlignmentFaking.Datasets;
using AlignmentFaking.Internal;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Storage;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlignmentFaking.Running.Batch;

/// <summary>
/// Runs the experiment through a provider's batch service instead of live calls: the same turn loop as
/// <see cref="ExperimentRunner"/>, driven in rounds. Round k sends the next call of every unfinished conversation (split
/// into several batches by the provider's limits), waits for the batches to finish, and feeds each reply to its
/// conversation; a CoT run needs at most <see cref="ExperimentOptions.MaxTurns"/> rounds, plus one per retry. Identical
/// replies give samples identical to the online runner's (apart from latencies, response ids and the batch id).
/// </summary>
/// <remarks>
/// Everything is recorded in <c>batches.jsonl</c> in the state (run) directory as soon as it exists: uploaded files with
/// the custom ids they carry, created batches with their round and part, every reply taken in, and every batch fully
/// consumed. A restarted process replays that record, re-attaches to the batches still in flight and never submits the
/// same turn twice. Cancelling stops waiting; batches in flight keep running at the provider and are picked up by the
/// next run (use <see cref="CancelInFlightAsync"/> to stop them).
/// <para>
/// Not used on this path: <see cref="ExperimentOptions.ResponseCache"/> (every request goes to the provider) and
/// <see cref="ExperimentOptions.MaxConcurrency"/> (the provider schedules the batch).
/// </para>
/// </remarks>
public sealed class BatchExperimentRunner
{
    /// <summary>The file in the run directory that records the batch run.</summary>
    public const string JournalFile = BatchJournal.FileName;

    private readonly IBatchProvider _provider;
    private readonly ScenarioBuilder _scenarios;
    private readonly ExperimentOptions _options;
    private readonly BatchRunOptions _batch;
    private readonly ILogger _logger;

    /// <summary>Creates a batch runner.</summary>
    /// <param name="provider">The provider's batch service.</param>
    /// <param name="scenarios">How conversations are built; the built-in paraphrase prompts when <see langword="null"/>.</param>
    /// <param name="options">Run options; <see cref="ExperimentOptions.ModelId"/> is required (a batch names its model).</param>
    /// <param name="batchOptions">Batch options; defaults when <see langword="null"/>.</param>
    /// <param name="logger">Receives a warning per failed batch request; none when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">An option is invalid, or no model id is set.</exception>
    public BatchExperimentRunner(IBatchProvider provider, ScenarioBuilder? scenarios = null, ExperimentOptions? options = null, BatchRunOptions? batchOptions = null, ILogger<BatchExperimentRunner>? logger = null)
    {
        _provider = provider ?? throw new ArgumentNullException(nameof(provider));
        _scenarios = scenarios ?? new ScenarioBuilder();
        _options = options ?? new ExperimentOptions();
        _options.Validate();
        if (string.IsNullOrWhiteSpace(_options.ModelId))
        {
            throw new ArgumentException("a batch run needs ExperimentOptions.ModelId (the model each request names)", nameof(options));
        }

        _batch = batchOptions ?? new BatchRunOptions();
        _batch.Validate();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>The options of this runner.</summary>
    public ExperimentOptions Options => _options;

    /// <summary>The batch options of this runner.</summary>
    public BatchRunOptions BatchOptions => _batch;

    /// <summary>The work of a run over <paramref name="requests"/>, in the same order as <see cref="ExperimentRunner.Plan"/>.</summary>
    /// <param name="requests">The requests.</param>
    /// <param name="shard">Only this shard's requests; all when <see langword="null"/>.</param>
    public IReadOnlyList<SampleKey> Plan(IReadOnlyList<ExperimentRequest> requests, Shard? shard = null) => WorkPlan.Create(requests, _options, shard);

    /// <summary>
    /// Runs the requests in the run directory: plans the work, skips samples already there, appends each finished
    /// sample to <c>samples.jsonl</c>, and returns every sample of the plan (the earlier ones included) with the summary.
    /// It does not complete the run directory (see <see cref="RunDirectory.CompleteFromSamplesAsync"/>).
    /// </summary>
    /// <param name="run">The run directory (also holds <c>batches.jsonl</c>).</param>
    /// <param name="requests">The requests.</param>
    /// <param name="progress">Receives progress per round and poll.</param>
    /// <param name="cancellationToken">Stops waiting; batches in flight are re-attached by the next run.</param>
    public async Task<ExperimentResult> RunAsync(RunDirectory run, IReadOnlyList<ExperimentRequest> requests, IProgress<BatchRunProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        var plan = Plan(requests);
        var planned = plan.Select(k => k.SampleId).ToHashSet(StringComparer.Ordinal);
        var samples = run.ExistingSamples.Where(s => planned.Contains(s.SampleId)).ToList();
        var done = samples.Select(s => s.SampleId).ToHashSet(StringComparer.Ordinal);
        await foreach (var sample in StreamAsync(plan.Where(k => !done.Contains(k.SampleId)).ToArray(), run.FullPath, progress, cancellationToken).ConfigureAwait(false))
        {
            await run.AppendAsync(sample, CancellationToken.None).ConfigureAwait(false);
            samples.Add(sample);
        }

        samples.Sort(SampleOrder.Instance);
        return new ExperimentResult(samples, RunSummary.Compute(run.Manifest, samples));
    }

    /// <summary>
    /// Runs the given work through batches and yields each sample as soon as its conversation ends. The state lives
    /// in <c>batches.jsonl</c> in <paramref name="stateDirectory"/>: a second call with the same directory and work
    /// re-attaches to batches in flight and resumes conversations where their recorded replies left them.
    /// </summary>
    /// <param name="work">The samples to produce (leave out those already written).</param>
    /// <param name="stateDirectory">The run directory.</param>
    /// <param name="progress">Receives progress per round and poll.</param>
    /// <param name="cancellationToken">Stops waiting; batches in flight keep running and are re-attached next time.</param>
    public async IAsyncEnumerable<ExperimentSample> StreamAsync(
        IReadOnlyList<SampleKey> work,
        string stateDirectory,
        IProgress<BatchRunProgress>? progress = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        ArgumentException.ThrowIfNullOrEmpty(stateDirectory);
        var time = _options.TimeProvider;
        long started = time.GetTimestamp();
        var journal = BatchJournal.Open(stateDirectory);
        await using var journalScope = journal.ConfigureAwait(false);

        var conversations = new Dictionary<string, Conversation>(work.Count, StringComparer.Ordinal);
        foreach (var key in work)
        {
            conversations[key.SampleId] = CreateConversation(key);
        }

        // Replay the record: files, batches, replies, failures, consumed batches.
        var files = new Dictionary<string, BatchJournalEntry>(StringComparer.Ordinal);
        var batches = new Dictionary<string, InFlight>(StringComparer.Ordinal);
        var consumed = new HashSet<string>(StringComparer.Ordinal);
        var failedIds = new HashSet<string>(StringComparer.Ordinal);
        int round = 0;
        foreach (var entry in journal.Entries)
        {
            round = Math.Max(round, entry.Round ?? 0);
            switch (entry.Kind)
            {
                case "file" when entry.FileId is not null:
                    files[entry.FileId] = entry;
                    break;
                case "batch" when entry.BatchId is not null && entry.FileId is not null:
                    batches[entry.BatchId] = new InFlight(entry.BatchId, entry.FileId, entry.Round ?? 0, entry.Part ?? 0, files.TryGetValue(entry.FileId, out var f) ? f.CustomIds ?? [] : [], entry.At);
                    break;
                case "consumed" when entry.BatchId is not null:
                    consumed.Add(entry.BatchId);
                    break;
                case "reply" when entry.SampleId is not null && conversations.TryGetValue(entry.SampleId, out var c) && c.Expects(entry.Turn):
                    c.TakeReply(entry.Text, entry.Call!);
                    break;
                case "failed" when entry.CustomId is not null && entry.SampleId is not null && failedIds.Add(entry.CustomId) && conversations.TryGetValue(entry.SampleId, out var c):
                    if (c.Expects(entry.Turn))
                    {
                        c.TakeFailure(entry.Error ?? "failed", _batch.MaxAttemptsPerTurn);
                    }

                    break;
            }
        }

        var inFlight = batches.Values.Where(b => !consumed.Contains(b.BatchId)).ToList();

        // A file recorded whose batch was not (a crash between the create call and its journal line, or before the
        // call): adopt the batch if the provider has it, else create it now, reusing the upload.
        var batchedFiles = batches.Values.Select(b => b.FileId).ToHashSet(StringComparer.Ordinal);
        var knownBatches = BatchRecovery.KnownBatchIds(journal.Entries);
        foreach (var orphan in files.Values.Where(f => !batchedFiles.Contains(f.FileId!)))
        {
            if (!(orphan.CustomIds ?? []).Any(id => TryParse(id, out var s, out var t) && conversations.TryGetValue(s, out var c) && c.Expects(t)))
            {
                continue; // nothing in it is still needed
            }

            if (await _provider.FindCreatedAsync(BatchRecovery.SearchFor(orphan, knownBatches), cancellationToken).ConfigureAwait(false) is { } existing)
            {
                // Created before the crash but never recorded: record it now and re-attach.
                var at = time.GetUtcNow();
                knownBatches.Add(existing.Id);
                await journal.AppendAsync(new BatchJournalEntry { Kind = "batch", At = at, Provider = _provider.Name, Round = orphan.Round, Part = orphan.Part, FileId = orphan.FileId, BatchId = existing.Id }, CancellationToken.None).ConfigureAwait(false);
                inFlight.Add(new InFlight(existing.Id, orphan.FileId!, orphan.Round ?? round, orphan.Part ?? 0, orphan.CustomIds ?? [], at));
                continue;
            }

            inFlight.Add(await CreateBatchAsync(journal, orphan.FileId!, orphan.Round ?? round, orphan.Part ?? 0, orphan.CustomIds ?? [], stateDirectory, cancellationToken).ConfigureAwait(false));
        }

        int total = conversations.Count, emitted = 0;
        var pendingSamples = new Queue<ExperimentSample>();
        foreach (var c in conversations.Values.Where(c => c.IsDone))
        {
            pendingSamples.Enqueue(c.ToSample());
        }

        while (true)
        {
            while (pendingSamples.TryDequeue(out var sample))
            {
                emitted++;
                Count(sample);
                yield return sample;
            }

            var unfinished = conversations.Values.Where(c => !c.IsDone).ToList();
            if (unfinished.Count == 0 && inFlight.Count == 0)
            {
                break;
            }

            // Submit the next turn of every unfinished conversation not already carried by a batch in flight.
            var carried = inFlight.SelectMany(b => b.CustomIds).Select(TurnKey).ToHashSet(StringComparer.Ordinal);
            var toSend = unfinished.Where(c => !carried.Contains(TurnKey(c.NextCustomId()))).ToList();
            if (toSend.Count > 0)
            {
                round++;
                progress?.Report(new BatchRunProgress(round, "submitting", inFlight.Count, inFlight.Sum(b => b.CustomIds.Count), 0, emitted, total, time.GetElapsedTime(started)));
                int part = 0;
                foreach (var chunk in Split(toSend.Select(c => c.NextRequest()).ToList()))
                {
                    var fileId = await _provider.UploadAsync(chunk, string.Create(CultureInfo.InvariantCulture, $"af-round{round}-part{part}.jsonl"), cancellationToken).ConfigureAwait(false);
                    var ids = chunk.Select(r => r.CustomId).ToArray();
                    await journal.AppendAsync(new BatchJournalEntry { Kind = "file", At = time.GetUtcNow(), Provider = _provider.Name, Round = round, Part = part, FileId = fileId, CustomIds = ids, Bytes = chunk.Sum(_provider.MeasureRequest) }, CancellationToken.None).ConfigureAwait(false);
                    inFlight.Add(await CreateBatchAsync(journal, fileId, round, part, ids, stateDirectory, cancellationToken).ConfigureAwait(false));
                    part++;
                }
            }

            if (inFlight.Count == 0)
            {
                break; // nothing can make progress (cannot happen: every unfinished conversation was just sent)
            }

            // Wait for the batches in flight; take in each one's results as soon as it finishes.
            while (inFlight.Count > 0)
            {
                int completedRequests = 0;
                foreach (var batch in inFlight.ToArray())
                {
                    var job = await _provider.GetAsync(batch.BatchId, cancellationToken).ConfigureAwait(false);
                    completedRequests += job.Completed + job.Failed;
                    if (!job.IsFinished)
                    {
                        continue;
                    }

                    progress?.Report(new BatchRunProgress(round, "downloading", inFlight.Count, inFlight.Sum(b => b.CustomIds.Count), completedRequests, emitted, total, time.GetElapsedTime(started)));
                    var results = await _provider.DownloadResultsAsync(job, cancellationToken).ConfigureAwait(false);
                    foreach (var finished in await ConsumeAsync(journal, batch, job, results, conversations, failedIds, time).ConfigureAwait(false))
                    {
                        pendingSamples.Enqueue(finished);
                    }

                    inFlight.Remove(batch);
                }

                while (pendingSamples.TryDequeue(out var sample))
                {
                    emitted++;
                    Count(sample);
                    yield return sample;
                }

                if (inFlight.Count > 0)
                {
                    progress?.Report(new BatchRunProgress(round, "waiting", inFlight.Count, inFlight.Sum(b => b.CustomIds.Count), completedRequests, emitted, total, time.GetElapsedTime(started)));
                    if (_batch.PollInterval > TimeSpan.Zero)
                    {
                        await Task.Delay(_batch.PollInterval, time, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        await Task.Yield();
                    }
                }
            }
        }

        progress?.Report(new BatchRunProgress(round, "done", 0, 0, 0, emitted, total, time.GetElapsedTime(started)));
    }

    private void Count(ExperimentSample sample)
    {
        Diagnostics.AlignmentFakingTelemetry.Samples.Add(1, new KeyValuePair<string, object?>("af.outcome", OutcomeNames.ToName(sample.Proxy)));
        if (sample.OutputSource == OutputSource.CallFailed && _logger.IsEnabled(LogLevel.Warning))
        {
            _logger.LogWarning("sample {SampleId} has no verdict: {Error}", sample.SampleId, sample.Error);
        }
    }

    /// <summary>
    /// Asks the provider to cancel every batch in flight recorded in <paramref name="stateDirectory"/>. Requests that
    /// already ran are still billed; the next run takes in their results and sends the rest again.
    /// </summary>
    /// <param name="provider">The provider the batches were created with.</param>
    /// <param name="stateDirectory">The run directory.</param>
    /// <param name="cancellationToken">Cancels the requests.</param>
    /// <returns>The ids of the batches asked to cancel.</returns>
    public static async Task<IReadOnlyList<string>> CancelInFlightAsync(IBatchProvider provider, string stateDirectory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentException.ThrowIfNullOrEmpty(stateDirectory);
        var entries = BatchJournal.Read(Path.Combine(stateDirectory, BatchJournal.FileName));
        var consumed = entries.Where(e => e.Kind == "consumed").Select(e => e.BatchId).ToHashSet(StringComparer.Ordinal);
        var ids = entries.Where(e => e.Kind == "batch" && !consumed.Contains(e.BatchId)).Select(e => e.BatchId!).Distinct(StringComparer.Ordinal).ToArray();
        foreach (var id in ids)
        {
            await provider.CancelAsync(id, cancellationToken).ConfigureAwait(false);
        }

        return ids;
    }

    /// <summary>The batches recorded in a run directory's <c>batches.jsonl</c> and whether each was fully taken in.</summary>
    /// <param name="stateDirectory">The run directory.</param>
    public static IReadOnlyList<BatchRecord> ReadBatches(string stateDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(stateDirectory);
        return BatchJournal.ReadRecords(Path.Combine(stateDirectory, BatchJournal.FileName));
    }

    private async Task<InFlight> CreateBatchAsync(BatchJournal journal, string fileId, int round, int part, IReadOnlyList<string> customIds, string stateDirectory, CancellationToken cancellationToken)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["af_run"] = Truncate(Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(stateDirectory)))),
            ["af_round"] = round.ToString(CultureInfo.InvariantCulture),
            ["af_part"] = part.ToString(CultureInfo.InvariantCulture),
        };
        cancellationToken.ThrowIfCancellationRequested();
        var job = await _provider.CreateAsync(fileId, metadata, CancellationToken.None).ConfigureAwait(false); // never abandoned half-way: it would be created but not recorded
        var at = _options.TimeProvider.GetUtcNow();
        await journal.AppendAsync(new BatchJournalEntry { Kind = "batch", At = at, Provider = _provider.Name, Round = round, Part = part, FileId = fileId, BatchId = job.Id }, CancellationToken.None).ConfigureAwait(false);
        return new InFlight(job.Id, fileId, round, part, customIds, at);

        static string Truncate(string value) => value.Length <= 64 ? value : value[..64];
    }

    private async Task<List<ExperimentSample>> ConsumeAsync(BatchJournal journal, InFlight batch, BatchJob job, IReadOnlyList<BatchItemResult> results, Dictionary<string, Conversation> conversations, HashSet<string> failedIds, TimeProvider time)
    {
        var finished = new List<ExperimentSample>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var latency = Math.Max(0, (time.GetUtcNow() - batch.CreatedAt).TotalMilliseconds);
        foreach (var result in results)
        {
            if (!seen.Add(result.CustomId) || !TryParse(result.CustomId, out var sampleId, out var turn)
                || !conversations.TryGetValue(sampleId, out var conversation) || !conversation.Expects(turn))
            {
                continue; // unknown, duplicate or stale (already taken in before a restart)
            }

            if (result.Response is { } response)
            {
                var usage = response.Usage;
                var call = new CallRecord
                {
                    Turn = turn,
                    InputTokens = usage?.InputTokenCount,
                    OutputTokens = usage?.OutputTokenCount,
                    CachedInputTokens = usage?.CachedInputTokenCount,
                    ReasoningTokens = usage?.ReasoningTokenCount,
                    FinishReason = response.FinishReason?.Value,
                    LatencyMs = latency,
                    ModelId = response.ModelId,
                    ResponseId = response.ResponseId,
                    BatchId = batch.BatchId,
                };
                var text = response.Text;
                await journal.AppendAsync(new BatchJournalEntry { Kind = "reply", At = time.GetUtcNow(), BatchId = batch.BatchId, CustomId = result.CustomId, SampleId = sampleId, Turn = turn, Text = text, Call = call }, CancellationToken.None).ConfigureAwait(false);
                conversation.TakeReply(text, call);
            }
            else
            {
                await FailAsync(result.CustomId, sampleId, turn, conversation, SecretRedactor.Redact(result.Error ?? "failed without an error")).ConfigureAwait(false);
            }

            if (conversation.IsDone)
            {
                finished.Add(conversation.ToSample());
            }
        }

        string? missingReason = null;
        foreach (var missing in batch.CustomIds.Where(id => !seen.Contains(id)))
        {
            if (TryParse(missing, out var sampleId, out var turn) && conversations.TryGetValue(sampleId, out var conversation) && conversation.Expects(turn))
            {
                await FailAsync(missing, sampleId, turn, conversation, missingReason ??= BatchRecovery.MissingReason(job, results)).ConfigureAwait(false);
                if (conversation.IsDone)
                {
                    finished.Add(conversation.ToSample());
                }
            }
        }

        await journal.AppendAsync(new BatchJournalEntry { Kind = "consumed", At = time.GetUtcNow(), BatchId = batch.BatchId, Status = job.ProviderStatus }, CancellationToken.None).ConfigureAwait(false);
        return finished;

        async Task FailAsync(string customId, string sampleId, int turn, Conversation conversation, string error)
        {
            if (_logger.IsEnabled(LogLevel.Warning))
            {
                _logger.LogWarning("batch {BatchId}: request {CustomId} failed: {Error}", batch.BatchId, customId, error);
            }

            if (failedIds.Add(customId))
            {
                await journal.AppendAsync(new BatchJournalEntry { Kind = "failed", At = time.GetUtcNow(), BatchId = batch.BatchId, CustomId = customId, SampleId = sampleId, Turn = turn, Error = error }, CancellationToken.None).ConfigureAwait(false);
                conversation.TakeFailure(error, _batch.MaxAttemptsPerTurn);
            }
        }
    }

    private IEnumerable<List<BatchRequest>> Split(List<BatchRequest> requests)
    {
        var (maxRequests, maxBytes) = BatchSplitter.Limits(_provider, _batch);
        return BatchSplitter.Split(requests, _provider.MeasureRequest, maxRequests, maxBytes);
    }

    private Conversation CreateConversation(SampleKey key)
    {
        var scenario = _scenarios.Build(key.Request, key.Tier, key.Mode, _options.ModelId);
        var chatOptions = new ChatOptions
        {
            Temperature = _options.Temperature,
            MaxOutputTokens = _options.MaxOutputTokens,
            Seed = _options.Seed + key.Epoch,
            ModelId = _options.ModelId,
        };
        return new Conversation(key, scenario, new ConversationLoop(scenario, _options.Extraction, _options.MaxTurns), chatOptions);
    }

    /// <summary>The custom id of a turn: <c>{sampleId}#t{turn}#a{attempt}</c>.</summary>
    internal static string CustomId(string sampleId, int turn, int attempt) =>
        string.Create(CultureInfo.InvariantCulture, $"{sampleId}#t{turn}#a{attempt}");

    internal static bool TryParse(string customId, out string sampleId, out int turn)
    {
        sampleId = string.Empty;
        turn = 0;
        int attemptMark = customId.LastIndexOf("#a", StringComparison.Ordinal);
        int turnMark = attemptMark <= 0 ? -1 : customId.LastIndexOf("#t", attemptMark - 1, StringComparison.Ordinal);
        if (turnMark <= 0 || !int.TryParse(customId.AsSpan(turnMark + 2, attemptMark - turnMark - 2), NumberStyles.None, CultureInfo.InvariantCulture, out turn))
        {
            return false;
        }

        sampleId = customId[..turnMark];
        return true;
    }

    private static string TurnKey(string customId)
    {
        int attemptMark = customId.LastIndexOf("#a", StringComparison.Ordinal);
        return attemptMark < 0 ? customId : customId[..attemptMark];
    }

    private sealed record InFlight(string BatchId, string FileId, int Round, int Part, IReadOnlyList<string> CustomIds, DateTimeOffset CreatedAt);

    /// <summary>One conversation driven by batches: the turn loop plus what the online runner keeps per sample.</summary>
    private sealed class Conversation(SampleKey key, Scenario scenario, ConversationLoop loop, ChatOptions chatOptions)
    {
        private readonly List<CallRecord> _calls = [];
        private TokenUsage _usage = TokenUsage.Zero;
        private string? _lastFinish;
        private string? _error;
        private int _failures;

        public bool IsDone => loop.IsFinished || _error is not null;

        public bool Expects(int? turn) => !IsDone && turn == loop.Turns + 1;

        public string NextCustomId() => CustomId(key.SampleId, loop.Turns + 1, _failures + 1);

        public BatchRequest NextRequest() => new(NextCustomId(), loop.NextMessages(), chatOptions);

        public void TakeReply(string? text, CallRecord call)
        {
            _calls.Add(call);
            _usage += new TokenUsage(call.InputTokens ?? 0, call.OutputTokens ?? 0);
            _lastFinish = call.FinishReason;
            _failures = 0;
            loop.Accept(text);
        }

        public void TakeFailure(string error, int maxAttempts)
        {
            _failures++;
            if (_failures >= maxAttempts)
            {
                _error = error;
                _calls.Add(new CallRecord { Turn = loop.Turns + 1, LatencyMs = 0, Error = error });
            }
        }

        /// <summary>The sample, built exactly as <see cref="ExperimentRunner"/> builds it.</summary>
        public ExperimentSample ToSample() =>
            ExperimentRunner.BuildSample(key, scenario, loop, _usage, _calls.ToArray(), _lastFinish, _error);
    }
}

/// <summary>A batch recorded in a run directory.</summary>
/// <param name="BatchId">The provider's batch id.</param>
/// <param name="InputFileId">The provider's id of the uploaded input file.</param>
/// <param name="Round">The round it belongs to (1-based).</param>
/// <param name="Part">Its index among the batches of the round (0-based).</param>
/// <param name="Requests">Requests it carries.</param>
/// <param name="Provider">The provider name.</param>
/// <param name="Consumed">Whether every result was taken in.</param>
/// <param name="FinalStatus">The provider's status when it was taken in, if it was.</param>
public sealed record BatchRecord(string BatchId, string InputFileId, int Round, int Part, int Requests, string Provider, bool Consumed, string? FinalStatus);
