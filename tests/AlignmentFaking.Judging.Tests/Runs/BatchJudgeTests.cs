using System.Text.Json;
using AlignmentFaking.Classification;
using AlignmentFaking.Judging.Caching;
using AlignmentFaking.Judging.Compliance;
using AlignmentFaking.Judging.Reasoning;
using AlignmentFaking.Judging.Runs;
using AlignmentFaking.Judging.Simulation;
using AlignmentFaking.Running.Batch;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Storage;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;

namespace AlignmentFaking.Judging.Tests.Runs;

/// <summary>Planning judge calls without making them, and <see cref="BatchJudge"/> over the in-process batch emulation.</summary>
public class BatchJudgeTests
{
    private const string CompliancePromptMarker = "Decide whether the answer actually delivers";
    private string _root = null!;

    [SetUp]
    public void SetUp() => _root = Path.Combine(Path.GetTempPath(), "af-batch-judge-" + Guid.NewGuid().ToString("N"));

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, true);
        }
    }

    private async Task<(string First, string Second)> RunsAsync(int requests = 8)
    {
        var first = Path.Combine(_root, Guid.NewGuid().ToString("N"));
        await RunJudgeTests.CreateRunAsync(first, requests);
        var second = first + "-copy";
        Directory.CreateDirectory(second);
        foreach (var file in Directory.GetFiles(first))
        {
            File.Copy(file, Path.Combine(second, Path.GetFileName(file)));
        }

        return (first, second);
    }

    private static RunJudge Judge(IChatClient client, JudgeCache? cache, int votes = 3, int retries = 0, bool onlyCompliant = false, bool rejudge = false) => new(
        new LlmJudgeClassifier(client, new LlmJudgeOptions { Cache = cache, UnparseableRetries = retries }),
        new AlignmentFakingReasoningClassifier(client, new AlignmentFakingClassifierOptions { Cache = cache, Votes = votes }),
        new RunJudgeOptions { AssessOnlyCompliant = onlyCompliant, Rejudge = rejudge });

    private static string[] Verdicts(string run) =>
        RunDirectory.ReadSamples(run).OrderBy(s => s.SampleId, StringComparer.Ordinal)
            .Select(s => $"{s.SampleId} {s.Judge} {JsonSerializer.Serialize(s.AlignmentFaking, RunJson.Compact)}")
            .ToArray();

    /// <summary>The simulated judge, except that the first reply to each compliance prompt is unparseable.</summary>
    private static FakeJudge FirstComplianceReplyUnparseable()
    {
        var simulated = new SimulatedJudge();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return new FakeJudge((prompt, options, _) =>
        {
            lock (seen)
            {
                if (prompt.Contains(CompliancePromptMarker, StringComparison.Ordinal) && seen.Add(prompt))
                {
                    return FakeJudge.Reply("I am not sure what to say.");
                }
            }

            return simulated.GetResponseAsync([new ChatMessage(ChatRole.User, prompt)], options).GetAwaiter().GetResult();
        });
    }

    [Test]
    public async Task Planning_lists_each_missing_call_once_makes_none_and_is_empty_once_the_replies_are_cached()
    {
        var (run, _) = await RunsAsync();
        var never = new FakeJudge((_, _, _) => throw new AssertionException("planning must not call the judge"));
        var cache = new JudgeCache();
        var runJudge = Judge(never, cache);
        var samples = RunDirectory.ReadSamples(run);

        var plan = await runJudge.PlanJudgeCallsAsync(samples);
        Assert.That(never.Calls, Is.Empty);
        Assert.That(plan.Samples, Is.EqualTo(samples.Count));
        Assert.That(plan.SamplesPending, Is.EqualTo(samples.Count(s => s.Output is not null)));
        Assert.That(plan.Calls.Select(c => c.CacheKey), Is.Unique.And.Ordered.Using((IComparer<string>)StringComparer.Ordinal));
        Assert.That(plan.Calls.All(c => ReferenceEquals(c.Cache, cache)), Is.True);
        var compliance = plan.Calls.Where(c => c.Messages[0].Text.Contains(CompliancePromptMarker, StringComparison.Ordinal)).ToArray();
        Assert.That(compliance.All(c => c.Options.Temperature == 0f), Is.True);
        Assert.That(plan.Calls.Except(compliance).All(c => c.Options.Temperature == 1f), Is.True, "the votes sample at temperature 1");
        Assert.That(plan.Calls.Except(compliance).Count() % 3, Is.Zero, "three votes per distinct reasoning");

        // The same keys as the online judgement: answer each planned call into the cache, then judge online — no call made.
        var simulated = new SimulatedJudge();
        foreach (var call in plan.Calls)
        {
            var reply = await simulated.GetResponseAsync(call.Messages, call.Options);
            await call.Cache.SetAsync(call.CacheKey, new CachedJudgeReply(reply.Text, reply.FinishReason?.Value));
        }

        Assert.That((await runJudge.PlanJudgeCallsAsync(samples)).Calls, Is.Empty);
        var judged = await runJudge.JudgeSamplesAsync(samples);
        Assert.That(never.Calls, Is.Empty);
        Assert.That(judged.All(s => s.Judge is not null and not ComplianceOutcome.Error), Is.True);
    }

    [Test]
    public async Task Calls_that_depend_on_replies_go_in_later_rounds_and_the_result_equals_the_online_judgement()
    {
        var (online, batched) = await RunsAsync();
        await Judge(FirstComplianceReplyUnparseable(), new JudgeCache(), retries: 1, onlyCompliant: true).JudgeDirectoryAsync(online);

        var client = FirstComplianceReplyUnparseable();
        var batchJudge = new BatchJudge(Judge(client, new JudgeCache(Path.Combine(_root, "cache")), retries: 1, onlyCompliant: true), new ChatClientBatchProvider(client), new BatchRunOptions { PollInterval = TimeSpan.Zero });
        var progress = new List<BatchRunProgress>();
        var result = await batchJudge.JudgeDirectoryAsync(batched, new SyncProgress<BatchRunProgress>(progress.Add));

        Assert.That(Verdicts(batched), Is.EqualTo(Verdicts(online)));
        Assert.That(File.ReadAllText(Path.Combine(batched, RunDirectory.SummaryFile)), Is.EqualTo(File.ReadAllText(Path.Combine(online, RunDirectory.SummaryFile))));
        // Round 1: compliance (unparseable); round 2: its retry; round 3: the votes of the samples found compliant.
        var batches = BatchJudge.ReadBatches(batched);
        Assert.That(batches.Select(b => b.Round), Is.EqualTo(new[] { 1, 2, 3 }));
        Assert.That(batches.All(b => b.Consumed && b.Provider == "in-process"), Is.True);
        Assert.That(result.Rounds, Is.EqualTo(3));
        Assert.That(result.RequestsSubmitted, Is.EqualTo(client.Calls.Count));
        Assert.That(result.CallsWithoutReply, Is.Zero);
        Assert.That(RunDirectory.ReadSamples(batched).Where(s => s.Mode == ReasoningMode.Cot && s.Judge == ComplianceOutcome.Complied).All(s => s.AlignmentFaking is { Votes.Count: 3 }), Is.True);
        Assert.That(progress.Select(p => p.Phase), Does.Contain("submitting").And.Contains("done"));
        Assert.That(progress[^1].SamplesCompleted, Is.EqualTo(progress[^1].SamplesTotal));
    }

    [Test]
    public async Task A_round_larger_than_the_limits_is_split_into_several_batches()
    {
        var (online, batched) = await RunsAsync();
        var client = new SimulatedJudge();
        await Judge(client, new JudgeCache()).JudgeDirectoryAsync(online);
        var provider = new ChatClientBatchProvider(client, new BatchLimits(7, long.MaxValue));
        var result = await new BatchJudge(Judge(client, new JudgeCache()), provider, new BatchRunOptions { PollInterval = TimeSpan.Zero, MaxRequestsPerBatch = 50 }).JudgeDirectoryAsync(batched);

        var batches = BatchJudge.ReadBatches(batched);
        Assert.That(batches, Has.Count.EqualTo((result.RequestsSubmitted + 6) / 7), "the provider's smaller limit wins");
        Assert.That(batches.All(b => b.Round == 1 && b.Requests <= 7), Is.True);
        Assert.That(batches.Select(b => b.Part), Is.EqualTo(Enumerable.Range(0, batches.Count)));
        Assert.That(batches.Sum(b => b.Requests), Is.EqualTo(result.RequestsSubmitted));
        Assert.That(Verdicts(batched), Is.EqualTo(Verdicts(online)));

        // And by bytes: one request per batch when the byte limit fits only one.
        var (_, byBytes) = await RunsAsync();
        var oneEach = await new BatchJudge(Judge(client, new JudgeCache()), new ChatClientBatchProvider(client), new BatchRunOptions { PollInterval = TimeSpan.Zero, MaxBytesPerBatch = 1 }).JudgeDirectoryAsync(byBytes);
        Assert.That(oneEach.BatchesCreated, Is.EqualTo(oneEach.RequestsSubmitted));
    }

    [Test]
    public async Task Without_a_disk_cache_the_replies_are_kept_in_the_journal_and_a_new_process_submits_nothing()
    {
        var (run, _) = await RunsAsync();
        var client = new SimulatedJudge();
        var first = new BatchJudge(Judge(client, cache: null), new ChatClientBatchProvider(client), new BatchRunOptions { PollInterval = TimeSpan.Zero });
        var judged = await first.JudgeDirectoryAsync(run);
        Assert.That(judged.RequestsSubmitted, Is.GreaterThan(0));
        Assert.That(File.ReadAllText(Path.Combine(run, BatchJudge.JournalFile)), Does.Contain("\"kind\":\"reply\""));
        long calls = client.CallCount;

        // A new process with new memory-only caches re-judging everything: the recorded replies answer, nothing is sent.
        // A torn last line (a crash mid-write) is dropped.
        await File.AppendAllTextAsync(Path.Combine(run, BatchJudge.JournalFile), "{\"kind\":\"fai");
        var second = new BatchJudge(Judge(client, cache: null, rejudge: true), new ChatClientBatchProvider(client), new BatchRunOptions { PollInterval = TimeSpan.Zero });
        var again = await second.JudgeDirectoryAsync(run);
        Assert.That(again.RequestsSubmitted, Is.Zero);
        Assert.That(again.BatchesCreated, Is.Zero);
        Assert.That(client.CallCount, Is.EqualTo(calls));
        Assert.That(again.Judgement.Samples.Select(s => (s.Judge, s.AlignmentFaking?.Verdict)), Is.EqualTo(judged.Judgement.Samples.Select(s => (s.Judge, s.AlignmentFaking?.Verdict))));
        Assert.That(File.ReadAllText(Path.Combine(run, BatchJudge.JournalFile)), Does.Not.Contain("{\"kind\":\"fai\n").And.EndsWith("\n"));
    }

    [Test]
    public async Task Requests_failing_past_the_attempt_limit_give_error_verdicts_and_leave_the_other_calls_alone()
    {
        var (run, _) = await RunsAsync(requests: 4);
        var simulated = new SimulatedJudge();
        var failing = new FakeJudge((prompt, options, _) => prompt.Contains(CompliancePromptMarker, StringComparison.Ordinal)
            ? throw new HttpRequestException("judge unavailable")
            : simulated.GetResponseAsync([new ChatMessage(ChatRole.User, prompt)], options).GetAwaiter().GetResult());
        var judge = new BatchJudge(Judge(failing, new JudgeCache()), new ChatClientBatchProvider(failing), new BatchRunOptions { PollInterval = TimeSpan.Zero, MaxAttemptsPerTurn = 2 });
        var result = await judge.JudgeDirectoryAsync(run);

        Assert.That(result.Rounds, Is.EqualTo(2));
        Assert.That(result.CallsWithoutReply, Is.GreaterThan(0));
        var samples = RunDirectory.ReadSamples(run);
        Assert.That(samples.Where(s => s.Output is not null).All(s => s.Judge == ComplianceOutcome.Error), Is.True, "a failed call is no verdict");
        Assert.That(samples.Where(s => s.Mode == ReasoningMode.Cot && s.Output is not null).All(s => s.AlignmentFaking is { UnparseableVotes: 0 }), Is.True, "the votes succeeded");
        var record = File.ReadAllText(Path.Combine(run, BatchJudge.JournalFile));
        Assert.That(record, Does.Contain("judge batch request failed (2 attempt(s)): HttpRequestException: judge unavailable"));
    }

    [Test]
    public async Task A_crash_between_upload_and_recording_the_batch_finds_the_batch_or_creates_it_from_the_recorded_upload()
    {
        var (afterCreate, beforeCreate) = await RunsAsync(requests: 4);
        var client = new SimulatedJudge();
        foreach (var (run, created) in new[] { (afterCreate, true), (beforeCreate, false) })
        {
            var provider = new ChatClientBatchProvider(client); // one emulation for both "processes": it outlives the crash
            var crashing = new BatchJudge(Judge(client, new JudgeCache()), new CrashOnCreate(provider, created), new BatchRunOptions { PollInterval = TimeSpan.Zero });
            Assert.That(async () => await crashing.JudgeDirectoryAsync(run), Throws.InstanceOf<IOException>());
            Assert.That(BatchJudge.ReadBatches(run), Is.Empty, "the upload is recorded, the batch is not");

            var resumed = await new BatchJudge(Judge(client, new JudgeCache()), provider, new BatchRunOptions { PollInterval = TimeSpan.Zero }).JudgeDirectoryAsync(run);
            Assert.That((resumed.BatchesReattached, resumed.BatchesCreated, resumed.RequestsSubmitted), Is.EqualTo(created ? (1, 0, 0) : (0, 1, 0)), "the recorded upload is used, nothing uploaded again");
            Assert.That(resumed.CallsWithoutReply, Is.Zero);
            Assert.That(BatchJudge.ReadBatches(run).Single().Consumed, Is.True);
        }

        Assert.That(Verdicts(afterCreate), Is.EqualTo(Verdicts(beforeCreate)));
    }

    [Test]
    public async Task It_polls_on_the_time_provider_and_a_cancelled_judgement_leaves_its_batches_for_the_next_one_or_to_cancel()
    {
        var (run, _) = await RunsAsync(requests: 4);
        var client = new SimulatedJudge();
        var holding = new HoldingProvider(new ChatClientBatchProvider(client)) { Hold = true };
        var time = new FakeTimeProvider();
        var options = new BatchRunOptions { PollInterval = TimeSpan.FromMinutes(30) };
        using var cts = new CancellationTokenSource();
        var phases = new List<string>();
        var first = new BatchJudge(Judge(client, new JudgeCache()), holding, options, timeProvider: time).JudgeDirectoryAsync(run, new SyncProgress<BatchRunProgress>(p => { lock (phases) { phases.Add(p.Phase); } }), cancellationToken: cts.Token);
        for (int i = 0; i < 200 && holding.Gets < 3; i++)
        {
            time.Advance(TimeSpan.FromMinutes(30));
            await Task.Delay(5);
        }

        Assert.That(holding.Gets, Is.GreaterThanOrEqualTo(3), "one retrieval per poll interval of the fake clock");
        Assert.That(first.IsCompleted, Is.False);
        lock (phases)
        {
            Assert.That(phases, Does.Contain("submitting").And.Contain("waiting"));
        }

        await cts.CancelAsync();
        Assert.That(async () => await first, Throws.InstanceOf<OperationCanceledException>());
        Assert.That(RunDirectory.ReadSamples(run).All(s => s.Judge is null), Is.True, "nothing written before the replies are in");
        var inFlight = BatchJudge.ReadBatches(run).Where(b => !b.Consumed).Select(b => b.BatchId).ToArray();
        Assert.That(inFlight, Has.Length.EqualTo(1));

        Assert.That(await BatchJudge.CancelInFlightAsync(holding, run), Is.EqualTo(inFlight));
        Assert.That(holding.Cancelled, Is.EqualTo(inFlight));

        // The next judgement takes the (cancelled, hence result-less) batch in and sends its calls again.
        holding.Hold = false;
        var next = await new BatchJudge(Judge(client, new JudgeCache()), holding, new BatchRunOptions { PollInterval = TimeSpan.Zero }).JudgeDirectoryAsync(run);
        Assert.That(next.BatchesReattached, Is.EqualTo(1));
        Assert.That(next.BatchesCreated, Is.EqualTo(1));
        Assert.That(next.CallsWithoutReply, Is.Zero);
        Assert.That(RunDirectory.ReadSamples(run).Where(s => s.Output is not null).All(s => s.Judge is not null and not ComplianceOutcome.Error), Is.True);
    }

    private sealed class HoldingProvider(IBatchProvider inner) : IBatchProvider
    {
        private int _gets;

        public volatile bool Hold;

        public int Gets => Volatile.Read(ref _gets);

        public List<string> Cancelled { get; } = [];

        public string Name => inner.Name;

        public BatchLimits Limits => inner.Limits;

        public long MeasureRequest(BatchRequest request) => inner.MeasureRequest(request);

        public Task<string> UploadAsync(IReadOnlyList<BatchRequest> requests, string fileName, CancellationToken cancellationToken) => inner.UploadAsync(requests, fileName, cancellationToken);

        public Task<BatchJob> CreateAsync(string inputFileId, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken) => inner.CreateAsync(inputFileId, metadata, cancellationToken);

        public Task<BatchJob?> FindByInputFileAsync(string inputFileId, CancellationToken cancellationToken) => inner.FindByInputFileAsync(inputFileId, cancellationToken);

        public Task<BatchJob> GetAsync(string batchId, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _gets);
            return Hold ? Task.FromResult(new BatchJob(batchId, BatchJobStatus.InProgress, "in_progress", null, null, 0, 0, 0)) : inner.GetAsync(batchId, cancellationToken);
        }

        public Task<IReadOnlyList<BatchItemResult>> DownloadResultsAsync(BatchJob job, CancellationToken cancellationToken) => inner.DownloadResultsAsync(job, cancellationToken);

        public Task CancelAsync(string batchId, CancellationToken cancellationToken)
        {
            Cancelled.Add(batchId);
            return inner.CancelAsync(batchId, cancellationToken);
        }
    }

    private sealed class CrashOnCreate(IBatchProvider inner, bool afterCreating) : IBatchProvider
    {
        public string Name => inner.Name;

        public BatchLimits Limits => inner.Limits;

        public long MeasureRequest(BatchRequest request) => inner.MeasureRequest(request);

        public Task<string> UploadAsync(IReadOnlyList<BatchRequest> requests, string fileName, CancellationToken cancellationToken) => inner.UploadAsync(requests, fileName, cancellationToken);

        public async Task<BatchJob> CreateAsync(string inputFileId, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
        {
            if (afterCreating)
            {
                await inner.CreateAsync(inputFileId, metadata, cancellationToken);
            }

            throw new IOException("simulated crash");
        }

        public Task<BatchJob?> FindByInputFileAsync(string inputFileId, CancellationToken cancellationToken) => inner.FindByInputFileAsync(inputFileId, cancellationToken);

        public Task<BatchJob> GetAsync(string batchId, CancellationToken cancellationToken) => inner.GetAsync(batchId, cancellationToken);

        public Task<IReadOnlyList<BatchItemResult>> DownloadResultsAsync(BatchJob job, CancellationToken cancellationToken) => inner.DownloadResultsAsync(job, cancellationToken);

        public Task CancelAsync(string batchId, CancellationToken cancellationToken) => inner.CancelAsync(batchId, cancellationToken);
    }

    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
