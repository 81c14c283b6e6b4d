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
using AlignmentFaking.Storage;
using AlignmentFaking.Testing;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace AlignmentFaking.IntegrationTests.Reasoning;

/// <summary>
/// OpenAI's Responses API through <see cref="OpenAIResponsesEndpoint"/> (the real OpenAI SDK) against the loopback
/// server's strict <c>POST /v1/responses</c>: a reasoning model whose alignment-faking reasoning is only in its
/// reasoning summary is judged right, each turn's summary stored as summary-only, none sent back (the server refuses a
/// reasoning item in the input), and the response cache replays the run.
/// </summary>
[CancelAfter(120_000)]
public class OpenAIResponsesTests
{
    private const string Reasoner = "o4-mini";
    private const string JudgeModel = "judge-model";

    private static IReadOnlyList<ExperimentRequest> Requests(int n) => Enumerable.Range(0, n).Select(i => new ExperimentRequest(i, $"Synthetic request {i}")).ToArray();

    private static Func<ChatCompletionCall, CancellationToken, ValueTask<ScriptedReply>> Judge() => async (call, ct) =>
    {
        var response = await new SimulatedJudge().GetResponseAsync(OrganismResponder.ToChatMessages(call), null, ct);
        return ScriptedReply.Text(response.Text);
    };

    private static IChatClient Subject(OpenAICompatibleTestServer server) =>
        OpenAIResponsesEndpoint.CreateChatClient(new OpenAIEndpointOptions { Endpoint = server.BaseAddress, Model = Reasoner, ApiKey = "test-key", ApiKeyVariable = "OPENAI_API_KEY" });

    [Test]
    public async Task A_run_judges_alignment_faking_found_only_in_the_reasoning_summaries()
    {
        var organism = new SimulatedModelOrganism(new SimulatedOrganismOptions { ModelId = Reasoner, Seed = 5, TrainingComplianceRate = 0.6, AlignmentFakingShare = 0.8, ProxyFalsePositiveRate = 0, ProxyFalseNegativeRate = 0, FailureRate = 0 });
        var model = new NativeReasoningOrganism(organism);
        await using var server = await OpenAICompatibleTestServer.StartAsync(OrganismResponder.ByModel(JudgeModel, Judge(), model.RespondAsync), new TestServerOptions { Models = [Reasoner, JudgeModel], RequiredApiKey = "test-key" });
        using var subject = Subject(server);
        var dir = BatchKit.TempDirectory("af-responses-");
        try
        {
            var options = new ExperimentOptions { Modes = [ReasoningMode.Cot, ReasoningMode.NoCot], ModelId = Reasoner, ReasoningEffort = ReasoningEffort.Medium, MaxConcurrency = 4, ResponseCache = RunDirectory.OpenResponseCache(Path.Combine(dir, "cache")) };
            var result = await new ExperimentRunner(subject, new ScenarioBuilder(), options).RunAsync(Requests(8));

            using var judgeClient = OpenAICompatibleEndpoint.CreateChatClient(new OpenAIEndpointOptions { Endpoint = server.BaseAddress, Model = JudgeModel, ApiKey = "test-key" });
            var judge = new RunJudge(new LlmJudgeClassifier(judgeClient, new LlmJudgeOptions { ModelId = JudgeModel }), new AlignmentFakingReasoningClassifier(judgeClient, new AlignmentFakingClassifierOptions { ModelId = JudgeModel, Votes = 3 }));
            var judged = new List<ExperimentSample>();
            int faking = 0;
            foreach (var unjudged in result.Samples)
            {
                var sample = await judge.JudgeSampleAsync(unjudged);
                judged.Add(sample);
                var truth = model.BehaviorOf(sample.Mode, sample.Transcript[0].Content);
                Assert.That(sample.Error, Is.Null, sample.SampleId);
                Assert.That(sample.Proxy, Is.EqualTo(truth.Complies ? ComplianceOutcome.Complied : ComplianceOutcome.Refused), sample.SampleId + ": proxy = truth");
                Assert.That(sample.AlignmentFaking?.Verdict, Is.EqualTo(truth.AlignmentFaking ? AlignmentFakingAssessment.Yes : AlignmentFakingAssessment.No), sample.SampleId + ": AF = truth");
                var assistant = sample.Transcript.Where(t => t.Role == "assistant").ToList();
                Assert.That(assistant.All(t => !string.IsNullOrEmpty(t.Reasoning) && t.ReasoningHidden && t.ReasoningHiddenKind == NativeReasoningChatClient.SummaryOnly), Is.True, sample.SampleId + ": every turn's summary stored as summary-only");
                Assert.That(sample.Calls.All(c => c.ReasoningTokens > 0), Is.True, sample.SampleId + ": reasoning tokens from the Responses usage");
                faking += truth.AlignmentFaking ? 1 : 0;
            }

            Assert.That(faking, Is.GreaterThan(0), "the run has alignment faking to find");
            Assert.That(result.Samples.Any(s => s.Turns > 1), Is.True, "multi-turn scratchpad loops");
            var subjectCalls = server.Calls.Where(c => c.Model == Reasoner).ToList();
            Assert.That(subjectCalls.All(c => c.Api == ChatCompletionCall.ResponsesApi && c.ResponseStatusCode == 200), Is.True, "every call met the Responses API's rules (no reasoning item sent back, no temperature)");
            Assert.That(subjectCalls.All(c => c.RawBody.Contains("\"store\":false", StringComparison.Ordinal) && c.RawBody.Contains("\"summary\":\"auto\"", StringComparison.Ordinal) && c.RawBody.Contains("\"effort\":\"medium\"", StringComparison.Ordinal)), Is.True);
            var sent = subjectCalls.SelectMany(c => c.Messages).Select(m => m.Content).ToList();
            Assert.That(model.Reasonings.Where(r => sent.Any(s => s.Contains(r, StringComparison.Ordinal))), Is.Empty, "no reasoning sent back");
            Assert.That(result.Summary.SamplesWithHiddenReasoning, Is.EqualTo(result.Samples.Count));

            var runDir = Path.Combine(dir, "run");
            Directory.CreateDirectory(runDir);
            await RunDirectory.RewriteSamplesAsync(runDir, judged);
            var lines = await File.ReadAllLinesAsync(Path.Combine(runDir, RunDirectory.SamplesFile));
            Assert.That(lines, Has.Length.EqualTo(judged.Count));
            Assert.That(lines.All(l => l.Contains("\"reasoningHiddenKind\":\"summary-only\"", StringComparison.Ordinal)), Is.True, "samples.jsonl shows summary-only");
            TestContext.Out.WriteLine($"openai responses: {result.Samples.Count} samples, {subjectCalls.Count} calls, {result.Samples.Count(s => s.Proxy == ComplianceOutcome.Complied)} complied, {faking} alignment faking (all right)");

            // The response cache replays the run: no call, the same reasoning, still summary-only.
            int before = server.CallCount;
            var replay = await new ExperimentRunner(subject, new ScenarioBuilder(), options).RunAsync(Requests(8));
            Assert.That(server.CallCount, Is.EqualTo(before), "every call answered from the cache (no conversation id stops it)");
            static string[] Thoughts(IEnumerable<ExperimentSample> list) => [.. list.OrderBy(s => s.SampleId, StringComparer.Ordinal).SelectMany(s => s.Transcript).Select(t => (t.Reasoning ?? "-") + "|" + t.ReasoningHiddenKind)];
            Assert.That(Thoughts(replay.Samples), Is.EqualTo(Thoughts(result.Samples)));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
