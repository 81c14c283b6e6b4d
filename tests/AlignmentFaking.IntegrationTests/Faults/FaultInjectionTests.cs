using AlignmentFaking.Classification;
using AlignmentFaking.Datasets;
using AlignmentFaking.OpenAI;
using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Simulation;
using AlignmentFaking.Storage;
using AlignmentFaking.Testing;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace AlignmentFaking.IntegrationTests.Faults;

/// <summary>
/// Faults injected by the loopback server reach the real OpenAI client and our retry pipeline; the run completes with
/// every sample exactly once and counts equal to what the server answered.
/// </summary>
public class FaultInjectionTests
{
    private const string Model = "meta-llama/Meta-Llama-3.1-8B-Instruct";

    private static IChatClient Subject(OpenAICompatibleTestServer server, int maxRetries = 6) =>
        OpenAICompatibleEndpoint.CreateChatClient(new OpenAIEndpointOptions
        {
            Endpoint = server.BaseAddress,
            Model = Model,
            ApiKey = "test-key",
            ApiKeyVariable = "AF_API_KEY",
            Resilience = new ModelResilienceOptions { Retry = new RetryOptions { MaxRetries = maxRetries, BaseDelay = TimeSpan.FromMilliseconds(1), AttemptTimeout = TimeSpan.FromSeconds(2) } },
        });

    [Test]
    public async Task A_run_survives_429s_500s_dropped_connections_malformed_bodies_empty_choices_and_slow_replies()
    {
        var organism = new SimulatedModelOrganism(new SimulatedOrganismOptions { ModelId = Model, TrainingComplianceRate = 0.5 });
        var plan = new FaultPlan()
            .FailFirst(3, ScriptedReply.TooManyRequests().WithHeader("retry-after-ms", "5"))
            .OnCall(6, ScriptedReply.ServerError())
            .OnCall(8, ScriptedReply.DropConnection())
            .OnCall(10, ScriptedReply.MalformedJson())
            .OnCall(12, ScriptedReply.EmptyChoices())
            .OnCall(14, ScriptedReply.DropConnection(afterPartialBody: true))
            .OnCall(16, ScriptedReply.TruncatedJson())
            .OnCall(18, ScriptedReply.ServiceUnavailable(TimeSpan.Zero))
            .OnCall(20, ScriptedReply.Text("too late").WithDelay(TimeSpan.FromSeconds(30)));
        await using var server = await OpenAICompatibleTestServer.StartAsync(plan.Wrap(OrganismResponder.For(organism)), new TestServerOptions { Models = [Model] });
        using var subject = Subject(server);
        var requests = RequestDataset.FromList(Enumerable.Range(0, 8).Select(i => $"Synthetic request {i}"));
        var runner = new ExperimentRunner(subject, new ScenarioBuilder(), new ExperimentOptions { Modes = [ReasoningMode.Cot, ReasoningMode.NoCot], MaxConcurrency = 4, ModelId = Model });

        var result = await runner.RunAsync(requests);

        Assert.That(plan.FaultsInjected, Is.EqualTo(11));
        Assert.That(server.Calls.Single(c => c.Sequence == 20).Outcome, Is.Not.EqualTo(CallOutcome.Answered), "the slow attempt was abandoned at the attempt timeout and retried");
        Assert.That(result.Samples, Has.Count.EqualTo(8 * 2 * 2));
        Assert.That(result.Samples.Select(s => s.SampleId).Distinct().Count(), Is.EqualTo(result.Samples.Count));
        Assert.That(result.Samples.Where(s => s.Proxy == ComplianceOutcome.Error).Select(s => s.Error), Is.Empty);
        var answered = server.Calls.Count(c => c.Outcome == CallOutcome.Answered && c.ResponseStatusCode == 200 && c.Reply?.Kind == ScriptedReplyKind.Completion && !c.Reply.DropAfterPartialBody);
        Assert.That(answered, Is.EqualTo(result.Samples.Sum(s => s.Turns)), "every answered call belongs to exactly one sample turn");
        foreach (var sample in result.Samples)
        {
            var first = server.Calls.First(c => c.Reply?.Kind == ScriptedReplyKind.Completion && c.Messages[1].Content == sample.Transcript[0].Content && c.Messages.Count <= 3 && (c.Messages[^1].Content == "<OUTPUT>") == (sample.Mode == ReasoningMode.NoCot));
            Assert.That(sample.Proxy, Is.EqualTo(organism.Describe(OrganismResponder.ToChatMessages(first)).ExpectedProxy), sample.SampleId);
        }
    }

    [Test]
    public async Task Exhausted_retries_become_an_error_sample_not_a_verdict()
    {
        var plan = new FaultPlan().WhenLastMessageContains("<OUTPUT>", ScriptedReply.ServerError());
        await using var server = await OpenAICompatibleTestServer.StartAsync(plan.Wrap(ScriptedReply.Text("\n<rejected/>\n</OUTPUT>")), new TestServerOptions { Models = [Model] });
        using var subject = Subject(server, maxRetries: 2);
        var runner = new ExperimentRunner(subject, new ScenarioBuilder(), new ExperimentOptions { Modes = [ReasoningMode.NoCot], ModelId = Model });
        var result = await runner.RunAsync(RequestDataset.FromList(["a", "b"]));

        Assert.That(result.Samples, Has.Count.EqualTo(4));
        Assert.That(result.Samples.All(s => s.Proxy == ComplianceOutcome.Error && s.Output is null), Is.True);
        Assert.That(server.CallCount, Is.EqualTo(4 * 3), "one attempt and two retries per sample");
        Assert.That(result.Summary.Conditions[0].Training.N, Is.Zero);
        Assert.That(result.Summary.Conditions[0].Training.Errors, Is.EqualTo(2));
    }

    [Test]
    public async Task A_401_is_fatal_and_stops_launching()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text("x"), new TestServerOptions { Models = [Model], RequiredApiKey = "the-right-key" });
        using var subject = Subject(server);
        var runner = new ExperimentRunner(subject, new ScenarioBuilder(), new ExperimentOptions { MaxConcurrency = 2, ModelId = Model });
        var requests = RequestDataset.FromList(Enumerable.Range(0, 50).Select(i => "r" + i));
        Assert.That(async () => await runner.RunAsync(requests), Throws.TypeOf<FatalCallException>().With.Message.Contains("AF_API_KEY"));
        Assert.That(server.CallCount, Is.LessThanOrEqualTo(2));
    }
}
