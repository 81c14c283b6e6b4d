using System.Globalization;
using System.Runtime.CompilerServices;
using AlignmentFaking.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlignmentFaking.Running.Batch;

/// <summary>
/// The round engine of every batch path: sends a workload's calls (<see cref="IBatchRoundWork{TOutput}"/>) through a
/// provider's batch service in rounds, durably. Each round carries the calls the workload still needs, split into
/// several batches by the provider's limits; the engine polls the batches in flight (on the
/// <see cref="TimeProvider"/>), takes in each one's results as soon as it finishes, and sends a failed, expired or
/// missing request again in a later round, at most <see cref="BatchRunOptions.MaxAttemptsPerTurn"/> times per call.
/// </summary>
/// <remarks>
/// Everything is journaled in the directory (<see cref="BatchJournalEntry"/> per line) as soon as it exists: each input
/// with its custom ids before its batch is created, each batch, each line the workload asks for (replies, failures)
/// and each batch fully taken in. A restarted process replays the journal, re-attaches to the batches in flight, adopts
/// a batch created but not recorded (<see cref="IBatchProvider.FindCreatedAsync"/>) and never submits the same call
/// twice. Cancelling stops waiting; batches in flight keep running at the provider and are taken in by the next run.
/// One engine runs one workload at a time; its counters describe the last run.
/// </remarks>
public sealed class BatchRoundEngine
{
    private readonly IBatchProvider _provider;
    private readonly BatchRunOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates an engine.</summary>
    /// <param name="provider">The provider's batch service.</param>
    /// <param name="options">Batch options (poll interval, limits, attempts per call); defaults when <see langword="null"/>.</param>
    /// <param name="timeProvider">The clock of the polls and the journal; the system clock when <see langword="null"/>.</param>
    /// <param name="logger">Receives a warning per failed request; none when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public BatchRoundEngine(IBatchProvider provider, BatchRunOptions? options = null, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        _provider = provider ?? throw new ArgumentNullException(nameof(provider));
        _options = options ?? new BatchRunOptions();
        _options.Validate();
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The provider.</summary>
    public IBatchProvider Provider => _provider;

    /// <summary>The last round number of the last run (rounds of earlier processes included).</summary>
    public int Rounds { get; private set; }

    /// <summary>Batches the last run created.</summary>
    public int BatchesCreated { get; private set; }

    /// <summary>Batches of an earlier process the last run took in (re-attached or adopted).</summary>
    public int BatchesReattached { get; private set; }

    /// <summary>Requests the last run submitted.</summary>
    public int RequestsSubmitted { get; private set; }

    /// <summary>Requests without a reply the last run took in (each attempt counts).</summary>
    public int RequestsFailed { get; private set; }

    /// <summary>
    /// Runs a workload to its end: replays the journal, takes in the batches an earlier process left in flight, then
    /// submits and waits round by round until the workload needs no more calls, handing out its outputs as they finish.
    /// </summary>
    /// <typeparam name="TOutput">What the workload hands out.</typeparam>
    /// <param name="work">The workload.</param>
    /// <param name="directory">The directory of the journal (a run directory); created if missing.</param>
    /// <param name="journalFile">The journal's file name, e.g. <c>batches.jsonl</c>.</param>
    /// <param name="progress">Receives progress per round, poll and download.</param>
    /// <param name="cancellationToken">Stops waiting; batches in flight are re-attached by the next run.</param>
    public async IAsyncEnumerable<TOutput> RunAsync<TOutput>(
        IBatchRoundWork<TOutput> work,
        string directory,
        string journalFile,
        IProgress<BatchRunProgress>? progress = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentException.ThrowIfNullOrEmpty(journalFile);
        Rounds = BatchesCreated = BatchesReattached = RequestsSubmitted = RequestsFailed = 0;
        long started = _time.GetTimestamp();
        var journal = BatchJournal.Open(directory, journalFile);
        await using var journalScope = journal.ConfigureAwait(false);
        var state = new RunState<TOutput>(work, journal, Path.GetFullPath(directory));

        // Replay the record: inputs (each one an attempt of each call it carries), batches, consumed batches; the rest is the workload's.
        var files = new Dictionary<string, BatchJournalEntry>(StringComparer.Ordinal);
        var batches = new Dictionary<string, InFlight>(StringComparer.Ordinal);
        var consumed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in journal.Entries)
        {
            state.Round = Math.Max(state.Round, entry.Round ?? 0);
            switch (entry.Kind)
            {
                case "file" when entry.FileId is not null:
                    files[entry.FileId] = entry;
                    state.CountAttempts(entry.CustomIds ?? []);
                    break;
                case "file":
                    break;
                case "batch" when entry.BatchId is not null && entry.FileId is not null:
                    batches[entry.BatchId] = new InFlight(entry.BatchId, entry.FileId, entry.Round ?? 0, entry.Part ?? 0, files.TryGetValue(entry.FileId, out var f) ? f.CustomIds ?? [] : [], entry.At);
                    break;
                case "batch":
                    break;
                case "consumed":
                    if (entry.BatchId is not null)
                    {
                        consumed.Add(entry.BatchId);
                    }

                    break;
                case "failed":
                    if (entry.CustomId is not null && state.Failures.Add((entry.BatchId ?? string.Empty, entry.CustomId)))
                    {
                        work.Replay(entry, state.AttemptsOf(entry.CustomId));
                    }

                    break;
                case "done":
                    state.Attempts.Clear(); // a finished run: a new one tries every call again
                    work.Replay(entry, 0);
                    break;
                default:
                    work.Replay(entry, 0);
                    break;
            }
        }

        state.InFlight.AddRange(batches.Values.Where(b => !consumed.Contains(b.BatchId)));
        BatchesReattached = state.InFlight.Count;
        await work.StartAsync(cancellationToken).ConfigureAwait(false);

        // An input recorded whose batch was not (a crash between the create call and its journal line, or before the
        // call): adopt the batch if the provider has it, else create it now, reusing the upload.
        var batchedFiles = batches.Values.Select(b => b.FileId).ToHashSet(StringComparer.Ordinal);
        var knownBatches = BatchRecovery.KnownBatchIds(journal.Entries);
        foreach (var orphan in files.Values.Where(f => !batchedFiles.Contains(f.FileId!)))
        {
            var ids = orphan.CustomIds ?? [];
            if (!ids.Any(work.IsNeeded))
            {
                continue; // nothing in it is still needed
            }

            if (await _provider.FindCreatedAsync(BatchRecovery.SearchFor(orphan, knownBatches), cancellationToken).ConfigureAwait(false) is { } existing)
            {
                // Created before the crash but never recorded: record it now and re-attach.
                var at = _time.GetUtcNow();
                knownBatches.Add(existing.Id);
                await journal.AppendAsync(new BatchJournalEntry { Kind = "batch", At = at, Provider = _provider.Name, Round = orphan.Round, Part = orphan.Part, FileId = orphan.FileId, BatchId = existing.Id }, CancellationToken.None).ConfigureAwait(false);
                state.InFlight.Add(new InFlight(existing.Id, orphan.FileId!, orphan.Round ?? state.Round, orphan.Part ?? 0, ids, at));
                BatchesReattached++;
                continue;
            }

            state.InFlight.Add(await CreateBatchAsync(state, orphan.FileId!, orphan.Round ?? state.Round, orphan.Part ?? 0, ids, cancellationToken).ConfigureAwait(false));
        }

        while (true)
        {
            foreach (var output in work.TakeFinished())
            {
                yield return output;
            }

            if (!(work.WaitBeforeNextRound && state.InFlight.Count > 0))
            {
                await SubmitRoundAsync(state, progress, started, cancellationToken).ConfigureAwait(false);
            }

            if (state.InFlight.Count == 0)
            {
                break;
            }

            // Wait for the batches in flight; take in each one's results as soon as it finishes.
            while (state.InFlight.Count > 0)
            {
                int completedRequests = 0;
                foreach (var batch in state.InFlight.ToArray())
                {
                    var job = await _provider.GetAsync(batch.BatchId, cancellationToken).ConfigureAwait(false);
                    completedRequests += job.Completed + job.Failed;
                    if (!job.IsFinished)
                    {
                        continue;
                    }

                    Report(progress, state, "downloading", completedRequests, started);
                    var results = await _provider.DownloadResultsAsync(job, cancellationToken).ConfigureAwait(false);
                    await ConsumeAsync(state, batch, job, results, cancellationToken).ConfigureAwait(false);
                    state.InFlight.Remove(batch);
                }

                foreach (var output in work.TakeFinished())
                {
                    yield return output;
                }

                if (state.InFlight.Count > 0)
                {
                    Report(progress, state, "waiting", completedRequests, started);
                    if (_options.PollInterval > TimeSpan.Zero)
                    {
                        await Task.Delay(_options.PollInterval, _time, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        await Task.Yield();
                    }
                }
            }
        }

        Rounds = state.Round;
        Report(progress, state, "done", 0, started);
        if (await work.FinishAsync(state.Round, cancellationToken).ConfigureAwait(false) is { } last)
        {
            await journal.AppendAsync(last with { At = _time.GetUtcNow() }, CancellationToken.None).ConfigureAwait(false);
        }

        foreach (var output in work.TakeFinished())
        {
            yield return output;
        }
    }

    /// <summary>The batches a journal records and whether each was fully taken in.</summary>
    /// <param name="directory">The directory of the journal.</param>
    /// <param name="journalFile">The journal's file name.</param>
    public static IReadOnlyList<BatchRecord> ReadBatches(string directory, string journalFile)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentException.ThrowIfNullOrEmpty(journalFile);
        return BatchJournal.ReadRecords(Path.Combine(directory, journalFile));
    }

    /// <summary>
    /// How many batches a journal records as in flight (created, not yet taken in): work on the directory that does not
    /// take them in (e.g. online) would pay for their requests again.
    /// </summary>
    /// <param name="directory">The directory of the journal.</param>
    /// <param name="journalFile">The journal's file name.</param>
    public static int CountInFlight(string directory, string journalFile) => ReadBatches(directory, journalFile).Count(b => !b.Consumed);

    /// <summary>
    /// Asks the provider to cancel every batch in flight a journal records. Requests that already ran are still billed;
    /// the next run takes in their results and sends the rest again.
    /// </summary>
    /// <param name="provider">The provider the batches were created with.</param>
    /// <param name="directory">The directory of the journal.</param>
    /// <param name="journalFile">The journal's file name.</param>
    /// <param name="cancellationToken">Cancels the requests.</param>
    /// <returns>The ids of the batches asked to cancel.</returns>
    public static async Task<IReadOnlyList<string>> CancelInFlightAsync(IBatchProvider provider, string directory, string journalFile, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provider);
        var ids = ReadBatches(directory, journalFile).Where(b => !b.Consumed).Select(b => b.BatchId).Distinct(StringComparer.Ordinal).ToArray();
        foreach (var id in ids)
        {
            await provider.CancelAsync(id, cancellationToken).ConfigureAwait(false);
        }

        return ids;
    }

    /// <summary>Sends the calls the workload needs that no batch in flight carries and that have attempts left, as one round.</summary>
    private async Task SubmitRoundAsync<TOutput>(RunState<TOutput> state, IProgress<BatchRunProgress>? progress, long started, CancellationToken cancellationToken)
    {
        var work = state.Work;
        var carried = state.InFlight.SelectMany(b => b.CustomIds).Select(work.CallKey).ToHashSet(StringComparer.Ordinal);
        var requests = (await work.NextRoundAsync(cancellationToken).ConfigureAwait(false))
            .Where(r => !carried.Contains(work.CallKey(r.CustomId)) && state.AttemptsOf(r.CustomId) < _options.MaxAttemptsPerTurn)
            .ToList();
        if (requests.Count == 0)
        {
            return;
        }

        state.Round++;
        Report(progress, state, "submitting", 0, started);
        var (maxRequests, maxBytes) = BatchSplitter.Limits(_provider, _options);
        int part = 0;
        foreach (var chunk in BatchSplitter.Split(requests, _provider.MeasureRequest, maxRequests, maxBytes))
        {
            var fileName = string.Create(CultureInfo.InvariantCulture, $"af-{(work.Kind is { } kind ? kind + "-" : string.Empty)}round{state.Round}-part{part}.jsonl");
            var fileId = await _provider.UploadAsync(chunk, fileName, cancellationToken).ConfigureAwait(false);
            var ids = chunk.Select(r => r.CustomId).ToArray();
            state.CountAttempts(ids);
            await state.Journal.AppendAsync(new BatchJournalEntry { Kind = "file", At = _time.GetUtcNow(), Provider = _provider.Name, Round = state.Round, Part = part, FileId = fileId, CustomIds = ids, Bytes = chunk.Sum(_provider.MeasureRequest) }, CancellationToken.None).ConfigureAwait(false);
            state.InFlight.Add(await CreateBatchAsync(state, fileId, state.Round, part, ids, cancellationToken).ConfigureAwait(false));
            RequestsSubmitted += ids.Length;
            part++;
        }
    }

    private async Task<InFlight> CreateBatchAsync<TOutput>(RunState<TOutput> state, string fileId, int round, int part, IReadOnlyList<string> customIds, CancellationToken cancellationToken)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["af_run"] = Truncate(Path.GetFileName(Path.TrimEndingDirectorySeparator(state.Directory))),
        };
        if (state.Work.Kind is { } kind)
        {
            metadata["af_kind"] = kind;
        }

        metadata["af_round"] = round.ToString(CultureInfo.InvariantCulture);
        metadata["af_part"] = part.ToString(CultureInfo.InvariantCulture);
        cancellationToken.ThrowIfCancellationRequested();
        var job = await _provider.CreateAsync(fileId, metadata, CancellationToken.None).ConfigureAwait(false); // never abandoned half-way: it would be created but not recorded
        var at = _time.GetUtcNow();
        await state.Journal.AppendAsync(new BatchJournalEntry { Kind = "batch", At = at, Provider = _provider.Name, Round = round, Part = part, FileId = fileId, BatchId = job.Id }, CancellationToken.None).ConfigureAwait(false);
        BatchesCreated++;
        return new InFlight(job.Id, fileId, round, part, customIds, at);

        static string Truncate(string value) => value.Length <= 64 ? value : value[..64];
    }

    /// <summary>Takes in the results of a finished batch: each reply and failure once; a request without a result fails with the batch's reason.</summary>
    private async Task ConsumeAsync<TOutput>(RunState<TOutput> state, InFlight batch, BatchJob job, IReadOnlyList<BatchItemResult> results, CancellationToken cancellationToken)
    {
        var work = state.Work;
        var carried = batch.CustomIds.ToHashSet(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var latency = TimeSpan.FromTicks(Math.Max(0, (_time.GetUtcNow() - batch.CreatedAt).Ticks));
        foreach (var result in results)
        {
            if (!carried.Contains(result.CustomId) || !seen.Add(result.CustomId) || !work.Accepts(result.CustomId))
            {
                continue; // unknown, duplicate or stale (already taken in before a restart)
            }

            if (result.Response is { } response)
            {
                if (await work.TakeReplyAsync(result.CustomId, response, batch.BatchId, latency, cancellationToken).ConfigureAwait(false) is { } line)
                {
                    await state.Journal.AppendAsync(line with { Kind = "reply", At = _time.GetUtcNow(), BatchId = batch.BatchId, CustomId = result.CustomId }, CancellationToken.None).ConfigureAwait(false);
                }
            }
            else
            {
                await FailAsync(state, batch, result.CustomId, SecretRedactor.Redact(result.Error ?? "failed without an error")).ConfigureAwait(false);
            }
        }

        string? missingReason = null;
        foreach (var missing in batch.CustomIds.Where(id => !seen.Contains(id) && work.Accepts(id)))
        {
            await FailAsync(state, batch, missing, missingReason ??= BatchRecovery.MissingReason(job, results)).ConfigureAwait(false);
        }

        await state.Journal.AppendAsync(new BatchJournalEntry { Kind = "consumed", At = _time.GetUtcNow(), BatchId = batch.BatchId, Status = job.ProviderStatus }, CancellationToken.None).ConfigureAwait(false);
    }

    private async Task FailAsync<TOutput>(RunState<TOutput> state, InFlight batch, string customId, string error)
    {
        if (_logger.IsEnabled(LogLevel.Warning))
        {
            _logger.LogWarning("batch {BatchId}: request {CustomId} failed: {Error}", batch.BatchId, customId, error);
        }

        if (!state.Failures.Add((batch.BatchId, customId)))
        {
            return; // taken in already (its batch is being taken in again after a restart)
        }

        int attempts = state.AttemptsOf(customId);
        var line = state.Work.TakeFailure(customId, error, attempts, attempts >= _options.MaxAttemptsPerTurn);
        RequestsFailed++;
        await state.Journal.AppendAsync(line with { Kind = "failed", At = _time.GetUtcNow(), BatchId = batch.BatchId, CustomId = customId }, CancellationToken.None).ConfigureAwait(false);
    }

    private void Report<TOutput>(IProgress<BatchRunProgress>? progress, RunState<TOutput> state, string phase, int completedRequests, long started) =>
        progress?.Report(new BatchRunProgress(
            state.Round,
            phase,
            state.InFlight.Count,
            state.InFlight.Sum(b => b.CustomIds.Count),
            completedRequests,
            state.Work.Completed,
            state.Work.Total,
            _time.GetElapsedTime(started)));

    private sealed record InFlight(string BatchId, string FileId, int Round, int Part, IReadOnlyList<string> CustomIds, DateTimeOffset CreatedAt);

    /// <summary>The state of one run: the batches in flight, attempts per call, failures taken in, the round.</summary>
    private sealed class RunState<TOutput>(IBatchRoundWork<TOutput> work, BatchJournal journal, string directory)
    {
        public IBatchRoundWork<TOutput> Work { get; } = work;

        public BatchJournal Journal { get; } = journal;

        public string Directory { get; } = directory;

        public List<InFlight> InFlight { get; } = [];

        /// <summary>Times each call was put in an input (since the last <c>done</c> line).</summary>
        public Dictionary<string, int> Attempts { get; } = new(StringComparer.Ordinal);

        /// <summary>Failures taken in, by batch and custom id.</summary>
        public HashSet<(string BatchId, string CustomId)> Failures { get; } = [];

        public int Round { get; set; }

        public int AttemptsOf(string customId) => Attempts.GetValueOrDefault(Work.CallKey(customId));

        public void CountAttempts(IEnumerable<string> customIds)
        {
            foreach (var id in customIds)
            {
                var key = Work.CallKey(id);
                Attempts[key] = Attempts.GetValueOrDefault(key) + 1;
            }
        }
    }
}
