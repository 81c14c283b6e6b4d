using System.Diagnostics;
using System.Text.Json;
using AlignmentFaking.Cli;
using AlignmentFaking.Running.Batch;
using AlignmentFaking.Storage;
using AlignmentFaking.Testing;
using NUnit.Framework;

namespace AlignmentFaking.Cli.Tests.Batch;

/// <summary><c>af run --batch</c> end to end against the loopback server's Batch API, in process and as a killed process.</summary>
[NonParallelizable]
public class AfRunBatchTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = BatchKit.TempDirectory("af-batch-cli-");

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, true);

    private static async Task<(int Exit, string Stdout, string Stderr)> Af(string[] args, CancellationToken ct = default)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int exit = await AfCli.InvokeAsync(args, stdout, stderr, ct);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    internal static string[] InputArgs(string dir)
    {
        var (cot, noCot, requests) = ExperimentInputs.Load();
        var cotPath = Path.Combine(dir, "cot-prompt.txt");
        var noCotPath = Path.Combine(dir, "no-cot-prompt.txt");
        File.WriteAllText(cotPath, cot.Text);
        File.WriteAllText(noCotPath, noCot.Text);
        var datasetPath = Path.Combine(dir, "requests.jsonl");
        File.WriteAllLines(datasetPath, requests.Select(r => JsonSerializer.Serialize(new Dictionary<string, string> { ["goal"] = r.Text })));
        return ["--dataset", datasetPath, "--system-prompt", "cot=" + cotPath, "--system-prompt", "no-cot=" + noCotPath, "--no-cache", "--mode", "both", "--seed", "3"];
    }

    [Test]
    public async Task Af_run_batch_writes_the_same_samples_as_af_run_and_records_the_path()
    {
        await using var online = await BatchKit.StartAsync();
        await using var server = await BatchKit.StartAsync();
        var onlineDir = Path.Combine(_dir, "online");
        var batchDir = Path.Combine(_dir, "batch");

        var (onlineExit, _, onlineErr) = await Af(["run", "--endpoint", online.BaseAddress.ToString(), "--model", BatchKit.Model, .. InputArgs(_dir), "--out", onlineDir]);
        Assert.That(onlineExit, Is.Zero, onlineErr);
        var (exit, stdout, stderr) = await Af(["run", "--batch", "--batch-poll-seconds", "0", "--endpoint", server.BaseAddress.ToString(), "--model", BatchKit.Model, .. InputArgs(_dir), "--out", batchDir, "--json"]);
        Assert.That(exit, Is.Zero, stderr);

        Assert.That(BatchKit.Comparable(RunDirectory.ReadSamples(batchDir)), Is.EqualTo(BatchKit.Comparable(RunDirectory.ReadSamples(onlineDir))));
        Assert.That(RunDirectory.ReadManifest(batchDir).Path, Is.EqualTo("batch"));
        Assert.That(RunDirectory.ReadManifest(onlineDir).Path, Is.EqualTo("online"));
        Assert.That(RunDirectory.ReadManifest(batchDir).Complete, Is.True);
        Assert.That(File.ReadAllText(Path.Combine(batchDir, RunDirectory.ManifestFile)), Does.Contain("\"path\": \"batch\""));
        Assert.That(stderr, Does.Contain("batch path (openai)").And.Contain("round 1: submitting").And.Contain("batch run done after"));
        Assert.That(JsonDocument.Parse(stdout).RootElement.GetProperty("model").GetString(), Is.EqualTo(BatchKit.Model));
        Assert.That(RunDirectory.ReadSummary(batchDir).Conditions.Select(c => c.OriginalPrintout), Is.EqualTo(RunDirectory.ReadSummary(onlineDir).Conditions.Select(c => c.OriginalPrintout)));
        Assert.That(BatchExperimentRunner.ReadBatches(batchDir), Has.Count.EqualTo(server.Batches.Count));
    }

    [Test]
    public async Task Without_an_endpoint_af_run_batch_emulates_a_batch_service_over_the_simulated_organism()
    {
        var outDir = Path.Combine(_dir, "run");
        var (exit, stdout, _) = await Af(["run", "--batch", "--batch-poll-seconds", "0", "--out", outDir, "--limit", "3", "--system-prompt", "paraphrase"]);
        Assert.That(exit, Is.Zero, stdout);
        Assert.That(stdout, Does.Contain("batch path (in-process)"));
        Assert.That(RunDirectory.ReadSamples(outDir), Has.Count.EqualTo(6));
        Assert.That(RunDirectory.ReadManifest(outDir).Path, Is.EqualTo("batch"));
        Assert.That(BatchExperimentRunner.ReadBatches(outDir).All(b => b.Consumed && b.Provider == "in-process"), Is.True);
    }

    [Test]
    public async Task An_online_rerun_refuses_while_batches_are_in_flight_and_a_batch_rerun_re_attaches()
    {
        await using var server = await BatchKit.StartAsync();
        server.HoldBatches = true;
        var outDir = Path.Combine(_dir, "run");
        string[] args = ["run", "--endpoint", server.BaseAddress.ToString(), "--model", BatchKit.Model, .. InputArgs(_dir), "--out", outDir];
        using (var cts = new CancellationTokenSource())
        {
            var running = Af([.. args, "--batch", "--batch-poll-seconds", "0.01"], cts.Token);
            await WaitUntilAsync(() => server.Batches.Count > 0 && BatchExperimentRunner.ReadBatches(outDir).Count > 0);
            await cts.CancelAsync();
            var (cancelledExit, cancelledOut, _) = await running;
            Assert.That(cancelledExit, Is.EqualTo(AfCli.Cancelled), cancelledOut);
        }

        var manifestBefore = File.ReadAllBytes(Path.Combine(outDir, RunDirectory.ManifestFile));
        var (onlineExit, _, onlineErr) = await Af(args);
        Assert.That(onlineExit, Is.EqualTo(AfCli.Failure));
        Assert.That(onlineErr, Does.Contain("1 batch(es) of this run are still in flight").And.Contain("--batch"));
        Assert.That(server.CallCount, Is.Zero, "nothing ran online");
        Assert.That(File.ReadAllBytes(Path.Combine(outDir, RunDirectory.ManifestFile)), Is.EqualTo(manifestBefore), "the refused online rerun records no resume (nor path online) in the manifest");

        server.HoldBatches = false;
        var (exit, stdout, stderr) = await Af([.. args, "--batch", "--batch-poll-seconds", "0"]);
        Assert.That(exit, Is.Zero, stderr);
        Assert.That(stdout, Does.Contain("re-attaching to 1 batch(es) in flight"));
        Assert.That(server.Batches.Count(b => BatchKit.Round(b) == 1), Is.EqualTo(1));
        var samples = RunDirectory.ReadSamples(outDir);
        Assert.That(samples, Has.Count.EqualTo(6 * 2 * 2));
        Assert.That(server.CallCount, Is.EqualTo(samples.Sum(s => s.Turns)));
        Assert.That(RunDirectory.ReadManifest(outDir).Resumes, Is.EqualTo(1), "the batch rerun is the one resume");
        Assert.That(RunDirectory.ReadManifest(outDir).Path, Is.EqualTo("batch"));
    }

    [Test]
    public async Task A_killed_batch_run_resumes_by_re_attaching_to_the_batch_in_flight_never_submitting_it_again()
    {
        await using var server = await BatchKit.StartAsync();
        server.HoldBatches = true;
        var outDir = Path.Combine(_dir, "run");
        string[] args = ["run", "--batch", "--batch-poll-seconds", "0.05", "--endpoint", server.BaseAddress.ToString(), "--model", BatchKit.Model, .. InputArgs(_dir), "--out", outDir];
        var journal = Path.Combine(outDir, BatchExperimentRunner.JournalFile);

        using (var first = Start(args))
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (DateTime.UtcNow < deadline && !(File.Exists(journal) && ReadShared(journal).Contains("\"kind\":\"batch\"", StringComparison.Ordinal)))
            {
                await Task.Delay(20);
            }

            Assert.That(first.HasExited, Is.False, "still waiting for its batch");
            first.Kill(entireProcessTree: true);
            await first.WaitForExitAsync();
        }

        Assert.That(server.Batches, Has.Count.EqualTo(1));
        Assert.That(RunDirectory.ReadSamples(outDir), Is.Empty);
        var submitted = server.Batches[0];

        server.HoldBatches = false;
        using (var second = Start(args))
        {
            await second.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
            Assert.That(second.ExitCode, Is.Zero);
        }

        Assert.That(server.Batches.Count(b => BatchKit.Round(b) == 1), Is.EqualTo(1), "round 1 was created exactly once: re-attached, not resubmitted");
        Assert.That(server.Batches[0].Id, Is.EqualTo(submitted.Id));
        Assert.That(server.Batches[0].Retrievals, Is.GreaterThan(1));
        var samples = RunDirectory.ReadSamples(outDir);
        Assert.That(samples, Has.Count.EqualTo(24));
        Assert.That(samples.Select(s => s.SampleId).Distinct().Count(), Is.EqualTo(24));
        Assert.That(server.CallCount, Is.EqualTo(samples.Sum(s => s.Turns)), "every request ran once");
        Assert.That(RunDirectory.ReadManifest(outDir).Complete, Is.True);
    }

    internal static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("condition not met");
            }

            await Task.Delay(10);
        }
    }

    internal static Process Start(string[] args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        info.ArgumentList.Add(AfDll());
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                TestContext.Progress.WriteLine("af: " + e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                TestContext.Progress.WriteLine("af: " + e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static string AfDll()
    {
        var testDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = testDir.Name;
        var configuration = testDir.Parent!.Name;
        var root = testDir.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        var path = Path.Combine(root, "samples", "AlignmentFaking.Cli", "bin", configuration, framework, "af.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("build the solution first: af.dll not found", path);
    }
}
