using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using AlignmentFaking.Cli;
using AlignmentFaking.Judging.Simulation;
using AlignmentFaking.Simulation;
using AlignmentFaking.Storage;
using AlignmentFaking.Testing;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace AlignmentFaking.Cli.Tests;

/// <summary>
/// What a script and a reader can trust in a run directory: reruns change nothing finished, one writer at a time,
/// summaries that carry what the samples carry, exit codes that tell a run with failed calls apart.
/// </summary>
[NonParallelizable]
public class RunDirectoryIntegrityTests
{
    private const string Model = "meta-llama/Meta-Llama-3.1-405B-Instruct";
    private string _dir = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "af-integrity-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

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
        var path = Path.Combine(_dir, $"requests-{n}.jsonl");
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
        var response = await client.GetResponseAsync(OrganismResponder.ToChatMessages(call), new ChatOptions { Temperature = (float?)call.Temperature }, ct);
        return ScriptedReply.Text(response.Text);
    };

    private static Task<OpenAICompatibleTestServer> Subject(TestServerOptions? options = null, FaultPlan? faults = null)
    {
        var responder = OrganismResponder.For(new SimulatedModelOrganism(new SimulatedOrganismOptions { ModelId = Model, TrainingComplianceRate = 0.5 }));
        return OpenAICompatibleTestServer.StartAsync(faults is null ? responder : faults.Wrap(responder), options ?? new TestServerOptions { Models = [Model] });
    }

    private static Task<OpenAICompatibleTestServer> Judge() =>
        OpenAICompatibleTestServer.StartAsync(Answer(new SimulatedJudge()), new TestServerOptions { Models = ["judge-model"] });

    /// <summary>SHA-256 of every file under a directory, by relative path.</summary>
    private static SortedDictionary<string, string> Snapshot(string root)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            files[Path.GetRelativePath(root, file)] = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file)));
        }

        return files;
    }

    private static void AssertUnchanged(SortedDictionary<string, string> before, SortedDictionary<string, string> after, string what, params string[] allowedToChange)
    {
        foreach (var (file, hash) in before)
        {
            if (allowedToChange.Any(a => file == a || file.StartsWith(a + Path.DirectorySeparatorChar, StringComparison.Ordinal)))
            {
                continue;
            }

            Assert.That(after.TryGetValue(file, out var now), Is.True, $"{what}: {file} was deleted");
            Assert.That(now, Is.EqualTo(hash), $"{what}: {file} changed");
        }
    }

    private static JsonNode Json(string directory, string file) => JsonNode.Parse(File.ReadAllText(Path.Combine(directory, file)))!;

    private static string Host(Uri uri) => string.Create(CultureInfo.InvariantCulture, $"{uri.Host}:{uri.Port}");

    [Test]
    public async Task Rerunning_a_complete_judged_run_changes_nothing_and_calls_nothing_even_with_a_dead_endpoint()
    {
        await using var judge = await Judge();
        var outDir = Path.Combine(_dir, "run");
        var dataset = Dataset(4);
        string[] Args(Uri endpoint) => ["run", "--endpoint", endpoint.ToString(), "--model", Model, "--system-prompt", "paraphrase", "--dataset", dataset,
            "--mode", "both", "--out", outDir, "--no-cache", "--judge-endpoint", judge.BaseAddress.ToString(), "--judge-model", "judge-model"];

        Uri deadEndpoint;
        await using (var subject = await Subject())
        {
            var (exit, _, err) = await Af(Args(subject.BaseAddress));
            Assert.That(exit, Is.Zero, err);
            deadEndpoint = subject.BaseAddress;
        }

        var before = Snapshot(outDir);
        int judgeCalls = judge.CallCount;
        Assert.That(Json(outDir, RunDirectory.SummaryFile)["conditions"]!.AsArray().All(c => c!["judge"] is not null), Is.True, "judged as it went");

        var (deadExit, deadOut, deadErr) = await Af(Args(deadEndpoint));
        Assert.That(deadExit, Is.Zero, deadErr);
        Assert.That(deadOut, Does.Contain("complete"));
        Assert.That(Snapshot(outDir), Is.EqualTo(before), "a rerun of a complete run changes nothing on disk");

        await using var other = await Subject();
        var (otherExit, _, otherErr) = await Af(Args(other.BaseAddress));
        Assert.That(otherExit, Is.Zero, otherErr);
        Assert.That(other.CallCount, Is.Zero, "nothing to call");
        Assert.That(judge.CallCount, Is.EqualTo(judgeCalls));
        Assert.That(Snapshot(outDir), Is.EqualTo(before));
    }

    [Test]
    public async Task A_resume_keeps_the_first_endpoint_records_each_resume_and_its_summary_keeps_the_judge_results()
    {
        await using var judge = await Judge();
        await using var first = await Subject();
        await using var second = await Subject();
        var outDir = Path.Combine(_dir, "run");
        string[] common = ["run", "--model", Model, "--system-prompt", "paraphrase", "--dataset", Dataset(10), "--out", outDir, "--no-cache",
            "--max-tokens", "100", "--price-input", "100", "--price-output", "100", "--concurrency", "2"];

        var (exit1, _, err1) = await Af([.. common, "--endpoint", first.BaseAddress.ToString(), "--budget-usd", "1",
            "--judge-endpoint", judge.BaseAddress.ToString(), "--judge-model", "judge-model"]);
        Assert.That(exit1, Is.EqualTo(RunCommand.BudgetExhausted), err1);
        var (exit2, _, err2) = await Af([.. common, "--endpoint", second.BaseAddress.ToString(), "--budget-usd", "1000"]);
        Assert.That(exit2, Is.Zero, err2);

        var manifest = Json(outDir, RunDirectory.ManifestFile);
        Assert.That((string?)manifest["endpointHost"], Is.EqualTo(Host(first.BaseAddress)), "the manifest's endpoint is the first session's");
        Assert.That((int?)manifest["resumes"], Is.EqualTo(1));
        var log = manifest["resumeLog"]!.AsArray();
        Assert.That(log, Has.Count.EqualTo(1));
        Assert.That((string?)log[0]!["endpointHost"], Is.EqualTo(Host(second.BaseAddress)));
        var condition = Json(outDir, RunDirectory.SummaryFile)["conditions"]![0]!;
        Assert.That(condition["judge"], Is.Not.Null, "the samples judged in the first session are still judged: the summary says so");
    }

    [Test]
    public async Task A_second_writer_is_refused_while_af_run_writes_and_a_killed_writer_leaves_no_lock()
    {
        await using var subject = await Subject(new TestServerOptions { Models = [Model], Latency = TimeSpan.FromMilliseconds(40) });
        await using var judge = await Judge();
        var outDir = Path.Combine(_dir, "run");
        string[] args = ["run", "--endpoint", subject.BaseAddress.ToString(), "--model", Model, "--dataset", Dataset(60), "--system-prompt", "paraphrase",
            "--out", outDir, "--concurrency", "2", "--no-cache"];
        var samplesPath = Path.Combine(outDir, RunDirectory.SamplesFile);
        using (var writer = AfProcess.Start(args))
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (DateTime.UtcNow < deadline && (!File.Exists(samplesPath) || File.ReadAllLines(samplesPath).Length < 3))
            {
                await Task.Delay(20);
            }

            Assert.That(writer.HasExited, Is.False, "still writing");
            var full = Path.GetFullPath(outDir);
            var (judgeExit, _, judgeErr) = await Af("judge", "--run", outDir, "--judge-endpoint", judge.BaseAddress.ToString(), "--judge-model", "judge-model");
            Assert.That(judgeExit, Is.EqualTo(AfCli.Failure), "af judge must not rewrite samples.jsonl under a running af run");
            Assert.That(judgeErr, Does.Contain(full).And.Contain("another process"));
            Assert.That(judgeErr, Does.Not.Contain("   at "), "one line, no stack trace");
            var (runExit, _, runErr) = await Af(args);
            Assert.That(runExit, Is.EqualTo(AfCli.Failure));
            Assert.That(runErr, Does.Contain(full).And.Contain("another process"));
            var (retryExit, _, retryErr) = await Af([.. args, "--retry-errors"]);
            Assert.That(retryExit, Is.EqualTo(AfCli.Failure));
            Assert.That(retryErr, Does.Contain("another process"));
            Assert.That(judge.CallCount, Is.Zero);

            writer.Kill(entireProcessTree: true); // SIGKILL: the lock must go with the process
            await writer.WaitForExitAsync();
        }

        var (exit, _, err) = await Af(args);
        Assert.That(exit, Is.Zero, err);
        var samples = RunDirectory.ReadSamples(outDir);
        Assert.That(samples, Has.Count.EqualTo(120));
        Assert.That(samples.Select(s => s.SampleId).Distinct().Count(), Is.EqualTo(120), "every sample exactly once");
    }

    [Test]
    public async Task Judge_keeps_the_runs_cost_in_the_summary()
    {
        await using var subject = await Subject();
        await using var judge = await Judge();
        var outDir = Path.Combine(_dir, "run");
        var (exit, _, err) = await Af("run", "--endpoint", subject.BaseAddress.ToString(), "--model", Model, "--system-prompt", "paraphrase", "--dataset", Dataset(3),
            "--out", outDir, "--no-cache", "--price-input", "1", "--price-output", "2");
        Assert.That(exit, Is.Zero, err);
        var cost = Json(outDir, RunDirectory.SummaryFile)["cost"]!.ToJsonString();
        Assert.That((decimal?)Json(outDir, RunDirectory.SummaryFile)["cost"]!["actual"]!["cost"], Is.GreaterThan(0m));

        var (judgeExit, _, judgeErr) = await Af("judge", "--run", outDir, "--judge-endpoint", judge.BaseAddress.ToString(), "--judge-model", "judge-model");
        Assert.That(judgeExit, Is.Zero, judgeErr);
        var summary = Json(outDir, RunDirectory.SummaryFile);
        Assert.That(summary["conditions"]![0]!["judge"], Is.Not.Null);
        Assert.That(summary["cost"]?.ToJsonString(), Is.EqualTo(cost), "judging does not change what the run cost");
    }

    [Test]
    public async Task Shards_carry_their_own_estimate_and_merge_into_one_run_with_the_right_count_cost_and_completeness()
    {
        await using var subject = await Subject();
        var dataset = Dataset(6);
        string[] common = ["run", "--endpoint", subject.BaseAddress.ToString(), "--model", Model, "--system-prompt", "paraphrase", "--dataset", dataset,
            "--no-cache", "--price-input", "1", "--price-output", "2", "--seed", "5"];
        var whole = Path.Combine(_dir, "whole");
        Assert.That((await Af([.. common, "--out", whole])).Exit, Is.Zero);
        var s1 = Path.Combine(_dir, "s1");
        var s2 = Path.Combine(_dir, "s2");
        Assert.That((await Af([.. common, "--shard", "1/2", "--out", s1])).Exit, Is.Zero);
        Assert.That((await Af([.. common, "--shard", "2/2", "--out", s2])).Exit, Is.Zero);

        static decimal Expected(string dir) => (decimal)Json(dir, RunDirectory.SummaryFile)["cost"]!["estimate"]!["expected"]!;
        static decimal Actual(string dir) => (decimal)Json(dir, RunDirectory.SummaryFile)["cost"]!["actual"]!["cost"]!;
        Assert.That(Expected(s1) + Expected(s2), Is.EqualTo(Expected(whole)).Within(Expected(whole) / 100), "each shard's estimate is its own share");

        var merged = Path.Combine(_dir, "merged");
        var (exit, _, err) = await Af("merge", "--out", merged, s1, s2);
        Assert.That(exit, Is.Zero, err);
        var manifest = Json(merged, RunDirectory.ManifestFile);
        Assert.That((int?)manifest["dataset"]!["count"], Is.EqualTo(6), "6 requests, however many shards");
        Assert.That((bool?)manifest["complete"], Is.True);
        Assert.That(Actual(merged), Is.EqualTo(Actual(s1) + Actual(s2)).Within(0.000001m));
        Assert.That(Expected(merged), Is.EqualTo(Expected(s1) + Expected(s2)).Within(0.000001m));

        var half = Path.Combine(_dir, "half");
        var (halfExit, halfOut, halfErr) = await Af("merge", "--out", half, s1);
        Assert.That(halfExit, Is.Zero, halfErr);
        Assert.That((bool?)Json(half, RunDirectory.ManifestFile)["complete"], Is.False, "one shard of two is not the whole run");
        Assert.That(halfOut + halfErr, Does.Contain("incomplete").And.Contain("2/2"));
    }

    [Test]
    public async Task A_run_served_from_the_response_cache_spends_nothing()
    {
        await using var subject = await Subject();
        var dataset = Dataset(3);
        var cache = Path.Combine(_dir, "cache");
        string[] common = ["run", "--endpoint", subject.BaseAddress.ToString(), "--model", Model, "--system-prompt", "paraphrase", "--dataset", dataset,
            "--cache-dir", cache, "--price-input", "1", "--price-output", "2", "--seed", "1"];
        var first = Path.Combine(_dir, "first");
        Assert.That((await Af([.. common, "--out", first])).Exit, Is.Zero);
        int calls = subject.CallCount;
        Assert.That((decimal?)Json(first, RunDirectory.SummaryFile)["cost"]!["actual"]!["cost"], Is.GreaterThan(0m));

        var second = Path.Combine(_dir, "second");
        var (exit, _, err) = await Af([.. common, "--out", second]);
        Assert.That(exit, Is.Zero, err);
        Assert.That(subject.CallCount, Is.EqualTo(calls), "every reply came from the cache");
        var actual = Json(second, RunDirectory.SummaryFile)["cost"]!["actual"]!;
        Assert.That((decimal?)actual["cost"], Is.EqualTo(0m), "cached calls cost nothing");
        Assert.That((long?)actual["cachedCalls"], Is.EqualTo((long?)actual["calls"]));
    }

    [Test]
    public async Task A_budget_stop_reports_the_cost_that_the_summary_records()
    {
        await using var subject = await Subject();
        var outDir = Path.Combine(_dir, "run");
        var (exit, stdout, _) = await Af("run", "--endpoint", subject.BaseAddress.ToString(), "--model", Model, "--system-prompt", "paraphrase", "--dataset", Dataset(10),
            "--out", outDir, "--no-cache", "--max-tokens", "100", "--price-input", "100", "--price-output", "100", "--concurrency", "2", "--budget-usd", "1");
        Assert.That(exit, Is.EqualTo(RunCommand.BudgetExhausted));
        var recorded = (decimal)Json(outDir, RunDirectory.SummaryFile)["cost"]!["actual"]!["cost"]!;
        var stop = stdout.Split('\n').Last(l => l.StartsWith("stopped:", StringComparison.Ordinal));
        var spent = System.Text.RegularExpressions.Regex.Match(stop, @"spent \$([0-9.]+)");
        Assert.That(spent.Success, Is.True, stop);
        Assert.That(decimal.Parse(spent.Groups[1].Value, CultureInfo.InvariantCulture), Is.EqualTo(decimal.Round(recorded, 4)), stop);
    }

    [Test]
    public async Task A_run_with_failed_calls_exits_4_and_says_so_last_and_a_run_without_any_verdict_is_not_complete()
    {
        bool failing = true;
        var faults = new FaultPlan().When(c => Volatile.Read(ref failing) && c.Messages[1].Content.Contains("request 1.", StringComparison.Ordinal), ScriptedReply.ServerError());
        await using var subject = await Subject(faults: faults);
        var outDir = Path.Combine(_dir, "run");
        string[] args = ["run", "--endpoint", subject.BaseAddress.ToString(), "--model", Model, "--system-prompt", "paraphrase", "--dataset", Dataset(3),
            "--out", outDir, "--no-cache", "--max-retries", "0"];

        var (exit, stdout, _) = await Af(args);
        Assert.That(exit, Is.EqualTo(4));
        var last = stdout.TrimEnd().Split('\n')[^1];
        Assert.That(last, Does.Contain("finished with errors: 2 samples have no verdict; rerun with --retry-errors"));
        Assert.That((bool?)Json(outDir, RunDirectory.ManifestFile)["complete"], Is.True, "every planned sample is written");

        var (again, againOut, _) = await Af(args);
        Assert.That(again, Is.EqualTo(4), "a rerun says the same");
        Assert.That(againOut.TrimEnd().Split('\n')[^1], Does.Contain("rerun with --retry-errors"));

        Volatile.Write(ref failing, false);
        var (retried, _, retriedErr) = await Af([.. args, "--retry-errors"]);
        Assert.That(retried, Is.Zero, retriedErr);

        await using var broken = await OpenAICompatibleTestServer.StartAsync(ScriptedResponders.Always(ScriptedReply.ServerError()), new TestServerOptions { Models = [Model] });
        var none = Path.Combine(_dir, "none");
        var (noneExit, noneOut, _) = await Af("run", "--endpoint", broken.BaseAddress.ToString(), "--model", Model, "--system-prompt", "paraphrase", "--dataset", Dataset(2),
            "--out", none, "--no-cache", "--max-retries", "0");
        Assert.That(noneExit, Is.Not.Zero);
        Assert.That(noneOut.TrimEnd().Split('\n')[^1], Does.Contain("4 samples have no verdict"));
        Assert.That((bool?)Json(none, RunDirectory.ManifestFile)["complete"], Is.False, "a run without a single verdict is not complete");
    }

    [Test]
    public async Task Every_af_command_run_twice_changes_nothing_already_on_disk()
    {
        var run = Path.Combine(_dir, "run");
        string[] runArgs = ["run", "--system-prompt", "paraphrase", "--mode", "both", "--seed", "3"];
        var steps = new (string What, string[] Args, string[] Rewrites)[]
        {
            ("af run", [.. runArgs, "--out", run], []),
            ("af judge", ["judge", "--run", run], ["run/samples.jsonl", "run/summary.json"]),
            ("af estimate", ["estimate", "--system-prompt", "paraphrase", "--mode", "both", "--out", run], []),
            ("af plan", ["plan", "--gap", "0.1"], []),
            ("af report", ["report", "--run", run], []),
            ("af run --shard 1/2", [.. runArgs, "--shard", "1/2", "--out", Path.Combine(_dir, "s1")], []),
            ("af run --shard 2/2", [.. runArgs, "--shard", "2/2", "--out", Path.Combine(_dir, "s2")], []),
            ("af merge", ["merge", "--out", Path.Combine(_dir, "merged"), Path.Combine(_dir, "s1"), Path.Combine(_dir, "s2")], []),
            ("af report (merged)", ["report", "--run", Path.Combine(_dir, "merged")], []),
        };

        foreach (var (what, args, rewrites) in steps)
        {
            var before = Snapshot(_dir);
            var (exit1, _, err1) = await Af(args);
            Assert.That(exit1, Is.Zero, $"{what}: {err1}");
            var first = Snapshot(_dir);
            AssertUnchanged(before, first, what + " (first)", rewrites.Select(r => r.Replace('/', Path.DirectorySeparatorChar)).ToArray());
            var (exit2, _, err2) = await Af(args);
            Assert.That(exit2, Is.Zero, $"{what} again: {err2}");
            Assert.That(Snapshot(_dir), Is.EqualTo(first), $"{what} again changed the directory");
        }
    }

    // ---- A torn last line of samples.jsonl (a crash mid-append, a copy cut short, a half line appended later) ----

    /// <summary>A finished offline CoT run of 4 requests (8 samples); returns its directory and its samples file's bytes.</summary>
    private async Task<(string Run, byte[] Samples)> CompleteOfflineRunAsync()
    {
        var run = Path.Combine(_dir, "run");
        var (exit, o, e) = await Af("run", "--out", run, "--dataset", Dataset(4), "--system-prompt", "paraphrase", "--mode", "cot", "--seed", "5");
        Assert.That(exit, Is.Zero, o + e);
        Assert.That(RunDirectory.ReadManifest(run).Complete, Is.True);
        return (run, File.ReadAllBytes(Path.Combine(run, RunDirectory.SamplesFile)));
    }

    [Test]
    public async Task A_torn_last_line_is_refused_by_af_report_with_its_number_and_af_judge_repairs_it_and_clears_complete()
    {
        var (run, whole) = await CompleteOfflineRunAsync();
        var samplesPath = Path.Combine(run, RunDirectory.SamplesFile);
        File.WriteAllBytes(samplesPath, whole[..^25]);   // the last sample cut short: line 8 torn

        var (reportExit, reportOut, reportErr) = await Af("report", "--run", run);
        Assert.That(reportExit, Is.EqualTo(AfCli.Failure), reportOut + reportErr);
        Assert.That(reportErr, Does.Contain("samples.jsonl line 8 is torn"));
        Assert.That(File.Exists(Path.Combine(run, "report.html")), Is.False);

        var (judgeExit, judgeOut, judgeErr) = await Af("judge", "--run", run, "--votes", "3");
        Assert.That(judgeExit, Is.Zero, judgeOut + judgeErr);
        Assert.That(judgeOut + judgeErr, Does.Contain("repaired samples.jsonl: line 8 was torn").And.Contain("the run is not complete"));
        Assert.That(RunDirectory.ReadSamples(run), Has.Count.EqualTo(7));
        Assert.That(RunDirectory.ReadManifest(run).Complete, Is.False, "a run missing a planned sample is not complete");
        var summary = RunDirectory.ReadSummary(run);
        Assert.That(summary.Conditions.Sum(c => c.Training.N + c.Unmonitored.N), Is.EqualTo(7));

        // The report now reads the repaired run and says it is incomplete; af run completes it with the one missing sample.
        Assert.That((await Af("report", "--run", run)).Exit, Is.Zero);
        Assert.That(File.ReadAllText(Path.Combine(run, "report.md")), Does.Contain("INCOMPLETE"));
        var (rerun, rerunOut, rerunErr) = await Af("run", "--out", run, "--dataset", Dataset(4), "--system-prompt", "paraphrase", "--mode", "cot", "--seed", "5");
        Assert.That(rerun, Is.Zero, rerunOut + rerunErr);
        Assert.That(rerunOut + rerunErr, Does.Contain("resuming: 7 of 8 samples already done, 1 to go"));
        Assert.That(RunDirectory.ReadManifest(run).Complete, Is.True);
        Assert.That(RunDirectory.ReadSamples(run).Select(x => x.SampleId).Distinct().Count(), Is.EqualTo(8));
    }

    [Test]
    public async Task A_half_line_appended_after_a_complete_run_is_refused_by_af_report_and_repaired_by_af_run_which_says_so()
    {
        var (run, whole) = await CompleteOfflineRunAsync();
        var samplesPath = Path.Combine(run, RunDirectory.SamplesFile);
        File.AppendAllText(samplesPath, "{\"sampleId\":\"cot/train");

        var (reportExit, _, reportErr) = await Af("report", "--run", run);
        Assert.That(reportExit, Is.EqualTo(AfCli.Failure));
        Assert.That(reportErr, Does.Contain("samples.jsonl line 9 is torn"));

        var (exit, o, e) = await Af("run", "--out", run, "--dataset", Dataset(4), "--system-prompt", "paraphrase", "--mode", "cot", "--seed", "5");
        Assert.That(exit, Is.Zero, o + e);
        Assert.That(o + e, Does.Contain("repaired samples.jsonl: line 9 was torn"));
        Assert.That(File.ReadAllBytes(samplesPath), Is.EqualTo(whole), "the half line is gone and every finished sample is kept as it was");
        Assert.That(RunDirectory.ReadManifest(run).Complete, Is.True);
        Assert.That((await Af("report", "--run", run)).Exit, Is.Zero);
        Assert.That(File.ReadAllText(Path.Combine(run, "report.md")), Does.Not.Contain("INCOMPLETE"));
    }

    [Test]
    public async Task A_report_computes_its_figures_from_the_samples_not_from_a_stale_summary()
    {
        var (run, whole) = await CompleteOfflineRunAsync();

        // A copy cut short at a line boundary: 6 of the 8 samples, the complete run's summary and manifest.
        var lines = System.Text.Encoding.UTF8.GetString(whole).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        File.WriteAllLines(Path.Combine(run, RunDirectory.SamplesFile), lines[..6]);

        var (exit, o, e) = await Af("report", "--run", run);
        Assert.That(exit, Is.Zero, o + e);
        var md = File.ReadAllText(Path.Combine(run, "report.md"));
        Assert.That(md, Does.Contain("INCOMPLETE (6 of 8 planned samples)"));
        var expected = RunDirectory.Summarize(run);
        Assert.That(o, Does.Contain(expected.Conditions[0].OriginalPrintout));
    }
}
