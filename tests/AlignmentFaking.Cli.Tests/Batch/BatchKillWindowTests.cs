using AlignmentFaking.Cli.Batch;
using AlignmentFaking.Running.Batch;
using AlignmentFaking.Storage;
using AlignmentFaking.Testing;
using NUnit.Framework;

namespace AlignmentFaking.Cli.Tests.Batch;

/// <summary>
/// A real <c>af</c> process killed (SIGKILL) inside the window between the provider's create call and the journal line
/// that records the batch: the rerun finds the batch at the provider and adopts it, never submitting the same work
/// twice. The test-only hook <see cref="BatchTestHooks.HangAfterCreateVariable"/> holds the process inside the window.
/// </summary>
[NonParallelizable]
public class BatchKillWindowTests
{
    private const string Claude = "claude-3-opus-20240229";
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = BatchKit.TempDirectory("af-batch-kill-");

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, true);

    [TestCase("openai")]
    [TestCase("anthropic")]
    public async Task A_run_killed_between_creating_a_batch_and_recording_it_adopts_that_batch_on_resume(string provider)
    {
        await using var server = await BatchKit.StartAsync(options: new TestServerOptions { Models = [BatchKit.Model, Claude] });
        var outDir = Path.Combine(_dir, "run");
        string[] args =
        [
            "run", "--batch", "--batch-provider", provider, "--batch-poll-seconds", "0",
            "--endpoint", (provider == "anthropic" ? server.RootAddress : server.BaseAddress).ToString(),
            "--model", provider == "anthropic" ? Claude : BatchKit.Model,
            .. AfRunBatchTests.InputArgs(_dir), "--out", outDir,
        ];
        var marker = Path.Combine(_dir, "created.txt");
        var journal = Path.Combine(outDir, BatchExperimentRunner.JournalFile);

        using (var first = AfRunBatchTests.Start(args, new Dictionary<string, string> { [BatchTestHooks.HangAfterCreateVariable] = marker }))
        {
            var deadline = DateTime.UtcNow.AddSeconds(90);
            while (!File.Exists(marker) && !first.HasExited && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }

            Assert.That(File.Exists(marker), Is.True, "the batch was created");
            Assert.That(first.HasExited, Is.False, "held inside the window");
            first.Kill(entireProcessTree: true); // SIGKILL
            await first.WaitForExitAsync();
        }

        Assert.That(server.Batches, Has.Count.EqualTo(1));
        var adopted = server.Batches[0];
        Assert.That(File.ReadAllText(marker), Is.EqualTo(adopted.Id));
        var recorded = AfRunBatchTests.ReadShared(journal);
        Assert.That(recorded, Does.Contain("\"kind\":\"file\"").And.Not.Contain("\"kind\":\"batch\""), "killed after the create call, before the batch was recorded");

        using (var second = AfRunBatchTests.Start(args))
        {
            await second.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
            Assert.That(second.ExitCode, Is.Zero);
        }

        var everyId = server.Batches.SelectMany(b => b.CustomIds).ToArray();
        Assert.That(everyId, Is.Unique, "no request was submitted twice");
        Assert.That(BatchExperimentRunner.ReadBatches(outDir)[0].BatchId, Is.EqualTo(adopted.Id), "the batch created before the kill was adopted");
        Assert.That(adopted.Retrievals, Is.GreaterThan(0));
        var samples = RunDirectory.ReadSamples(outDir);
        Assert.That(samples, Has.Count.EqualTo(24));
        Assert.That(server.CallCount, Is.EqualTo(samples.Sum(s => s.Turns)), "every request ran once");
        Assert.That(RunDirectory.ReadManifest(outDir).Complete, Is.True);
    }
}
