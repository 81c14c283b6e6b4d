using System.Globalization;
using AlignmentFaking.Internal;
using AlignmentFaking.Judging.Caching;
using AlignmentFaking.Running.Batch;
using AlignmentFaking.Storage;

namespace AlignmentFaking.Judging.Runs;

/// <summary>
/// Judges a run directory through a provider's batch service instead of live judge calls (about half the price): the
/// judge calls a <see cref="RunJudge"/> would make (see <see cref="RunJudge.PlanJudgeCallsAsync"/>; already cached
/// replies and samples already judged need none) are sent in rounds of batches, split by the provider's limits, and
/// each reply is stored in the judge cache; calls that depend on earlier replies (a retry after an unparseable reply,
/// votes that wait for the compliance verdict) go in the next round. Then the directory is judged as
/// <see cref="RunJudge.JudgeDirectoryAsync"/> does, every reply coming from the cache, so <c>samples.jsonl</c> and
/// <c>summary.json</c> come out exactly as an online judgement with the same replies would write them.
/// </summary>
/// <remarks>
/// Durable: <c>judge-batches.jsonl</c> in the run directory records every input file (with the cache keys it carries,
/// which are the requests' custom ids), every batch created, every failed request and every batch taken in, each line
/// flushed as soon as the id exists. A restarted process re-attaches to the batches in flight and never submits the
/// same calls twice. A request that failed, expired or has no result is sent again in the next round, at most
/// <see cref="BatchRunOptions.MaxAttemptsPerTurn"/> times; after that its vote or verdict is <c>error</c>, not a
/// verdict (a later batch judgement tries it again). Replies meant for a cache without a directory are also recorded in
/// the journal, so they survive a restart.
/// </remarks>
public sealed class BatchJudge
{
    /// <summary>The file in the run directory that records the batch judgement.</summary>
    public const string JournalFile = "judge-batches.jsonl";

    private readonly RunJudge _runJudge;
    private readonly IBatchProvider _provider;
    private readonly BatchRunOptions _batch;
    private readonly JudgeCache? _fallbackCache;
    private readonly TimeProvider _time;

    /// <summary>Creates a batch judge.</summary>
    /// <param name="runJudge">The judgement to run (its classifiers' prompts, options and caches).</param>
    /// <param name="provider">The provider's batch service.</param>
    /// <param name="options">Batch options (poll interval, limits, attempts per call); defaults when <see langword="null"/>.</param>
    /// <param name="fallbackCache">The cache of classifiers configured without one; a memory cache when <see langword="null"/>.</param>
    /// <param name="timeProvider">The clock used to wait between polls; the system clock when <see langword="null"/>.</param>
    public BatchJudge(RunJudge runJudge, IBatchProvider provider, BatchRunOptions? options = null, JudgeCache? fallbackCache = null, TimeProvider? timeProvider = null)
    {
        _runJudge = runJudge ?? throw new ArgumentNullException(nameof(runJudge));
        _provider = provider ?? throw new ArgumentNullException(nameof(provider));
        _batch = options ?? new BatchRunOptions();
        _batch.Validate();
        _fallbackCache = fallbackCache;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The batch options.</summary>
    public BatchRunOptions BatchOptions => _batch;

    /// <summary>
    /// Judges a run directory through batches: takes in the batches a previous process left in flight, submits the
    /// calls still missing round by round until none is left (or only calls that failed too often), then rewrites
    /// <c>samples.jsonl</c> and <c>summary.json</c> as <see cref="RunJudge.JudgeDirectoryAsync"/> does.
    /// </summary>
    /// <param name="directory">The run directory (also holds <c>judge-batches.jsonl</c>).</param>
    /// <param name="batchProgress">Receives progress per round and poll (samples count as done when they need no more calls).</param>
    /// <param name="progress">Receives progress of the final pass.</param>
    /// <param name="cancellationToken">Stops waiting; batches in flight keep running and are re-attached by the next run.</param>
    public async Task<BatchJudgement> JudgeDirectoryAsync(
        string directory,
        IProgress<BatchRunProgress>? batchProgress = null,
        IProgress<JudgeProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        _ = RunDirectory.ReadManifest(directory);
        using var directoryLock = RunDirectory.AcquireLock(directory);
        var samples = RunDirectory.ReadSamples(directory);
        var fallback = _fallbackCache ?? new JudgeCache();
        long started = _time.GetTimestamp();
        var journal = BatchJournal.Open(directory, JournalFile);
        await using var journalScope = journal.ConfigureAwait(false);

        // Replay the record. Attempts (every time a call was put in an input file) and failures count since the last
        // finished judgement, so a new one retries them; a call is never submitted more than MaxAttemptsPerTurn times.
        var files = new Dictionary<string, BatchJournalEntry>(StringComparer.Ordinal);
        var batches = new Dictionary<string, InFlight>(StringComparer.Ordinal);
        var consumed = new HashSet<string>(StringComparer.Ordinal);
        var attempts = new Dictionary<string, int>(StringComparer.Ordinal);
        var failures = new Dictionary<string, string>(StringComparer.Ordinal);
        var recordedReplies = new Dictionary<string, CachedJudgeReply>(StringComparer.Ordinal);
        int round = 0;
        foreach (var entry in journal.Entries)
        {
            round = Math.Max(round, entry.Round ?? 0);
            switch (entry.Kind)
            {
                case "file" when entry.FileId is not null:
                    files[entry.FileId] = entry;
                    foreach (var id in entry.CustomIds ?? [])
                    {
                        attempts[id] = attempts.GetValueOrDefault(id) + 1;
                    }

                    break;
                case "batch" when entry.BatchId is not null && entry.FileId is not null:
                    batches[entry.BatchId] = new InFlight(entry.BatchId, entry.FileId, files.TryGetValue(entry.FileId, out var f) ? f.CustomIds ?? [] : []);
                    break;
                case "consumed" when entry.BatchId is not null:
                    consumed.Add(entry.BatchId);
                    break;
                case "failed" when entry.CustomId is not null:
                    failures[entry.CustomId] = entry.Error ?? "failed";
                    break;
                case "reply" when entry.CustomId is not null && entry.Text is not null:
                    recordedReplies[entry.CustomId] = new CachedJudgeReply(entry.Text, entry.FinishReason);
                    break;
                case "done":
                    attempts.Clear();
                    failures.Clear();
                    break;
            }
        }

        var stats = new Stats();
        var inFlight = batches.Values.Where(b => !consumed.Contains(b.BatchId)).ToList();
        stats.Reattached = inFlight.Count;
        var plan = await PlanAsync().ConfigureAwait(false);

        // An input recorded whose batch was not (a crash between the create call and its journal line, or before the
        // call): adopt the batch if the provider has it, else create it now.
        var batchedFiles = batches.Values.Select(b => b.FileId).ToHashSet(StringComparer.Ordinal);
        var needed = plan.Calls.Select(c => c.CacheKey).ToHashSet(StringComparer.Ordinal);
        var knownBatches = BatchRecovery.KnownBatchIds(journal.Entries);
        foreach (var orphan in files.Values.Where(f => !batchedFiles.Contains(f.FileId!)))
        {
            var ids = orphan.CustomIds ?? [];
            if (!ids.Any(needed.Contains))
            {
                continue;
            }

            if (await _provider.FindCreatedAsync(BatchRecovery.SearchFor(orphan, knownBatches), cancellationToken).ConfigureAwait(false) is { } existing)
            {
                knownBatches.Add(existing.Id);
                await journal.AppendAsync(new BatchJournalEntry { Kind = "batch", At = _time.GetUtcNow(), Provider = _provider.Name, Round = orphan.Round, Part = orphan.Part, FileId = orphan.FileId, BatchId = existing.Id }, CancellationToken.None).ConfigureAwait(false);
                inFlight.Add(new InFlight(existing.Id, orphan.FileId!, ids));
                stats.Reattached++;
            }
            else
            {
                inFlight.Add(await CreateBatchAsync(orphan.FileId!, orphan.Round ?? round, orphan.Part ?? 0, ids).ConfigureAwait(false));
            }
        }

        while (true)
        {
            await WaitAsync().ConfigureAwait(false);
            plan = await PlanAsync().ConfigureAwait(false);
            var toSend = plan.Calls.Where(c => attempts.GetValueOrDefault(c.CacheKey) < _batch.MaxAttemptsPerTurn).ToList();
            if (toSend.Count == 0)
            {
                break;
            }

            round++;
            Report("submitting");
            int part = 0;
            foreach (var chunk in Split(toSend))
            {
                var requests = chunk.Select(c => new BatchRequest(c.CacheKey, c.Messages, c.Options)).ToArray();
                var fileId = await _provider.UploadAsync(requests, string.Create(CultureInfo.InvariantCulture, $"af-judge-round{round}-part{part}.jsonl"), cancellationToken).ConfigureAwait(false);
                var ids = requests.Select(r => r.CustomId).ToArray();
                foreach (var id in ids)
                {
                    attempts[id] = attempts.GetValueOrDefault(id) + 1;
                }

                await journal.AppendAsync(new BatchJournalEntry { Kind = "file", At = _time.GetUtcNow(), Provider = _provider.Name, Round = round, Part = part, FileId = fileId, CustomIds = ids, Bytes = requests.Sum(_provider.MeasureRequest) }, CancellationToken.None).ConfigureAwait(false);
                inFlight.Add(await CreateBatchAsync(fileId, round, part, ids).ConfigureAwait(false));
                stats.Requests += ids.Length;
                part++;
            }
        }

        Report("done");
        var (judgement, unanswered) = await _runJudge.JudgeDirectoryFromCacheAsync(directory, fallback, failures, progress, cancellationToken).ConfigureAwait(false);
        await journal.AppendAsync(new BatchJournalEntry { Kind = "done", At = _time.GetUtcNow(), Round = round }, CancellationToken.None).ConfigureAwait(false);
        return new BatchJudgement
        {
            Judgement = judgement,
            Rounds = round,
            BatchesCreated = stats.Created,
            BatchesReattached = stats.Reattached,
            RequestsSubmitted = stats.Requests,
            RequestsFailed = stats.Failed,
            CallsWithoutReply = unanswered,
        };

        // Plans the calls still missing; replies recorded in the journal (for caches without a directory) are stored first.
        async Task<JudgeCallPlan> PlanAsync()
        {
            while (true)
            {
                var next = await _runJudge.PlanJudgeCallsAsync(samples, fallback, cancellationToken).ConfigureAwait(false);
                bool stored = false;
                foreach (var call in next.Calls)
                {
                    if (recordedReplies.Remove(call.CacheKey, out var reply))
                    {
                        await call.Cache.SetAsync(call.CacheKey, reply, cancellationToken).ConfigureAwait(false);
                        stored = true;
                    }
                }

                if (!stored)
                {
                    return next;
                }
            }
        }

        async Task WaitAsync()
        {
            var cacheOf = plan.Calls.ToDictionary(c => c.CacheKey, c => c.Cache, StringComparer.Ordinal);
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

                    Report("downloading", completedRequests);
                    var results = await _provider.DownloadResultsAsync(job, cancellationToken).ConfigureAwait(false);
                    await ConsumeAsync(batch, job, results, cacheOf).ConfigureAwait(false);
                    inFlight.Remove(batch);
                }

                if (inFlight.Count > 0)
                {
                    Report("waiting", completedRequests);
                    if (_batch.PollInterval > TimeSpan.Zero)
                    {
                        await Task.Delay(_batch.PollInterval, _time, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        await Task.Yield();
                    }
                }
            }
        }

        async Task ConsumeAsync(InFlight batch, BatchJob job, IReadOnlyList<BatchItemResult> results, Dictionary<string, JudgeCache> cacheOf)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var carried = batch.CustomIds.ToHashSet(StringComparer.Ordinal);
            foreach (var result in results)
            {
                if (!carried.Contains(result.CustomId) || !seen.Add(result.CustomId))
                {
                    continue; // unknown or duplicate
                }

                if (result.Response is { } response)
                {
                    var reply = new CachedJudgeReply(SecretRedactor.RedactSecrets(response.Text), response.FinishReason?.Value);
                    var cache = cacheOf.GetValueOrDefault(result.CustomId) ?? fallback;
                    if (cache.Directory is null)
                    {
                        await journal.AppendAsync(new BatchJournalEntry { Kind = "reply", At = _time.GetUtcNow(), BatchId = batch.BatchId, CustomId = result.CustomId, Text = reply.Text, FinishReason = reply.FinishReason }, CancellationToken.None).ConfigureAwait(false);
                    }

                    await cache.SetAsync(result.CustomId, reply, CancellationToken.None).ConfigureAwait(false);
                }
                else
                {
                    await FailAsync(result.CustomId, SecretRedactor.Redact(result.Error ?? "failed without an error")).ConfigureAwait(false);
                }
            }

            var missingReason = BatchRecovery.MissingReason(job, results);
            foreach (var missing in batch.CustomIds.Where(id => !seen.Contains(id)))
            {
                await FailAsync(missing, missingReason).ConfigureAwait(false);
            }

            await journal.AppendAsync(new BatchJournalEntry { Kind = "consumed", At = _time.GetUtcNow(), BatchId = batch.BatchId, Status = job.ProviderStatus }, CancellationToken.None).ConfigureAwait(false);

            async Task FailAsync(string key, string error)
            {
                int attempt = Math.Max(1, attempts.GetValueOrDefault(key));
                failures[key] = string.Create(CultureInfo.InvariantCulture, $"judge batch request failed ({attempt} attempt(s)): {error}");
                stats.Failed++;
                await journal.AppendAsync(new BatchJournalEntry { Kind = "failed", At = _time.GetUtcNow(), BatchId = batch.BatchId, CustomId = key, Error = failures[key] }, CancellationToken.None).ConfigureAwait(false);
            }
        }

        async Task<InFlight> CreateBatchAsync(string fileId, int batchRound, int part, IReadOnlyList<string> ids)
        {
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["af_run"] = Truncate(Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)))),
                ["af_kind"] = "judge",
                ["af_round"] = batchRound.ToString(CultureInfo.InvariantCulture),
                ["af_part"] = part.ToString(CultureInfo.InvariantCulture),
            };
            cancellationToken.ThrowIfCancellationRequested();
            var job = await _provider.CreateAsync(fileId, metadata, CancellationToken.None).ConfigureAwait(false); // never abandoned half-way
            await journal.AppendAsync(new BatchJournalEntry { Kind = "batch", At = _time.GetUtcNow(), Provider = _provider.Name, Round = batchRound, Part = part, FileId = fileId, BatchId = job.Id }, CancellationToken.None).ConfigureAwait(false);
            stats.Created++;
            return new InFlight(job.Id, fileId, ids);
        }

        void Report(string phase, int completedRequests = 0) => batchProgress?.Report(new BatchRunProgress(
            round,
            phase,
            inFlight.Count,
            inFlight.Sum(b => b.CustomIds.Count),
            completedRequests,
            plan.Samples - plan.SamplesPending,
            plan.Samples,
            _time.GetElapsedTime(started)));

        static string Truncate(string value) => value.Length <= 64 ? value : value[..64];
    }

    /// <summary>Asks the provider to cancel every judge batch in flight recorded in a run directory.</summary>
    /// <param name="provider">The provider the batches were created with.</param>
    /// <param name="directory">The run directory.</param>
    /// <param name="cancellationToken">Cancels the requests.</param>
    /// <returns>The ids of the batches asked to cancel.</returns>
    public static async Task<IReadOnlyList<string>> CancelInFlightAsync(IBatchProvider provider, string directory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provider);
        var ids = ReadBatches(directory).Where(b => !b.Consumed).Select(b => b.BatchId).Distinct(StringComparer.Ordinal).ToArray();
        foreach (var id in ids)
        {
            await provider.CancelAsync(id, cancellationToken).ConfigureAwait(false);
        }

        return ids;
    }

    /// <summary>The judge batches recorded in a run directory's <c>judge-batches.jsonl</c> and whether each was taken in.</summary>
    /// <param name="directory">The run directory.</param>
    public static IReadOnlyList<BatchRecord> ReadBatches(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        return BatchJournal.ReadRecords(Path.Combine(directory, JournalFile));
    }

    private IEnumerable<List<PlannedJudgeCall>> Split(List<PlannedJudgeCall> calls)
    {
        var (maxRequests, maxBytes) = BatchSplitter.Limits(_provider, _batch);
        return BatchSplitter.Split(calls, call => _provider.MeasureRequest(new BatchRequest(call.CacheKey, call.Messages, call.Options)), maxRequests, maxBytes);
    }

    private sealed record InFlight(string BatchId, string FileId, IReadOnlyList<string> CustomIds);

    private sealed class Stats
    {
        public int Created { get; set; }

        public int Reattached { get; set; }

        public int Requests { get; set; }

        public int Failed { get; set; }
    }
}

/// <summary>The result of judging a run directory through batches.</summary>
public sealed record BatchJudgement
{
    /// <summary>The judgement written to the run directory (as <see cref="RunJudge.JudgeDirectoryAsync"/> returns it).</summary>
    public required RunJudgement Judgement { get; init; }

    /// <summary>The last round number (rounds of earlier processes included).</summary>
    public required int Rounds { get; init; }

    /// <summary>Batches created by this call.</summary>
    public required int BatchesCreated { get; init; }

    /// <summary>Batches of an earlier process taken in (re-attached) by this call.</summary>
    public required int BatchesReattached { get; init; }

    /// <summary>Requests submitted by this call.</summary>
    public required int RequestsSubmitted { get; init; }

    /// <summary>Requests that failed (each failure of each attempt counts).</summary>
    public required int RequestsFailed { get; init; }

    /// <summary>Judge calls left without a reply after their last attempt: their votes or verdicts are <c>error</c>.</summary>
    public required int CallsWithoutReply { get; init; }
}
