using AlignmentFaking.Datasets;
using AlignmentFaking.Judging.Compliance;
using AlignmentFaking.Judging.Reasoning;
using AlignmentFaking.Judging.Runs;
using AlignmentFaking.Judging.Simulation;
using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Simulation;
using AlignmentFaking.Storage;
using AlignmentFaking.Testing;

namespace AlignmentFaking.Judging.Tests.Reporting;

/// <summary>Run directories of the simulated organism, written as <c>af run</c> (and <c>af judge</c>) write them.</summary>
internal static class ReportFixtures
{
    public static async Task<string> CreateRunAsync(string dir, int requests = 20, int seed = 7, bool judge = true, string model = "simulated-organism")
    {
        await SimulatedRun.CreateAsync(dir, Organism(seed, model), requests);
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

    /// <summary>References to anything outside the file (see <see cref="HtmlChecks.ExternalReferences"/>).</summary>
    public static IReadOnlyList<string> ExternalReferences(string html) => HtmlChecks.ExternalReferences(html);

    /// <summary>The simulated organism of the report fixtures.</summary>
    public static SimulatedOrganismOptions Organism(int seed = 7, string model = "simulated-organism") => new()
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
    };
}
