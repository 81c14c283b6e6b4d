using System.Diagnostics;
using AlignmentFaking.Simulation;
using AlignmentFaking.Storage;
using AlignmentFaking.Testing;
using NUnit.Framework;

namespace AlignmentFaking.Cli.Tests.Faults;

/// <summary>A real <c>af</c> process is killed (SIGKILL) mid-run and the same command resumes it.</summary>
[NonParallelizable]
public class KillAndResumeTests
{
    private const string Model = "meta-llama/Meta-Llama-3.1-8B-Instruct";

    [Test]
    public async Task Killed_run_resumes_with_every_sample_exactly_once_and_no_finished_sample_called_again()
    {
        var dir = Path.Combine(Path.GetTempPath(), "af-kill-" + Guid.NewGuid().ToString("N"));
        try
        {
            var organism = new SimulatedModelOrganism(new SimulatedOrganismOptions { ModelId = Model });
            await using var server = await OpenAICompatibleTestServer.StartAsync(OrganismResponder.For(organism), new TestServerOptions { Models = [Model], Latency = TimeSpan.FromMilliseconds(20) });
            var dataset = Path.Combine(Path.GetTempPath(), "af-kill-" + Guid.NewGuid().ToString("N") + ".jsonl");
            File.WriteAllLines(dataset, Enumerable.Range(0, 60).Select(i => $"{{\"goal\":\"Synthetic request {i}\"}}"));
            string[] args = ["run", "--endpoint", server.BaseAddress.ToString(), "--model", Model, "--dataset", dataset, "--system-prompt", "paraphrase", "--out", dir, "--concurrency", "4", "--no-cache"];
            var samplesPath = Path.Combine(dir, RunDirectory.SamplesFile);

            using (var first = Start(args))
            {
                var deadline = DateTime.UtcNow.AddSeconds(60);
                while (DateTime.UtcNow < deadline && (!File.Exists(samplesPath) || File.ReadAllLines(samplesPath).Length < 20))
                {
                    await Task.Delay(20);
                }

                first.Kill(entireProcessTree: true);
                await first.WaitForExitAsync();
            }

            var killedAt = RunDirectory.ReadSamples(dir);
            Assert.That(killedAt.Count, Is.InRange(20, 119), "killed mid-way");
            int callsBefore = server.CallCount;

            using (var second = Start(args))
            {
                await second.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
                Assert.That(second.ExitCode, Is.Zero);
            }

            var samples = RunDirectory.ReadSamples(dir);
            Assert.That(samples, Has.Count.EqualTo(120));
            Assert.That(samples.Select(s => s.SampleId).Distinct().Count(), Is.EqualTo(120), "every sample exactly once");
            var killedIds = killedAt.Select(s => s.SampleId).ToHashSet();
            var resumedTurns = samples.Where(s => !killedIds.Contains(s.SampleId)).Sum(s => s.Turns);
            Assert.That(server.CallCount - callsBefore, Is.EqualTo(resumedTurns), "the resumed process called only for samples not yet finished");
            Assert.That(RunDirectory.ReadManifest(dir).Complete, Is.True);
            Assert.That(RunDirectory.ReadManifest(dir).Resumes, Is.EqualTo(1));
            File.Delete(dataset);
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, true);
            }
        }
    }

    [TestCase("INT", 130)]
    [TestCase("TERM", 143)]
    public async Task Ctrl_C_or_SIGTERM_stops_launching_keeps_finished_samples_and_exits_128_plus_the_signal(string signal, int expectedExit)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            Assert.Ignore("sends SIGINT with kill(1)");
        }

        var dir = Path.Combine(Path.GetTempPath(), "af-int-" + Guid.NewGuid().ToString("N"));
        try
        {
            var organism = new SimulatedModelOrganism(new SimulatedOrganismOptions { ModelId = Model });
            await using var server = await OpenAICompatibleTestServer.StartAsync(OrganismResponder.For(organism), new TestServerOptions { Models = [Model], Latency = TimeSpan.FromMilliseconds(50) });
            var dataset = Path.Combine(dir + ".jsonl");
            File.WriteAllLines(dataset, Enumerable.Range(0, 200).Select(i => $"{{\"goal\":\"Synthetic request {i}\"}}"));
            var samplesPath = Path.Combine(dir, RunDirectory.SamplesFile);
            using var process = Start(["run", "--endpoint", server.BaseAddress.ToString(), "--model", Model, "--dataset", dataset, "--system-prompt", "paraphrase", "--out", dir, "--concurrency", "2", "--no-cache"]);
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (DateTime.UtcNow < deadline && (!File.Exists(samplesPath) || File.ReadAllLines(samplesPath).Length < 5))
            {
                await Task.Delay(20);
            }

            using (var kill = Process.Start("kill", ["-" + signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.That(process.ExitCode, Is.EqualTo(expectedExit));
            var samples = RunDirectory.ReadSamples(dir);
            Assert.That(samples.Count, Is.InRange(5, 399));
            Assert.That(samples.Select(s => s.SampleId).Distinct().Count(), Is.EqualTo(samples.Count));
            var manifest = RunDirectory.ReadManifest(dir);
            Assert.That(manifest.Complete, Is.False);
            Assert.That(manifest.EndedAt, Is.Not.Null, "flushed and closed cleanly");
            Assert.That(File.Exists(Path.Combine(dir, RunDirectory.SummaryFile)), Is.True);
            File.Delete(dataset);
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, true);
            }
        }
    }

    private static Process Start(string[] args) => AfProcess.Start(args);
}
