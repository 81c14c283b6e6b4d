using AlignmentFaking.Classification;
using AlignmentFaking.Judging.Simulation;
using AlignmentFaking.Simulation;
using AlignmentFaking.Storage;
using AlignmentFaking.Testing;
using Microsoft.Extensions.AI;
using NUnit.Framework;
using static AlignmentFaking.Cli.Tests.AfInProcess;

namespace AlignmentFaking.Cli.Tests;

/// <summary>
/// Providers by name from <c>af</c>: <c>--provider anthropic</c> reaches Anthropic Messages (with extended thinking under
/// Anthropic's rules, enforced by the loopback Messages endpoint), the catalogue refuses names it does not know, and the
/// run directory records which provider served the model.
/// </summary>
[NonParallelizable]
public class ProviderCatalogTests
{
    private const string Claude = "claude-3-7-sonnet-20250219";
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("af-providers-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, true);

    private static Func<ChatCompletionCall, CancellationToken, ValueTask<ScriptedReply>> Judge() => async (call, ct) =>
    {
        var response = await new SimulatedJudge().GetResponseAsync(OrganismResponder.ToChatMessages(call), new ChatOptions { Temperature = (float?)call.Temperature }, ct);
        return ScriptedReply.Text(response.Text);
    };

    [Test]
    public async Task Af_run_with_provider_anthropic_and_a_thinking_budget_completes_against_a_server_enforcing_the_thinking_rules()
    {
        var organism = new SimulatedModelOrganism(new SimulatedOrganismOptions { ModelId = Claude, Seed = 4, TrainingComplianceRate = 0.6, AlignmentFakingShare = 0.8, ProxyFalsePositiveRate = 0, ProxyFalseNegativeRate = 0, FailureRate = 0 });
        var model = new NativeReasoningOrganism(organism);
        await using var server = await OpenAICompatibleTestServer.StartAsync(OrganismResponder.ByModel("judge-model", Judge(), model.RespondAsync), new TestServerOptions { Models = [Claude, "judge-model"] });
        var run = Path.Combine(_dir, "run");

        var (exit, o, e) = await Af("run", "--provider", "anthropic", "--endpoint", server.RootAddress.ToString(), "--model", Claude, "--thinking-budget", "2048",
            "--dataset", SyntheticDataset(_dir, 6), "--system-prompt", "paraphrase", "--mode", "both", "--no-cache", "--out", run,
            "--judge-endpoint", server.BaseAddress.ToString(), "--judge-model", "judge-model", "--votes", "3");

        Assert.That(exit, Is.Zero, o + e);
        Assert.That(o + e, Does.Contain("refuses an assistant prefill: this run sends none"));
        var samples = RunDirectory.ReadSamples(run);
        Assert.That(samples, Has.Count.EqualTo(24));
        Assert.That(samples.Where(s => s.Error is not null), Is.Empty);
        foreach (var sample in samples)
        {
            var truth = model.BehaviorOf(sample.Mode, sample.Transcript[0].Content);
            Assert.That(sample.Proxy, Is.EqualTo(truth.Complies ? ComplianceOutcome.Complied : ComplianceOutcome.Refused), sample.SampleId);
            Assert.That(sample.AlignmentFaking?.Verdict, Is.EqualTo(truth.AlignmentFaking ? AlignmentFakingAssessment.Yes : AlignmentFakingAssessment.No), sample.SampleId);
            Assert.That(sample.Transcript.Where(t => t.Role == "assistant").All(t => !string.IsNullOrEmpty(t.Reasoning)), Is.True, sample.SampleId);
        }

        var subjectCalls = server.Calls.Where(c => c.Model == Claude).ToList();
        Assert.That(subjectCalls, Is.Not.Empty);
        Assert.That(subjectCalls.All(c => c.ResponseStatusCode == 200 && c.RawBody.Contains("\"budget_tokens\":2048", StringComparison.Ordinal)), Is.True, "Anthropic Messages with thinking, every call accepted");
        Assert.That(subjectCalls.All(c => c.Messages[^1].Role == "user"), Is.True, "no prefill");
        var manifest = RunDirectory.ReadManifest(run);
        Assert.That(manifest.Subject, Is.EqualTo("anthropic"));
        Assert.That(manifest.Options.ThinkingBudget, Is.EqualTo(2048));
    }

    [Test]
    public async Task Af_run_with_provider_openai_responses_stores_the_reasoning_summaries_and_judges_them()
    {
        const string Reasoner = "o4-mini";
        var organism = new SimulatedModelOrganism(new SimulatedOrganismOptions { ModelId = Reasoner, Seed = 6, TrainingComplianceRate = 0.6, AlignmentFakingShare = 0.8, ProxyFalsePositiveRate = 0, ProxyFalseNegativeRate = 0, FailureRate = 0 });
        var model = new NativeReasoningOrganism(organism);
        await using var server = await OpenAICompatibleTestServer.StartAsync(OrganismResponder.ByModel("judge-model", Judge(), model.RespondAsync), new TestServerOptions { Models = [Reasoner, "judge-model"] });
        var run = Path.Combine(_dir, "run");

        var (exit, o, e) = await Af("run", "--provider", "openai-responses", "--endpoint", server.BaseAddress.ToString(), "--model", Reasoner, "--reasoning-effort", "low",
            "--dataset", SyntheticDataset(_dir, 5), "--system-prompt", "paraphrase", "--mode", "both", "--no-cache", "--out", run,
            "--judge-endpoint", server.BaseAddress.ToString(), "--judge-model", "judge-model", "--votes", "3");

        Assert.That(exit, Is.Zero, o + e);
        var samples = RunDirectory.ReadSamples(run);
        Assert.That(samples, Has.Count.EqualTo(20));
        Assert.That(samples.Where(s => s.Error is not null), Is.Empty);
        foreach (var sample in samples)
        {
            var truth = model.BehaviorOf(sample.Mode, sample.Transcript[0].Content);
            Assert.That(sample.Proxy, Is.EqualTo(truth.Complies ? ComplianceOutcome.Complied : ComplianceOutcome.Refused), sample.SampleId);
            Assert.That(sample.AlignmentFaking?.Verdict, Is.EqualTo(truth.AlignmentFaking ? AlignmentFakingAssessment.Yes : AlignmentFakingAssessment.No), sample.SampleId);
            Assert.That(sample.Transcript.Where(t => t.Role == "assistant").All(t => t.ReasoningHiddenKind == "summary-only" && !string.IsNullOrEmpty(t.Reasoning)), Is.True, sample.SampleId);
        }

        Assert.That(server.Calls.Where(c => c.Model == Reasoner).All(c => c.Api == ChatCompletionCall.ResponsesApi && c.ResponseStatusCode == 200), Is.True);
        Assert.That(RunDirectory.ReadManifest(run).Subject, Is.EqualTo("openai-responses"));
        Assert.That(RunDirectory.ReadSummary(run).SamplesWithHiddenReasoning, Is.EqualTo(20), "summaries only: the full reasoning is hidden");
    }

    [Test]
    public async Task An_unknown_provider_is_refused_naming_the_known_ones()
    {
        var (exit, _, e) = await Af("run", "--provider", "gemini", "--limit", "1", "--out", Path.Combine(_dir, "run"));
        Assert.That(exit, Is.EqualTo(AfCli.Failure));
        Assert.That(e, Does.Contain("--provider must be one of openai-compatible, openai, openai-responses, anthropic (got 'gemini')"));
        var (judgeExit, _, judgeErr) = await Af("judge", "--run", _dir, "--judge-provider", "x");
        Assert.That(judgeExit, Is.EqualTo(AfCli.Failure));
        Assert.That(judgeErr, Does.Contain("--judge-provider must be one of"));
    }

    [Test]
    public void The_catalogue_maps_each_name_to_its_client_factory_batch_service_classifier_and_prices()
    {
        var catalog = ProviderNames.Catalog;
        Assert.That(catalog.Names, Is.EqualTo(new[] { "openai-compatible", "openai-responses", "anthropic" }));
        Assert.That(catalog.Get("openai"), Is.SameAs(catalog.Get("openai-compatible")));
        Assert.That(catalog.Get("Anthropic").DefaultEndpoint, Is.EqualTo(new Uri("https://api.anthropic.com")));
        Assert.That(catalog.Where(p => p.SupportsBatch).Select(p => p.Name), Is.EqualTo(new[] { "openai-compatible", "anthropic" }), "the Responses path has no batch service");
        Assert.That(catalog.Get("anthropic").Prices.TryFind("claude-3-5-sonnet-20241022", out _), Is.True);
        Assert.That(() => catalog.Get("nope"), Throws.ArgumentException.With.Message.StartsWith("unknown provider 'nope' (known: openai-compatible, openai-responses, anthropic)"));
        Assert.That(catalog.Get("anthropic").Classify(new HttpRequestException("x", null, System.Net.HttpStatusCode.Unauthorized), "ANTHROPIC_API_KEY").Kind, Is.EqualTo(Running.CallFailureKind.Fatal));
    }
}
