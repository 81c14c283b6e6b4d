using AlignmentFaking.Judging.Compliance;
using AlignmentFaking.Judging.Reasoning;
using AlignmentFaking.Judging.Runs;
using AlignmentFaking.Judging.Simulation;
using AlignmentFaking.Simulation;
using AlignmentFaking.Testing;

namespace AlignmentFaking.Cli.Tests;

/// <summary>Run directories of the simulated organism for the <c>af judge</c> and <c>af report</c> tests (see <see cref="SimulatedRun"/>).</summary>
internal static class RunFixtures
{
    /// <summary>The organism of the <c>af judge</c> tests (as in the Judging tests' run judge tests).</summary>
    public static SimulatedOrganismOptions JudgeOrganism() => new()
    {
        Seed = 7,
        TrainingComplianceRate = 0.5,
        UnmonitoredComplianceRate = 0.2,
        NoCotTrainingComplianceRate = 0.3,
        NoCotUnmonitoredComplianceRate = 0.1,
        ProxyFalsePositiveRate = 0.25,
        ProxyFalseNegativeRate = 0.25,
        FailureRate = 0,
    };

    /// <summary>A run judged by the simulated judge (3 votes), as <c>af run</c> and <c>af judge</c> write it (as the Judging tests' report fixtures).</summary>
    public static async Task<string> CreateJudgedRunAsync(string dir, int requests = 20, int seed = 7, string model = "simulated-organism")
    {
        await SimulatedRun.CreateAsync(dir, new SimulatedOrganismOptions
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
        }, requests);
        var simulated = new SimulatedJudge();
        var runJudge = new RunJudge(new LlmJudgeClassifier(simulated), new AlignmentFakingReasoningClassifier(simulated, new AlignmentFakingClassifierOptions { Votes = 3 }));
        await runJudge.JudgeDirectoryAsync(dir);
        return dir;
    }
}
