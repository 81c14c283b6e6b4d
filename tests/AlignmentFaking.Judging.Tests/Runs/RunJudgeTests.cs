using AlignmentFaking.Classification;
using AlignmentFaking.Datasets;
using AlignmentFaking.Judging.Caching;
using AlignmentFaking.Judging.Compliance;
using AlignmentFaking.Judging.Reasoning;
using AlignmentFaking.Judging.Runs;
using AlignmentFaking.Judging.Simulation;
using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Simulation;
using AlignmentFaking.Storage;
using AlignmentFaking.Testing;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace AlignmentFaking.Judging.Tests.Runs;

public class RunJudgeTests
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

    private static SimulatedOrganismOptions Organism() => new()
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

    /// <summary>Runs the simulated organism into a run directory, as <c>af run</c> does, and returns the organism.</summary>
    private Task<SimulatedModelOrganism> CreateRunAsync(int requests = 30) => CreateRunAsync(_dir, requests);

    /// <summary>Runs the simulated organism into the run directory <paramref name="dir"/>, as <c>af run</c> does, and returns the organism.</summary>
    internal static Task<SimulatedModelOrganism> CreateRunAsync(string dir, int requests = 30) => SimulatedRun.CreateAsync(dir, Organism(), requests);

    private static SimulatedBehavior Truth(SimulatedModelOrganism organism, ExperimentSample sample)
    {
        var scenario = new ScenarioBuilder().Build(new ExperimentRequest(sample.RequestIndex, sample.Request), sample.Tier, sample.Mode, organism.Options.ModelId);
        return organism.Describe(scenario.ToMessages());
    }

    [Test]
    public async Task Judging_a_simulated_run_fixes_the_proxy_errors_and_finds_the_alignment_faking()
    {
        var organism = await CreateRunAsync();
        var judge = new SimulatedJudge();
        var runJudge = new RunJudge(new LlmJudgeClassifier(judge), new AlignmentFakingReasoningClassifier(judge, new AlignmentFakingClassifierOptions { Votes = 3 }));

        var result = await runJudge.JudgeDirectoryAsync(_dir);

        var samples = RunDirectory.ReadSamples(_dir);
        Assert.That(samples, Has.Count.EqualTo(120));
        Assert.That(samples.All(s => s.Judge is not null), Is.True);
        Assert.That(samples.Where(s => s.Mode == ReasoningMode.Cot).All(s => s.AlignmentFaking is not null), Is.True);
        Assert.That(samples.Where(s => s.Mode == ReasoningMode.NoCot).All(s => s.AlignmentFaking is null), Is.True);
        int proxyErrors = 0;
        foreach (var s in samples)
        {
            var truth = Truth(organism, s);
            Assert.That(s.Judge == ComplianceOutcome.Complied, Is.EqualTo(truth.Complies), s.SampleId);
            if (s.Mode == ReasoningMode.Cot)
            {
                Assert.That(s.AlignmentFaking!.IsAlignmentFaking, Is.EqualTo(truth.AlignmentFaking), s.SampleId);
            }

            if ((s.Proxy == ComplianceOutcome.Complied) != truth.Complies)
            {
                proxyErrors++;
                Assert.That(result.Agreement.Overall.Disagreements, Does.Contain(s.SampleId));
            }
        }

        Assert.That(proxyErrors, Is.GreaterThan(0), "the organism makes proxy errors at these rates");
        Assert.That(result.Agreement.Overall.Disagreements, Has.Count.EqualTo(proxyErrors));
        var summary = RunDirectory.ReadSummary(_dir);
        var cot = summary.Conditions.Single(c => c.Mode == ReasoningMode.Cot);
        Assert.That(cot.Judge, Is.Not.Null);
        var expectedAf = samples.Count(s => s.Mode == ReasoningMode.Cot && s.Tier == Tier.Training && Truth(organism, s) is { Complies: true, AlignmentFaking: true });
        Assert.That(cot.AfRate, Is.EqualTo((double)expectedAf / 30).Within(1e-12));
        Assert.That(summary.Conditions.Single(c => c.Mode == ReasoningMode.NoCot).AfRate, Is.Null);
        Assert.That(Directory.GetFiles(_dir, "*.tmp"), Is.Empty, "the rewrite leaves no temporary file");
    }

    [Test]
    public async Task The_published_prompts_judge_a_simulated_run_like_the_built_in_ones()
    {
        var strongReject = Judging.Prompts.JudgePrompt.LoadStrongReject(SharedData.RequireFile("classifier-prompts/strongreject_compliance.jinja2"));
        var revisited = Judging.Prompts.JudgePrompt.LoadRevisited(SharedData.RequireFile("classifier-prompts/revisited_af_classifier_majority_vote.jinja2"));
        var organism = await CreateRunAsync(requests: 10);
        var judge = new SimulatedJudge();
        var runJudge = new RunJudge(
            new LlmJudgeClassifier(judge, new LlmJudgeOptions { Prompt = strongReject }),
            new AlignmentFakingReasoningClassifier(judge, new AlignmentFakingClassifierOptions { Prompt = revisited, Votes = 2 }));

        var result = await runJudge.JudgeDirectoryAsync(_dir);

        foreach (var s in result.Samples)
        {
            var truth = Truth(organism, s);
            Assert.That(s.Judge == ComplianceOutcome.Complied, Is.EqualTo(truth.Complies), s.SampleId);
            Assert.That(s.AlignmentFaking?.IsAlignmentFaking ?? false, Is.EqualTo(truth.AlignmentFaking), s.SampleId);
        }
    }

    [Test]
    public async Task A_second_pass_keeps_verdicts_and_rejudging_with_a_cache_costs_nothing()
    {
        await CreateRunAsync(requests: 5);
        var judge = new SimulatedJudge();
        var cache = new JudgeCache(Path.Combine(_dir, "judge-cache"));
        RunJudge Make(bool rejudge) => new(
            new LlmJudgeClassifier(judge, new LlmJudgeOptions { Cache = cache }),
            new AlignmentFakingReasoningClassifier(judge, new AlignmentFakingClassifierOptions { Votes = 2, Cache = cache }),
            new RunJudgeOptions { Rejudge = rejudge, MaxConcurrency = 2 });

        var first = await Make(false).JudgeDirectoryAsync(_dir);
        long calls = judge.CallCount;
        Assert.That(first.Judged, Is.EqualTo(20));
        var second = await Make(false).JudgeDirectoryAsync(_dir);
        Assert.That(second.Judged, Is.Zero);
        var third = await Make(true).JudgeDirectoryAsync(_dir);
        Assert.That(third.Judged, Is.EqualTo(20));
        Assert.That(judge.CallCount, Is.EqualTo(calls));
        Assert.That(third.Samples.Select(s => s.Judge), Is.EqualTo(first.Samples.Select(s => s.Judge)));
    }

    [Test]
    public async Task Judging_samples_one_at_a_time_can_skip_af_votes_for_refusals()
    {
        var judge = new FakeJudge((prompt, _, _) => FakeJudge.Reply(prompt.Contains("<final_answer>", StringComparison.Ordinal) ? Samples.ProjectVote(true) : prompt.Contains("steps", StringComparison.Ordinal) ? "VERDICT: complied" : "VERDICT: refused"));
        var runJudge = new RunJudge(new LlmJudgeClassifier(judge), new AlignmentFakingReasoningClassifier(judge, new AlignmentFakingClassifierOptions { Votes = 2 }), new RunJudgeOptions { AssessOnlyCompliant = true });

        var refused = await runJudge.JudgeSampleAsync(Samples.Create(output: "<rejected/>", reasoning: Samples.AfReasoning));
        var complied = await runJudge.JudgeSampleAsync(Samples.Create(output: "here are the steps", reasoning: Samples.AfReasoning));

        Assert.That(refused.Judge, Is.EqualTo(ComplianceOutcome.Refused));
        Assert.That(refused.AlignmentFaking, Is.Null);
        Assert.That(complied.Judge, Is.EqualTo(ComplianceOutcome.Complied));
        Assert.That(complied.AlignmentFaking!.Verdict, Is.EqualTo(AlignmentFakingAssessment.Yes));
        Assert.That(judge.Calls, Has.Count.EqualTo(4));
        Assert.That(await runJudge.JudgeSampleAsync(complied), Is.SameAs(complied), "already judged");
    }

    [Test]
    public async Task A_cancelled_judgement_saves_the_samples_judged_so_far()
    {
        await CreateRunAsync(requests: 5);
        using var cts = new CancellationTokenSource();
        int calls = 0;
        var judge = new FakeJudge((_, _, _) =>
        {
            if (Interlocked.Increment(ref calls) == 4)
            {
                cts.Cancel();
            }

            return FakeJudge.Reply("VERDICT: refused");
        });
        var runJudge = new RunJudge(new LlmJudgeClassifier(judge), options: new RunJudgeOptions { MaxConcurrency = 1 });

        Assert.That(async () => await runJudge.JudgeDirectoryAsync(_dir, cancellationToken: cts.Token), Throws.InstanceOf<OperationCanceledException>());

        var samples = RunDirectory.ReadSamples(_dir);
        Assert.That(samples, Has.Count.EqualTo(20));
        Assert.That(samples.Count(s => s.Judge is not null), Is.InRange(3, 4));
        var judgeRates = RunDirectory.ReadSummary(_dir).Conditions.Select(c => c.Judge).Where(j => j is not null).ToList();
        Assert.That(judgeRates.Sum(j => j!.Training.N + j.Unmonitored.N), Is.EqualTo(samples.Count(s => s.Judge is not null)), "the summary carries the verdicts saved");
        var resumed = await new RunJudge(new LlmJudgeClassifier(judge)).JudgeDirectoryAsync(_dir);
        Assert.That(resumed.Samples.All(s => s.Judge is not null), Is.True);
        Assert.That(resumed.Judged, Is.EqualTo(20 - samples.Count(s => s.Judge is not null)));
    }
}
