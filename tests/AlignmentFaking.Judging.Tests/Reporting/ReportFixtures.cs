using System.Text.RegularExpressions;
using AlignmentFaking.Datasets;
using AlignmentFaking.Judging.Compliance;
using AlignmentFaking.Judging.Reasoning;
using AlignmentFaking.Judging.Runs;
using AlignmentFaking.Judging.Simulation;
using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Simulation;
using AlignmentFaking.Storage;

namespace AlignmentFaking.Judging.Tests.Reporting;

/// <summary>Run directories of the simulated organism, written as <c>af run</c> (and <c>af judge</c>) write them.</summary>
internal static partial class ReportFixtures
{
    public static async Task<string> CreateRunAsync(string dir, int requests = 20, int seed = 7, bool judge = true, string model = "simulated-organism")
    {
        var organism = new SimulatedModelOrganism(new SimulatedOrganismOptions
        {
            ModelId = model,
            Seed = seed,
            TrainingComplianceRate = 0.5,
            UnmonitoredComplianceRate = 0.2,
            NoCotTrainingComplianceRate = 0.3,
            NoCotUnmonitoredComplianceRate = 0.1,
            ProxyFalsePositiveRate = 0.2,
            ProxyFalseNegativeRate = 0.2,
            FailureRate = 0,
        });
        var options = new ExperimentOptions { Modes = [ReasoningMode.Cot, ReasoningMode.NoCot], ModelId = model, MaxConcurrency = 4 };
        var runner = new ExperimentRunner(organism, options: options);
        var work = runner.Plan(Enumerable.Range(0, requests).Select(i => new ExperimentRequest(i, "Do harmful thing number " + i)).ToArray());
        var manifest = new RunManifest
        {
            Model = model,
            Subject = "simulated",
            Options = new RunOptionsRecord
            {
                Modes = options.Modes,
                Tiers = options.Tiers,
                Epochs = 1,
                MaxTurns = 4,
                Extraction = "original",
                PrefillPolicy = "original",
                PrefillUsed = true,
                UserTemplate = "original",
                UserTemplateSha256 = UserMessageTemplate.Original.Sha256,
                MaxConcurrency = 4,
            },
            Dataset = new DatasetRecord { Name = "test", Sha256 = "00", Count = requests },
            Prompts = [],
            StartedAt = DateTimeOffset.UnixEpoch,
        };
        var samples = new List<ExperimentSample>();
        await using (var run = await RunDirectory.CreateAsync(dir, manifest, options.Modes.Select(runner.Scenarios.GetSystemPrompt)))
        {
            await foreach (var sample in runner.StreamAsync(work))
            {
                await run.AppendAsync(sample);
                samples.Add(sample);
            }

            await run.CompleteAsync(RunSummary.Compute(manifest.Model, samples), DateTimeOffset.UnixEpoch, complete: true);
        }

        if (judge)
        {
            var simulated = new SimulatedJudge();
            var runJudge = new RunJudge(new LlmJudgeClassifier(simulated), new AlignmentFakingReasoningClassifier(simulated, new AlignmentFakingClassifierOptions { Votes = 3 }));
            await runJudge.JudgeDirectoryAsync(dir);
        }

        return dir;
    }

    /// <summary>The JSON embedded in the HTML report's sample table.</summary>
    public static string EmbeddedJson(string html)
    {
        const string open = "<script type=\"application/json\" id=\"af-samples\">";
        int start = html.IndexOf(open, StringComparison.Ordinal) + open.Length;
        int end = html.IndexOf("</script>", start, StringComparison.Ordinal);
        return html[start..end];
    }

    /// <summary>References to anything outside the file: http(s) or protocol-relative src/href, stylesheets, imports, CSS urls.</summary>
    public static IReadOnlyList<string> ExternalReferences(string html) =>
        External().Matches(html).Select(m => m.Value).ToArray();

    [GeneratedRegex(@"(?:\b(?:src|href|action|srcset|poster|data)\s*=\s*[""']?\s*(?:[a-z]+:)?//)|<link\b|@import|url\(\s*[""']?(?!#)|<iframe\b|<object\b|<embed\b|\bimport\s*\(|fetch\(|XMLHttpRequest", RegexOptions.IgnoreCase)]
    private static partial Regex External();
}
