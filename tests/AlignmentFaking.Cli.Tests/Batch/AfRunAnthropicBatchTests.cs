using AlignmentFaking.Storage;
using AlignmentFaking.Testing;
using NUnit.Framework;

namespace AlignmentFaking.Cli.Tests.Batch;

/// <summary><c>af run --batch --batch-provider anthropic</c>: Message Batches through the official Anthropic SDK against the loopback server.</summary>
public class AfRunAnthropicBatchTests
{
    private const string Claude = "claude-3-opus-20240229";
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = BatchKit.TempDirectory("af-batch-anthropic-");

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, true);

    [Test]
    public async Task Af_run_batch_provider_anthropic_runs_end_to_end()
    {
        var (cot, _, requests) = ExperimentInputs.Load();
        var prompt = Path.Combine(_dir, "cot.txt");
        File.WriteAllText(prompt, cot.Text);
        var dataset = Path.Combine(_dir, "requests.jsonl");
        File.WriteAllLines(dataset, requests.Select(r => System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["goal"] = r.Text })));
        await using var server = await BatchKit.StartAsync(options: new TestServerOptions { Models = [Claude] });
        var outDir = Path.Combine(_dir, "run");
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int exit = await AfCli.InvokeAsync(["run", "--batch", "--batch-provider", "anthropic", "--batch-poll-seconds", "0", "--endpoint", server.RootAddress.ToString(), "--model", Claude, "--dataset", dataset, "--system-prompt", "cot=" + prompt, "--out", outDir], stdout, stderr);
        Assert.That(exit, Is.Zero, stderr.ToString() + stdout);
        Assert.That(stdout.ToString(), Does.Contain("batch path (anthropic)"));
        Assert.That(RunDirectory.ReadSamples(outDir), Has.Count.EqualTo(12));
        Assert.That(RunDirectory.ReadManifest(outDir).Path, Is.EqualTo("batch"));
    }
}
