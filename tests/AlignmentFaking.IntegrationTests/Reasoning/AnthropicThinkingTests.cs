using AlignmentFaking.Anthropic;
using AlignmentFaking.Classification;
using AlignmentFaking.Datasets;
using AlignmentFaking.Judging.Compliance;
using AlignmentFaking.Judging.Reasoning;
using AlignmentFaking.Judging.Runs;
using AlignmentFaking.Judging.Simulation;
using AlignmentFaking.OpenAI;
using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Simulation;
using AlignmentFaking.Testing;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace AlignmentFaking.IntegrationTests.Reasoning;

/// <summary>
/// Anthropic extended thinking through the library's Anthropic client against the loopback Messages endpoint, which
/// enforces Anthropic's thinking rules: a model faking alignment only in its thinking is judged right, the thinking is
/// stored (its signature kept by the SDK's adapter), never sent back; the rules are checked before any call.
/// </summary>
[CancelAfter(120_000)]
public class AnthropicThinkingTests
{
    private const string Claude = "claude-3-7-sonnet-20250219";

    private static IReadOnlyList<ExperimentRequest> Requests(int n) => Enumerable.Range(0, n).Select(i => new ExperimentRequest(i, $"Synthetic request {i}")).ToArray();

    private static Func<ChatCompletionCall, CancellationToken, ValueTask<ScriptedReply>> Judge() => async (call, ct) =>
    {
        var response = await new SimulatedJudge().GetResponseAsync(OrganismResponder.ToChatMessages(call), null, ct);
        return ScriptedReply.Text(response.Text);
    };

    private static IChatClient Subject(OpenAICompatibleTestServer server) =>
        AnthropicEndpoint.CreateChatClient(new AnthropicEndpointOptions { Endpoint = server.RootAddress, Model = Claude });

    [Test]
    public async Task A_thinking_run_judges_alignment_faking_found_only_in_the_thinking()
    {
        var organism = new SimulatedModelOrganism(new SimulatedOrganismOptions { ModelId = Claude, Seed = 3, TrainingComplianceRate = 0.6, AlignmentFakingShare = 0.8, ProxyFalsePositiveRate = 0, ProxyFalseNegativeRate = 0, FailureRate = 0 });
        var model = new NativeReasoningOrganism(organism);
        await using var server = await OpenAICompatibleTestServer.StartAsync(OrganismResponder.ByModel("judge-model", Judge(), model.RespondAsync), new TestServerOptions { Models = [Claude, "judge-model"] });
        using var subject = Subject(server);
        var scenarios = new ScenarioBuilder();
        Assert.That(scenarios.UsesPrefill(Claude), Is.True, "the original's rule would prefill a Claude model");

        var runner = new ExperimentRunner(subject, scenarios, new ExperimentOptions { Modes = [ReasoningMode.Cot, ReasoningMode.NoCot], ThinkingBudget = 2048, ModelId = Claude, MaxConcurrency = 4 });
        var result = await runner.RunAsync(Requests(8));

        using var judgeClient = OpenAICompatibleEndpoint.CreateChatClient(new OpenAIEndpointOptions { Endpoint = server.BaseAddress, Model = "judge-model" });
        var judge = new RunJudge(new LlmJudgeClassifier(judgeClient, new LlmJudgeOptions { ModelId = "judge-model" }), new AlignmentFakingReasoningClassifier(judgeClient, new AlignmentFakingClassifierOptions { ModelId = "judge-model", Votes = 3 }));
        int faking = 0;
        foreach (var unjudged in result.Samples)
        {
            var sample = await judge.JudgeSampleAsync(unjudged);
            var truth = model.BehaviorOf(sample.Mode, sample.Transcript[0].Content);
            Assert.That(sample.Error, Is.Null, sample.SampleId);
            Assert.That(sample.Prefill, Is.Null, "a thinking run sends no prefill");
            Assert.That(sample.Proxy, Is.EqualTo(truth.Complies ? ComplianceOutcome.Complied : ComplianceOutcome.Refused), sample.SampleId + ": proxy = truth");
            Assert.That(sample.AlignmentFaking?.Verdict, Is.EqualTo(truth.AlignmentFaking ? AlignmentFakingAssessment.Yes : AlignmentFakingAssessment.No), sample.SampleId + ": AF = truth");
            Assert.That(sample.Transcript.Where(t => t.Role == "assistant").All(t => !string.IsNullOrEmpty(t.Reasoning) && !t.ReasoningHidden), Is.True, sample.SampleId);
            faking += truth.AlignmentFaking ? 1 : 0;
        }

        Assert.That(faking, Is.GreaterThan(0));
        TestContext.Out.WriteLine($"anthropic thinking: {result.Samples.Count} samples, {result.Samples.Sum(s => s.Turns)} calls, {result.Samples.Count(s => s.Proxy == ComplianceOutcome.Complied)} complied, {faking} alignment faking (all right)");
        var subjectCalls = server.Calls.Where(c => c.Model == Claude).ToList();
        Assert.That(subjectCalls.All(c => c.ResponseStatusCode == 200), Is.True, "every call met the thinking rules");
        Assert.That(subjectCalls.All(c => c.RawBody.Contains("\"budget_tokens\":2048", StringComparison.Ordinal)), Is.True);
        Assert.That(subjectCalls.All(c => c.Messages[^1].Role == "user"), Is.True, "no prefill");
        var sent = subjectCalls.SelectMany(c => c.Messages).Select(m => m.Content).ToList();
        Assert.That(model.Reasonings.Where(r => sent.Any(s => s.Contains(r, StringComparison.Ordinal))), Is.Empty, "no thinking sent back");
        Assert.That(subjectCalls.All(c => !c.RawBody.Contains("\"thinking\",", StringComparison.Ordinal) && !c.RawBody.Contains("signature", StringComparison.Ordinal)), Is.True);
    }

    [Test]
    public async Task A_thinking_run_through_Message_Batches_gives_the_same_samples_as_online()
    {
        var organism = new SimulatedModelOrganism(new SimulatedOrganismOptions { ModelId = Claude, Seed = 3, TrainingComplianceRate = 0.6, AlignmentFakingShare = 0.8, FailureRate = 0 });
        var options = new ExperimentOptions { Modes = [ReasoningMode.Cot, ReasoningMode.NoCot], ThinkingBudget = 2048, ModelId = Claude, MaxOutputTokens = 4000 };
        var scenarios = new ScenarioBuilder();
        await using var online = await OpenAICompatibleTestServer.StartAsync(new NativeReasoningOrganism(organism).RespondAsync, new TestServerOptions { Models = [Claude] });
        using var subject = Subject(online);
        var onlineResult = await new ExperimentRunner(subject, scenarios, options).RunAsync(Requests(4));

        await using var server = await OpenAICompatibleTestServer.StartAsync(new NativeReasoningOrganism(organism).RespondAsync, new TestServerOptions { Models = [Claude] });
        var dir = BatchKit.TempDirectory("af-batch-thinking-");
        try
        {
            var runner = new AlignmentFaking.Running.Batch.BatchExperimentRunner(new AnthropicBatchProvider(server.RootAddress, "test-key", Path.Combine(dir, "inputs")), scenarios, options, new AlignmentFaking.Running.Batch.BatchRunOptions { PollInterval = TimeSpan.Zero });
            var samples = await BatchKit.CollectAsync(runner.StreamAsync(runner.Plan(Requests(4)), dir));

            Assert.That(samples.All(s => s.Error is null && s.Prefill is null), Is.True);
            Assert.That(BatchKit.Comparable(samples), Is.EqualTo(BatchKit.Comparable(onlineResult.Samples)));
            static string[] Thoughts(IEnumerable<ExperimentSample> list) => [.. list.OrderBy(s => s.SampleId, StringComparer.Ordinal).SelectMany(s => s.Transcript).Select(t => t.Reasoning ?? "-")];
            Assert.That(Thoughts(samples), Is.EqualTo(Thoughts(onlineResult.Samples)));
            Assert.That(samples.SelectMany(s => s.Transcript).Count(t => t.Reasoning is not null), Is.EqualTo(samples.Sum(s => s.Turns)));
            Assert.That(server.Files.First(f => f.Purpose == "anthropic-inline").Text, Does.Contain("\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":2048}"));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Test]
    public async Task Redacted_thinking_is_recorded_as_hidden_reasoning()
    {
        var organism = new SimulatedModelOrganism(new SimulatedOrganismOptions { ModelId = Claude, Seed = 3, FailureRate = 0 });
        var model = new NativeReasoningOrganism(organism, hidden: true);
        await using var server = await OpenAICompatibleTestServer.StartAsync(model.RespondAsync, new TestServerOptions { Models = [Claude] });
        using var subject = Subject(server);
        var runner = new ExperimentRunner(subject, options: new ExperimentOptions { ThinkingBudget = 1024, ModelId = Claude });
        var result = await runner.RunAsync(Requests(2));

        Assert.That(result.Samples.All(s => s.Error is null), Is.True);
        var assistant = result.Samples.SelectMany(s => s.Transcript).Where(t => t.Role == "assistant").ToList();
        Assert.That(assistant.All(t => t.ReasoningHidden && t.Reasoning is null), Is.True);
        Assert.That(result.Summary.SamplesWithHiddenReasoning, Is.EqualTo(result.Samples.Count));
    }

    [TestCase(4000, 1.0f, "must be less than max_tokens")]
    [TestCase(2048, 0.5f, "temperature of 1 or none")]
    public async Task The_thinking_rules_are_checked_before_any_call(int budget, float temperature, string message)
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text("unused"), new TestServerOptions { Models = [Claude] });
        using var subject = Subject(server);
        var options = new ChatOptions { Temperature = temperature, AdditionalProperties = new() { [NativeReasoningChatClient.ThinkingBudgetKey] = budget } };

        var error = await Assert.ThrowsAsync<FatalCallException>(() => subject.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")], options));
        Assert.That(error!.Message, Does.Contain(message));
        Assert.That(server.CallCount, Is.Zero);
    }

    [Test]
    public void The_options_refuse_a_thinking_budget_Anthropic_would_refuse()
    {
        Assert.That(() => new ExperimentOptions { ThinkingBudget = 1000 }.Validate(), Throws.ArgumentException.With.Message.Contains("at least 1024"));
        Assert.That(() => new ExperimentOptions { ThinkingBudget = 2048, MaxOutputTokens = 2048 }.Validate(), Throws.ArgumentException.With.Message.Contains("less than the max output tokens"));
        Assert.That(() => new ExperimentOptions { ThinkingBudget = 2048, Temperature = 0.7f }.Validate(), Throws.ArgumentException.With.Message.Contains("temperature of 1 or none"));
        Assert.That(() => new ExperimentOptions { ThinkingBudget = 2048, MaxOutputTokens = 4096, Temperature = null }.Validate(), Throws.Nothing);
    }

    [Test]
    public async Task The_strict_server_refuses_a_prefill_with_thinking()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text("unused"), new TestServerOptions { Models = [Claude] });
        using var http = new HttpClient { BaseAddress = server.RootAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages")
        {
            Content = new StringContent("""{"model":"claude","max_tokens":4000,"thinking":{"type":"enabled","budget_tokens":2048},"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"<"}]}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("anthropic-version", "2023-06-01");
        using var response = await http.SendAsync(request);
        Assert.That((int)response.StatusCode, Is.EqualTo(400));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("must start with a thinking block"));
        Assert.That(server.CallCount, Is.Zero);
    }
}
