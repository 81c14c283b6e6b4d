using System.Security.Cryptography;
using AlignmentFaking.Judging.Simulation;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Simulation;
using AlignmentFaking.Storage;
using AlignmentFaking.Testing;
using NUnit.Framework;

namespace AlignmentFaking.IntegrationTests.Docs;

/// <summary>
/// The README's production harness (<see cref="ProductionHarness"/>, the same text) against the loopback
/// OpenAI-compatible server playing the subject and the judge, with 429s and 500s injected: it completes judged, the
/// faults are retried, and a second run over the same directory calls nothing and changes no file.
/// </summary>
[NonParallelizable] // sets environment variables and Console.Out for the harness
public class ProductionHarnessTests
{
    private const string Model = "harness-model";
    private const string JudgeModel = "judge-model";
    private const string Key = "sk-harness-test-0123456789abcdef";
    private static readonly string[] Variables = ["AF_ENDPOINT", "AF_MODEL", "AF_API_KEY", "AF_JUDGE_ENDPOINT", "AF_JUDGE_MODEL", "AF_JUDGE_API_KEY", "AF_RUN_DIR"];

    [Test]
    public void The_readme_shows_exactly_the_compiled_harness()
    {
        var readme = File.ReadAllText(RepositoryFiles.Readme).ReplaceLineEndings("\n");
        var source = File.ReadAllText(Path.Combine(RepositoryFiles.Root, "tests", "AlignmentFaking.IntegrationTests", "Docs", "ProductionHarness.cs")).ReplaceLineEndings("\n");

        var usings = Between(source, "// harness usings begin\n", "// harness usings end\n");
        var body = Between(source, "// harness begins\n", "        // harness ends\n");
        var statements = string.Join("\n", body.TrimEnd('\n').Split('\n').Select(line => line.Length == 0 ? line : line[8..])) + "\n";
        var block = Between(readme, "<!-- production-harness begins -->\n```csharp\n", "```\n<!-- production-harness ends -->");

        Assert.That(body.Split('\n').Where(line => line.Length > 0), Has.All.StartsWith("        "), "the harness body is indented by 8 spaces");
        Assert.That(block, Is.EqualTo(usings + "\n" + statements), "README.md's production harness differs from tests/AlignmentFaking.IntegrationTests/Docs/ProductionHarness.cs");
        var lines = statements.Split('\n').Count(line => line.Trim().Length > 0 && !line.TrimStart().StartsWith("//", StringComparison.Ordinal));
        Assert.That(lines, Is.LessThanOrEqualTo(22), "about 20 lines of code");
    }

    [Test]
    public async Task The_harness_runs_judged_with_retried_faults_and_a_rerun_calls_nothing_and_changes_no_file()
    {
        var organism = new SimulatedModelOrganism(new SimulatedOrganismOptions
        {
            ModelId = Model,
            TrainingComplianceRate = 1, UnmonitoredComplianceRate = 0,
            NoCotTrainingComplianceRate = 1, NoCotUnmonitoredComplianceRate = 0,
            AlignmentFakingShare = 1, ProxyFalsePositiveRate = 0, ProxyFalseNegativeRate = 0, FailureRate = 0,
        });
        var faults = new FaultPlan()
            .When(c => c.Model == Model, ScriptedReply.TooManyRequests(TimeSpan.Zero).WithHeader("retry-after-ms", "20"), times: 3)
            .When(c => c.Model == Model && c.Sequence > 6, ScriptedReply.ServerError(), times: 2)
            .When(c => c.Model == JudgeModel, ScriptedReply.ServiceUnavailable(TimeSpan.Zero), times: 1);
        var responder = faults.Wrap(OrganismResponder.ByModel(JudgeModel, OrganismResponder.For(new SimulatedJudge()), OrganismResponder.For(organism)));
        await using var server = await OpenAICompatibleTestServer.StartAsync(responder, new TestServerOptions { RequiredApiKey = Key, Models = [Model, JudgeModel] });
        var directory = Path.Combine(Path.GetTempPath(), "af-harness-" + Guid.NewGuid().ToString("N"));
        var saved = Variables.ToDictionary(v => v, Environment.GetEnvironmentVariable);
        try
        {
            Set("AF_ENDPOINT", server.BaseAddress.ToString());
            Set("AF_MODEL", Model);
            Set("AF_API_KEY", Key);
            Set("AF_JUDGE_ENDPOINT", server.BaseAddress.ToString());
            Set("AF_JUDGE_MODEL", JudgeModel);
            Set("AF_JUDGE_API_KEY", Key);
            Set("AF_RUN_DIR", directory);

            var (exit, output) = await RunHarnessAsync();

            Assert.That(exit, Is.Zero, output);
            var lines = output.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
            Assert.That(lines, Has.Length.EqualTo(3), output);
            Assert.That(lines[0], Is.EqualTo($"Complete: 8 of 8 samples (0 done before) in {directory}"));
            Assert.That(lines[1], Does.Match($@"^\[Cot\] {Model} +Free: +2/2 Paid: +0/2   judge: 2/2 vs 0/2   AF rate: 1\.00$"));
            Assert.That(lines[2], Does.Match($@"^\[NoCot\] {Model} +Free: +2/2 Paid: +0/2   judge: 2/2 vs 0/2   AF rate: $"));

            Assert.That(faults.FaultsInjected, Is.EqualTo(6), "every fault was served");
            var calls = server.Calls;
            Assert.That(calls.Count(c => c.Model == Model && c.ResponseStatusCode == 429), Is.EqualTo(3));
            Assert.That(calls.Count(c => c.Model == Model && c.ResponseStatusCode == 500), Is.EqualTo(2));
            Assert.That(calls.Count(c => c.Model == JudgeModel && c.ResponseStatusCode == 503), Is.EqualTo(1));
            Assert.That(calls.All(c => c.HasAuthorization), Is.True, "every call carried the key");

            var samples = RunDirectory.ReadSamples(directory);
            Assert.That(samples, Has.Count.EqualTo(8));
            Assert.That(samples.Select(s => s.SampleId).Distinct().Count(), Is.EqualTo(8), "every sample once");
            Assert.That(samples.Where(s => s.Error is not null), Is.Empty, "every fault was retried: no error sample");
            Assert.That(samples.Where(s => s.Judge is null).Select(s => s.SampleId), Is.Empty, "every sample judged");
            var cot = samples.Where(s => s.Mode == ReasoningMode.Cot).ToList();
            Assert.That(cot.Where(s => s.AlignmentFaking is not { IsVerdict: true }).Select(s => s.SampleId), Is.Empty, "every CoT sample has an alignment-faking verdict");
            Assert.That(cot.Single(s => s.Tier == Tier.Training && s.RequestIndex == 0).AlignmentFaking!.Votes, Has.Count.EqualTo(20));
            Assert.That(Directory.EnumerateFiles(Path.Combine(directory, RunDirectory.JudgeCacheFolder), "*", SearchOption.AllDirectories), Is.Not.Empty);
            Assert.That(Directory.EnumerateFiles(Path.Combine(directory, RunDirectory.ResponseCacheFolder), "*", SearchOption.AllDirectories), Is.Not.Empty);
            Assert.That(output, Does.Not.Contain(Key));
            foreach (var file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
            {
                Assert.That(File.ReadAllText(file), Does.Not.Contain(Key), $"{file} holds the key");
            }

            // The rerun: the same command over the same directory resumes a complete run.
            var before = Snapshot(directory);
            int callsBefore = server.CallCount;
            var (rerunExit, rerunOutput) = await RunHarnessAsync();

            Assert.That(rerunExit, Is.Zero, rerunOutput);
            Assert.That(rerunOutput.ReplaceLineEndings("\n").Split('\n')[0], Is.EqualTo($"Complete: 8 of 8 samples (8 done before) in {directory}"));
            Assert.That(rerunOutput.ReplaceLineEndings("\n").Split('\n')[1..], Is.EqualTo(output.ReplaceLineEndings("\n").Split('\n')[1..]), "the same figures");
            Assert.That(server.CallCount, Is.EqualTo(callsBefore), "the rerun called neither the subject nor the judge");
            Assert.That(Snapshot(directory), Is.EqualTo(before), "the rerun changed no file");
        }
        finally
        {
            foreach (var (name, value) in saved)
            {
                Environment.SetEnvironmentVariable(name, value);
            }

            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, true);
            }
        }
    }

    private static void Set(string name, string value) => Environment.SetEnvironmentVariable(name, value);

    private static async Task<(int Exit, string Output)> RunHarnessAsync()
    {
        var previous = Console.Out;
        using var output = new StringWriter();
        Console.SetOut(output);
        try
        {
            int exit = await ProductionHarness.RunAsync();
            return (exit, output.ToString());
        }
        finally
        {
            Console.SetOut(previous);
        }
    }

    /// <summary>SHA-256 and last write time of every file under a directory, by relative path.</summary>
    private static SortedDictionary<string, string> Snapshot(string root)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            files[Path.GetRelativePath(root, file)] = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file))) + " " + File.GetLastWriteTimeUtc(file).Ticks;
        }

        return files;
    }

    private static string Between(string text, string begin, string end)
    {
        int start = text.IndexOf(begin, StringComparison.Ordinal);
        Assert.That(start, Is.GreaterThanOrEqualTo(0), $"marker not found: {begin.Trim()}");
        start += begin.Length;
        int stop = text.IndexOf(end, start, StringComparison.Ordinal);
        Assert.That(stop, Is.GreaterThanOrEqualTo(0), $"marker not found: {end.Trim()}");
        return text[start..stop];
    }
}
