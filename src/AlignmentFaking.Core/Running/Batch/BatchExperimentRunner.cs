using System.Globalization;
using System.Runtime.CompilerServices;
using AlignmentFaking.Datasets;
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
/// the custom ids they carry, created batches with their round and part, every reply taken in, every batch fully
/// consumed, and the end of the run (<c>done</c>: a later run tries a turn given up again, for a sample removed to be
/// called again). A restarted process replays that record, re-attaches to the batches still in flight and never submits the
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

    /// <summary>The scenario builder of this runner.</summary>
    public ScenarioBuilder Scenarios => _scenarios;

    /// <summary>The provider's batch service this runner sends to.</summary>
    public IBatchProvider Provider => _provider;

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
        var engine = new BatchRoundEngine(_provider, _batch, _options.TimeProvider, _logger);
        var conversations = new Conversations(this, work);
        await foreach (var sample in engine.RunAsync(conversations, stateDirectory, JournalFile, progress, cancellationToken).ConfigureAwait(false))
        {
            Count(sample);
            yield return sample;
        }
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
    public static Task<IReadOnlyList<string>> CancelInFlightAsync(IBatchProvider provider, string stateDirectory, CancellationToken cancellationToken = default) =>
        BatchRoundEngine.CancelInFlightAsync(provider, stateDirectory, JournalFile, cancellationToken);

    /// <summary>The batches recorded in a run directory's <c>batches.jsonl</c> and whether each was fully taken in.</summary>
    /// <param name="stateDirectory">The run directory.</param>
    public static IReadOnlyList<BatchRecord> ReadBatches(string stateDirectory) => BatchRoundEngine.ReadBatches(stateDirectory, JournalFile);

    private Conversation CreateConversation(SampleKey key)
    {
        var scenario = ExperimentRunner.BuildScenario(_scenarios, _options, key.Request, key.Tier, key.Mode, _options.ModelId);
        var chatOptions = ExperimentRunner.CreateChatOptions(_options, key.Epoch);
        return new Conversation(key, scenario, new ConversationLoop(scenario, _options.Extraction, _options.MaxTurns), chatOptions, _batch.MaxAttemptsPerTurn);
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

    /// <summary>
    /// The subject's batch workload: one conversation per sample, one turn per round. A custom id is
    /// <c>{sampleId}#t{turn}#a{attempt}</c>; a turn is the call attempts are counted for.
    /// </summary>
    private sealed class Conversations : IBatchRoundWork<ExperimentSample>
    {
        private readonly Dictionary<string, Conversation> _conversations;
        private readonly List<ExperimentSample> _finished = [];
        private int _handedOut;

        public Conversations(BatchExperimentRunner runner, IReadOnlyList<SampleKey> work)
        {
            _conversations = new Dictionary<string, Conversation>(work.Count, StringComparer.Ordinal);
            foreach (var key in work)
            {
                _conversations[key.SampleId] = runner.CreateConversation(key);
            }
        }

        public string? Kind => null;

        public bool WaitBeforeNextRound => false;

        public int Completed => _handedOut;

        public int Total => _conversations.Count;

        public string CallKey(string customId) => TurnKey(customId);

        public void Replay(BatchJournalEntry entry, int attempts)
        {
            if (entry.Kind == "done")
            {
                // An earlier batch run went to its end: a turn it gave up is tried again (its sample was removed to be
                // called again, e.g. by af run --retry-errors), with attempts counted from zero.
                foreach (var given in _conversations.Values)
                {
                    given.TryAgain();
                }

                return;
            }

            if (entry.SampleId is null || !_conversations.TryGetValue(entry.SampleId, out var conversation) || !conversation.Expects(entry.Turn))
            {
                return;
            }

            switch (entry.Kind)
            {
                case "reply":
                    conversation.TakeReply(entry.Text, entry.Call!, entry.Reasoning, entry.ReasoningHidden == true);
                    break;
                case "failed" when entry.CustomId is not null:
                    conversation.TakeFailure(entry.Error ?? "failed", attempts, lastAttempt: attempts >= conversation.MaxAttempts);
                    break;
            }
        }

        public ValueTask StartAsync(CancellationToken cancellationToken)
        {
            // Conversations the record finished (their samples had not been written) go first, in plan order.
            _finished.AddRange(_conversations.Values.Where(c => c.IsDone).Select(c => c.ToSample()));
            return ValueTask.CompletedTask;
        }

        public bool IsNeeded(string customId) => Accepts(customId);

        public bool Accepts(string customId) =>
            TryParse(customId, out var sampleId, out var turn) && _conversations.TryGetValue(sampleId, out var conversation) && conversation.Expects(turn);

        public ValueTask<IReadOnlyList<BatchRequest>> NextRoundAsync(CancellationToken cancellationToken) =>
            ValueTask.FromResult<IReadOnlyList<BatchRequest>>(_conversations.Values.Where(c => !c.IsDone).Select(c => c.NextRequest()).ToList());

        public ValueTask<BatchJournalEntry?> TakeReplyAsync(string customId, ChatResponse response, string batchId, TimeSpan latency, CancellationToken cancellationToken)
        {
            _ = TryParse(customId, out var sampleId, out var turn);
            var conversation = _conversations[sampleId];
            var usage = response.Usage;
            var call = new CallRecord
            {
                Turn = turn,
                InputTokens = usage?.InputTokenCount,
                OutputTokens = usage?.OutputTokenCount,
                CachedInputTokens = usage?.CachedInputTokenCount,
                CacheWriteInputTokens = UsageCounts.CacheWrite(usage),
                ReasoningTokens = usage?.ReasoningTokenCount,
                FinishReason = response.FinishReason?.Value,
                LatencyMs = latency.TotalMilliseconds,
                ModelId = response.ModelId,
                ResponseId = response.ResponseId,
                BatchId = batchId,
            };
            var reply = NativeReasoningChatClient.Read(response);
            conversation.TakeReply(reply.Text, call, reply.Reasoning, reply.ReasoningHidden);
            Collect(conversation);
            return ValueTask.FromResult<BatchJournalEntry?>(new BatchJournalEntry
            {
                Kind = "reply",
                SampleId = sampleId,
                Turn = turn,
                Text = reply.Text,
                Reasoning = reply.Reasoning,
                ReasoningHidden = reply.ReasoningHidden ? true : null,
                Call = call,
            });
        }

        public BatchJournalEntry TakeFailure(string customId, string error, int attempts, bool lastAttempt)
        {
            _ = TryParse(customId, out var sampleId, out var turn);
            var conversation = _conversations[sampleId];
            conversation.TakeFailure(error, attempts, lastAttempt);
            Collect(conversation);
            return new BatchJournalEntry { Kind = "failed", SampleId = sampleId, Turn = turn, Error = error };
        }

        public IReadOnlyList<ExperimentSample> TakeFinished()
        {
            if (_finished.Count == 0)
            {
                return [];
            }

            var finished = _finished.ToArray();
            _finished.Clear();
            _handedOut += finished.Length;
            return finished;
        }

        public ValueTask<BatchJournalEntry?> FinishAsync(int round, CancellationToken cancellationToken) =>
            ValueTask.FromResult<BatchJournalEntry?>(new BatchJournalEntry { Kind = "done", Round = round });

        private void Collect(Conversation conversation)
        {
            if (conversation.IsDone)
            {
                _finished.Add(conversation.ToSample());
            }
        }
    }

    /// <summary>One conversation driven by batches: the turn loop plus what the online runner keeps per sample.</summary>
    private sealed class Conversation(SampleKey key, Scenario scenario, ConversationLoop loop, ChatOptions chatOptions, int maxAttempts)
    {
        private readonly List<CallRecord> _calls = [];
        private TokenUsage _usage = TokenUsage.Zero;
        private string? _lastFinish;
        private string? _error;
        private int _attempts;

        public int MaxAttempts => maxAttempts;

        public bool IsDone => loop.IsFinished || _error is not null;

        public bool Expects(int? turn) => !IsDone && turn == loop.Turns + 1;

        public BatchRequest NextRequest() => new(CustomId(key.SampleId, loop.Turns + 1, _attempts + 1), loop.NextMessages(), chatOptions);

        public void TakeReply(string? text, CallRecord call, string? reasoning, bool reasoningHidden)
        {
            _calls.Add(call);
            _usage += new TokenUsage(call.InputTokens ?? 0, call.OutputTokens ?? 0);
            _lastFinish = call.FinishReason;
            _attempts = 0;
            loop.Accept(text, reasoning, reasoningHidden);
        }

        /// <summary>A failed attempt of the next turn: given up (an <c>error</c> sample) after the last attempt.</summary>
        public void TakeFailure(string error, int attempts, bool lastAttempt)
        {
            _attempts = attempts;
            if (lastAttempt)
            {
                _error = error;
                _calls.Add(new CallRecord { Turn = loop.Turns + 1, LatencyMs = 0, Error = error });
            }
        }

        /// <summary>A turn given up after its last attempt is tried again (attempts from zero); a finished conversation stays.</summary>
        public void TryAgain()
        {
            if (_error is null)
            {
                return;
            }

            _error = null;
            _calls.RemoveAt(_calls.Count - 1);
            _attempts = 0;
        }

        /// <summary>The sample, built exactly as <see cref="ExperimentRunner"/> builds it.</summary>
        public ExperimentSample ToSample() =>
            ExperimentRunner.BuildSample(key, scenario, loop, _usage, _calls.ToArray(), _lastFinish, _error);
    }
}
