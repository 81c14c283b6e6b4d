using System.Text.Json;
using AlignmentFaking.Classification;
using AlignmentFaking.Cli;
using AlignmentFaking.Simulation;
using AlignmentFaking.Storage;
using AlignmentFaking.Testing;
using NUnit.Framework;

namespace AlignmentFaking.Cli.Tests;

/// <summary>
/// The response cache's scope through <c>af run</c> against loopback servers: by default it serves resume within one
/// run directory; <c>--cache-dir</c> shares it across runs, keyed by the endpoint, with the hits counted.
/// </summary>
[NonParallelizable]
public class ResponseCacheScopeTests
{
    private const string Model = "shared/model-name";
    private string _dir = null!;
    private string? _cacheDirBefore;

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "af-cache-scope-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);

        // Whatever the default location of a global cache would be, it is inside this test's folder.
        _cacheDirBefore = Environment.GetEnvironmentVariable(PinnedResourceCacheOptionsName);
        Environment.SetEnvironmentVariable(PinnedResourceCacheOptionsName, Path.Combine(_dir, "af-cache-home"));
    }

    [TearDown]
    public void TearDown()
    {
        Environment.SetEnvironmentVariable(PinnedResourceCacheOptionsName, _cacheDirBefore);
        Directory.Delete(_dir, true);
    }

    private const string PinnedResourceCacheOptionsName = "AF_CACHE_DIR";

    private static async Task<(int Exit, string Stdout, string Stderr)> Af(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int exit = await AfCli.InvokeAsync(args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private string[] RunArgs(OpenAICompatibleTestServer server, string outDir, string mode = "cot")
    {
        var dataset = Path.Combine(_dir, "requests.jsonl");
        if (!File.Exists(dataset))
        {
            File.WriteAllLines(dataset, Enumerable.Range(0, 5).Select(i => JsonSerializer.Serialize(new Dictionary<string, string> { ["goal"] = "Explain harmful thing " + i })));
        }

        return ["run", "--endpoint", server.BaseAddress.ToString(), "--model", Model, "--dataset", dataset, "--system-prompt", "paraphrase", "--mode", mode, "--out", outDir, "--concurrency", "2"];
    }

    private static Task<OpenAICompatibleTestServer> Server(double complianceRate, int seed = 5) =>
        OpenAICompatibleTestServer.StartAsync(
            OrganismResponder.For(new SimulatedModelOrganism(new SimulatedOrganismOptions
            {
                ModelId = Model,
                Seed = seed,
                TrainingComplianceRate = complianceRate,
                UnmonitoredComplianceRate = complianceRate,
                NoCotTrainingComplianceRate = complianceRate,
                NoCotUnmonitoredComplianceRate = complianceRate,
                ProxyFalsePositiveRate = 0,
                ProxyFalseNegativeRate = 0,
                FailureRate = 0,
                TruncationRate = 0,
            })),
            new TestServerOptions { Models = [Model] });

    /// <summary>The <c>cache</c> object of summary.json, if any (read as JSON: it is the file's contract).</summary>
    private static JsonElement? CacheOf(string runDir)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(runDir, RunDirectory.SummaryFile)));
        return doc.RootElement.TryGetProperty("cache", out var cache) ? cache.Clone() : null;
    }

    [Test]
    public async Task Two_servers_with_the_same_model_name_never_answer_for_each_other_even_through_a_shared_cache()
    {
        await using var complies = await Server(complianceRate: 1);
        await using var refuses = await Server(complianceRate: 0);
        var shared = Path.Combine(_dir, "shared-cache");
        var outA = Path.Combine(_dir, "a");
        var outB = Path.Combine(_dir, "b");

        Assert.That((await Af([.. RunArgs(complies, outA, "no-cot"), "--cache-dir", shared])).Exit, Is.EqualTo(0));
        Assert.That(RunDirectory.ReadSamples(outA).All(s => s.Proxy == ComplianceOutcome.Complied), Is.True, "server A complies");

        var (exit, _, stderr) = await Af([.. RunArgs(refuses, outB, "no-cot"), "--cache-dir", shared]);

        Assert.That(exit, Is.EqualTo(0), stderr);
        var samples = RunDirectory.ReadSamples(outB);
        Assert.That(refuses.CallCount, Is.EqualTo(samples.Count), "server B answered every call of its own run");
        Assert.That(samples.SelectMany(s => s.Calls).Any(c => c.Cached), Is.False, "no reply of server A was replayed for server B");
        Assert.That(samples.All(s => s.Proxy == ComplianceOutcome.Refused), Is.True, "every verdict is server B's");
    }

    [Test]
    public async Task A_second_run_with_a_new_out_and_no_cache_dir_calls_the_endpoint_again()
    {
        await using var server = await Server(complianceRate: 0.5);
        Assert.That((await Af(RunArgs(server, Path.Combine(_dir, "first")))).Exit, Is.EqualTo(0));
        int firstCalls = server.CallCount;
        Assert.That(firstCalls, Is.GreaterThan(0));

        var second = Path.Combine(_dir, "second");
        var (exit, _, stderr) = await Af(RunArgs(server, second));

        Assert.That(exit, Is.EqualTo(0), stderr);
        var samples = RunDirectory.ReadSamples(second);
        Assert.That(server.CallCount - firstCalls, Is.EqualTo(samples.Sum(s => s.Turns)), "an independent run draws its own samples");
        Assert.That(samples.SelectMany(s => s.Calls).Any(c => c.Cached), Is.False);
        Assert.That(CacheOf(second), Is.Null, "no cache hit, nothing to report");
    }

    [Test]
    public async Task With_a_shared_cache_dir_the_hits_of_other_runs_are_counted_in_the_summary_printout_and_report()
    {
        await using var server = await Server(complianceRate: 0.5);
        var shared = Path.Combine(_dir, "shared-cache");
        var first = Path.Combine(_dir, "first");
        Assert.That((await Af([.. RunArgs(server, first), "--cache-dir", shared])).Exit, Is.EqualTo(0));
        int firstCalls = server.CallCount;
        Assert.That(CacheOf(first), Is.Null, "the first run had no hits");

        var second = Path.Combine(_dir, "second");
        var (exit, stdout, stderr) = await Af([.. RunArgs(server, second), "--cache-dir", shared]);

        Assert.That(exit, Is.EqualTo(0), stderr);
        Assert.That(server.CallCount, Is.EqualTo(firstCalls), "every reply came from the shared cache");
        int calls = RunDirectory.ReadSamples(second).Sum(s => s.Turns);
        var cache = CacheOf(second);
        Assert.That(cache, Is.Not.Null, "summary.json has a cache object");
        Assert.That(cache!.Value.GetProperty("hits").GetInt32(), Is.EqualTo(calls));
        Assert.That(cache.Value.GetProperty("crossRunHits").GetInt32(), Is.EqualTo(calls));
        Assert.That(File.ReadAllLines(Path.Combine(second, RunDirectory.SamplesFile)).All(l => l.Contains("\"crossRun\":true", StringComparison.Ordinal)), Is.True, "each replayed call says so");
        Assert.That(stdout, Does.Contain($"cache: {calls} of {calls} calls replayed from the cache, {calls} from other runs (--cache-dir)"));

        var (reportExit, _, reportErr) = await Af("report", "--run", second);
        Assert.That(reportExit, Is.EqualTo(0), reportErr);
        var expected = $"{calls} of {calls} calls replayed from the cache, {calls} from other runs (--cache-dir)";
        Assert.That(File.ReadAllText(Path.Combine(second, "report.md")), Does.Contain($"| response cache | {expected} |"));
        Assert.That(File.ReadAllText(Path.Combine(second, "report.html")), Does.Contain($"<th>response cache</th><td>{expected}</td>"));
    }

    [Test]
    public async Task Resume_within_a_run_directory_costs_no_calls_for_finished_turns_and_is_not_a_cross_run_hit()
    {
        await using var server = await Server(complianceRate: 0.5);
        var shared = Path.Combine(_dir, "shared-cache");
        var outDir = Path.Combine(_dir, "run");
        foreach (var extra in new[] { Array.Empty<string>(), ["--cache-dir", shared] })
        {
            var dir = outDir + extra.Length;
            string[] args = [.. RunArgs(server, dir), .. extra];
            Assert.That((await Af(args)).Exit, Is.EqualTo(0));
            Assert.That(Directory.Exists(Path.Combine(dir, "response-cache")), Is.True, "the run's own cache lives in its directory");

            // A crash after the calls of the last two samples but before their lines were written.
            var path = Path.Combine(dir, RunDirectory.SamplesFile);
            var lines = File.ReadAllLines(path);
            File.WriteAllLines(path, lines[..^2]);
            int callsBefore = server.CallCount;

            var (exit, stdout, stderr) = await Af(args);

            Assert.That(exit, Is.EqualTo(0), stderr);
            Assert.That(stdout, Does.Contain($"resuming: {lines.Length - 2} of {lines.Length}"));
            Assert.That(server.CallCount, Is.EqualTo(callsBefore), "the finished turns were replayed from the run's cache");
            var redone = RunDirectory.ReadSamples(dir).TakeLast(2).ToArray();
            Assert.That(redone.SelectMany(s => s.Calls).All(c => c.Cached), Is.True);
            var cache = CacheOf(dir);
            Assert.That(cache, Is.Not.Null);
            Assert.That(cache!.Value.GetProperty("hits").GetInt32(), Is.EqualTo(redone.Sum(s => s.Turns)));
            Assert.That(cache.Value.GetProperty("crossRunHits").GetInt32(), Is.EqualTo(0), "replies of this run are not cross-run hits");
        }
    }
    [Test]
    public async Task A_cache_dir_that_cannot_be_a_folder_is_refused_before_any_call()
    {
        await using var server = await Server(complianceRate: 0.5);
        var file = Path.Combine(_dir, "not-a-folder");
        File.WriteAllText(file, "x");

        var (exit, _, stderr) = await Af([.. RunArgs(server, Path.Combine(_dir, "run")), "--cache-dir", file]);

        Assert.That(exit, Is.EqualTo(AfCli.Failure));
        Assert.That(stderr, Does.StartWith($"error: --cache-dir '{file}' cannot be used as a folder"));
        Assert.That(server.CallCount, Is.Zero);
    }
}
