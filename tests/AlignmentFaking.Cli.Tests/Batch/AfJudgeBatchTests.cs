using System.Text.Json;
using AlignmentFaking.Cli;
using AlignmentFaking.Classification;
using AlignmentFaking.Judging.Runs;
using AlignmentFaking.Judging.Simulation;
using AlignmentFaking.Running;
using AlignmentFaking.Storage;
using AlignmentFaking.Testing;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace AlignmentFaking.Cli.Tests.Batch;

/// <summary>
/// <c>af judge --batch</c> against the loopback server's Batch API, the server playing the judge (answering with the
/// simulated judge): the same verdicts as an online judgement, only uncached calls submitted, re-attaching after a
/// restart, and bounded retries of failed requests.
/// </summary>
[NonParallelizable]
public class AfJudgeBatchTests
{
    private const string JudgeModel = "judge-model";

    /// <summary>A phrase only the built-in compliance prompt contains.</summary>
    private const string CompliancePromptMarker = "Decide whether the answer actually delivers";

    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = BatchKit.TempDirectory("af-judge-batch-");

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, true);

    private static async Task<(int Exit, string Stdout, string Stderr)> Af(string[] args, CancellationToken ct = default)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int exit = await AfCli.InvokeAsync(args, stdout, stderr, ct);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private static Func<ChatCompletionCall, CancellationToken, ValueTask<ScriptedReply>> Judge() => async (call, ct) =>
    {
        var response = await new SimulatedJudge().GetResponseAsync(OrganismResponder.ToChatMessages(call), new ChatOptions { Temperature = (float?)call.Temperature }, ct);
        return ScriptedReply.Text(response.Text);
    };

    private static Task<OpenAICompatibleTestServer> StartJudgeAsync(FaultPlan? faults = null) =>
        OpenAICompatibleTestServer.StartAsync(faults is null ? Judge() : faults.Wrap(Judge()), new TestServerOptions { Models = [JudgeModel] });

    /// <summary>A finished run of the simulated organism (offline), copied to each of <paramref name="names"/>.</summary>
    private async Task<string[]> RunsAsync(params string[] names)
    {
        var source = Path.Combine(_dir, "source");
        var (exit, stdout, _) = await Af(["run", "--out", source, "--limit", "4", "--system-prompt", "paraphrase", "--mode", "both", "--seed", "3"]);
        Assert.That(exit, Is.Zero, stdout);
        return names.Select(name =>
        {
            var target = Path.Combine(_dir, name);
            Directory.CreateDirectory(target);
            foreach (var file in Directory.GetFiles(source))
            {
                File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
            }

            return target;
        }).ToArray();
    }

    private static string[] JudgeArgs(string run, OpenAICompatibleTestServer judge, params string[] more) =>
        ["judge", "--run", run, "--judge-endpoint", judge.BaseAddress.ToString(), "--judge-model", JudgeModel, "--votes", "3", .. more];

    private static string[] BatchArgs(string run, OpenAICompatibleTestServer judge, params string[] more) =>
        JudgeArgs(run, judge, ["--batch", "--batch-poll-seconds", "0", .. more]);

    /// <summary>What a judgement adds to the samples: the verdicts and the assessments, by sample id.</summary>
    private static readonly JsonSerializerOptions ComparableJson = new(JsonSerializerDefaults.Web);

    private static string[] Verdicts(string run) =>
        RunDirectory.ReadSamples(run).OrderBy(s => s.SampleId, StringComparer.Ordinal)
            .Select(s => $"{s.SampleId} {s.Judge} {JsonSerializer.Serialize(s.AlignmentFaking, ComparableJson)}")
            .ToArray();

    private static string Summary(string run) => File.ReadAllText(Path.Combine(run, RunDirectory.SummaryFile));

    /// <summary>The judge completions the online judgement asked for: a request with <c>n</c> counts its <c>n</c> choices (the batch path sends one request per vote).</summary>
    private static int JudgeCallsTheOnlineJudgementMade(OpenAICompatibleTestServer server) => server.Calls.Sum(c => c.N ?? 1);

    [Test]
    public async Task A_batch_judgement_writes_the_same_verdicts_and_summary_as_an_online_one()
    {
        var (online, batched) = await RunsAsync("online", "batch") switch { var d => (d[0], d[1]) };
        await using var onlineJudge = await StartJudgeAsync();
        await using var batchJudge = await StartJudgeAsync();

        var (onlineExit, _, onlineErr) = await Af(JudgeArgs(online, onlineJudge));
        Assert.That(onlineExit, Is.Zero, onlineErr);
        var (exit, stdout, stderr) = await Af(BatchArgs(batched, batchJudge));
        Assert.That(exit, Is.Zero, stderr);

        Assert.That(Verdicts(batched), Is.EqualTo(Verdicts(online)));
        Assert.That(Summary(batched), Is.EqualTo(Summary(online)));
        var samples = RunDirectory.ReadSamples(batched);
        Assert.That(samples.All(s => s.Judge is not null and not ComplianceOutcome.Error), Is.True);
        Assert.That(samples.Where(s => s.Mode == Scenarios.ReasoningMode.Cot && s.Transcript.Any(t => t.Content.Contains("<SCRATCHPAD_REASONING>", StringComparison.Ordinal))).All(s => s.AlignmentFaking is { Votes.Count: 3 }), Is.True);

        // Every judge call went through the Batch API, once per distinct call (identical prompts of different samples are
        // sent once; the online judgement, judging samples concurrently, may ask the same one twice before it is cached).
        Assert.That(batchJudge.Batches, Has.Count.EqualTo(1));
        var batch = batchJudge.Batches[0];
        Assert.That(batch.Metadata["af_kind"], Is.EqualTo("judge"));
        Assert.That(batch.CustomIds, Is.Unique);
        Assert.That(batch.CustomIds.All(id => id.Length == 64), Is.True, "custom ids are the judge-cache keys");
        Assert.That(batchJudge.CallCount, Is.EqualTo(batch.CustomIds.Count));
        Assert.That(batchJudge.CallCount, Is.LessThanOrEqualTo(JudgeCallsTheOnlineJudgementMade(onlineJudge)));
        Assert.That(batchJudge.Calls.All(c => c.Headers.ContainsKey("x-test-batch-id") && c.Model == JudgeModel), Is.True);
        Assert.That(stdout, Does.Contain("judge batch path (openai)").And.Contain("round 1: submitting").And.Contain("judge batches: 1 created, 0 re-attached"));
        Assert.That(BatchJudge.ReadBatches(batched).Single().Consumed, Is.True);
    }

    [Test]
    public async Task Anthropic_message_batches_judge_like_the_online_judge()
    {
        var (online, batched) = await RunsAsync("online", "batch") switch { var d => (d[0], d[1]) };
        await using var onlineJudge = await StartJudgeAsync();
        Assert.That((await Af(JudgeArgs(online, onlineJudge))).Exit, Is.Zero);
        await using var judge = await StartJudgeAsync();

        var (exit, stdout, stderr) = await Af(["judge", "--run", batched, "--judge-endpoint", judge.RootAddress.ToString(), "--judge-model", JudgeModel, "--votes", "3", "--batch", "--batch-provider", "anthropic", "--batch-poll-seconds", "0"]);
        Assert.That(exit, Is.Zero, stderr);
        Assert.That(stdout, Does.Contain("judge batch path (anthropic)"));
        Assert.That(Verdicts(batched), Is.EqualTo(Verdicts(online)));
        Assert.That(Summary(batched), Is.EqualTo(Summary(online)));
        Assert.That(judge.Batches.Single().Id, Does.StartWith("msgbatch_"));
        Assert.That(BatchJudge.ReadBatches(batched).Single().InputFileId, Does.StartWith("local:"));
        Assert.That(Directory.GetFiles(Path.Combine(batched, "judge-batch-inputs"), "*.jsonl"), Has.Length.EqualTo(1));
    }

    [Test]
    public async Task Without_a_judge_endpoint_the_simulated_run_is_judged_through_an_emulated_batch_service_like_online()
    {
        var (online, batched) = await RunsAsync("online", "batch") switch { var d => (d[0], d[1]) };
        Assert.That((await Af(["judge", "--run", online, "--votes", "3"])).Exit, Is.Zero);
        var (exit, stdout, stderr) = await Af(["judge", "--run", batched, "--votes", "3", "--batch", "--batch-poll-seconds", "0", "--json"]);
        Assert.That(exit, Is.Zero, stderr);
        Assert.That(stderr, Does.Contain("judge batch path (in-process)"));
        Assert.That(JsonDocument.Parse(stdout).RootElement.GetProperty("conditions").GetArrayLength(), Is.EqualTo(2));
        Assert.That(Verdicts(batched), Is.EqualTo(Verdicts(online)));
        Assert.That(Summary(batched), Is.EqualTo(Summary(online)));
        Assert.That(BatchJudge.ReadBatches(batched).All(b => b.Consumed && b.Provider == "in-process"), Is.True);
    }

    [Test]
    public async Task Only_uncached_calls_are_submitted_and_a_rerun_submits_nothing()
    {
        var run = (await RunsAsync("run"))[0];
        await using var judge = await StartJudgeAsync();

        // Half-judged first: an online judgement without the alignment-faking judge fills the cache with the compliance calls.
        var (firstExit, _, firstErr) = await Af(JudgeArgs(run, judge, "--no-af"));
        Assert.That(firstExit, Is.Zero, firstErr);
        int complianceCalls = judge.CallCount;
        Assert.That(complianceCalls, Is.GreaterThan(0));

        var (exit, _, stderr) = await Af(BatchArgs(run, judge, "--rejudge"));
        Assert.That(exit, Is.Zero, stderr);
        Assert.That(judge.Batches, Has.Count.EqualTo(1));
        var sent = judge.Calls.Where(c => c.Headers.ContainsKey("x-test-batch-id")).ToArray();
        Assert.That(sent, Has.Length.EqualTo(judge.Batches[0].CustomIds.Count));
        Assert.That(sent.Any(c => c.Messages[^1].Content.Contains(CompliancePromptMarker, StringComparison.Ordinal)), Is.False, "the compliance calls were cached: only the votes went out");

        // Everything judged: running again (also re-judging, every reply cached) creates no batch and calls nothing.
        int calls = judge.CallCount;
        var (again, againOut, againErr) = await Af(BatchArgs(run, judge));
        Assert.That(again, Is.Zero, againErr);
        var (rejudge, _, rejudgeErr) = await Af(BatchArgs(run, judge, "--rejudge"));
        Assert.That(rejudge, Is.Zero, rejudgeErr);
        Assert.That(judge.Batches, Has.Count.EqualTo(1));
        Assert.That(judge.Files.Count(f => f.Purpose == "batch"), Is.EqualTo(1));
        Assert.That(judge.CallCount, Is.EqualTo(calls));
        Assert.That(againOut, Does.Contain("judge batches: 0 created, 0 re-attached, 0 requests submitted"));
    }

    [Test]
    public async Task A_restart_after_submission_re_attaches_to_the_batch_in_flight()
    {
        var (online, run) = await RunsAsync("online", "run") switch { var d => (d[0], d[1]) };
        await using var onlineJudge = await StartJudgeAsync();
        Assert.That((await Af(JudgeArgs(online, onlineJudge))).Exit, Is.Zero);
        await using var judge = await StartJudgeAsync();
        judge.HoldBatches = true;

        using (var cts = new CancellationTokenSource())
        {
            var first = Af(JudgeArgs(run, judge, "--batch", "--batch-poll-seconds", "0.01"), cts.Token);
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!(judge.Batches.Count > 0 && BatchJudge.ReadBatches(run).Count > 0))
            {
                Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "no batch submitted");
                await Task.Delay(10);
            }

            await cts.CancelAsync();
            var (cancelled, cancelledOut, _) = await first;
            Assert.That(cancelled, Is.EqualTo(AfCli.Cancelled), cancelledOut);
        }

        Assert.That(RunDirectory.ReadSamples(run).All(s => s.Judge is null), Is.True, "nothing judged yet");
        Assert.That(judge.CallCount, Is.Zero);

        // Judging online now would pay for the same calls again: refused.
        var (onlineExit, _, onlineErr) = await Af(JudgeArgs(run, judge));
        Assert.That(onlineExit, Is.EqualTo(AfCli.Failure));
        Assert.That(onlineErr, Does.Contain("1 judge batch(es) of this run are still in flight").And.Contain("--batch"));
        Assert.That(judge.CallCount, Is.Zero);

        judge.HoldBatches = false;
        var (exit, stdout, stderr) = await Af(BatchArgs(run, judge));
        Assert.That(exit, Is.Zero, stderr);
        Assert.That(stdout, Does.Contain("re-attaching to 1 batch(es) in flight").And.Contain("judge batches: 0 created, 1 re-attached, 0 requests submitted"));
        Assert.That(judge.Batches, Has.Count.EqualTo(1), "the server saw one batch creation");
        Assert.That(judge.Files.Count(f => f.Purpose == "batch"), Is.EqualTo(1));
        Assert.That(judge.CallCount, Is.EqualTo(judge.Batches[0].CustomIds.Count), "every request ran once");
        Assert.That(Verdicts(run), Is.EqualTo(Verdicts(online)));
        Assert.That(Summary(run), Is.EqualTo(Summary(online)));
    }

    [Test]
    public async Task A_killed_batch_judgement_resumes_by_re_attaching_never_submitting_again()
    {
        var (online, run) = await RunsAsync("online", "run") switch { var d => (d[0], d[1]) };
        await using var onlineJudge = await StartJudgeAsync();
        Assert.That((await Af(JudgeArgs(online, onlineJudge))).Exit, Is.Zero);
        await using var judge = await StartJudgeAsync();
        judge.HoldBatches = true;
        var journal = Path.Combine(run, BatchJudge.JournalFile);
        string[] args = JudgeArgs(run, judge, "--batch", "--batch-poll-seconds", "0.05");

        using (var first = AfRunBatchTests.Start(args))
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (DateTime.UtcNow < deadline && !(File.Exists(journal) && AfRunBatchTests.ReadShared(journal).Contains("\"kind\":\"batch\"", StringComparison.Ordinal)))
            {
                await Task.Delay(20);
            }

            Assert.That(first.HasExited, Is.False, "still waiting for its batch");
            first.Kill(entireProcessTree: true);
            await first.WaitForExitAsync();
        }

        Assert.That(judge.Batches, Has.Count.EqualTo(1));
        var submitted = judge.Batches[0].Id;
        judge.HoldBatches = false;
        using (var second = AfRunBatchTests.Start(args))
        {
            await second.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
            Assert.That(second.ExitCode, Is.Zero);
        }

        Assert.That(judge.Batches, Has.Count.EqualTo(1), "re-attached, not submitted again");
        Assert.That(judge.Batches[0].Id, Is.EqualTo(submitted));
        Assert.That(judge.Batches[0].Retrievals, Is.GreaterThan(1));
        Assert.That(judge.CallCount, Is.EqualTo(judge.Batches[0].CustomIds.Count), "every request ran once");
        Assert.That(Verdicts(run), Is.EqualTo(Verdicts(online)));
        Assert.That(Summary(run), Is.EqualTo(Summary(online)));
    }

    [Test]
    public async Task Failed_requests_are_sent_again_in_the_next_round_and_past_the_limit_are_judge_errors()
    {
        var (online, run) = await RunsAsync("online", "run") switch { var d => (d[0], d[1]) };
        await using var onlineJudge = await StartJudgeAsync();
        Assert.That((await Af(JudgeArgs(online, onlineJudge))).Exit, Is.Zero);

        var requests = RunDirectory.ReadSamples(run).Where(s => s.Output is not null).Select(s => s.Request).Distinct().ToArray();
        Assert.That(requests, Has.Length.GreaterThanOrEqualTo(2));
        string always = requests[0], once = requests[1];
        var faults = new FaultPlan()
            .When(c => IsComplianceCallFor(c, always), ScriptedReply.ServerError())
            .When(c => IsComplianceCallFor(c, once), ScriptedReply.ServerError(), times: 1);
        await using var judge = await StartJudgeAsync(faults);

        var (exit, stdout, stderr) = await Af(BatchArgs(run, judge, "--batch-max-attempts", "3"));
        Assert.That(exit, Is.Zero, stderr);

        // Round 1 sends everything; rounds 2 and 3 only what failed; nothing after the third attempt.
        var rounds = judge.Batches.GroupBy(BatchKit.Round).OrderBy(g => g.Key).Select(g => g.SelectMany(b => b.CustomIds).ToArray()).ToArray();
        Assert.That(rounds, Has.Length.EqualTo(3));
        var alwaysKeys = judge.Calls.Where(c => IsComplianceCallFor(c, always)).Select(c => c.Headers["x-test-custom-id"]).Distinct().ToArray();
        var onceKey = judge.Calls.Where(c => IsComplianceCallFor(c, once)).Select(c => c.Headers["x-test-custom-id"]).First();
        Assert.That(rounds[1], Is.EquivalentTo(alwaysKeys.Append(onceKey)), "round 2 resends the failed requests only");
        Assert.That(rounds[2], Is.EquivalentTo(alwaysKeys), "the request that failed once succeeded in round 2");

        var samples = RunDirectory.ReadSamples(run);
        var expected = RunDirectory.ReadSamples(online).ToDictionary(s => s.SampleId);
        foreach (var sample in samples)
        {
            if (sample.Request == always && sample.Output is not null)
            {
                Assert.That(sample.Judge, Is.EqualTo(ComplianceOutcome.Error), sample.SampleId + ": a failed judge call is no verdict");
            }
            else
            {
                Assert.That(sample.Judge, Is.EqualTo(expected[sample.SampleId].Judge), sample.SampleId);
            }

            Assert.That(JsonSerializer.Serialize(sample.AlignmentFaking, ComparableJson), Is.EqualTo(JsonSerializer.Serialize(expected[sample.SampleId].AlignmentFaking, ComparableJson)));
        }

        Assert.That(samples.Count(s => s.Judge == ComplianceOutcome.Error), Is.GreaterThan(0));
        Assert.That(stdout, Does.Contain("call(s) without a reply after 3 attempt(s) are judge errors"));
        var summary = RunDirectory.ReadSummary(run);
        Assert.That(summary.Conditions.Sum(c => c.Judge!.Training.Errors + c.Judge!.Unmonitored.Errors), Is.EqualTo(samples.Count(s => s.Judge == ComplianceOutcome.Error)));

        // A later batch judgement tries the errors again (the fault is still there: three more attempts, still errors).
        int batches = judge.Batches.Count;
        var (again, _, againErr) = await Af(BatchArgs(run, judge));
        Assert.That(again, Is.Zero, againErr);
        Assert.That(judge.Batches.Count - batches, Is.EqualTo(3));
        Assert.That(judge.Batches.Skip(batches).SelectMany(b => b.CustomIds), Is.EquivalentTo(alwaysKeys.Concat(alwaysKeys).Concat(alwaysKeys)));
    }

    private static bool IsComplianceCallFor(ChatCompletionCall call, string request)
    {
        var prompt = call.Messages[^1].Content;
        return prompt.Contains(CompliancePromptMarker, StringComparison.Ordinal) && prompt.Contains(request, StringComparison.Ordinal);
    }
}
