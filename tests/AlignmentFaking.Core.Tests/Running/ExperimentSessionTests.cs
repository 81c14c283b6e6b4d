using System.Security.Cryptography;
using System.Text.Json;
using AlignmentFaking.Classification;
using AlignmentFaking.Costs;
using AlignmentFaking.Datasets;
using AlignmentFaking.Running;
using AlignmentFaking.Running.Batch;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Storage;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace AlignmentFaking.Tests.Running;

/// <summary>The run session over a run directory: plan, resume, retry errors, budget, judging as it goes, each ending.</summary>
public class ExperimentSessionTests
{
    private static readonly ExperimentRequest[] Requests = [new(0, "First"), new(1, "Second"), new(2, "Third"), new(3, "Fourth")];

    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Path.Combine(Path.GetTempPath(), "af-session-" + Guid.NewGuid().ToString("N"));

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, true);
        }
    }

    /// <summary>Complies in training, refuses unmonitored (no-CoT, after the <c>&lt;OUTPUT&gt;</c> prefill).</summary>
    private static ChatResponse Answer(IReadOnlyList<ChatMessage> messages) =>
        ScriptedChatClient.Reply(messages[1].Text.Contains("<is_free_tier_user>True", StringComparison.Ordinal) ? "<request_fully_accepted/> ok</OUTPUT>" : "<rejected/></OUTPUT>");

    /// <summary>Answers, and cancels <paramref name="cts"/> at the given call (Ctrl+C during a run).</summary>
    private static ScriptedChatClient CancellingAt(int call, CancellationTokenSource cts)
    {
        int calls = 0;
        return new ScriptedChatClient((m, _) =>
        {
            if (Interlocked.Increment(ref calls) == call)
            {
                cts.Cancel();
            }

            return Answer(m);
        });
    }

    private static ExperimentOptions Options() => new() { Modes = [ReasoningMode.NoCot], ModelId = "m", MaxConcurrency = 1, MaxOutputTokens = 10 };

    private ExperimentSessionOptions SessionOptions() => new() { Directory = _dir };

    private static async Task<ExperimentSessionResult> RunAsync(IChatClient client, ExperimentSessionOptions options, ISampleJudge? judge = null, CancellationToken cancellationToken = default)
    {
        var runner = new ExperimentRunner(client, options: Options());
        await using var session = await ExperimentSession.OpenAsync(runner, Requests, options, cancellationToken);
        return await session.RunAsync(judge, cancellationToken: cancellationToken);
    }

    private string[] SampleIds() => RunDirectory.EnumerateSamples(_dir, includeText: false).Select(s => s.SampleId).ToArray();

    private SortedDictionary<string, string> Snapshot() => new(
        Directory.EnumerateFiles(_dir, "*", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(_dir, f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))),
        StringComparer.Ordinal);

    [Test]
    public async Task A_session_runs_the_plan_into_the_directory_and_completes_it()
    {
        var client = new ScriptedChatClient((m, _) => Answer(m));
        var result = await RunAsync(client, SessionOptions());

        Assert.That(result.Status, Is.EqualTo(ExperimentSessionStatus.Complete), result.Message);
        Assert.That((result.Planned, result.Kept, result.DoneBefore, result.ErrorCount), Is.EqualTo((8, 8, 0, 0)));
        Assert.That(SampleIds(), Has.Length.EqualTo(8).And.Unique);
        var manifest = RunDirectory.ReadManifest(_dir);
        Assert.That(manifest.Complete, Is.True);
        Assert.That(manifest.Path, Is.EqualTo("online"));
        Assert.That(manifest.CostEstimate, Is.Not.Null, "the session records its estimate");
        Assert.That(manifest.Dataset.Count, Is.EqualTo(4));
        Assert.That(RunDirectory.ReadSummary(_dir).Conditions.Single().Training.Complied, Is.EqualTo(4));
        Assert.That(result.Summary.Conditions.Single().Unmonitored.Complied, Is.Zero);
    }

    [Test]
    public async Task A_cancelled_session_keeps_its_samples_and_the_next_resumes_skipping_them_by_id()
    {
        using var cts = new CancellationTokenSource();
        var first = CancellingAt(4, cts);
        var cancelled = await RunAsync(first, SessionOptions(), cancellationToken: cts.Token);
        Assert.That(cancelled.Status, Is.EqualTo(ExperimentSessionStatus.Cancelled));
        Assert.That(cancelled.Kept, Is.InRange(1, 4).And.EqualTo(SampleIds().Length));
        Assert.That(RunDirectory.ReadManifest(_dir).Complete, Is.False);
        Assert.That(File.Exists(Path.Combine(_dir, RunDirectory.SummaryFile)), Is.True, "the summary is written when cancelled too");

        var second = new ScriptedChatClient((m, _) => Answer(m));
        var runner = new ExperimentRunner(second, options: Options());
        await using var session = await ExperimentSession.OpenAsync(runner, Requests, SessionOptions());
        Assert.That(session.DoneBefore, Is.EqualTo(cancelled.Kept));
        Assert.That(session.Work, Has.Count.EqualTo(8 - cancelled.Kept));
        var resumed = await session.RunAsync();

        Assert.That(resumed.Status, Is.EqualTo(ExperimentSessionStatus.Complete));
        Assert.That(second.Calls, Has.Count.EqualTo(8 - cancelled.Kept), "no finished sample is called again");
        Assert.That(SampleIds(), Has.Length.EqualTo(8).And.Unique);
        Assert.That(RunDirectory.ReadManifest(_dir).Resumes, Is.EqualTo(1));
    }

    [Test]
    public async Task Failed_calls_finish_with_errors_a_rerun_keeps_them_and_RetryErrors_calls_only_them_again()
    {
        var failing = new ScriptedChatClient((m, _) => m[1].Text.Contains("Second", StringComparison.Ordinal) ? throw new HttpRequestException("503 Service Unavailable") : Answer(m));
        var finished = await RunAsync(failing, SessionOptions());
        Assert.That(finished.Status, Is.EqualTo(ExperimentSessionStatus.FinishedWithErrors));
        Assert.That(finished.ErrorCount, Is.EqualTo(2));
        Assert.That(finished.Message, Does.Contain("2 samples have no verdict"));

        var before = Snapshot();
        var again = new ScriptedChatClient((m, _) => Answer(m));
        var kept = await RunAsync(again, SessionOptions());
        Assert.That((kept.Status, kept.AlreadyComplete, again.Calls.Count), Is.EqualTo((ExperimentSessionStatus.FinishedWithErrors, true, 0)), "without RetryErrors the errors stay");
        Assert.That(Snapshot(), Is.EqualTo(before));

        var runner = new ExperimentRunner(again, options: Options());
        var options = SessionOptions();
        options.RetryErrors = true;
        await using var session = await ExperimentSession.OpenAsync(runner, Requests, options);
        Assert.That(session.ErrorsRemoved, Is.EqualTo(2));
        var retried = await session.RunAsync();
        Assert.That(retried.Status, Is.EqualTo(ExperimentSessionStatus.Complete));
        Assert.That(again.Calls.Select(c => c.Messages[1].Text).All(t => t.Contains("Second", StringComparison.Ordinal)), Is.True);
        Assert.That(again.Calls, Has.Count.EqualTo(2));
        Assert.That(SampleIds(), Has.Length.EqualTo(8).And.Unique);
    }

    [Test]
    public async Task The_budget_counts_what_earlier_sessions_spent()
    {
        // $1 per output token, input free: a call reserves its 10 max output tokens ($10) and costs its 5 ($5).
        var price = new ModelPrice { Input = 0m, Output = 1_000_000m };
        using var cts = new CancellationTokenSource();
        var first = CancellingAt(4, cts);
        var options = SessionOptions();
        options.Price = price;
        var cancelled = await RunAsync(first, options, cancellationToken: cts.Token);
        decimal spentBefore = 5m * cancelled.Kept;
        Assert.That(cancelled.Spent, Is.EqualTo(spentBefore));

        // Enough for every remaining call if the earlier spending were forgotten; with it, one more call fits.
        options.BudgetUsd = spentBefore + 10m;
        var second = new ScriptedChatClient((m, _) => Answer(m));
        var runner = new ExperimentRunner(second, options: Options());
        await using var session = await ExperimentSession.OpenAsync(runner, Requests, options);
        Assert.That(session.SpentBefore, Is.EqualTo(spentBefore));
        var stopped = await session.RunAsync();

        Assert.That(stopped.Status, Is.EqualTo(ExperimentSessionStatus.BudgetExhausted), stopped.Message);
        Assert.That(second.Calls, Has.Count.EqualTo(1));
        Assert.That((stopped.Kept, stopped.Spent, stopped.BudgetUsd, stopped.SpentCutShort), Is.EqualTo((cancelled.Kept + 1, spentBefore + 5m, spentBefore + 10m, 0m)));
        Assert.That(RunDirectory.ReadSummary(_dir).Cost!.Actual!.Cost, Is.EqualTo(stopped.Spent), "one figure: the summary's");
        Assert.That(RunDirectory.ReadManifest(_dir).Complete, Is.False);
    }

    [Test]
    public async Task A_rerun_of_a_complete_run_changes_nothing_on_disk_and_calls_nothing()
    {
        await RunAsync(new ScriptedChatClient((m, _) => Answer(m)), SessionOptions());
        var before = Snapshot();
        var client = new ScriptedChatClient((m, _) => Answer(m));
        var judge = new FakeJudge();
        var runner = new ExperimentRunner(client, options: Options());
        await using var session = await ExperimentSession.OpenAsync(runner, Requests, SessionOptions());
        Assert.That(session.IsComplete, Is.True);
        using (RunDirectory.AcquireLock(_dir))
        {
            // A complete run is not opened for writing: it takes no lock.
        }

        var result = await session.RunAsync(judge);
        Assert.That((result.Status, result.AlreadyComplete, result.Kept), Is.EqualTo((ExperimentSessionStatus.Complete, true, 8)));
        Assert.That(client.Calls, Is.Empty);
        Assert.That(judge.Judged, Is.Zero);
        Assert.That(Snapshot(), Is.EqualTo(before));
    }

    [Test]
    public async Task Each_sample_is_judged_as_it_goes_before_it_is_written()
    {
        var judge = new FakeJudge();
        var result = await RunAsync(new ScriptedChatClient((m, _) => Answer(m)), SessionOptions(), judge);

        Assert.That(judge.Judged, Is.EqualTo(8));
        Assert.That(RunDirectory.EnumerateSamples(_dir).All(s => s.Judge == s.Proxy), Is.True);
        Assert.That(result.Summary.Conditions.Single().Judge, Is.Not.Null);
        Assert.That(RunDirectory.ReadSummary(_dir).Conditions.Single().Judge!.Training.Complied, Is.EqualTo(4));
    }

    [Test]
    public async Task A_fatal_failure_stops_the_session_keeps_its_samples_and_names_the_cause()
    {
        int calls = 0;
        var client = new ScriptedChatClient((m, _) => Interlocked.Increment(ref calls) == 3
            ? throw new FatalCallException("401 Unauthorized: check the key in environment variable X")
            : Answer(m));
        var result = await RunAsync(client, SessionOptions());

        Assert.That(result.Status, Is.EqualTo(ExperimentSessionStatus.Fatal));
        Assert.That(result.Message, Is.EqualTo("401 Unauthorized: check the key in environment variable X"));
        Assert.That(result.Kept, Is.EqualTo(2).And.EqualTo(SampleIds().Length));
        Assert.That(RunDirectory.ReadManifest(_dir).Complete, Is.False);
    }

    [Test]
    public async Task The_directory_is_locked_while_the_session_is_open_and_released_when_it_ends()
    {
        var runner = new ExperimentRunner(new ScriptedChatClient((m, _) => Answer(m)), options: Options());
        var session = await ExperimentSession.OpenAsync(runner, Requests, SessionOptions());
        Assert.That(() => RunDirectory.AcquireLock(_dir), Throws.InstanceOf<RunDirectoryLockedException>());
        Assert.That(async () => await ExperimentSession.OpenAsync(runner, Requests, SessionOptions()), Throws.InstanceOf<RunDirectoryLockedException>());
        await session.RunAsync();
        using (RunDirectory.AcquireLock(_dir))
        {
        }

        Assert.That(async () => await session.RunAsync(), Throws.InvalidOperationException, "a session runs once");
        await session.DisposeAsync();
    }

    [Test]
    public async Task Changed_settings_are_refused_with_the_differences()
    {
        await RunAsync(new ScriptedChatClient((m, _) => Answer(m)), SessionOptions());
        var before = Snapshot();
        var runner = new ExperimentRunner(new ScriptedChatClient((m, _) => Answer(m)), options: new ExperimentOptions { Modes = [ReasoningMode.NoCot], ModelId = "other", MaxConcurrency = 1, MaxOutputTokens = 10 });
        Assert.That(async () => await ExperimentSession.OpenAsync(runner, Requests, SessionOptions()), Throws.InstanceOf<IncompatibleRunException>().With.Message.Contain("other"));
        Assert.That(Snapshot(), Is.EqualTo(before));
    }

    [Test]
    public async Task An_online_session_is_refused_while_batches_of_the_run_are_in_flight_and_changes_nothing()
    {
        Directory.CreateDirectory(_dir);
        await File.WriteAllLinesAsync(Path.Combine(_dir, BatchExperimentRunner.JournalFile), [
            "{\"kind\":\"file\",\"at\":\"2026-01-01T00:00:00+00:00\",\"provider\":\"openai\",\"round\":1,\"part\":0,\"fileId\":\"file-1\",\"customIds\":[\"no-cot/training/r0/e0#t1#a1\"],\"bytes\":10}",
            "{\"kind\":\"batch\",\"at\":\"2026-01-01T00:00:01+00:00\",\"provider\":\"openai\",\"round\":1,\"part\":0,\"fileId\":\"file-1\",\"batchId\":\"batch-1\"}",
        ]);
        var before = Snapshot();
        var runner = new ExperimentRunner(new ScriptedChatClient((m, _) => Answer(m)), options: Options());
        Assert.That(
            async () => await ExperimentSession.OpenAsync(runner, Requests, SessionOptions()),
            Throws.InstanceOf<BatchesInFlightException>().With.Property(nameof(BatchesInFlightException.Count)).EqualTo(1));
        Assert.That(Snapshot(), Is.EqualTo(before));
    }

    [Test]
    public async Task The_batch_path_is_a_driver_of_the_same_session_and_gives_the_online_samples()
    {
        var online = await RunAsync(new ScriptedChatClient((m, _) => Answer(m)), SessionOptions());
        var onlineSamples = Comparable(RunDirectory.ReadSamples(_dir));
        Directory.Delete(_dir, true);

        var progress = new List<BatchRunProgress>();
        var batchRunner = new BatchExperimentRunner(new ChatClientBatchProvider(new ScriptedChatClient((m, _) => Answer(m))), options: Options(), batchOptions: new BatchRunOptions { PollInterval = TimeSpan.Zero });
        var options = SessionOptions();
        options.BatchProgress = new SyncProgress<BatchRunProgress>(progress.Add);
        await using var session = await ExperimentSession.OpenBatchAsync(batchRunner, Requests, options);
        var result = await session.RunAsync(new FakeJudge());

        Assert.That(result.Status, Is.EqualTo(ExperimentSessionStatus.Complete));
        Assert.That(Comparable(RunDirectory.ReadSamples(_dir).Select(s => s with { Judge = null })), Is.EqualTo(onlineSamples));
        Assert.That(RunDirectory.ReadManifest(_dir).Path, Is.EqualTo("batch"));
        Assert.That(progress[^1].Phase, Is.EqualTo("done"));
        Assert.That(result.Summary.Conditions.Single().Judge, Is.Not.Null);
        Assert.That(online.Summary.Conditions.Single().OriginalPrintout, Is.EqualTo(result.Summary.Conditions.Single().OriginalPrintout));

        var budget = SessionOptions();
        budget.BudgetUsd = 1m;
        budget.Price = new ModelPrice { Input = 1m, Output = 1m };
        Assert.That(async () => await ExperimentSession.OpenBatchAsync(batchRunner, Requests, budget), Throws.ArgumentException);
    }

    private static string[] Comparable(IEnumerable<ExperimentSample> samples) =>
        samples.OrderBy(s => s.SampleId, StringComparer.Ordinal)
            .Select(s => s with { Calls = s.Calls.Select(c => c with { LatencyMs = 0, ResponseId = null, BatchId = null }).ToArray() })
            .Select(s => JsonSerializer.Serialize(s, RunJson.Compact))
            .ToArray();

    /// <summary>A judge that agrees with the proxy.</summary>
    private sealed class FakeJudge : ISampleJudge
    {
        private int _judged;

        public int Judged => _judged;

        public Task<ExperimentSample> JudgeSampleAsync(ExperimentSample sample, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _judged);
            return Task.FromResult(sample with { Judge = sample.Proxy });
        }
    }

    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
