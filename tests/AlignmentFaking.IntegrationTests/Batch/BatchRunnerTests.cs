using AlignmentFaking.Running;
using AlignmentFaking.Running.Batch;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Storage;
using AlignmentFaking.Testing;
using NUnit.Framework;

namespace AlignmentFaking.IntegrationTests.Batch;

/// <summary>The batch runner over the real OpenAI client against the loopback server's Batch API.</summary>
public class BatchRunnerTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = BatchKit.TempDirectory("af-batch-");

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, true);

    [Test]
    public async Task Batch_and_online_runs_over_the_same_replies_give_identical_samples()
    {
        var (scenarios, requests) = BatchKit.Inputs();
        await using var online = await BatchKit.StartAsync();
        var onlineResult = await new ExperimentRunner(online.CreateChatClient(BatchKit.Model, disableRetries: true), scenarios, BatchKit.Options()).RunAsync(requests);

        await using var server = await BatchKit.StartAsync();
        var runner = OpenAIBatchKit.Runner(server);
        var batched = await BatchKit.CollectAsync(runner.StreamAsync(runner.Plan(requests), _dir));

        Assert.That(batched, Has.Count.EqualTo(requests.Count * 2 * 2 * 2));
        Assert.That(BatchKit.Comparable(batched), Is.EqualTo(BatchKit.Comparable(onlineResult.Samples)));
        Assert.That(batched.Any(s => s.Turns > 1), Is.True, "multi-turn CoT conversations are exercised");
        Assert.That(batched.Any(s => s.FinishReason == "length"), Is.True, "truncated replies are exercised");
        Assert.That(batched.SelectMany(s => s.Calls).All(c => c.BatchId is not null && c.ResponseId is not null), Is.True);

        // One batch per round (all fit), a CoT conversation needs at most MaxTurns rounds, and every call went through a batch.
        var batches = server.Batches;
        Assert.That(batches.Select(BatchKit.Round), Is.EqualTo(Enumerable.Range(1, batches.Count)));
        Assert.That(batches, Has.Count.LessThanOrEqualTo(4));
        Assert.That(batches.Count, Is.EqualTo(batched.Max(s => s.Turns)));
        Assert.That(server.CallCount, Is.EqualTo(batched.Sum(s => s.Turns)));
        Assert.That(server.Calls.All(c => c.Headers.ContainsKey("x-test-batch-id")), Is.True);
        Assert.That(server.Calls.Select(c => c.MaxTokensField).Distinct(), Is.EqualTo(online.Calls.Select(c => c.MaxTokensField).Distinct()), "the same request fields as the online client");

        // The record in the run directory: every batch consumed, with its round and input file.
        var recorded = BatchExperimentRunner.ReadBatches(_dir);
        Assert.That(recorded.Select(b => b.BatchId), Is.EqualTo(batches.Select(b => b.Id)));
        Assert.That(recorded.All(b => b.Consumed && b.FinalStatus == "completed" && b.Provider == "openai"), Is.True);
        Assert.That(recorded.Select(b => b.InputFileId), Is.EqualTo(batches.Select(b => b.InputFileId)));
        Assert.That(recorded.Select(b => b.Requests), Is.EqualTo(batches.Select(b => b.CustomIds.Count)));
    }

    [Test]
    public async Task A_round_larger_than_the_limits_is_split_into_several_batches()
    {
        var (_, requests) = BatchKit.Inputs();
        await using var server = await BatchKit.StartAsync();
        var runner = OpenAIBatchKit.Runner(server, new BatchRunOptions { PollInterval = TimeSpan.Zero, MaxRequestsPerBatch = 5 });
        var samples = await BatchKit.CollectAsync(runner.StreamAsync(runner.Plan(requests), _dir));

        Assert.That(samples, Has.Count.EqualTo(48));
        var firstRound = server.Batches.Where(b => BatchKit.Round(b) == 1).ToArray();
        Assert.That(firstRound, Has.Length.EqualTo(10), "48 first turns in batches of at most 5");
        Assert.That(server.Batches.All(b => b.CustomIds.Count <= 5), Is.True);
        Assert.That(server.Batches.SelectMany(b => b.CustomIds).Distinct().Count(), Is.EqualTo(server.Batches.Sum(b => b.CustomIds.Count)), "no request sent twice");

        // A byte limit splits too: one request per batch when the limit is below two requests' size.
        var dir2 = Path.Combine(_dir, "bytes");
        await using var server2 = await BatchKit.StartAsync();
        var small = OpenAIBatchKit.Runner(server2, new BatchRunOptions { PollInterval = TimeSpan.Zero, MaxBytesPerBatch = 1 }, new ExperimentOptions { Modes = [ReasoningMode.NoCot], ModelId = BatchKit.Model });
        var few = await BatchKit.CollectAsync(small.StreamAsync(small.Plan(requests.Take(2).ToArray()), dir2));
        Assert.That(few, Has.Count.EqualTo(4));
        Assert.That(server2.Batches.Select(b => b.CustomIds.Count), Is.All.EqualTo(1));
        Assert.That(server2.Batches, Has.Count.EqualTo(4));
    }

    [Test]
    public async Task Failed_and_expired_items_are_sent_again_in_the_next_round_and_the_samples_still_match_online()
    {
        var (scenarios, requests) = BatchKit.Inputs();
        await using var online = await BatchKit.StartAsync();
        var onlineResult = await new ExperimentRunner(online.CreateChatClient(BatchKit.Model, disableRetries: true), scenarios, BatchKit.Options()).RunAsync(requests);

        // Batch 1 expires half-way; 5 requests fail with a 500 once each (error file); all are retried.
        var faults = new FaultPlan().When(c => c.Sequence % 7 == 3, ScriptedReply.ServerError(), times: 5);
        await using var server = await BatchKit.StartAsync(faults, new TestServerOptions { Models = [BatchKit.Model], ExpireBatchNumbers = [1] });
        var runner = OpenAIBatchKit.Runner(server);
        var samples = await BatchKit.CollectAsync(runner.StreamAsync(runner.Plan(requests), _dir));

        Assert.That(BatchKit.Comparable(samples), Is.EqualTo(BatchKit.Comparable(onlineResult.Samples)));
        Assert.That(server.Batches[0].Status, Is.EqualTo("expired"));
        Assert.That(server.Batches.Count(b => b.ErrorFileId is not null), Is.GreaterThanOrEqualTo(2));
        var attempts = server.Batches.SelectMany(b => b.CustomIds).Where(id => id.EndsWith("#a2", StringComparison.Ordinal)).ToArray();
        Assert.That(attempts.Length, Is.EqualTo(24 + 5), "the 24 expired requests and the 5 failed ones were sent a second time");
        Assert.That(BatchExperimentRunner.ReadBatches(_dir).Select(b => b.FinalStatus), Does.Contain("expired"));
    }

    [Test]
    public async Task A_turn_that_keeps_failing_becomes_an_error_sample_after_the_attempt_limit()
    {
        var (_, requests) = BatchKit.Inputs();
        var target = requests[0].Text;
        var faults = new FaultPlan().When(c => c.Messages.Count > 1 && c.Messages[1].Content.Contains(target, StringComparison.Ordinal), ScriptedReply.BadRequest());
        await using var server = await BatchKit.StartAsync(faults);
        var runner = OpenAIBatchKit.Runner(server, new BatchRunOptions { PollInterval = TimeSpan.Zero, MaxAttemptsPerTurn = 2 }, new ExperimentOptions { Modes = [ReasoningMode.NoCot], ModelId = BatchKit.Model });
        var samples = await BatchKit.CollectAsync(runner.StreamAsync(runner.Plan(requests), _dir));

        Assert.That(samples, Has.Count.EqualTo(12));
        var failed = samples.Where(s => s.RequestIndex == requests[0].Index).ToArray();
        Assert.That(failed, Has.Length.EqualTo(2));
        foreach (var sample in failed)
        {
            Assert.That(sample.OutputSource, Is.EqualTo(OutputSource.CallFailed));
            Assert.That(sample.Proxy, Is.EqualTo(Classification.ComplianceOutcome.Error));
            Assert.That(sample.Error, Does.StartWith("HTTP 400"));
            Assert.That(sample.Turns, Is.Zero);
        }

        Assert.That(samples.Where(s => s.RequestIndex != requests[0].Index).All(s => s.OutputSource != OutputSource.CallFailed), Is.True);
        Assert.That(server.Batches, Has.Count.EqualTo(2), "round 2 carries only the two failing requests");
        Assert.That(server.Batches[1].CustomIds, Has.Count.EqualTo(2));
    }

    [Test]
    public async Task A_stopped_run_re_attaches_to_its_batch_in_flight_instead_of_submitting_it_again()
    {
        var (_, requests) = BatchKit.Inputs();
        await using var server = await BatchKit.StartAsync();
        server.HoldBatches = true;
        var options = BatchKit.Options();

        // First process: submits round 1, then is stopped while the batch is in flight.
        using (var cts = new CancellationTokenSource())
        {
            var first = OpenAIBatchKit.Runner(server, options: options);
            var progress = new SyncProgress(p =>
            {
                if (p.Phase == "waiting")
                {
                    cts.Cancel();
                }
            });
            Assert.That(async () => await BatchKit.CollectAsync(first.StreamAsync(first.Plan(requests), _dir, progress, cts.Token)), Throws.InstanceOf<OperationCanceledException>());
        }

        Assert.That(server.Batches, Has.Count.EqualTo(1));
        Assert.That(server.Batches[0].Status, Is.EqualTo("in_progress"));
        Assert.That(BatchExperimentRunner.ReadBatches(_dir).Single().Consumed, Is.False);

        // Second process: same work, same directory; the provider has finished meanwhile.
        server.HoldBatches = false;
        var second = OpenAIBatchKit.Runner(server, options: options);
        var samples = await BatchKit.CollectAsync(second.StreamAsync(second.Plan(requests), _dir));

        Assert.That(samples, Has.Count.EqualTo(48));
        Assert.That(server.Batches.Count(b => BatchKit.Round(b) == 1), Is.EqualTo(1), "round 1 was created exactly once");
        Assert.That(server.Batches.SelectMany(b => b.CustomIds).Distinct().Count(), Is.EqualTo(server.Batches.Sum(b => b.CustomIds.Count)));
        Assert.That(server.CallCount, Is.EqualTo(samples.Sum(s => s.Turns)), "no request ran twice");

        // A third start over the finished work does nothing at all.
        int batchesBefore = server.Batches.Count;
        var third = OpenAIBatchKit.Runner(server, options: options);
        var none = await BatchKit.CollectAsync(third.StreamAsync([], _dir));
        Assert.That(none, Is.Empty);
        Assert.That(server.Batches, Has.Count.EqualTo(batchesBefore));
    }

    [Test]
    public async Task A_restart_between_rounds_replays_recorded_replies_and_continues_with_the_next_turn()
    {
        var (scenarios, requests) = BatchKit.Inputs();
        await using var online = await BatchKit.StartAsync();
        var options = new ExperimentOptions { Modes = [ReasoningMode.Cot], ModelId = BatchKit.Model, Seed = 5 };
        var onlineResult = await new ExperimentRunner(online.CreateChatClient(BatchKit.Model, disableRetries: true), scenarios, options).RunAsync(requests);
        Assert.That(onlineResult.Samples.Any(s => s.Turns > 1), Is.True);

        await using var server = await BatchKit.StartAsync();
        var run = await RunDirectory.CreateAsync(_dir, Manifest(), [scenarios.GetSystemPrompt(ReasoningMode.Cot)]);
        await using (run)
        {
            // First process: stops as soon as round 2 is in flight (round 1's replies are recorded, its finished samples written).
            server.HoldBatches = false;
            using var cts = new CancellationTokenSource();
            var first = OpenAIBatchKit.Runner(server, options: options);
            var progress = new SyncProgress(p =>
            {
                if (p.Round == 2 && p.Phase == "submitting")
                {
                    server.HoldBatches = true;
                }

                if (p.Round == 2 && p.Phase == "waiting")
                {
                    cts.Cancel();
                }
            });
            Assert.That(async () => await first.RunAsync(run, requests, progress, cts.Token), Throws.InstanceOf<OperationCanceledException>());
        }

        var written = RunDirectory.ReadSamples(_dir);
        Assert.That(written, Is.Not.Empty.And.Count.LessThan(12));

        server.HoldBatches = false;
        var reopened = await RunDirectory.CreateAsync(_dir, Manifest(), [scenarios.GetSystemPrompt(ReasoningMode.Cot)]);
        await using (reopened)
        {
            var result = await OpenAIBatchKit.Runner(server, options: options).RunAsync(reopened, requests);
            Assert.That(BatchKit.Comparable(result.Samples), Is.EqualTo(BatchKit.Comparable(onlineResult.Samples)));
        }

        Assert.That(BatchKit.Comparable(RunDirectory.ReadSamples(_dir)), Is.EqualTo(BatchKit.Comparable(onlineResult.Samples)));
        Assert.That(server.Batches.Count(b => BatchKit.Round(b) == 2), Is.EqualTo(1), "round 2 was created exactly once");
        Assert.That(server.CallCount, Is.EqualTo(onlineResult.Samples.Sum(s => s.Turns)), "no request ran twice");

        RunManifest Manifest() => new()
        {
            Model = BatchKit.Model,
            Subject = "openai-compatible",
            Options = new RunOptionsRecord { Modes = [ReasoningMode.Cot], Tiers = options.Tiers, Epochs = 1, MaxTurns = 4, Extraction = "original", PrefillPolicy = "original", PrefillUsed = true, UserTemplate = "original", UserTemplateSha256 = "x", MaxConcurrency = 1 },
            Dataset = new DatasetRecord { Name = "test", Sha256 = "x", Count = requests.Count },
            Prompts = [],
            StartedAt = DateTimeOffset.UnixEpoch,
            Path = "batch",
        };
    }

    [Test]
    public async Task Cancel_in_flight_asks_the_provider_to_cancel_and_the_next_run_sends_the_rest_again()
    {
        var (_, requests) = BatchKit.Inputs();
        await using var server = await BatchKit.StartAsync();
        server.HoldBatches = true;
        var options = new ExperimentOptions { Modes = [ReasoningMode.NoCot], ModelId = BatchKit.Model };
        using (var cts = new CancellationTokenSource())
        {
            var first = OpenAIBatchKit.Runner(server, options: options);
            var progress = new SyncProgress(p =>
            {
                if (p.Phase == "waiting")
                {
                    cts.Cancel();
                }
            });
            Assert.That(async () => await BatchKit.CollectAsync(first.StreamAsync(first.Plan(requests), _dir, progress, cts.Token)), Throws.InstanceOf<OperationCanceledException>());
        }

        var provider = new AlignmentFaking.OpenAI.OpenAIBatchProvider(server.BaseAddress, "test-key");
        var cancelled = await BatchExperimentRunner.CancelInFlightAsync(provider, _dir);
        Assert.That(cancelled, Is.EqualTo(new[] { server.Batches[0].Id }));
        Assert.That(server.Batches[0].Status, Is.EqualTo("cancelling"));

        server.HoldBatches = false;
        var second = OpenAIBatchKit.Runner(server, options: options);
        var samples = await BatchKit.CollectAsync(second.StreamAsync(second.Plan(requests), _dir));
        Assert.That(samples, Has.Count.EqualTo(12));
        Assert.That(samples.All(s => s.OutputSource != OutputSource.CallFailed), Is.True);
        Assert.That(server.Batches[0].Status, Is.EqualTo("cancelled"));
        Assert.That(server.Batches, Has.Count.EqualTo(2));
        Assert.That(server.Batches[1].CustomIds.All(id => id.EndsWith("#a2", StringComparison.Ordinal)), Is.True);
    }

    private sealed class SyncProgress(Action<BatchRunProgress> report) : IProgress<BatchRunProgress>
    {
        public void Report(BatchRunProgress value) => report(value);
    }
}
