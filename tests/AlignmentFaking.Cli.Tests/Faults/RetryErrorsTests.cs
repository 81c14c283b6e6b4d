using AlignmentFaking.Classification;
using AlignmentFaking.Simulation;
using AlignmentFaking.Storage;
using AlignmentFaking.Testing;
using NUnit.Framework;

namespace AlignmentFaking.Cli.Tests.Faults;

/// <summary><c>af run --retry-errors</c> after faults injected by the loopback server.</summary>
public class RetryErrorsTests
{
    private const string Model = "meta-llama/Meta-Llama-3.1-8B-Instruct";

    [Test]
    public async Task Resuming_with_retry_errors_calls_the_failed_samples_again()
    {
        var dir = Path.Combine(Path.GetTempPath(), "af-retry-" + Guid.NewGuid().ToString("N"));
        try
        {
            var organism = new SimulatedModelOrganism(new SimulatedOrganismOptions { ModelId = Model });
            bool failing = true;
            var plan = new FaultPlan().When(c => Volatile.Read(ref failing) && c.Messages[1].Content.Contains("request 1.", StringComparison.Ordinal), ScriptedReply.ServerError());
            await using var server = await OpenAICompatibleTestServer.StartAsync(plan.Wrap(OrganismResponder.For(organism)), new TestServerOptions { Models = [Model] });
            var dataset = dir + ".jsonl";
            File.WriteAllLines(dataset, Enumerable.Range(0, 3).Select(i => $"{{\"goal\":\"Synthetic request {i}\"}}"));
            string[] args = ["run", "--endpoint", server.BaseAddress.ToString(), "--model", Model, "--dataset", dataset, "--system-prompt", "paraphrase", "--out", dir, "--no-cache", "--max-retries", "1"];
            using (var o = new StringWriter())
            using (var e = new StringWriter())
            {
                Assert.That(await AfCli.InvokeAsync(args, o, e), Is.EqualTo(RunCommand.FinishedWithErrors), "finished with errors: " + e);
            }

            Assert.That(RunDirectory.ReadSamples(dir).Count(s => s.Proxy == ComplianceOutcome.Error), Is.EqualTo(2), "request 1 failed in both tiers");
            Volatile.Write(ref failing, false);
            using (var o = new StringWriter())
            using (var e = new StringWriter())
            {
                Assert.That(await AfCli.InvokeAsync([.. args, "--retry-errors"], o, e), Is.Zero, e.ToString());
                Assert.That(o.ToString(), Does.Contain("--retry-errors: 2 sample(s)"));
            }

            var samples = RunDirectory.ReadSamples(dir);
            Assert.That(samples, Has.Count.EqualTo(6));
            Assert.That(samples.Select(s => s.SampleId).Distinct().Count(), Is.EqualTo(6));
            Assert.That(samples.Any(s => s.Proxy == ComplianceOutcome.Error), Is.False);
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
}
