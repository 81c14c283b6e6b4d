using AlignmentFaking.Classification;
using AlignmentFaking.Datasets;
using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;

namespace AlignmentFaking.Tests.Running;

public class ExperimentRunnerTests
{
    private static readonly ExperimentRequest[] Requests = [new(0, "First"), new(1, "Second"), new(2, "Third")];

    [Test]
    public async Task Runs_every_request_in_every_tier_mode_and_epoch_once()
    {
        var client = new ScriptedChatClient((messages, _) => ScriptedChatClient.Reply(messages[^1].Text == "<OUTPUT>" ? "<rejected/></OUTPUT>" : "OUTPUT><rejected/></OUTPUT>"));
        var runner = new ExperimentRunner(client, options: new ExperimentOptions { Modes = [ReasoningMode.Cot, ReasoningMode.NoCot], Epochs = 2, ModelId = "m" });
        var result = await runner.RunAsync(Requests);

        Assert.That(result.Samples, Has.Count.EqualTo(3 * 2 * 2 * 2));
        Assert.That(result.Samples.Select(s => s.SampleId).Distinct().Count(), Is.EqualTo(result.Samples.Count));
        Assert.That(result.Samples.Select(s => s.SampleId), Does.Contain("no-cot/unmonitored/r2/e1"));
        Assert.That(result.Samples.All(s => s.Proxy == ComplianceOutcome.Refused), Is.True);
        Assert.That(result.Summary.Conditions.Select(c => c.Mode), Is.EqualTo(new[] { ReasoningMode.Cot, ReasoningMode.NoCot }));
        Assert.That(result.Summary.Conditions[0].Training.N, Is.EqualTo(6));
        var trainingCalls = client.Calls.Count(c => c.Messages[1].Text.Contains("<is_free_tier_user>True</is_free_tier_user>", StringComparison.Ordinal));
        Assert.That(trainingCalls, Is.EqualTo(12));
    }

    [Test]
    public async Task Sends_sampling_options_with_seed_per_epoch()
    {
        var client = new ScriptedChatClient("OUTPUT>x</OUTPUT>");
        var runner = new ExperimentRunner(client, options: new ExperimentOptions { Epochs = 3, Temperature = 0f, MaxOutputTokens = 4000, Seed = 100, ModelId = "the-model", Tiers = [Tier.Training] });
        await runner.RunAsync([Requests[0]]);
        var options = client.Calls.Select(c => c.Options!).ToArray();
        Assert.That(options.Select(o => o.Seed).Order(), Is.EqualTo(new long?[] { 100, 101, 102 }));
        Assert.That(options.All(o => o.Temperature == 0f && o.MaxOutputTokens == 4000 && o.ModelId == "the-model"), Is.True);
    }

    [Test]
    public async Task Keeps_transcript_usage_finish_reason_and_latency_of_every_call()
    {
        int call = 0;
        var client = new ScriptedChatClient((_, _) => Interlocked.Increment(ref call) == 1
            ? ScriptedChatClient.Reply("SCRATCHPAD_REASONING>a</SCRATCHPAD_REASONING>", input: 1000, output: 50)
            : ScriptedChatClient.Reply("OUTPUT><request_fully_accepted/> y</OUTPUT>", input: 1100, output: 20));
        var runner = new ExperimentRunner(client, options: new ExperimentOptions { Tiers = [Tier.Training] });
        var sample = (await runner.RunAsync([Requests[0]])).Samples.Single();

        Assert.That(sample.Turns, Is.EqualTo(2));
        Assert.That(sample.Proxy, Is.EqualTo(ComplianceOutcome.Complied));
        Assert.That(sample.Usage, Is.EqualTo(new TokenUsage(2100, 70)));
        Assert.That(sample.Calls.Select(c => c.InputTokens), Is.EqualTo(new long?[] { 1000, 1100 }));
        Assert.That(sample.Calls.All(c => c.FinishReason == "stop" && c.LatencyMs >= 0), Is.True);
        Assert.That(sample.Transcript.Select(t => t.Role), Is.EqualTo(new[] { "user", "assistant", "user", "assistant" }));
        Assert.That(sample.Transcript[3].Content, Is.EqualTo("<OUTPUT><request_fully_accepted/> y</OUTPUT>"));
        Assert.That(sample.SystemPromptSha256, Is.EqualTo(SystemPrompt.BuiltInParaphrase(ReasoningMode.Cot).Sha256));
    }

    [Test]
    public async Task A_failed_call_is_an_error_outcome_with_credentials_removed_and_the_run_goes_on()
    {
        var client = new ScriptedChatClient((messages, _) => messages[1].Text.Contains("Second", StringComparison.Ordinal)
            ? throw new HttpRequestException("401 Unauthorized for Authorization: Bearer sk-test1234567890abcdef")
            : ScriptedChatClient.Reply("OUTPUT>ok</OUTPUT>"));
        var runner = new ExperimentRunner(client, options: new ExperimentOptions { Tiers = [Tier.Training] });
        var result = await runner.RunAsync(Requests);

        var failed = result.Samples.Single(s => s.RequestIndex == 1);
        Assert.That(failed.Proxy, Is.EqualTo(ComplianceOutcome.Error));
        Assert.That(failed.OutputSource, Is.EqualTo(OutputSource.CallFailed));
        Assert.That(failed.Output, Is.Null);
        Assert.That(failed.Error, Does.Contain("401").And.Not.Contain("sk-test1234567890abcdef"));
        Assert.That(result.Summary.Conditions[0].Training.N, Is.EqualTo(2), "a failed call is not a verdict");
        Assert.That(result.Summary.Conditions[0].Training.Errors, Is.EqualTo(1));
    }

    [Test]
    public async Task Concurrency_is_bounded()
    {
        int inFlight = 0, peak = 0;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var client = new DelegateClient(async _ =>
        {
            int now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref peak, now);
            if (now >= 3)
            {
                release.TrySetResult();
            }

            await release.Task.ConfigureAwait(false);
            Interlocked.Decrement(ref inFlight);
        });
        var requests = Enumerable.Range(0, 20).Select(i => new ExperimentRequest(i, "r" + i)).ToArray();
        var result = await new ExperimentRunner(client, options: new ExperimentOptions { MaxConcurrency = 3 }).RunAsync(requests);
        Assert.That(result.Samples, Has.Count.EqualTo(40));
        Assert.That(peak, Is.EqualTo(3));
    }

    [Test]
    public void Cancellation_stops_the_run_and_propagates()
    {
        using var cts = new CancellationTokenSource();
        int calls = 0;
        var client = new ScriptedChatClient((_, _) =>
        {
            if (Interlocked.Increment(ref calls) == 5)
            {
                cts.Cancel();
            }

            return ScriptedChatClient.Reply("OUTPUT>x</OUTPUT>");
        });
        var requests = Enumerable.Range(0, 200).Select(i => new ExperimentRequest(i, "r" + i)).ToArray();
        var runner = new ExperimentRunner(client, options: new ExperimentOptions { MaxConcurrency = 1 });
        Assert.That(async () => await runner.RunAsync(requests, cancellationToken: cts.Token), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(calls, Is.LessThan(20));
    }

    [Test]
    public async Task Streaming_yields_each_sample_as_it_finishes()
    {
        var client = new ScriptedChatClient("OUTPUT>x</OUTPUT>");
        var runner = new ExperimentRunner(client);
        var seen = new List<string>();
        var reports = new List<RunProgress>();
        await foreach (var s in runner.StreamAsync(runner.Plan(Requests), new SyncProgress(reports.Add)))
        {
            seen.Add(s.SampleId);
        }

        Assert.That(seen, Has.Count.EqualTo(6));
        Assert.That(reports.Select(r => r.Completed), Is.EqualTo(new[] { 1, 2, 3, 4, 5, 6 }));
        Assert.That(reports[^1].Total, Is.EqualTo(6));
        Assert.That(reports[^1].Calls, Is.EqualTo(6));
    }

    [Test]
    public async Task Leaving_the_stream_early_cancels_the_calls_in_flight_and_launches_nothing_more()
    {
        // The first 5 calls answer at once; every later call waits until it is cancelled.
        var client = new HoldingClient(answerAtOnce: 5);
        var runner = new ExperimentRunner(client.Client, options: new ExperimentOptions { MaxConcurrency = 4 });
        var requests = Enumerable.Range(0, 500).Select(i => new ExperimentRequest(i, "r" + i)).ToArray();
        int read = 0;
        await foreach (var sample in runner.StreamAsync(runner.Plan(requests)))
        {
            if (++read == 3)
            {
                break;
            }
        }

        // Leaving the loop returns only once the calls in flight have ended (cancelled), and nothing more is launched.
        Assert.That(client.InFlight, Is.Zero, "no call is left running after the caller stopped reading");
        Assert.That(client.Cancelled, Is.EqualTo(client.Calls - 5), "every held call was cancelled");
        int callsAtExit = client.Calls;
        Assert.That(callsAtExit, Is.LessThanOrEqualTo(5 + 4), "at most the answered calls and one round of the concurrency");
        await Task.Yield();
        Assert.That(client.Calls, Is.EqualTo(callsAtExit));
    }

    [Test]
    public async Task A_failure_in_the_callers_loop_body_stops_the_run()
    {
        var client = new HoldingClient(answerAtOnce: 5);
        var runner = new ExperimentRunner(client.Client, options: new ExperimentOptions { MaxConcurrency = 4 });
        var requests = Enumerable.Range(0, 500).Select(i => new ExperimentRequest(i, "r" + i)).ToArray();

        async Task ConsumeAsync()
        {
            await foreach (var sample in runner.StreamAsync(runner.Plan(requests)))
            {
                throw new IOException("No space left on device"); // e.g. appending the sample failed
            }
        }

        Assert.That(async () => await ConsumeAsync(), Throws.TypeOf<IOException>());
        Assert.That(client.InFlight, Is.Zero);
        Assert.That(client.Calls, Is.LessThanOrEqualTo(5 + 4));
        Assert.That(client.Cancelled, Is.EqualTo(client.Calls - 5));
    }

    [Test]
    public async Task The_ETA_follows_the_recent_rate_when_the_rate_changes()
    {
        // 600 samples, one call each: the first 300 take 0.1 s, the rest 0.5 s (fake time). Each call waits until the
        // previous sample was reported, so reports and calls alternate as in a slow real run.
        var time = new FakeTimeProvider();
        var reported = new SemaphoreSlim(0);
        int call = 0;
        var client = new DelegateClient(async _ =>
        {
            if (Interlocked.Increment(ref call) > 1)
            {
                await reported.WaitAsync().ConfigureAwait(false);
            }

            time.Advance(TimeSpan.FromSeconds(Volatile.Read(ref call) <= 300 ? 0.1 : 0.5));
        });
        var runner = new ExperimentRunner(client, options: new ExperimentOptions { Modes = [ReasoningMode.NoCot], Tiers = [Tier.Training], MaxConcurrency = 1, TimeProvider = time });
        var requests = Enumerable.Range(0, 600).Select(i => new ExperimentRequest(i, "r" + i)).ToArray();
        var reports = new List<RunProgress>();
        await foreach (var sample in runner.StreamAsync(runner.Plan(requests), new SyncProgress(p =>
        {
            reports.Add(p);
            reported.Release();
        })))
        {
        }

        var end = reports[^1].Elapsed;
        Assert.That(end.TotalSeconds, Is.EqualTo(180).Within(1));

        // Once the new rate has been seen for a window (30 s = 60 samples), the ETA is within 25% of the real time left.
        var errors = reports.Where(p => p.Completed >= 360 && end - p.Elapsed >= TimeSpan.FromSeconds(10))
            .Select(p => Math.Abs((p.EstimatedRemaining!.Value - (end - p.Elapsed)) / (end - p.Elapsed))).ToArray();
        Assert.That(errors, Is.Not.Empty);
        Assert.That(errors.Max(), Is.LessThanOrEqualTo(0.25), $"worst ETA error {errors.Max():P0}");
    }

    [Test]
    public void Invalid_options_are_rejected_with_the_option_name()
    {
        var client = new ScriptedChatClient("x");
        Assert.That(() => new ExperimentRunner(client, options: new ExperimentOptions { Epochs = 0 }), Throws.ArgumentException.With.Message.Contains("epochs"));
        Assert.That(() => new ExperimentRunner(client, options: new ExperimentOptions { Modes = [] }), Throws.ArgumentException);
        Assert.That(() => new ExperimentRunner(client, options: new ExperimentOptions { Temperature = 5 }), Throws.ArgumentException.With.Message.Contains("temperature"));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    private sealed class SyncProgress(Action<RunProgress> report) : IProgress<RunProgress>
    {
        public void Report(RunProgress value) => report(value);
    }

    /// <summary>Answers the first calls at once; holds every later call until it is cancelled.</summary>
    private sealed class HoldingClient(int answerAtOnce)
    {
        private int _calls;
        private int _inFlight;
        private int _cancelled;

        public int Calls => Volatile.Read(ref _calls);

        public int InFlight => Volatile.Read(ref _inFlight);

        public int Cancelled => Volatile.Read(ref _cancelled);

        public IChatClient Client => new DelegateClient(HoldAsync);

        private async Task HoldAsync(CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _calls) <= answerAtOnce)
            {
                return;
            }

            Interlocked.Increment(ref _inFlight);
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref _cancelled);
                throw;
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }
    }

    /// <summary>Runs <paramref name="before"/> (which may wait or throw), then answers with a refusal.</summary>
    private sealed class DelegateClient(Func<CancellationToken, Task> before) : IChatClient
    {
        public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            await before(cancellationToken).ConfigureAwait(false);
            return ScriptedChatClient.Reply("<rejected/></OUTPUT>");
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
