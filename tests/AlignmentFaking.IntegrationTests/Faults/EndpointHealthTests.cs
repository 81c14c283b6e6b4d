using System.Net;
using System.Net.Sockets;
using AlignmentFaking.Classification;
using AlignmentFaking.Datasets;
using AlignmentFaking.OpenAI;
using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Simulation;
using AlignmentFaking.Storage;
using AlignmentFaking.Testing;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;

namespace AlignmentFaking.IntegrationTests.Faults;

/// <summary>
/// Endpoints that are not there, not the API, or go away mid-run; replies the OpenAI client cannot read. Through the real
/// OpenAI client against the loopback server.
/// </summary>
[CancelAfter(120_000)]
public class EndpointHealthTests
{
    private const string Model = "meta-llama/Meta-Llama-3.1-8B-Instruct";
    private string _dir = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "af-health-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, true);

    [TestCase("finish", "{\"id\":\"c\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"<OUTPUT>x</OUTPUT>\"},\"finish_reason\":\"error\"}]}", "ChatFinishReason")]
    [TestCase("content-part", "{\"id\":\"c\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":[{\"type\":\"hologram\",\"text\":\"x\"}]},\"finish_reason\":\"stop\"}]}", "ChatMessageContentPartKind")]
    public async Task A_well_formed_reply_the_client_cannot_read_is_permanent_and_not_retried(string name, string body, string cause)
    {
        // Every call on the first request gets the unreadable reply; the others are answered.
        var plan = new FaultPlan().When(c => c.Messages[^2].Content.Contains("request 0", StringComparison.Ordinal) || c.Messages[1].Content.Contains("request 0.", StringComparison.Ordinal), ScriptedReply.RawBody(body));
        await using var server = await OpenAICompatibleTestServer.StartAsync(plan.Wrap(ScriptedReply.Text("<rejected/></OUTPUT>")), new TestServerOptions { Models = [Model] });
        using var subject = OpenAICompatibleEndpoint.CreateChatClient(new OpenAIEndpointOptions { Endpoint = server.BaseAddress, Model = Model, ApiKey = "k", Resilience = new ModelResilienceOptions { Retry = new RetryOptions { MaxRetries = 3, BaseDelay = TimeSpan.FromMilliseconds(1) } } });
        var runner = new ExperimentRunner(subject, new ScenarioBuilder(), new ExperimentOptions { Modes = [ReasoningMode.NoCot], Tiers = [Tier.Training], ModelId = Model });
        var result = await runner.RunAsync(RequestDataset.FromList(["Synthetic request 0.", "Synthetic request 1."]));

        var failed = result.Samples.Single(s => s.RequestIndex == 0);
        Assert.That(failed.Proxy, Is.EqualTo(ComplianceOutcome.Error), name);
        Assert.That(failed.Error, Does.Contain(cause));
        Assert.That(plan.FaultsInjected, Is.EqualTo(1), "a reply the client deterministically rejects is not asked for again");
        Assert.That(result.Samples.Single(s => s.RequestIndex == 1).Proxy, Is.EqualTo(ComplianceOutcome.Refused));
    }

    [Test]
    public async Task An_endpoint_that_goes_away_mid_run_pauses_the_run_and_it_resumes_when_it_is_back()
    {
        var organism = new SimulatedModelOrganism(new SimulatedOrganismOptions { ModelId = Model });
        var responder = OrganismResponder.For(organism);
        var first = await OpenAICompatibleTestServer.StartAsync(responder, new TestServerOptions { Models = [Model], Latency = TimeSpan.FromMilliseconds(20) });
        int port = first.BaseAddress.Port;
        var time = new FakeTimeProvider(); // the breaker's clock: the test decides when it probes
        var opened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new List<string>();
        using var subject = OpenAICompatibleEndpoint.CreateChatClient(new OpenAIEndpointOptions
        {
            Endpoint = first.BaseAddress,
            Model = Model,
            ApiKey = "k",
            Resilience = new ModelResilienceOptions
            {
                Retry = new RetryOptions { MaxRetries = 2, BaseDelay = TimeSpan.FromMilliseconds(1) },
                CircuitBreaker = new CircuitBreakerOptions
                {
                    TimeProvider = time,
                    OnStateChanged = m =>
                    {
                        lock (log)
                        {
                            log.Add(m);
                        }

                        if (m.Contains("stopped answering", StringComparison.Ordinal))
                        {
                            opened.TrySetResult();
                        }
                    },
                },
            },
        });
        var runner = new ExperimentRunner(subject, new ScenarioBuilder(), new ExperimentOptions { Modes = [ReasoningMode.NoCot], MaxConcurrency = 4, ModelId = Model });
        var run = runner.RunAsync(RequestDataset.FromList(Enumerable.Range(0, 30).Select(i => $"Synthetic request {i}.")));

        // It answers for a while, then goes away (the port refuses connections).
        await first.WaitForCallsAsync(10, TimeSpan.FromSeconds(30));
        int answeredBefore = first.CallCount;
        await first.DisposeAsync();
        await opened.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That(run.IsCompleted, Is.False, "the run waits while the endpoint is away");

        // It comes back on the same port; a probe finds it (the breaker's clock moves on until one does).
        await using var second = await OpenAICompatibleTestServer.StartAsync(responder, new TestServerOptions { Models = [Model], Port = port });
        for (int i = 0; i < 600 && !run.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(50);
        }

        var result = await run.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(result.Samples, Has.Count.EqualTo(60));
        Assert.That(result.Samples.Select(s => s.SampleId).Distinct().Count(), Is.EqualTo(60));
        Assert.That(result.Samples.Where(s => s.Proxy == ComplianceOutcome.Error).Select(s => s.Error), Is.Empty, "no sample was spent while the endpoint was away");
        Assert.That(second.CallCount, Is.GreaterThan(0));
        Assert.That(answeredBefore + second.CallCount, Is.GreaterThanOrEqualTo(60));
        Assert.That(log[^1], Does.Contain("answers again"));
    }
}
