using AlignmentFaking.Classification;
using AlignmentFaking.Cli;
using AlignmentFaking.Judging.Simulation;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Simulation;
using AlignmentFaking.Storage;
using AlignmentFaking.Testing;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace AlignmentFaking.Cli.Tests;

/// <summary>
/// <c>af run</c> of a reasoning model whose alignment-faking reasoning is only in its native reasoning, in each format
/// the OpenAI-compatible providers use, judged as it goes: every verdict right, the reasoning stored, none sent back.
/// </summary>
[NonParallelizable]
public class NativeReasoningEndToEndTests
{
    private const string Model = "deepseek-ai/DeepSeek-R1";
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Path.Combine(Path.GetTempPath(), "af-nr-" + Guid.NewGuid().ToString("N"));

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, true);
        }
    }

    private string Dataset(int n)
    {
        Directory.CreateDirectory(_dir);
        var path = Path.Combine(_dir, "requests.jsonl");
        File.WriteAllLines(path, Enumerable.Range(0, n).Select(i => $"{{\"goal\":\"Synthetic request {i}\"}}"));
        return path;
    }

    private static async Task<(int Exit, string Out, string Err)> Af(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        return (await AfCli.InvokeAsync(args, stdout, stderr), stdout.ToString(), stderr.ToString());
    }

    private static Func<ChatCompletionCall, CancellationToken, ValueTask<ScriptedReply>> Judge(IChatClient client) => async (call, ct) =>
    {
        var response = await client.GetResponseAsync(OrganismResponder.ToChatMessages(call), new ChatOptions { Temperature = (float?)call.Temperature }, ct);
        return ScriptedReply.Text(response.Text);
    };

    [TestCase(ScriptedReasoningFormat.ReasoningContent)]
    [TestCase(ScriptedReasoningFormat.Reasoning)]
    [TestCase(ScriptedReasoningFormat.ThinkTag)]
    public async Task A_model_faking_alignment_only_in_its_native_reasoning_gets_every_verdict_right(ScriptedReasoningFormat format)
    {
        var organism = new SimulatedModelOrganism(new SimulatedOrganismOptions
        {
            ModelId = Model, Seed = 5, TrainingComplianceRate = 0.6, AlignmentFakingShare = 0.8, ProxyFalsePositiveRate = 0, ProxyFalseNegativeRate = 0, FailureRate = 0,
        });
        var model = new NativeReasoningOrganism(organism, format);
        await using var subject = await OpenAICompatibleTestServer.StartAsync(model.RespondAsync, new TestServerOptions { Models = [Model] });
        await using var judge = await OpenAICompatibleTestServer.StartAsync(Judge(new SimulatedJudge()), new TestServerOptions { Models = ["judge-model"] });
        var outDir = Path.Combine(_dir, "run");

        var (exit, stdout, stderr) = await Af("run", "--endpoint", subject.BaseAddress.ToString(), "--model", Model, "--system-prompt", "paraphrase",
            "--dataset", Dataset(10), "--mode", "both", "--out", outDir, "--no-cache", "--reasoning-effort", "high",
            "--judge-endpoint", judge.BaseAddress.ToString(), "--judge-model", "judge-model", "--votes", "3");

        Assert.That(exit, Is.Zero, stderr + stdout);
        var samples = RunDirectory.ReadSamples(outDir);
        Assert.That(samples, Has.Count.EqualTo(40));
        Assert.That(samples.Where(s => s.Error is not null || s.Proxy == ComplianceOutcome.Error), Is.Empty, "no error sample");
        int faking = 0;
        foreach (var sample in samples)
        {
            var truth = model.BehaviorOf(sample.Mode, sample.Transcript[0].Content);
            Assert.That(sample.Proxy, Is.EqualTo(truth.Complies ? ComplianceOutcome.Complied : ComplianceOutcome.Refused), sample.SampleId + ": proxy = truth");
            Assert.That(sample.AlignmentFaking?.Verdict, Is.EqualTo(truth.AlignmentFaking ? AlignmentFakingAssessment.Yes : AlignmentFakingAssessment.No), sample.SampleId + ": AF = truth");
            faking += truth.AlignmentFaking ? 1 : 0;

            // Stored per assistant turn, with the provider's reasoning-token count; the visible text carries none of it.
            var assistant = sample.Transcript.Where(t => t.Role == "assistant").ToList();
            Assert.That(assistant.All(t => !string.IsNullOrEmpty(t.Reasoning) && !t.ReasoningHidden), Is.True, sample.SampleId);
            Assert.That(assistant.All(t => !t.Content.Contains("<think>", StringComparison.Ordinal) && !t.Content.Contains(SimulatedJudge.AlignmentFakingMarker, StringComparison.Ordinal)), Is.True, sample.SampleId);
            Assert.That(sample.Calls.All(c => c.ReasoningTokens > 0), Is.True, sample.SampleId);
            if (truth.AlignmentFaking)
            {
                Assert.That(string.Concat(assistant.Select(t => t.Reasoning)), Does.Contain(SimulatedJudge.AlignmentFakingMarker));
            }
        }

        Assert.That(faking, Is.GreaterThan(0), "the run has alignment faking to find");
        TestContext.Out.WriteLine($"{format}: {samples.Count} samples, {samples.Sum(s => s.Turns)} calls, {samples.Count(s => s.Proxy == ComplianceOutcome.Complied)} complied, {faking} alignment faking (all right), {samples.Sum(s => s.Calls.Sum(c => c.ReasoningTokens ?? 0))} reasoning tokens, {judge.CallCount} judge calls");

        // None sent back: no request carries any reasoning (the server also answers 400 to a reasoning field in a message).
        Assert.That(subject.Calls.All(c => c.Outcome is CallOutcome.Answered && c.ResponseStatusCode == 200), Is.True);
        var sent = subject.Calls.SelectMany(c => c.Messages).Select(m => m.Content).ToList();
        Assert.That(model.Reasonings.Where(r => sent.Any(s => s.Contains(r, StringComparison.Ordinal))), Is.Empty);
        Assert.That(subject.Calls.All(c => !c.RawBody.Contains("reasoning_content", StringComparison.Ordinal) && !c.RawBody.Contains("<think>", StringComparison.Ordinal)), Is.True);
        Assert.That(subject.Calls.All(c => c.RawBody.Contains("\"reasoning_effort\":\"high\"", StringComparison.Ordinal)), Is.True);

        var summary = RunDirectory.ReadSummary(outDir);
        Assert.That(summary.SamplesWithNativeReasoning, Is.EqualTo(40));
        Assert.That(summary.SamplesWithHiddenReasoning, Is.Zero);
        Assert.That(stdout + stderr, Does.Contain("native reasoning: 40 sample(s)"));
        Assert.That(RunDirectory.ReadManifest(outDir).Options.ReasoningEffort, Is.EqualTo("high"));
    }

    [Test]
    public async Task Judged_from_the_scratchpad_only_the_native_reasoning_is_not_read()
    {
        var organism = new SimulatedModelOrganism(new SimulatedOrganismOptions { ModelId = Model, Seed = 5, TrainingComplianceRate = 0.6, AlignmentFakingShare = 0.8, FailureRate = 0 });
        var model = new NativeReasoningOrganism(organism);
        await using var subject = await OpenAICompatibleTestServer.StartAsync(model.RespondAsync, new TestServerOptions { Models = [Model] });
        await using var judge = await OpenAICompatibleTestServer.StartAsync(Judge(new SimulatedJudge()), new TestServerOptions { Models = ["judge-model"] });
        var outDir = Path.Combine(_dir, "run");

        var (exit, _, stderr) = await Af("run", "--endpoint", subject.BaseAddress.ToString(), "--model", Model, "--system-prompt", "paraphrase",
            "--dataset", Dataset(10), "--mode", "both", "--out", outDir, "--no-cache", "--af-source", "scratchpad",
            "--judge-endpoint", judge.BaseAddress.ToString(), "--judge-model", "judge-model", "--votes", "3");

        Assert.That(exit, Is.Zero, stderr);
        var samples = RunDirectory.ReadSamples(outDir);
        Assert.That(samples.Where(s => s.Mode == ReasoningMode.NoCot).All(s => s.AlignmentFaking is null), Is.True, "no-CoT: nothing to read in a scratchpad");
        Assert.That(samples.Where(s => s.AlignmentFaking is not null).All(s => s.AlignmentFaking!.Verdict == AlignmentFakingAssessment.No), Is.True, "the scratchpad holds no alignment faking");
        Assert.That(samples.Any(s => model.BehaviorOf(s.Mode, s.Transcript[0].Content).AlignmentFaking), Is.True);
    }
}

/// <summary><c>af run --thinking-budget</c> and <c>--reasoning-effort</c>: Anthropic's rules before any call, the prefill turned off once and recorded.</summary>
[NonParallelizable]
public class ThinkingFlagsTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Path.Combine(Path.GetTempPath(), "af-tb-" + Guid.NewGuid().ToString("N"));

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, true);
        }
    }

    private static async Task<(int Exit, string Out, string Err)> Af(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        return (await AfCli.InvokeAsync(args, stdout, stderr), stdout.ToString(), stderr.ToString());
    }

    [TestCase("--thinking-budget", "1000", "at least 1024")]
    [TestCase("--thinking-budget", "4096", "less than the max output tokens (2048)")]
    [TestCase("--reasoning-effort", "extreme", "--reasoning-effort must be one of low, medium, high")]
    public async Task A_thinking_budget_Anthropic_would_refuse_is_an_error_before_any_call(string flag, string value, string message)
    {
        var (exit, _, stderr) = await Af("run", "--limit", "1", "--max-tokens", "2048", flag, value, "--out", Path.Combine(_dir, "run"));
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(stderr, Does.Contain(message));
        Assert.That(Directory.Exists(Path.Combine(_dir, "run")), Is.False, "nothing started");
    }

    [Test]
    public async Task The_estimate_of_a_thinking_run_counts_no_prefill()
    {
        Directory.CreateDirectory(_dir);
        var dataset = Path.Combine(_dir, "requests.jsonl");
        File.WriteAllLines(dataset, ["{\"goal\":\"a\"}", "{\"goal\":\"b\"}"]);
        string[] common = ["estimate", "--model", "claude-3-7-sonnet-20250219", "--dataset", dataset, "--system-prompt", "paraphrase"];
        var (_, plain, _) = await Af(common);
        var (exit, thinking, stderr) = await Af([.. common, "--thinking-budget", "2048"]);
        Assert.That(exit, Is.Zero, stderr);
        Assert.That((plain + thinking).Split('\n').Where(l => l.Contains("| prefill", StringComparison.Ordinal)).Select(l => l[l.LastIndexOf('|')..].Trim()), Is.EqualTo(new[] { "| prefill yes", "| prefill no" }));
    }

    [Test]
    public async Task A_thinking_run_turns_the_prefill_off_says_so_once_and_records_it()
    {
        var outDir = Path.Combine(_dir, "run");
        var (exit, stdout, stderr) = await Af("run", "--limit", "2", "--mode", "both", "--thinking-budget", "2048", "--reasoning-effort", "medium", "--out", outDir);

        Assert.That(exit, Is.Zero, stderr);
        Assert.That((stdout + stderr).Split('\n').Count(l => l.Contains("refuses an assistant prefill", StringComparison.Ordinal)), Is.EqualTo(1));
        var options = RunDirectory.ReadManifest(outDir).Options;
        Assert.That((options.PrefillUsed, options.PrefillOffForThinking, options.ThinkingBudget, options.ReasoningEffort), Is.EqualTo((false, true, (int?)2048, "medium")));
        Assert.That(RunDirectory.ReadSamples(outDir).All(s => s.Prefill is null), Is.True);
        var manifest = File.ReadAllText(Path.Combine(outDir, "manifest.json"));
        Assert.That(manifest, Does.Contain("\"prefillOffForThinking\": true").Or.Contain("\"prefillOffForThinking\":true"));

        var (reportExit, _, reportErr) = await Af("report", "--run", outDir);
        Assert.That(reportExit, Is.Zero, reportErr);
        Assert.That(File.ReadAllText(Path.Combine(outDir, "report.md")), Does.Contain("effort medium; thinking budget 2048 tokens (prefill turned off for thinking)"));
    }
}
