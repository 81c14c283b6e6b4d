using AlignmentFaking.Classification;
using AlignmentFaking.Storage;
using AlignmentFaking.Testing;
using NUnit.Framework;

namespace AlignmentFaking.Cli.Tests;

/// <summary><c>af judge</c> in process, on a run directory of the simulated organism.</summary>
public class JudgeCommandTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Path.Combine(Path.GetTempPath(), "af-judge-run-" + Guid.NewGuid().ToString("N"));

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, true);
        }
    }

    private Task CreateRunAsync(int requests) => SimulatedRun.CreateAsync(_dir, RunFixtures.JudgeOrganism(), requests);

    [Test]
    public async Task Af_judge_runs_in_process_on_a_simulated_run()
    {
        await CreateRunAsync(requests: 6);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        int code = await AfCli.InvokeAsync(["judge", "--run", _dir, "--votes", "2", "--json"], stdout, stderr);

        Assert.That(code, Is.EqualTo(AfCli.Success), stderr.ToString());
        Assert.That(stdout.ToString(), Does.Contain("\"judge\": {").And.Contain("\"afRate\""));
        Assert.That(stderr.ToString(), Does.Contain("simulated judge").And.Contain("proxy vs judge agreement").And.Contain("kappa"));
        Assert.That(File.ReadAllText(Path.Combine(_dir, "summary.json")), Does.Contain("\"judge\""));
        Assert.That(Directory.Exists(Path.Combine(_dir, "judge-cache")), Is.True);
    }

    [Test]
    public async Task Af_judge_calls_an_openai_compatible_judge_over_loopback_http()
    {
        await CreateRunAsync(requests: 4);
        await using var server = await LoopbackJudgeServer.StartAsync();
        const string keyVariable = "AF_TEST_JUDGE_KEY_LOOPBACK";
        Environment.SetEnvironmentVariable(keyVariable, "sk-test-secret-123");
        try
        {
            using var stdout = new StringWriter();
            using var stderr = new StringWriter();
            var args = new[] { "judge", "--run", _dir, "--judge-endpoint", server.BaseUrl, "--judge-model", "judge-x", "--judge-api-key-env", keyVariable, "--votes", "3", "--no-cache" };

            int code = await AfCli.InvokeAsync(args, stdout, stderr);

            Assert.That(code, Is.EqualTo(AfCli.Success), stderr.ToString() + stdout);
            var requests = server.Requests.ToArray();
            Assert.That(requests, Has.Length.EqualTo(16 + (8 * 3)), "16 compliance calls and 3 votes for each of 8 CoT samples");
            Assert.That(requests.All(r => r.Model == "judge-x" && r.Authorization == "Bearer sk-test-secret-123"), Is.True);
            Assert.That(requests.Count(r => r.Temperature == 0), Is.EqualTo(16));
            Assert.That(requests.Count(r => r.Temperature == 1), Is.EqualTo(24));
            var samples = RunDirectory.ReadSamples(_dir);
            Assert.That(samples.All(s => s.Judge is ComplianceOutcome.Complied or ComplianceOutcome.Refused), Is.True);
            Assert.That(stdout.ToString(), Does.Not.Contain("sk-test-secret-123"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(keyVariable, null);
        }
    }

    [Test]
    public async Task Af_judge_needs_an_endpoint_for_a_real_run_and_checks_its_prompts()
    {
        await CreateRunAsync(requests: 1);
        var manifestPath = Path.Combine(_dir, RunDirectory.ManifestFile);
        File.WriteAllText(manifestPath, File.ReadAllText(manifestPath).Replace("\"simulated\"", "\"openai-compatible\"", StringComparison.Ordinal));
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        Assert.That(await AfCli.InvokeAsync(["judge", "--run", _dir], stdout, stderr), Is.EqualTo(AfCli.Failure));
        Assert.That(stderr.ToString(), Does.Contain("--judge-endpoint is required"));
        Assert.That(await AfCli.InvokeAsync(["judge", "--run", _dir, "--judge-endpoint", "http://127.0.0.1:9/v1"], stdout, stderr), Is.EqualTo(AfCli.Failure));
        Assert.That(stderr.ToString(), Does.Contain("--judge-endpoint needs --judge-model"));
        Assert.That(await AfCli.InvokeAsync(["judge", "--run", Path.Combine(_dir, "nope")], stdout, stderr), Is.EqualTo(AfCli.Failure));
        Assert.That(stderr.ToString(), Does.Contain("not a run directory"));
        Assert.That(await AfCli.InvokeAsync(["judge", "--run", _dir, "--af-prompt", Path.Combine(_dir, "missing.txt")], stdout, stderr), Is.EqualTo(AfCli.Failure));
        Assert.That(stderr.ToString(), Does.Contain("file not found"));
    }
}
