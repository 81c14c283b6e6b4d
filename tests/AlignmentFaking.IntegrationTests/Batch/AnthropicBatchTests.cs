using AlignmentFaking.Anthropic;
using AlignmentFaking.Running;
using AlignmentFaking.Running.Batch;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Storage;
using AlignmentFaking.Testing;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace AlignmentFaking.IntegrationTests.Batch;

/// <summary>Anthropic Message Batches through the official Anthropic SDK against the loopback server.</summary>
public class AnthropicBatchTests
{
    private const string Claude = "claude-3-opus-20240229";
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = BatchKit.TempDirectory("af-batch-anthropic-");

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, true);

    private static ExperimentOptions Options() => new()
    {
        Modes = [ReasoningMode.Cot, ReasoningMode.NoCot],
        ModelId = Claude,
        MaxOutputTokens = 4000,
    };

    private AnthropicBatchProvider Provider(OpenAICompatibleTestServer server) =>
        new(server.RootAddress, "test-key", Path.Combine(_dir, "batch-inputs"));

    [Test]
    public async Task Message_batches_give_the_same_samples_as_online_calls_over_the_same_replies()
    {
        var (scenarios, requests) = BatchKit.Inputs();
        await using var online = await BatchKit.StartAsync(options: new TestServerOptions { Models = [Claude] });
        var onlineResult = await new ExperimentRunner(online.CreateChatClient(Claude, disableRetries: true), scenarios, Options()).RunAsync(requests);

        await using var server = await BatchKit.StartAsync(options: new TestServerOptions { Models = [Claude] });
        var runner = new BatchExperimentRunner(Provider(server), scenarios, Options(), new BatchRunOptions { PollInterval = TimeSpan.Zero });
        var samples = await BatchKit.CollectAsync(runner.StreamAsync(runner.Plan(requests), _dir));

        Assert.That(BatchKit.Comparable(samples), Is.EqualTo(BatchKit.Comparable(onlineResult.Samples)));
        Assert.That(samples.Any(s => s.Turns > 1) && samples.Any(s => s.FinishReason == "length"), Is.True);
        Assert.That(samples[0].Prefill, Is.Not.Null, "Claude gets the original's prefill");
        Assert.That(server.Batches.All(b => b.Id.StartsWith("msgbatch_", StringComparison.Ordinal)), Is.True);
        Assert.That(server.Batches.Count, Is.EqualTo(samples.Max(s => s.Turns)));

        // Sent as Anthropic expects: system at the top level, the prefill as a trailing assistant turn, max_tokens set.
        var first = server.Files.First(f => f.Purpose == "anthropic-inline").Text.Split('\n')[0];
        Assert.That(first, Does.Contain("\"system\":").And.Contain("\"max_tokens\":4000").And.Contain("\"role\":\"assistant\",\"content\":\"<\""));
        Assert.That(first, Does.Contain("\"cache_control\":{\"type\":\"ephemeral\"}"), "the system prompt is marked for the prompt cache");
        var billed = server.Calls.Where(c => c.CachedTokens is not null).ToList();
        Assert.That(samples.SelectMany(s => s.Calls).Sum(c => c.CachedInputTokens ?? 0), Is.EqualTo(billed.Sum(c => (long)c.CachedTokens!.Value)).And.GreaterThan(0), "cache reads recorded as billed");
        Assert.That(samples.SelectMany(s => s.Calls).Sum(c => c.InputTokens ?? 0), Is.EqualTo(billed.Sum(c => (long)c.BilledInputTokens!.Value)), "input tokens include the cache reads and writes");
        Assert.That(BatchExperimentRunner.ReadBatches(_dir).All(b => b.Consumed && b.Provider == "anthropic" && b.InputFileId.StartsWith("local:", StringComparison.Ordinal)), Is.True);
        Assert.That(Directory.GetFiles(Path.Combine(_dir, "batch-inputs"), "*.jsonl"), Has.Length.EqualTo(server.Batches.Count));
    }

    [Test]
    public async Task Expired_errored_and_cancelled_requests_are_sent_again_and_a_stopped_run_re_attaches()
    {
        var (scenarios, requests) = BatchKit.Inputs();
        var options = new ExperimentOptions { Modes = [ReasoningMode.NoCot], ModelId = Claude };
        var faults = new FaultPlan().When(c => c.Sequence % 5 == 2, ScriptedReply.ServerError(), times: 2);
        await using var server = await BatchKit.StartAsync(faults, new TestServerOptions { Models = [Claude], ExpireBatchNumbers = [1] });
        server.HoldBatches = true;
        using (var cts = new CancellationTokenSource())
        {
            var stopped = new BatchExperimentRunner(Provider(server), scenarios, options, new BatchRunOptions { PollInterval = TimeSpan.Zero });
            var progress = new Progress(p =>
            {
                if (p.Phase == "waiting")
                {
                    cts.Cancel();
                }
            });
            Assert.That(async () => await BatchKit.CollectAsync(stopped.StreamAsync(stopped.Plan(requests), _dir, progress, cts.Token)), Throws.InstanceOf<OperationCanceledException>());
        }

        server.HoldBatches = false;
        var runner = new BatchExperimentRunner(Provider(server), scenarios, options, new BatchRunOptions { PollInterval = TimeSpan.Zero });
        var samples = await BatchKit.CollectAsync(runner.StreamAsync(runner.Plan(requests), _dir));
        Assert.That(samples, Has.Count.EqualTo(12));
        Assert.That(samples.All(s => s.OutputSource != OutputSource.CallFailed), Is.True);
        Assert.That(BatchExperimentRunner.ReadBatches(_dir).Count(b => b.Round == 1), Is.EqualTo(1), "round 1 was created once");
        Assert.That(server.Batches, Has.Count.EqualTo(3), "round 1, then the retries (one of them errors again)");
        Assert.That(server.Batches[0].Status, Is.EqualTo("expired"));
        Assert.That(server.Batches[1].CustomIds, Has.Count.EqualTo(6 + 1), "the 6 expired requests and the errored one sent again");
        Assert.That(AnthropicCustomIds.TryDecode(server.Batches[2].CustomIds.Single(), out var third) ? third : null, Does.EndWith("#a3"), "the second scripted error, sent a third time");

        // Cancelling through the SDK.
        server.HoldBatches = true;
        var provider = Provider(server);
        var fileId = await provider.UploadAsync([new BatchRequest("x#t1#a1", [new Microsoft.Extensions.AI.ChatMessage(Microsoft.Extensions.AI.ChatRole.User, "hi")], new Microsoft.Extensions.AI.ChatOptions { ModelId = Claude })], "one", CancellationToken.None);
        var job = await provider.CreateAsync(fileId, new Dictionary<string, string>(), CancellationToken.None);
        await provider.CancelAsync(job.Id, CancellationToken.None);
        var ended = await provider.GetAsync(job.Id, CancellationToken.None);
        Assert.That(ended.Status, Is.EqualTo(BatchJobStatus.Cancelled));
        var results = await provider.DownloadResultsAsync(ended, CancellationToken.None);
        Assert.That(results.Single().Error, Does.StartWith("canceled"));
    }

    [Test]
    public async Task A_results_stream_larger_than_the_limit_fails_with_ReplyTooLarge()
    {
        await using var server = await BatchKit.StartAsync(options: new TestServerOptions
        {
            Models = [Claude],
            BatchRetrievalsBeforeCompletion = 0,
            RewriteBatchOutput = (_, text) => text + new string(' ', 300_000) + "\n",
        });
        var provider = new AnthropicBatchProvider(server.RootAddress, "test-key", Path.Combine(_dir, "inputs"), AnthropicBatchProvider.AnthropicLimits with { MaxResultBytes = 64 * 1024 });
        var file = await provider.UploadAsync([new BatchRequest("a#t1#a1", [new ChatMessage(ChatRole.User, "hi")], new ChatOptions { ModelId = Claude })], "in", CancellationToken.None);
        var job = await provider.GetAsync((await provider.CreateAsync(file, new Dictionary<string, string>(), CancellationToken.None)).Id, CancellationToken.None);
        await Assert.ThatAsync(async () => await provider.DownloadResultsAsync(job, CancellationToken.None), Throws.InstanceOf<Running.ReplyTooLargeException>());
    }

    [Test]
    public async Task Anthropic_recovery_confirms_an_ended_batch_by_its_result_ids_and_never_takes_a_known_or_older_one()
    {
        await using var server = await BatchKit.StartAsync(options: new TestServerOptions { Models = [Claude], BatchRetrievalsBeforeCompletion = 0 });
        var provider = new AnthropicBatchProvider(server.RootAddress, "test-key", Path.Combine(_dir, "inputs"));
        BatchRequest Request(string id) => new(id, [new ChatMessage(ChatRole.User, "hi")], new ChatOptions { ModelId = Claude });
        var none = new Dictionary<string, string>();
        var intent = DateTimeOffset.UtcNow;
        var ours = await provider.UploadAsync([Request("a#t1#a1"), Request("b#t1#a1")], "ours", CancellationToken.None);
        var other = await provider.UploadAsync([Request("c#t1#a1"), Request("d#t1#a1")], "other", CancellationToken.None); // as many requests, other ids
        var single = await provider.UploadAsync([Request("e#t1#a1")], "single", CancellationToken.None);
        var ourJob = await provider.CreateAsync(ours, none, CancellationToken.None);
        var otherJob = await provider.CreateAsync(other, none, CancellationToken.None);
        await provider.CreateAsync(single, none, CancellationToken.None);
        var search = new BatchSearch(ours, ["a#t1#a1", "b#t1#a1"], intent, []);

        // In progress, nothing can be confirmed: the first candidate created after the intent, with as many requests.
        Assert.That((await provider.FindCreatedAsync(search, CancellationToken.None))?.Id, Is.EqualTo(ourJob.Id));
        Assert.That(await provider.FindCreatedAsync(search with { NotBefore = intent.AddHours(1) }, CancellationToken.None), Is.Null, "created before the intent");

        // Ended: the results' ids decide, whatever the order of creation.
        await provider.GetAsync(ourJob.Id, CancellationToken.None);
        await provider.GetAsync(otherJob.Id, CancellationToken.None);
        Assert.That((await provider.FindCreatedAsync(new BatchSearch(other, ["c#t1#a1", "d#t1#a1"], intent, []), CancellationToken.None))?.Id, Is.EqualTo(otherJob.Id));
        Assert.That((await provider.FindCreatedAsync(search, CancellationToken.None))?.Id, Is.EqualTo(ourJob.Id));
        Assert.That(await provider.FindCreatedAsync(search with { KnownBatchIds = [ourJob.Id] }, CancellationToken.None), Is.Null, "a batch the run knows is never taken, and the other one's results are not ours");
    }

    private sealed class Progress(Action<BatchRunProgress> report) : IProgress<BatchRunProgress>
    {
        public void Report(BatchRunProgress value) => report(value);
    }
}
