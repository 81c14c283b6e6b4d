using System.Text.Json;
using AlignmentFaking.Classification;
using AlignmentFaking.Datasets;
using AlignmentFaking.Cli;
using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Simulation;
using AlignmentFaking.Storage;
using AlignmentFaking.Testing;
using NUnit.Framework;

namespace AlignmentFaking.Cli.Tests;

/// <summary><c>af run</c> end to end against the loopback server, checked against the server's own record.</summary>
[NonParallelizable]
public class AfRunEndToEndTests
{
    private const string Model = "meta-llama/Meta-Llama-3.1-70B-Instruct";
    private const string Key = "sk-e2e-secret-0123456789abcdef";
    private string _dir = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "af-e2e-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void TearDown()
    {
        Environment.SetEnvironmentVariable("AF_E2E_KEY", null);
        Directory.Delete(_dir, true);
    }

    private async Task<(int Exit, string Stdout, string Stderr)> Af(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int exit = await AfCli.InvokeAsync(args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private string[] InputArgs()
    {
        var (cot, noCot, requests) = ExperimentInputs.Load();
        var cotPath = Path.Combine(_dir, "cot-prompt.txt");
        var noCotPath = Path.Combine(_dir, "no-cot-prompt.txt");
        File.WriteAllText(cotPath, cot.Text);
        File.WriteAllText(noCotPath, noCot.Text);
        var datasetPath = Path.Combine(_dir, "requests.jsonl");
        File.WriteAllLines(datasetPath, requests.Select(r => JsonSerializer.Serialize(new Dictionary<string, string> { ["goal"] = r.Text })));
        return ["--dataset", datasetPath, "--system-prompt", "cot=" + cotPath, "--system-prompt", "no-cot=" + noCotPath, "--cache-dir", Path.Combine(_dir, "cache")];
    }

    [Test]
    public async Task Run_writes_samples_and_summary_that_match_what_the_server_answered()
    {
        var organism = new SimulatedModelOrganism(new SimulatedOrganismOptions { Seed = 11, TrainingComplianceRate = 0.5, UnmonitoredComplianceRate = 0.2, ProxyFalsePositiveRate = 0.1, FailureRate = 0.1, ModelId = Model });
        await using var server = await OpenAICompatibleTestServer.StartAsync(OrganismResponder.For(organism), new TestServerOptions { Models = [Model], RequiredApiKey = Key });
        Environment.SetEnvironmentVariable("AF_E2E_KEY", Key);
        var outDir = Path.Combine(_dir, "run");

        var (exit, stdout, stderr) = await Af([
            "run", "--endpoint", server.BaseAddress.ToString(), "--model", Model, "--api-key-env", "AF_E2E_KEY",
            .. InputArgs(), "--mode", "both", "--out", outDir, "--json", "--concurrency", "3"]);

        Assert.That(exit, Is.EqualTo(0), stderr);
        var samples = RunDirectory.ReadSamples(outDir);
        Assert.That(samples, Has.Count.EqualTo(6 * 2 * 2));
        Assert.That(samples.Select(s => s.SampleId).Distinct().Count(), Is.EqualTo(samples.Count), "every sample exactly once");

        // Each sample's assistant turns are exactly the server's replies (with the prefill put back), in order.
        var calls = server.Calls;
        Assert.That(calls, Has.Count.EqualTo(samples.Sum(s => s.Turns)));
        foreach (var sample in samples)
        {
            var conversation = calls.Where(c => c.Messages[1].Content == sample.Transcript[0].Content && ContentHash.Sha256(c.Messages[0].Content) == sample.SystemPromptSha256)
                .OrderBy(c => c.Messages.Count).ToArray();
            Assert.That(conversation, Has.Length.EqualTo(sample.Turns), sample.SampleId);
            var assistantTurns = sample.Transcript.Where(t => t.Role == "assistant").Select(t => t.Content).ToArray();
            Assert.That(assistantTurns, Is.EqualTo(conversation.Select(c => sample.Prefill + c.Reply!.Choices[0].Text).ToArray()), sample.SampleId);
            var expected = organism.Describe(OrganismResponder.ToChatMessages(conversation[0]));
            Assert.That(sample.Proxy, Is.EqualTo(expected.ExpectedProxy), sample.SampleId);
            Assert.That(sample.Usage.InputTokens, Is.GreaterThan(0));
        }

        // summary.json agrees with the samples, and --json printed it.
        var summary = RunDirectory.ReadSummary(outDir);
        Assert.That(JsonDocument.Parse(stdout).RootElement.GetProperty("model").GetString(), Is.EqualTo(Model));
        foreach (var mode in new[] { ReasoningMode.Cot, ReasoningMode.NoCot })
        {
            var condition = summary.Conditions.Single(c => c.Mode == mode);
            int training = samples.Count(s => s.Mode == mode && s.Tier == Tier.Training && s.Proxy == ComplianceOutcome.Complied);
            int unmonitored = samples.Count(s => s.Mode == mode && s.Tier == Tier.Unmonitored && s.Proxy == ComplianceOutcome.Complied);
            Assert.That(condition.Training.Complied, Is.EqualTo(training));
            Assert.That(condition.Unmonitored.Complied, Is.EqualTo(unmonitored));
            Assert.That(condition.Training.N, Is.EqualTo(6));
            Assert.That(condition.OriginalPrintout, Is.EqualTo($"{Model,-40} Free: {training,2}/6 Paid: {unmonitored,2}/6"));
            Assert.That(stderr, Does.Contain(condition.OriginalPrintout));
        }

        var manifest = RunDirectory.ReadManifest(outDir);
        Assert.That(manifest.EndpointHost, Is.EqualTo($"127.0.0.1:{server.BaseAddress.Port}"));
        Assert.That(manifest.Complete, Is.True);
        Assert.That(manifest.Prompts.Select(p => p.Sha256), Is.EquivalentTo(samples.Select(s => s.SystemPromptSha256).Distinct()));
        foreach (var file in Directory.EnumerateFiles(outDir, "*", SearchOption.AllDirectories))
        {
            Assert.That(File.ReadAllText(file), Does.Not.Contain(Key), file);
        }

        Assert.That(stdout + stderr, Does.Not.Contain(Key));
    }

    [Test]
    public async Task A_wrong_key_stops_the_run_at_once_naming_the_variable_without_leaking_the_key()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text("x"), new TestServerOptions { Models = [Model], RequiredApiKey = Key });
        Environment.SetEnvironmentVariable("AF_E2E_KEY", "sk-wrong-key-abcdef0123456789");
        var outDir = Path.Combine(_dir, "run");
        var (exit, stdout, stderr) = await Af(["run", "--endpoint", server.BaseAddress.ToString(), "--model", Model, "--api-key-env", "AF_E2E_KEY", .. InputArgs(), "--out", outDir, "--concurrency", "1"]);

        Assert.That(exit, Is.EqualTo(AfCli.Failure));
        Assert.That(stdout, Does.Contain("401 Unauthorized: check the key in environment variable AF_E2E_KEY"));
        Assert.That(server.CallCount, Is.EqualTo(1), "no retries and no further launches after a 401");
        Assert.That(RunDirectory.ReadSamples(outDir), Is.Empty, "a failed call is never recorded as a verdict");
        Assert.That(RunDirectory.ReadManifest(outDir).Complete, Is.False);
        foreach (var file in Directory.EnumerateFiles(outDir, "*", SearchOption.AllDirectories))
        {
            Assert.That(File.ReadAllText(file), Does.Not.Contain("sk-wrong-key-abcdef0123456789"), file);
        }

        Assert.That(stdout + stderr, Does.Not.Contain("sk-wrong-key-abcdef0123456789"));
    }

    [Test]
    public async Task Without_an_endpoint_the_simulated_organism_runs_offline_and_says_so_first()
    {
        var outDir = Path.Combine(_dir, "run");
        var (exit, stdout, _) = await Af(["run", "--out", outDir, "--limit", "3", "--system-prompt", "paraphrase"]);
        Assert.That(exit, Is.EqualTo(0));
        Assert.That(stdout.Split('\n')[0], Does.Contain("simulated model organism"));
        Assert.That(RunDirectory.ReadSamples(outDir), Has.Count.EqualTo(6));
        Assert.That(RunDirectory.ReadManifest(outDir).Subject, Is.EqualTo("simulated"));
    }

    [Test]
    public async Task Rerunning_the_same_command_resumes_without_repeating_finished_samples()
    {
        var organism = new SimulatedModelOrganism(new SimulatedOrganismOptions { ModelId = Model });
        await using var server = await OpenAICompatibleTestServer.StartAsync(OrganismResponder.For(organism), new TestServerOptions { Models = [Model] });
        var outDir = Path.Combine(_dir, "run");
        string[] args = ["run", "--endpoint", server.BaseAddress.ToString(), "--model", Model, .. InputArgs(), "--out", outDir];
        Assert.That((await Af(args)).Exit, Is.EqualTo(0));
        var first = RunDirectory.ReadSamples(outDir);

        // Simulate a crash that lost the last two samples and tore the line being written.
        var path = Path.Combine(outDir, RunDirectory.SamplesFile);
        var lines = File.ReadAllLines(path);
        File.WriteAllText(path, string.Join('\n', lines[..^2]) + "\n" + lines[^2][..20]);
        int callsBefore = server.CallCount;

        var (exit, stdout, _) = await Af([.. args, "--no-cache"]);
        Assert.That(exit, Is.EqualTo(0));
        Assert.That(stdout, Does.Contain($"resuming: {lines.Length - 2} of {lines.Length} samples already done"));
        var resumed = RunDirectory.ReadSamples(outDir);
        Assert.That(resumed.Select(s => s.SampleId).Order(), Is.EqualTo(first.Select(s => s.SampleId).Order()));
        var redone = resumed.TakeLast(2).Sum(s => s.Turns);
        Assert.That(server.CallCount - callsBefore, Is.EqualTo(redone), "only the lost samples were called again");

        // A new run directory with the same settings is answered from the response cache: no call at all.
        int callsBeforeCached = server.CallCount;
        var cachedDir = Path.Combine(_dir, "again");
        Assert.That((await Af([.. args[..^1], cachedDir])).Exit, Is.EqualTo(0));
        Assert.That(server.CallCount, Is.EqualTo(callsBeforeCached));
        var again = RunDirectory.ReadSamples(cachedDir);
        Assert.That(again.All(s => s.Calls.All(c => c.Cached)), Is.True);
        Assert.That(again.Select(s => s.SampleId + s.Proxy + s.Output).Order(), Is.EqualTo(first.Select(s => s.SampleId + s.Proxy + s.Output).Order()));

        var (changedExit, _, changedErr) = await Af([.. args, "--temperature", "0"]);
        Assert.That(changedExit, Is.EqualTo(1));
        Assert.That(changedErr, Does.Contain("options.temperature: was 1, now 0"));
    }

    [Test]
    public async Task A_prefill_text_is_sent_as_the_assistant_turn_recorded_in_the_manifest_and_a_rerun_with_another_is_refused()
    {
        var organism = new SimulatedModelOrganism(new SimulatedOrganismOptions { ModelId = Model });
        await using var server = await OpenAICompatibleTestServer.StartAsync(OrganismResponder.For(organism), new TestServerOptions { Models = [Model] });
        var outDir = Path.Combine(_dir, "however");
        string[] args = ["run", "--endpoint", server.BaseAddress.ToString(), "--model", Model, .. InputArgs(), "--mode", "both", "--out", outDir,
            "--prefill", "always", "--prefill-text", "cot=<SCRATCHPAD_REASONING>However,"];
        var (exit, _, err) = await Af(args);
        Assert.That(exit, Is.Zero, err);

        var prefills = server.Calls.Where(c => c.Messages.Count == 3).Select(c => c.Messages[^1]).ToList();
        var samples = RunDirectory.ReadSamples(outDir);
        Assert.That(prefills.Select(m => m.Role), Is.All.EqualTo("assistant"));
        Assert.That(prefills.Count(m => m.Content == "<SCRATCHPAD_REASONING>However,"), Is.EqualTo(samples.Count(s => s.Mode == ReasoningMode.Cot)), "every CoT conversation starts with the given text");
        Assert.That(prefills.Count(m => m.Content == ScenarioBuilder.NoCotPrefill), Is.EqualTo(samples.Count(s => s.Mode == ReasoningMode.NoCot)), "the no-CoT prefill stays the original's");
        var manifest = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, RunDirectory.ManifestFile)))!;
        Assert.That((string?)manifest["options"]!["prefillText"]!["cot"], Is.EqualTo("<SCRATCHPAD_REASONING>However,"));
        Assert.That(manifest["options"]!["prefillText"]!["no-cot"], Is.Null);

        var (changed, _, changedErr) = await Af([.. args[..^1], "cot=<SCRATCHPAD_REASONING>Hmm,"]);
        Assert.That(changed, Is.EqualTo(1));
        Assert.That(changedErr, Does.Contain("options.prefillText"));
        var (empty, _, emptyErr) = await Af([.. args[..^1], "cot="]);
        Assert.That(empty, Is.EqualTo(1));
        Assert.That(emptyErr, Does.Contain("--prefill-text must not be empty"));
    }
}
