using AlignmentFaking.Datasets;
using AlignmentFaking.IntegrationTests.Server;
using AlignmentFaking.OpenAI;
using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Testing;
using NUnit.Framework;

namespace AlignmentFaking.IntegrationTests.Faults;

/// <summary>A caller that stops reading <see cref="ExperimentRunner.StreamAsync"/> stops the calls to the server.</summary>
[CancelAfter(60_000)]
public class StreamStopTests
{
    private const string Model = "stream-stop-model";

    [Test]
    public async Task Leaving_the_stream_early_cancels_the_server_calls_and_sends_no_more()
    {
        // The first 6 calls are answered at once; later ones would take 30 s.
        var plan = new FaultPlan().When(c => c.Sequence > 6, ScriptedReply.Text("<rejected/></OUTPUT>").WithDelay(TimeSpan.FromSeconds(30)));
        await using var server = await OpenAICompatibleTestServer.StartAsync(plan.Wrap(ScriptedReply.Text("<rejected/></OUTPUT>")), new TestServerOptions { Models = [Model] });
        using var subject = OpenAICompatibleEndpoint.CreateChatClient(new OpenAIEndpointOptions { Endpoint = server.BaseAddress, Model = Model, ApiKey = "k", Resilience = new ModelResilienceOptions { Retry = new RetryOptions { MaxRetries = 0 } } });
        var runner = new ExperimentRunner(subject, new ScenarioBuilder(), new ExperimentOptions { Modes = [ReasoningMode.NoCot], MaxConcurrency = 4, ModelId = Model });
        var work = runner.Plan(RequestDataset.FromList(Enumerable.Range(0, 200).Select(i => "request " + i)));
        int read = 0;
        await foreach (var sample in runner.StreamAsync(work))
        {
            if (++read == 3)
            {
                break;
            }
        }

        int callsAtExit = server.CallCount;
        Assert.That(callsAtExit, Is.LessThanOrEqualTo(6 + 4), "at most the answered calls and one round of the concurrency");
        await FaultTests.WaitUntilAsync(() => server.InFlightRequests == 0);
        Assert.That(server.Calls.Where(c => c.Sequence > 6).Select(c => c.Outcome), Is.All.EqualTo(CallOutcome.Cancelled));
        Assert.That(server.CallCount, Is.EqualTo(callsAtExit), "no call was launched after the caller stopped reading");
    }
}
