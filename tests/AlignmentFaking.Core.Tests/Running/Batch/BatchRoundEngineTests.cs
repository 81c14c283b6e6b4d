using System.Globalization;
using AlignmentFaking.Classification;
using AlignmentFaking.Datasets;
using AlignmentFaking.Running;
using AlignmentFaking.Running.Batch;
using AlignmentFaking.Scenarios;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;

namespace AlignmentFaking.Tests.Running.Batch;

/// <summary>
/// The one round engine of the batch paths, with a workload of independent calls (as the judge's) and with the
/// subject's conversations: journal, replay on resume, split by the provider's limits, recovery of an unrecorded batch,
/// polling on the time provider, results taken in once, bounded attempts per call.
/// </summary>
public class BatchRoundEngineTests
{
    private const string Journal = "test-batches.jsonl";
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Path.Combine(Path.GetTempPath(), "af-engine-" + Guid.NewGuid().ToString("N"));

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, true);
        }
    }

    private static ChatResponse Echo(BatchRequest request) => new(new ChatMessage(ChatRole.Assistant, "re " + request.Messages[0].Text)) { FinishReason = ChatFinishReason.Stop };

    private static async Task<List<T>> CollectAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }

    private IReadOnlyList<BatchJournalEntry> Lines() => BatchJournal.Read(Path.Combine(_dir, Journal));

    [Test]
    public async Task A_round_is_split_by_the_limits_journaled_and_each_output_handed_out_once()
    {
        var provider = new FakeBatchProvider(Echo);
        var engine = new BatchRoundEngine(provider, new BatchRunOptions { PollInterval = TimeSpan.Zero, MaxRequestsPerBatch = 2 });
        var progress = new List<BatchRunProgress>();
        var outputs = await CollectAsync(engine.RunAsync(new Calls(5), _dir, Journal, new SyncProgress<BatchRunProgress>(progress.Add)));

        Assert.That(outputs, Is.EqualTo(Enumerable.Range(0, 5).Select(i => $"c{i}=re q{i}")));
        Assert.That(provider.Uploads, Is.EqualTo(new[] { "af-calls-round1-part0.jsonl", "af-calls-round1-part1.jsonl", "af-calls-round1-part2.jsonl" }));
        Assert.That(provider.Created.Select(c => (c.Metadata["af_kind"], c.Metadata["af_round"], c.Metadata["af_part"])), Is.EqualTo(new[] { ("calls", "1", "0"), ("calls", "1", "1"), ("calls", "1", "2") }));
        Assert.That(provider.Created.All(c => c.Metadata["af_run"] == Path.GetFileName(_dir)), Is.True);
        Assert.That(Lines().GroupBy(l => l.Kind).ToDictionary(g => g.Key, g => g.Count()), Is.EqualTo(new Dictionary<string, int> { ["file"] = 3, ["batch"] = 3, ["reply"] = 5, ["consumed"] = 3, ["done"] = 1 }));
        Assert.That((engine.Rounds, engine.BatchesCreated, engine.RequestsSubmitted, engine.RequestsFailed), Is.EqualTo((1, 3, 5, 0)));
        Assert.That(progress.Select(p => p.Phase).First(), Is.EqualTo("submitting"));
        Assert.That(progress[^1], Is.EqualTo(progress[^1] with { Phase = "done", SamplesCompleted = 5, SamplesTotal = 5 }));
    }

    [Test]
    public async Task A_call_is_sent_at_most_the_attempt_limit_and_only_its_last_failure_is_final()
    {
        var provider = new FakeBatchProvider(r => r.CustomId == "c1" ? throw new InvalidOperationException("overloaded") : Echo(r));
        var engine = new BatchRoundEngine(provider, new BatchRunOptions { PollInterval = TimeSpan.Zero, MaxAttemptsPerTurn = 3 });
        var work = new Calls(3);
        var outputs = await CollectAsync(engine.RunAsync(work, _dir, Journal));

        Assert.That(outputs, Is.EquivalentTo(new[] { "c0=re q0", "c2=re q2", "c1=gave up after 3: overloaded" }));
        Assert.That(work.Failures, Is.EqualTo(new[] { ("c1", 1, false), ("c1", 2, false), ("c1", 3, true) }));
        Assert.That((engine.Rounds, engine.RequestsSubmitted, engine.RequestsFailed), Is.EqualTo((3, 5, 3)));
        Assert.That(Lines().Where(l => l.Kind == "failed").Select(l => l.Error), Is.All.EqualTo("attempt failed: overloaded"));
    }

    [Test]
    public async Task A_restarted_run_replays_the_journal_and_re_attaches_to_the_batch_in_flight()
    {
        var provider = new FakeBatchProvider(Echo) { Hold = true };
        using (var cts = new CancellationTokenSource())
        {
            var engine = new BatchRoundEngine(provider, new BatchRunOptions { PollInterval = TimeSpan.Zero });
            var waiting = new SyncProgress<BatchRunProgress>(p =>
            {
                if (p.Phase == "waiting")
                {
                    cts.Cancel();
                }
            });
            Assert.That(async () => await CollectAsync(engine.RunAsync(new Calls(4), _dir, Journal, waiting, cts.Token)), Throws.InstanceOf<OperationCanceledException>());
        }

        provider.Hold = false;
        var resumed = new BatchRoundEngine(provider, new BatchRunOptions { PollInterval = TimeSpan.Zero });
        var outputs = await CollectAsync(resumed.RunAsync(new Calls(4), _dir, Journal));

        Assert.That(outputs, Has.Count.EqualTo(4));
        Assert.That(provider.Created, Has.Count.EqualTo(1), "the batch in flight was taken in, not submitted again");
        Assert.That((resumed.BatchesReattached, resumed.BatchesCreated, resumed.RequestsSubmitted), Is.EqualTo((1, 0, 0)));
    }

    [Test]
    public async Task An_input_recorded_without_its_batch_is_adopted_when_the_provider_has_it_and_created_otherwise()
    {
        var provider = new FakeBatchProvider(Echo);
        var crashing = new CrashAfterCreate(provider);
        Assert.That(async () => await CollectAsync(new BatchRoundEngine(crashing, new BatchRunOptions { PollInterval = TimeSpan.Zero }).RunAsync(new Calls(2), _dir, Journal)), Throws.InstanceOf<IOException>());
        Assert.That(Lines().Select(l => l.Kind), Is.EqualTo(new[] { "file" }), "killed between the create call and its journal line");

        var engine = new BatchRoundEngine(provider, new BatchRunOptions { PollInterval = TimeSpan.Zero });
        var outputs = await CollectAsync(engine.RunAsync(new Calls(2), _dir, Journal));
        Assert.That(outputs, Has.Count.EqualTo(2));
        Assert.That(provider.Created, Has.Count.EqualTo(1), "adopted, not created twice");
        Assert.That(engine.BatchesReattached, Is.EqualTo(1));

        // An upload whose batch was never created is created from the recorded upload.
        var other = Path.Combine(_dir, "other");
        var uploadOnly = new FakeBatchProvider(Echo);
        var failingCreate = new CrashAfterCreate(uploadOnly, beforeCreating: true);
        Assert.That(async () => await CollectAsync(new BatchRoundEngine(failingCreate, new BatchRunOptions { PollInterval = TimeSpan.Zero }).RunAsync(new Calls(2), other, Journal)), Throws.InstanceOf<IOException>());
        var created = new BatchRoundEngine(uploadOnly, new BatchRunOptions { PollInterval = TimeSpan.Zero });
        Assert.That(await CollectAsync(created.RunAsync(new Calls(2), other, Journal)), Has.Count.EqualTo(2));
        Assert.That((uploadOnly.Uploads.Count, uploadOnly.Created.Count, created.BatchesCreated), Is.EqualTo((1, 1, 1)));
    }

    [Test]
    public async Task It_waits_between_polls_on_the_time_provider()
    {
        var time = new SignallingTime();
        var provider = new FakeBatchProvider(Echo) { Hold = true };
        var engine = new BatchRoundEngine(provider, new BatchRunOptions { PollInterval = TimeSpan.FromSeconds(30) }, time);
        var run = CollectAsync(engine.RunAsync(new Calls(1), _dir, Journal));

        await time.TimerCreated.WaitAsync();
        Assert.That(provider.Retrievals, Is.EqualTo(1));
        time.Advance(TimeSpan.FromSeconds(29));
        Assert.That(provider.Retrievals, Is.EqualTo(1), "no poll before the interval");
        time.Advance(TimeSpan.FromSeconds(1));
        await time.TimerCreated.WaitAsync();
        Assert.That(provider.Retrievals, Is.EqualTo(2));
        provider.Hold = false;
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.That(await run, Has.Count.EqualTo(1));
        Assert.That(provider.Retrievals, Is.EqualTo(3));
        Assert.That(Lines().Single(l => l.Kind == "batch").At, Is.EqualTo(SignallingTime.Epoch), "journal times come from the time provider");
    }

    [Test]
    public async Task A_journal_written_by_the_earlier_subject_runner_resumes_and_new_lines_keep_the_format()
    {
        // Lines exactly as the batch runner wrote them before the engine (a round-1 batch taken in, a round-2 batch in flight).
        var requests = new[] { new ExperimentRequest(0, "First") };
        var options = new ExperimentOptions { Modes = [ReasoningMode.NoCot], Tiers = [Tier.Training], ModelId = "m" };
        var provider = new FakeBatchProvider(r => new ChatResponse(new ChatMessage(ChatRole.Assistant, "<rejected/></OUTPUT>")) { FinishReason = ChatFinishReason.Stop });
        var runner = new BatchExperimentRunner(provider, options: options, batchOptions: new BatchRunOptions { PollInterval = TimeSpan.Zero });
        var plan = runner.Plan(requests);
        var id = plan.Single().SampleId;
        var fileId = await provider.UploadAsync([new BatchRequest(id + "#t1#a2", [new ChatMessage(ChatRole.User, "x")], new ChatOptions())], "old.jsonl", CancellationToken.None);
        var batchId = (await provider.CreateAsync(fileId, new Dictionary<string, string>(), CancellationToken.None)).Id;
        Directory.CreateDirectory(_dir);
        await File.WriteAllLinesAsync(Path.Combine(_dir, BatchExperimentRunner.JournalFile), [
            "{\"kind\":\"file\",\"at\":\"2026-01-01T00:00:00+00:00\",\"provider\":\"fake\",\"round\":1,\"part\":0,\"fileId\":\"file-old\",\"customIds\":[\"" + id + "#t1#a1\"],\"bytes\":120}",
            "{\"kind\":\"batch\",\"at\":\"2026-01-01T00:00:01+00:00\",\"provider\":\"fake\",\"round\":1,\"part\":0,\"fileId\":\"file-old\",\"batchId\":\"batch-old\"}",
            "{\"kind\":\"failed\",\"at\":\"2026-01-01T01:00:00+00:00\",\"batchId\":\"batch-old\",\"customId\":\"" + id + "#t1#a1\",\"sampleId\":\"" + id + "\",\"turn\":1,\"error\":\"no result (batch expired)\"}",
            "{\"kind\":\"consumed\",\"at\":\"2026-01-01T01:00:00+00:00\",\"batchId\":\"batch-old\",\"status\":\"expired\"}",
            "{\"kind\":\"file\",\"at\":\"2026-01-01T01:00:01+00:00\",\"provider\":\"fake\",\"round\":2,\"part\":0,\"fileId\":\"" + fileId + "\",\"customIds\":[\"" + id + "#t1#a2\"],\"bytes\":120}",
            "{\"kind\":\"batch\",\"at\":\"2026-01-01T01:00:02+00:00\",\"provider\":\"fake\",\"round\":2,\"part\":0,\"fileId\":\"" + fileId + "\",\"batchId\":\"" + batchId + "\"}",
        ]);

        var sample = (await CollectAsync(runner.StreamAsync(plan, _dir))).Single();
        Assert.That(provider.Created, Has.Count.EqualTo(1), "re-attached to the round-2 batch");
        Assert.That(sample.Proxy, Is.EqualTo(ComplianceOutcome.Refused));
        Assert.That(sample.Calls.Single().BatchId, Is.EqualTo(batchId));
        // The lines written now have the fields, names and order the earlier runner wrote (unset fields as null).
        var text = File.ReadAllLines(Path.Combine(_dir, BatchExperimentRunner.JournalFile));
        string[] fields = ["kind", "at", "provider", "round", "part", "fileId", "batchId", "bytes", "customIds", "customId", "sampleId", "turn", "text", "call", "error", "status", "finishReason"];
        foreach (var line in text[6..])
        {
            using var json = System.Text.Json.JsonDocument.Parse(line);
            Assert.That(json.RootElement.EnumerateObject().Select(p => p.Name), Is.EqualTo(fields), line);
        }

        Assert.That(text[6], Does.StartWith("{\"kind\":\"reply\",").And.Contain("\"batchId\":\"" + batchId + "\",\"bytes\":null,\"customIds\":null,\"customId\":\"" + id + "#t1#a2\",\"sampleId\":\"" + id + "\",\"turn\":1,\"text\":\"<rejected/></OUTPUT>\",\"call\":{\"turn\":1,"));
        Assert.That(text[7], Does.StartWith("{\"kind\":\"consumed\",").And.Contain("\"batchId\":\"" + batchId + "\"").And.Contain("\"status\":\"completed\""));
        Assert.That(BatchExperimentRunner.ReadBatches(_dir).Select(b => (b.Round, b.Consumed, b.FinalStatus)), Is.EqualTo(new[] { (1, true, (string?)"expired"), (2, true, "completed") }));
    }

    [Test]
    public async Task The_subject_gives_up_a_turn_after_the_attempt_limit_and_a_later_run_tries_it_again()
    {
        var requests = new[] { new ExperimentRequest(0, "First") };
        var options = new ExperimentOptions { Modes = [ReasoningMode.NoCot], Tiers = [Tier.Training], ModelId = "m" };
        var provider = new FakeBatchProvider(_ => throw new InvalidOperationException("server error"));
        var batch = new BatchRunOptions { PollInterval = TimeSpan.Zero, MaxAttemptsPerTurn = 2 };
        var runner = new BatchExperimentRunner(provider, options: options, batchOptions: batch);
        var sample = (await CollectAsync(runner.StreamAsync(runner.Plan(requests), _dir))).Single();

        Assert.That(sample.OutputSource, Is.EqualTo(OutputSource.CallFailed));
        Assert.That(sample.Error, Is.EqualTo("server error"));
        Assert.That(provider.Created, Has.Count.EqualTo(2));
        var ids = BatchJournal.Read(Path.Combine(_dir, BatchExperimentRunner.JournalFile)).Where(l => l.Kind == "file").SelectMany(l => l.CustomIds!).ToArray();
        Assert.That(ids, Is.EqualTo(new[] { sample.SampleId + "#t1#a1", sample.SampleId + "#t1#a2" }));

        // A run that went to its end records it: a later run of the same work (the error sample removed to be called
        // again, af run --retry-errors) tries the turn again with fresh attempts, not given up by the replayed failures.
        Assert.That(BatchJournal.Read(Path.Combine(_dir, BatchExperimentRunner.JournalFile))[^1].Kind, Is.EqualTo("done"));
        provider.Answer = _ => new ChatResponse(new ChatMessage(ChatRole.Assistant, "<rejected/></OUTPUT>")) { FinishReason = ChatFinishReason.Stop };
        var retried = (await CollectAsync(new BatchExperimentRunner(provider, options: options, batchOptions: batch).StreamAsync(runner.Plan(requests), _dir))).Single();
        Assert.That(retried.Proxy, Is.EqualTo(ComplianceOutcome.Refused));
        Assert.That(retried.Calls.Select(c => c.Error), Is.EqualTo(new string?[] { null }), "the given-up attempt is not part of the new sample");
        Assert.That(provider.Created, Has.Count.EqualTo(3));
    }

    /// <summary>
    /// Independent calls <c>c0</c>..: each is done with its reply, or given up on its last failed attempt; the output is
    /// <c>{id}={reply}</c>. Writes a <c>done</c> line at the end, as the judge does.
    /// </summary>
    private sealed class Calls(int count) : IBatchRoundWork<string>
    {
        private readonly HashSet<string> _open = Enumerable.Range(0, count).Select(i => "c" + i.ToString(CultureInfo.InvariantCulture)).ToHashSet(StringComparer.Ordinal);
        private readonly List<string> _finished = [];
        private int _handedOut;

        public List<(string Id, int Attempts, bool Last)> Failures { get; } = [];

        public string? Kind => "calls";

        public bool WaitBeforeNextRound => false;

        public int Completed => _handedOut;

        public int Total => count;

        public string CallKey(string customId) => customId;

        public void Replay(BatchJournalEntry entry, int attempts)
        {
            if (entry.Kind == "reply" && entry.CustomId is { } id && _open.Remove(id))
            {
                _finished.Add(id + "=" + entry.Text);
            }
        }

        public ValueTask StartAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public bool IsNeeded(string customId) => _open.Contains(customId);

        public ValueTask<IReadOnlyList<BatchRequest>> NextRoundAsync(CancellationToken cancellationToken) =>
            ValueTask.FromResult<IReadOnlyList<BatchRequest>>(_open.Order(StringComparer.Ordinal).Select(id => new BatchRequest(id, [new ChatMessage(ChatRole.User, "q" + id[1..])], new ChatOptions())).ToArray());

        public bool Accepts(string customId) => _open.Contains(customId);

        public ValueTask<BatchJournalEntry?> TakeReplyAsync(string customId, ChatResponse response, string batchId, TimeSpan latency, CancellationToken cancellationToken)
        {
            _open.Remove(customId);
            _finished.Add(customId + "=" + response.Text);
            return ValueTask.FromResult<BatchJournalEntry?>(new BatchJournalEntry { Kind = "reply", Text = response.Text });
        }

        public BatchJournalEntry TakeFailure(string customId, string error, int attempts, bool lastAttempt)
        {
            Failures.Add((customId, attempts, lastAttempt));
            if (lastAttempt && _open.Remove(customId))
            {
                _finished.Add(string.Create(CultureInfo.InvariantCulture, $"{customId}=gave up after {attempts}: {error}"));
            }

            return new BatchJournalEntry { Kind = "failed", Error = "attempt failed: " + error };
        }

        public IReadOnlyList<string> TakeFinished()
        {
            var finished = _finished.ToArray();
            _finished.Clear();
            _handedOut += finished.Length;
            return finished;
        }

        public ValueTask<BatchJournalEntry?> FinishAsync(int round, CancellationToken cancellationToken) =>
            ValueTask.FromResult<BatchJournalEntry?>(new BatchJournalEntry { Kind = "done", Round = round });
    }

    /// <summary>Throws an <see cref="IOException"/> (a killed process) right after (or instead of) the first create call.</summary>
    private sealed class CrashAfterCreate(IBatchProvider inner, bool beforeCreating = false) : IBatchProvider
    {
        public string Name => inner.Name;

        public BatchLimits Limits => inner.Limits;

        public long MeasureRequest(BatchRequest request) => inner.MeasureRequest(request);

        public Task<string> UploadAsync(IReadOnlyList<BatchRequest> requests, string fileName, CancellationToken cancellationToken) => inner.UploadAsync(requests, fileName, cancellationToken);

        public async Task<BatchJob> CreateAsync(string inputFileId, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
        {
            if (!beforeCreating)
            {
                await inner.CreateAsync(inputFileId, metadata, cancellationToken);
            }

            throw new IOException("killed");
        }

        public Task<BatchJob?> FindByInputFileAsync(string inputFileId, CancellationToken cancellationToken) => inner.FindByInputFileAsync(inputFileId, cancellationToken);

        public Task<BatchJob> GetAsync(string batchId, CancellationToken cancellationToken) => inner.GetAsync(batchId, cancellationToken);

        public Task<IReadOnlyList<BatchItemResult>> DownloadResultsAsync(BatchJob job, CancellationToken cancellationToken) => inner.DownloadResultsAsync(job, cancellationToken);

        public Task CancelAsync(string batchId, CancellationToken cancellationToken) => inner.CancelAsync(batchId, cancellationToken);
    }

    /// <summary>A fake clock that says when a timer (a poll's wait) has been set.</summary>
    private sealed class SignallingTime() : FakeTimeProvider(Epoch)
    {
        public static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public SemaphoreSlim TimerCreated { get; } = new(0);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            TimerCreated.Release();
            return timer;
        }
    }

    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
