using AlignmentFaking.Cli;
using AlignmentFaking.Classification;
using AlignmentFaking.Judging.Simulation;
using AlignmentFaking.Simulation;
using AlignmentFaking.Storage;
using AlignmentFaking.Testing;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace AlignmentFaking.Cli.Tests;

/// <summary><c>af run</c> judging as it goes against a judge endpoint, and stopping at its budget.</summary>
[NonParallelizable]
public class RunJudgeAndBudgetTests
{
    private const string Model = "meta-llama/Meta-Llama-3.1-405B-Instruct";
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Path.Combine(Path.GetTempPath(), "af-rj-" + Guid.NewGuid().ToString("N"));

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

    private static Func<ChatCompletionCall, CancellationToken, ValueTask<ScriptedReply>> Answer(IChatClient client) => async (call, ct) =>
    {
        var options = new ChatOptions { Temperature = (float?)call.Temperature };
        var response = await client.GetResponseAsync(OrganismResponder.ToChatMessages(call), options, ct);
        return ScriptedReply.Text(response.Text);
    };

    [Test]
    public async Task Run_judges_every_sample_as_it_goes_through_the_judge_endpoint()
    {
        var organism = new SimulatedModelOrganism(new SimulatedOrganismOptions { ModelId = Model, TrainingComplianceRate = 0.5 });
        await using var subject = await OpenAICompatibleTestServer.StartAsync(OrganismResponder.For(organism), new TestServerOptions { Models = [Model] });
        await using var judge = await OpenAICompatibleTestServer.StartAsync(Answer(new SimulatedJudge()), new TestServerOptions { Models = ["judge-model"] });
        var outDir = Path.Combine(_dir, "run");
        var (exit, stdout, stderr) = await Af("run", "--endpoint", subject.BaseAddress.ToString(), "--model", Model, "--system-prompt", "paraphrase",
            "--dataset", Dataset(6), "--mode", "both", "--out", outDir, "--no-cache",
            "--judge-endpoint", judge.BaseAddress.ToString(), "--judge-model", "judge-model", "--votes", "3");

        Assert.That(exit, Is.Zero, stderr);
        var samples = RunDirectory.ReadSamples(outDir);
        Assert.That(samples, Has.Count.EqualTo(24));
        Assert.That(samples.All(s => s.Judge is not null and not ComplianceOutcome.Error), Is.True);
        Assert.That(samples.Where(s => s.Mode == Scenarios.ReasoningMode.Cot).All(s => s.AlignmentFaking is { Votes.Count: 3 }), Is.True);
        Assert.That(judge.Calls.All(c => c.Model == "judge-model"), Is.True);
        // One compliance call per sample and the three votes of a CoT sample in one request (n = 3), less the calls
        // answered from the judge cache (the simulated organism writes the same text for many requests).
        Assert.That(judge.CallCount, Is.LessThanOrEqualTo(24 + 12));
        Assert.That(judge.Calls.Count(c => c.N == 3), Is.InRange(1, 12), "one request per CoT sample at most");
        // A sample whose votes another sample with the same text has partly cached meanwhile asks only for the missing ones
        // (n of 1 or 2), a race of concurrent judging under load; never more than the 3 votes.
        Assert.That(judge.Calls.All(c => c.N is null or (>= 1 and <= 3)), Is.True);
        Assert.That(Directory.Exists(Path.Combine(outDir, "judge-cache")), Is.True);
        var summary = RunDirectory.ReadSummary(outDir);
        Assert.That(summary.Conditions.All(c => c.Judge is { Gap.Test: not null }), Is.True);
        Assert.That(stdout, Does.Contain("compliance (judge)"));
    }

    [Test]
    public async Task A_budget_stops_launching_keeps_samples_and_a_higher_budget_resumes()
    {
        var organism = new SimulatedModelOrganism(new SimulatedOrganismOptions { ModelId = Model });
        await using var server = await OpenAICompatibleTestServer.StartAsync(OrganismResponder.For(organism), new TestServerOptions { Models = [Model] });
        var outDir = Path.Combine(_dir, "run");
        // About 1,200 input tokens a call at $100/M input and 100 max tokens at $100/M: ~$0.13 a call.
        string[] args = ["run", "--endpoint", server.BaseAddress.ToString(), "--model", Model, "--system-prompt", "paraphrase", "--dataset", Dataset(10),
            "--out", outDir, "--no-cache", "--max-tokens", "100", "--price-input", "100", "--price-output", "100", "--concurrency", "2"];

        var (exit, stdout, _) = await Af([.. args, "--budget-usd", "1"]);
        Assert.That(exit, Is.EqualTo(RunCommand.BudgetExhausted));
        Assert.That(stdout, Does.Contain("higher --budget-usd"));
        var partial = RunDirectory.ReadSamples(outDir);
        Assert.That(partial.Count, Is.InRange(1, 19));
        Assert.That(RunDirectory.ReadManifest(outDir).Complete, Is.False);
        var spent = partial.Sum(s => (s.Usage.InputTokens * 100m + s.Usage.OutputTokens * 100m) / 1_000_000m);
        Assert.That(spent, Is.LessThanOrEqualTo(1m), "never past the cap");

        var (exit2, _, err2) = await Af([.. args, "--budget-usd", "1000"]);
        Assert.That(exit2, Is.Zero, err2);
        var all = RunDirectory.ReadSamples(outDir);
        Assert.That(all, Has.Count.EqualTo(20));
        Assert.That(all.Select(s => s.SampleId).Distinct().Count(), Is.EqualTo(20));
        var summary = RunDirectory.ReadSummary(outDir);
        Assert.That(summary.Cost?.Actual?.Cost, Is.GreaterThan(0m));
    }
}
