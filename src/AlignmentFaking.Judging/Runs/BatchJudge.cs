using System.Globalization;
using AlignmentFaking.Diagnostics;
using AlignmentFaking.Judging.Caching;
using AlignmentFaking.Running;
using AlignmentFaking.Running.Batch;
using AlignmentFaking.Storage;
using Microsoft.Extensions.AI;

namespace AlignmentFaking.Judging.Runs;

/// <summary>
/// Judges a run directory through a provider's batch service instead of live judge calls (about half the price): the
/// judge calls a <see cref="RunJudge"/> would make (same rendered prompts, sampling options and cache keys; already
/// cached replies and samples already judged need none) are sent in rounds of batches, split by the provider's limits, and
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
        int? repaired = await RunDirectory.RepairTornLineAsync(directory, cancellationToken).ConfigureAwait(false);
        var calls = new JudgeCalls(_runJudge, directory, RunDirectory.ReadSamples(directory), _fallbackCache ?? new JudgeCache(), progress);
        var engine = new BatchRoundEngine(_provider, _batch, _time);
        RunJudgement? judgement = null;
        await foreach (var result in engine.RunAsync(calls, directory, JournalFile, batchProgress, cancellationToken).ConfigureAwait(false))
        {
            judgement = result;
        }

        return new BatchJudgement
        {
            Judgement = (judgement ?? throw new InvalidOperationException("the batch judgement ended without its final pass")) with { RepairedTornLine = repaired },
            Rounds = engine.Rounds,
            BatchesCreated = engine.BatchesCreated,
            BatchesReattached = engine.BatchesReattached,
            RequestsSubmitted = engine.RequestsSubmitted,
            RequestsFailed = engine.RequestsFailed,
            CallsWithoutReply = calls.Unanswered,
        };
    }

    /// <summary>Asks the provider to cancel every judge batch in flight recorded in a run directory.</summary>
    /// <param name="provider">The provider the batches were created with.</param>
    /// <param name="directory">The run directory.</param>
    /// <param name="cancellationToken">Cancels the requests.</param>
    /// <returns>The ids of the batches asked to cancel.</returns>
    public static Task<IReadOnlyList<string>> CancelInFlightAsync(IBatchProvider provider, string directory, CancellationToken cancellationToken = default) =>
        BatchRoundEngine.CancelInFlightAsync(provider, directory, JournalFile, cancellationToken);

    /// <summary>The judge batches recorded in a run directory's <c>judge-batches.jsonl</c> and whether each was taken in.</summary>
    /// <param name="directory">The run directory.</param>
    public static IReadOnlyList<BatchRecord> ReadBatches(string directory) => BatchRoundEngine.ReadBatches(directory, JournalFile);

    /// <summary>
    /// The judge's batch workload: the judge calls still missing, planned from the samples and the judge cache (a call's
    /// custom id is its cache key); each reply goes into its cache, then the final pass judges from the cache. Attempts
    /// and failures count since the last finished judgement (<c>done</c>), so a new judgement retries them.
    /// </summary>
    private sealed class JudgeCalls(RunJudge runJudge, string directory, IReadOnlyList<ExperimentSample> samples, JudgeCache fallback, IProgress<JudgeProgress>? progress)
        : IBatchRoundWork<RunJudgement>
    {
        private readonly Dictionary<string, string> _failures = new(StringComparer.Ordinal);
        private readonly Dictionary<string, CachedJudgeReply> _recordedReplies = new(StringComparer.Ordinal);
        private JudgeCallPlan _plan = new([], 0, samples.Count);
        private Dictionary<string, JudgeCache> _cacheOf = new(StringComparer.Ordinal);
        private RunJudgement? _judgement;
        private bool _handedOut;

        public string? Kind => "judge";

        /// <summary>The next calls depend on the replies in flight (a retry after an unparseable reply, votes after a verdict).</summary>
        public bool WaitBeforeNextRound => true;

        public int Completed => _plan.Samples - _plan.SamplesPending;

        public int Total => _plan.Samples;

        /// <summary>Judge calls left without a reply after their last attempt.</summary>
        public int Unanswered { get; private set; }

        public string CallKey(string customId) => customId;

        public void Replay(BatchJournalEntry entry, int attempts)
        {
            switch (entry.Kind)
            {
                case "failed" when entry.CustomId is not null:
                    _failures[entry.CustomId] = entry.Error ?? "failed";
                    break;
                case "reply" when entry.CustomId is not null && entry.Text is not null:
                    _recordedReplies[entry.CustomId] = new CachedJudgeReply(entry.Text, entry.FinishReason);
                    break;
                case "done":
                    _failures.Clear();
                    break;
            }
        }

        public async ValueTask StartAsync(CancellationToken cancellationToken) => await PlanAsync(cancellationToken).ConfigureAwait(false);

        public bool IsNeeded(string customId) => _cacheOf.ContainsKey(customId);

        public bool Accepts(string customId) => true;

        public async ValueTask<IReadOnlyList<BatchRequest>> NextRoundAsync(CancellationToken cancellationToken)
        {
            await PlanAsync(cancellationToken).ConfigureAwait(false);
            return _plan.Calls.Select(c => new BatchRequest(c.CacheKey, c.Messages, c.Options)).ToArray();
        }

        public async ValueTask<BatchJournalEntry?> TakeReplyAsync(string customId, ChatResponse response, string batchId, TimeSpan latency, CancellationToken cancellationToken)
        {
            var reply = new CachedJudgeReply(SecretRedaction.RedactRegistered(response.Text), response.FinishReason?.Value);
            var cache = _cacheOf.GetValueOrDefault(customId) ?? fallback;
            await cache.SetAsync(customId, reply, CancellationToken.None).ConfigureAwait(false);

            // Replies meant for a cache without a directory are kept in the journal, so they survive a restart.
            return cache.Directory is null ? new BatchJournalEntry { Kind = "reply", Text = reply.Text, FinishReason = reply.FinishReason } : null;
        }

        public BatchJournalEntry TakeFailure(string customId, string error, int attempts, bool lastAttempt)
        {
            var reason = string.Create(CultureInfo.InvariantCulture, $"judge batch request failed ({Math.Max(1, attempts)} attempt(s)): {error}");
            _failures[customId] = reason;
            return new BatchJournalEntry { Kind = "failed", Error = reason };
        }

        public IReadOnlyList<RunJudgement> TakeFinished()
        {
            if (_judgement is null || _handedOut)
            {
                return [];
            }

            _handedOut = true;
            return [_judgement];
        }

        /// <summary>The final pass: the directory judged as <see cref="RunJudge.JudgeDirectoryAsync"/> does, every reply from the cache.</summary>
        public async ValueTask<BatchJournalEntry?> FinishAsync(int round, CancellationToken cancellationToken)
        {
            (_judgement, var unanswered) = await runJudge.JudgeDirectoryFromCacheAsync(directory, fallback, _failures, progress, cancellationToken).ConfigureAwait(false);
            Unanswered = unanswered;
            return new BatchJournalEntry { Kind = "done", Round = round };
        }

        /// <summary>Plans the calls still missing; replies recorded in the journal (for caches without a directory) are stored first.</summary>
        private async Task PlanAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                var next = await runJudge.PlanJudgeCallsAsync(samples, fallback, cancellationToken).ConfigureAwait(false);
                bool stored = false;
                foreach (var call in next.Calls)
                {
                    if (_recordedReplies.Remove(call.CacheKey, out var reply))
                    {
                        await call.Cache.SetAsync(call.CacheKey, reply, cancellationToken).ConfigureAwait(false);
                        stored = true;
                    }
                }

                if (!stored)
                {
                    _plan = next;
                    _cacheOf = next.Calls.ToDictionary(c => c.CacheKey, c => c.Cache, StringComparer.Ordinal);
                    return;
                }
            }
        }
    }
}
