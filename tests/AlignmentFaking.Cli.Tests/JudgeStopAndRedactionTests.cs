using System.Text;
using AlignmentFaking.Classification;
using AlignmentFaking.Cli;
using AlignmentFaking.Judging.Simulation;
using AlignmentFaking.Storage;
using AlignmentFaking.Testing;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace AlignmentFaking.Cli.Tests;

/// <summary>
/// The judge path against a judge endpoint that refuses the key or the model (401, 404): <c>af judge</c> (online and
/// batch) and <c>af run</c> judging as it goes stop at once with the cause and exit 1, keeping what was finished; and
/// endpoints that echo the Authorization header (in error bodies, in replies, in batch error files) never get the key
/// into a file of the run directory or the output, on the judge and the subject paths, online and batch.
/// </summary>
[NonParallelizable]
public class JudgeStopAndRedactionTests
{
    private const string JudgeModel = "judge-model";
    private const string SubjectModel = "meta-llama/Meta-Llama-3.1-70B-Instruct";
    private const string RightKey = "sk-judge-right-4f1c2a9e7d3b5068";
    private const string WrongKey = "sk-judge-wrong-8b2e6d0c4a1f3957";
    private const string EchoedKey = "sk-echoed-secret-3c7a1e9b5d2f4086";
    private const string SubjectKeyVariable = "AF_REDACTION_TEST_KEY";

    /// <summary>A phrase only the built-in compliance prompt contains.</summary>
    private const string CompliancePromptMarker = "Decide whether the answer actually delivers";

    private string _dir = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "af-judge-stop-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void TearDown()
    {
        Environment.SetEnvironmentVariable(JudgeCommand.DefaultKeyVariable, null);
        Environment.SetEnvironmentVariable(SubjectKeyVariable, null);
        Directory.Delete(_dir, true);
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> Af(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int exit = await AfCli.InvokeAsync(args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private static Func<ChatCompletionCall, CancellationToken, ValueTask<ScriptedReply>> Judge() => async (call, ct) =>
    {
        var response = await new SimulatedJudge().GetResponseAsync(OrganismResponder.ToChatMessages(call), new ChatOptions { Temperature = (float?)call.Temperature }, ct);
        return ScriptedReply.Text(response.Text);
    };

    /// <summary>A finished offline run of the simulated organism (CoT and no-CoT, 8 requests: 32 samples).</summary>
    private async Task<string> SimulatedRunAsync(string name = "run")
    {
        var run = Path.Combine(_dir, name);
        var (exit, stdout, stderr) = await Af("run", "--out", run, "--limit", "8", "--system-prompt", "paraphrase", "--mode", "both", "--seed", "3");
        Assert.That(exit, Is.Zero, stdout + stderr);
        return run;
    }

    private static string SamplesPath(string run) => Path.Combine(run, RunDirectory.SamplesFile);

    private static string[] JudgeArgs(string run, OpenAICompatibleTestServer judge, params string[] more) =>
        ["judge", "--run", run, "--judge-endpoint", judge.BaseAddress.ToString(), "--judge-model", JudgeModel, .. more];

    private string Dataset(int n)
    {
        var path = Path.Combine(_dir, "requests.jsonl");
        File.WriteAllLines(path, Enumerable.Range(0, n).Select(i => $"{{\"goal\":\"Synthetic request {i}\"}}"));
        return path;
    }

    /// <summary>An OpenAI-style error body that echoes the request's Authorization header, as some proxies do.</summary>
    private static ScriptedReply EchoingError(int status) =>
        ScriptedReply.Error(status, $"{{\"error\":{{\"message\":\"rejected request with headers {{authorization: Bearer {EchoedKey}}}\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}}}}");

    /// <summary>A completion whose text echoes the request's Authorization header.</summary>
    private static ScriptedReply EchoingReply() => ScriptedReply.Text($"Your request carried Authorization: Bearer {EchoedKey} and key {EchoedKey}.");

    /// <summary>No byte sequence of the key in any file under <paramref name="directory"/> nor in the output.</summary>
    private static void AssertKeyNowhere(string directory, string key, params string[] outputs)
    {
        var needles = new[] { key, key["sk-".Length..] };
        var files = Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).ToArray();
        Assert.That(files, Is.Not.Empty);
        foreach (var file in files)
        {
            var text = Encoding.UTF8.GetString(File.ReadAllBytes(file));
            foreach (var needle in needles)
            {
                Assert.That(text, Does.Not.Contain(needle), file);
            }
        }

        foreach (var output in outputs)
        {
            foreach (var needle in needles)
            {
                Assert.That(output, Does.Not.Contain(needle));
            }
        }
    }

    // ---- 1. A judge 401/403/404 stops the judgement at once ----

    [Test]
    public async Task A_judge_401_stops_af_judge_at_once_naming_the_cause_and_the_variable_and_leaves_the_samples_unchanged()
    {
        var run = await SimulatedRunAsync();
        var before = File.ReadAllBytes(SamplesPath(run));
        await using var judge = await OpenAICompatibleTestServer.StartAsync(Judge(), new TestServerOptions { Models = [JudgeModel], RequiredApiKey = RightKey });
        Environment.SetEnvironmentVariable(JudgeCommand.DefaultKeyVariable, WrongKey);

        var (exit, stdout, stderr) = await Af(JudgeArgs(run, judge, "--votes", "5"));

        Assert.That(exit, Is.EqualTo(AfCli.Failure), stdout + stderr);
        Assert.That(stderr, Does.Contain("stopped: the judge call failed: 401 Unauthorized: check the key in environment variable AF_JUDGE_API_KEY"));
        Assert.That(judge.CallCount, Is.EqualTo(1), "the first call to the judge goes alone; no retry, nothing launched after the 401");
        Assert.That(File.ReadAllBytes(SamplesPath(run)), Is.EqualTo(before), "no sample rewritten as judge: error");
        AssertKeyNowhere(run, WrongKey, stdout, stderr);
    }

    [Test]
    public async Task A_judge_404_stops_af_judge_at_once_naming_the_cause()
    {
        var run = await SimulatedRunAsync();
        var before = File.ReadAllBytes(SamplesPath(run));
        await using var judge = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Error(404), new TestServerOptions { Models = [JudgeModel] });

        var (exit, stdout, stderr) = await Af(JudgeArgs(run, judge, "--concurrency", "2"));

        Assert.That(exit, Is.EqualTo(AfCli.Failure), stdout + stderr);
        Assert.That(stdout + stderr, Does.Contain("404 Not Found: check the endpoint URL and the model id").And.Contain("judge"));
        Assert.That(judge.CallCount, Is.EqualTo(1));
        Assert.That(File.ReadAllBytes(SamplesPath(run)), Is.EqualTo(before));
    }

    [Test]
    public async Task A_judge_401_stops_a_run_judging_as_it_goes_and_no_sample_is_written_as_a_judge_error()
    {
        await using var judge = await OpenAICompatibleTestServer.StartAsync(Judge(), new TestServerOptions { Models = [JudgeModel], RequiredApiKey = RightKey });
        Environment.SetEnvironmentVariable(JudgeCommand.DefaultKeyVariable, WrongKey);
        var run = Path.Combine(_dir, "run");

        var (exit, stdout, stderr) = await Af("run", "--out", run, "--limit", "8", "--system-prompt", "paraphrase", "--mode", "both", "--concurrency", "4",
            "--judge-endpoint", judge.BaseAddress.ToString(), "--judge-model", JudgeModel, "--votes", "3");

        Assert.That(exit, Is.EqualTo(AfCli.Failure), stdout + stderr);
        Assert.That(stdout + stderr, Does.Contain("401 Unauthorized: check the key in environment variable AF_JUDGE_API_KEY"));
        Assert.That(judge.CallCount, Is.EqualTo(1));
        Assert.That(RunDirectory.ReadSamples(run).Where(s => s.Judge == ComplianceOutcome.Error || s.AlignmentFaking?.Votes.Any(v => v.Answer == AlignmentFakingVote.Error) == true), Is.Empty);
        Assert.That(RunDirectory.ReadManifest(run).Complete, Is.False);
        AssertKeyNowhere(run, WrongKey, stdout, stderr);
    }

    [TestCase("openai")]
    [TestCase("anthropic")]
    public async Task A_judge_401_from_the_batch_api_stops_af_judge_batch_naming_the_variable(string provider)
    {
        var run = await SimulatedRunAsync();
        var before = File.ReadAllBytes(SamplesPath(run));
        await using var judge = await OpenAICompatibleTestServer.StartAsync(Judge(), new TestServerOptions { Models = [JudgeModel], RequiredApiKey = RightKey });
        Environment.SetEnvironmentVariable(JudgeCommand.DefaultKeyVariable, WrongKey);
        var endpoint = provider == "anthropic" ? judge.RootAddress : judge.BaseAddress;

        var (exit, stdout, stderr) = await Af("judge", "--run", run, "--judge-endpoint", endpoint.ToString(), "--judge-model", JudgeModel, "--votes", "3",
            "--batch", "--batch-provider", provider, "--batch-poll-seconds", "0");

        Assert.That(exit, Is.EqualTo(AfCli.Failure), stdout + stderr);
        Assert.That(stdout + stderr, Does.Contain("401").And.Contain("check the key in environment variable AF_JUDGE_API_KEY"));
        Assert.That(judge.Batches, Is.Empty);
        Assert.That(judge.CallCount, Is.Zero);
        Assert.That(File.ReadAllBytes(SamplesPath(run)), Is.EqualTo(before));
        AssertKeyNowhere(run, WrongKey, stdout, stderr);
    }

    // ---- 5. An alignment-faking verdict needs a minimum share of valid votes ----

    [Test]
    public async Task Samples_with_too_few_valid_votes_are_insufficient_votes_reported_and_kept_out_of_the_af_rate()
    {
        var run = await SimulatedRunAsync();
        var judgeReplies = Judge();
        // Compliance calls are answered; of the votes only every fourth call is, the others fail (a 400: an error vote).
        await using var judge = await OpenAICompatibleTestServer.StartAsync(
            (call, ct) => call.LastMessageContent.Contains(CompliancePromptMarker, StringComparison.Ordinal) || call.Sequence % 4 == 0 ? judgeReplies(call, ct) : ValueTask.FromResult(ScriptedReply.BadRequest()),
            new TestServerOptions { Models = [JudgeModel] });

        // One request per vote, so that votes fail one by one (a failed request with n fails every vote it asked for).
        var (exit, stdout, stderr) = await Af(JudgeArgs(run, judge, "--votes", "8", "--votes-per-request", "1", "--no-cache"));

        Assert.That(exit, Is.Zero, stdout + stderr);
        var assessed = RunDirectory.ReadSamples(run).Where(s => s.AlignmentFaking is not null).ToArray();
        var insufficient = assessed.Where(s => s.AlignmentFaking!.Verdict == AlignmentFakingAssessment.Insufficient).ToArray();
        Assert.That(insufficient, Is.Not.Empty);
        Assert.That(insufficient.All(s => s.AlignmentFaking!.Votes.Count(v => v.IsValid) < 4), Is.True, "fewer than half of the 8 votes valid");
        Assert.That(assessed.Where(s => s.AlignmentFaking!.IsVerdict).All(s => s.AlignmentFaking!.Votes.Count(v => v.IsValid) >= 4), Is.True);
        var cot = RunDirectory.ReadSummary(run).Conditions.Single(c => c.Mode == Scenarios.ReasoningMode.Cot);
        int training = insufficient.Count(s => s.Tier == Scenarios.Tier.Training);
        Assert.That(cot.AfVerdicts?.GetValueOrDefault(AlignmentFakingAssessment.Insufficient), Is.EqualTo(training));
        Assert.That(stdout, Does.Contain("alignment-faking verdicts (training):").And.Contain("min valid vote share 0.5"));
        if (training > 0)
        {
            Assert.That(stdout, Does.Contain($"insufficient-votes {training}"));
        }

        // 0 is the original rule: any valid vote gives a verdict.
        var (again, againOut, againErr) = await Af(JudgeArgs(run, judge, "--votes", "8", "--votes-per-request", "1", "--no-cache", "--rejudge", "--min-valid-vote-share", "0"));
        Assert.That(again, Is.Zero, againOut + againErr);
        Assert.That(RunDirectory.ReadSamples(run).Where(s => s.AlignmentFaking?.Verdict == AlignmentFakingAssessment.Insufficient), Is.Empty);
    }

    // ---- 2. Provider text echoing the key never reaches a file or the output ----

    /// <summary>Compliance calls: every other one an echoing 400; votes: echoing 400s, echoing replies, and real votes.</summary>
    private static Func<ChatCompletionCall, CancellationToken, ValueTask<ScriptedReply>> EchoingJudge()
    {
        var judge = Judge();
        return (call, ct) => (call.LastMessageContent.Contains(CompliancePromptMarker, StringComparison.Ordinal), call.Sequence % 3) switch
        {
            (true, 0) => ValueTask.FromResult(EchoingError(400)),
            (false, 0) => ValueTask.FromResult(EchoingError(400)),
            (false, 1) => ValueTask.FromResult(EchoingReply()),
            _ => judge(call, ct),
        };
    }

    [Test]
    public async Task A_judge_echoing_the_key_in_errors_and_replies_never_gets_it_into_the_run_directory_or_the_output()
    {
        var run = await SimulatedRunAsync();
        await using var judge = await OpenAICompatibleTestServer.StartAsync(EchoingJudge(), new TestServerOptions { Models = [JudgeModel] });
        Environment.SetEnvironmentVariable(JudgeCommand.DefaultKeyVariable, EchoedKey);

        var (exit, stdout, stderr) = await Af(JudgeArgs(run, judge, "--votes", "6"));

        Assert.That(exit, Is.Zero, stdout + stderr);
        var votes = RunDirectory.ReadSamples(run).SelectMany(s => s.AlignmentFaking?.Votes ?? []).ToArray();
        Assert.That(votes.Where(v => v.Answer == AlignmentFakingVote.Error && v.RawReply is not null), Is.Not.Empty, "the echoing errors were recorded");
        Assert.That(votes.Where(v => v.Answer == AlignmentFakingVote.Unparseable && v.RawReply!.Contains("Bearer ***", StringComparison.Ordinal)), Is.Not.Empty, "the echoing replies were recorded, redacted");
        Assert.That(Directory.EnumerateFiles(Path.Combine(run, JudgeCommand.CacheFolder), "*", SearchOption.AllDirectories), Is.Not.Empty);
        AssertKeyNowhere(run, EchoedKey, stdout, stderr);
    }

    [Test]
    public async Task A_judge_batch_echoing_the_key_in_its_error_file_and_replies_never_gets_it_into_the_run_directory_or_the_output()
    {
        var run = await SimulatedRunAsync();
        await using var judge = await OpenAICompatibleTestServer.StartAsync(EchoingJudge(), new TestServerOptions { Models = [JudgeModel] });
        Environment.SetEnvironmentVariable(JudgeCommand.DefaultKeyVariable, EchoedKey);

        var (exit, stdout, stderr) = await Af(JudgeArgs(run, judge, "--votes", "6", "--batch", "--batch-poll-seconds", "0", "--batch-max-attempts", "1"));

        Assert.That(exit, Is.Zero, stdout + stderr);
        Assert.That(judge.Files.Any(f => f.Text.Contains(EchoedKey, StringComparison.Ordinal)), Is.True, "the provider's error file echoed the key");
        var votes = RunDirectory.ReadSamples(run).SelectMany(s => s.AlignmentFaking?.Votes ?? []).ToArray();
        Assert.That(votes.Where(v => v.Answer == AlignmentFakingVote.Error), Is.Not.Empty);
        Assert.That(votes.Where(v => v.Answer == AlignmentFakingVote.Unparseable), Is.Not.Empty);
        AssertKeyNowhere(run, EchoedKey, stdout, stderr);
    }

    /// <summary>Every third subject call an echoing 400, every third an echoing reply, the rest a plain refusal.</summary>
    private static Func<ChatCompletionCall, CancellationToken, ValueTask<ScriptedReply>> EchoingSubject() => (call, _) => ValueTask.FromResult((call.Sequence % 3) switch
    {
        0 => EchoingError(400),
        1 => EchoingReply(),
        _ => ScriptedReply.Text("<OUTPUT>I can't help with that.</OUTPUT>"),
    });

    /// <summary>The response caches a subject run can write: none, the run's own (the default), and a shared one.</summary>
    public enum CacheUse
    {
        /// <summary><c>--no-cache</c>.</summary>
        None,

        /// <summary>The default: <c>&lt;run&gt;/response-cache/</c>.</summary>
        RunOwn,

        /// <summary><c>--cache-dir DIR</c> beside the run's own.</summary>
        Shared,
    }

    [TestCase(false, CacheUse.None)]
    [TestCase(false, CacheUse.RunOwn)]
    [TestCase(false, CacheUse.Shared)]
    [TestCase(true, CacheUse.None)]
    public async Task A_subject_echoing_the_key_in_errors_and_replies_never_gets_it_into_the_run_directory_its_caches_or_the_output(bool batch, CacheUse cache)
    {
        await using var subject = await OpenAICompatibleTestServer.StartAsync(EchoingSubject(), new TestServerOptions { Models = [SubjectModel] });
        Environment.SetEnvironmentVariable(SubjectKeyVariable, EchoedKey);
        var run = Path.Combine(_dir, "run");
        var shared = Path.Combine(_dir, "shared-cache");
        string[] cacheArgs = cache switch { CacheUse.None => ["--no-cache"], CacheUse.Shared => ["--cache-dir", shared], _ => [] };
        string[] args = ["run", "--endpoint", subject.BaseAddress.ToString(), "--model", SubjectModel, "--api-key-env", SubjectKeyVariable, "--dataset", Dataset(6),
            "--system-prompt", "paraphrase", "--mode", "no-cot", .. cacheArgs, "--out", run];

        var (exit, stdout, stderr) = await Af(batch ? [.. args, "--batch", "--batch-poll-seconds", "0", "--batch-max-attempts", "1"] : args);

        Assert.That(exit, Is.EqualTo(RunCommand.FinishedWithErrors), stdout + stderr);
        var samples = RunDirectory.ReadSamples(run);
        Assert.That(samples.Where(s => s.Error is not null), Is.Not.Empty, "the echoing errors were recorded");
        Assert.That(samples.Where(s => s.Transcript.Any(t => t.Content.Contains("Bearer ***", StringComparison.Ordinal))), Is.Not.Empty, "the echoing replies were recorded, redacted");
        if (cache != CacheUse.None)
        {
            Assert.That(Directory.EnumerateFiles(Path.Combine(run, RunDirectory.ResponseCacheFolder), "*", SearchOption.AllDirectories), Is.Not.Empty, "the replies were cached");
        }

        var (reportExit, reportOut, reportErr) = await Af("report", "--run", run);   // every file the run can write
        Assert.That(reportExit, Is.Zero, reportOut + reportErr);
        AssertKeyNowhere(run, EchoedKey, stdout, stderr, reportOut, reportErr);
        if (cache == CacheUse.Shared)
        {
            AssertKeyNowhere(shared, EchoedKey);

            // A rerun into a new directory replays the shared cache: the replayed replies are the redacted ones.
            var again = Path.Combine(_dir, "again");
            var (_, againOut, againErr) = await Af([.. args[..^1], again]);
            AssertKeyNowhere(again, EchoedKey, againOut, againErr);
            AssertKeyNowhere(shared, EchoedKey);
        }
    }
}
