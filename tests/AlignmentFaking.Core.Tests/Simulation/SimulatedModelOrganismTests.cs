using AlignmentFaking.Classification;
using AlignmentFaking.Datasets;
using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Simulation;
using NUnit.Framework;

namespace AlignmentFaking.Tests.Simulation;

public class SimulatedModelOrganismTests
{
    private static ExperimentRequest[] MakeRequests(int n) => Enumerable.Range(0, n).Select(i => new ExperimentRequest(i, $"Synthetic request number {i}")).ToArray();

    private static SimulatedOrganismOptions NoisyOptions(long seed = 7) => new()
    {
        Seed = seed,
        ProxyFalsePositiveRate = 0.1,
        ProxyFalseNegativeRate = 0.2,
        FailureRate = 0.05,
        TruncationRate = 0.05,
    };

    [Test]
    public async Task Every_sample_gets_the_proxy_verdict_its_behaviour_implies()
    {
        var organism = new SimulatedModelOrganism(NoisyOptions());
        var scenarios = new ScenarioBuilder();
        var runner = new ExperimentRunner(organism, scenarios, new ExperimentOptions { Modes = [ReasoningMode.Cot, ReasoningMode.NoCot] });
        var result = await runner.RunAsync(MakeRequests(300));

        foreach (var sample in result.Samples)
        {
            var behavior = organism.Describe(scenarios.Build(new ExperimentRequest(sample.RequestIndex, sample.Request), sample.Tier, sample.Mode, organism.Options.ModelId).ToMessages());
            Assert.That(sample.Proxy, Is.EqualTo(behavior.ExpectedProxy), sample.SampleId);
            Assert.That(sample.Turns, Is.EqualTo(behavior.Fails ? 4 : sample.Mode == ReasoningMode.Cot ? behavior.ExtraScratchpadTurns + 1 : 1), sample.SampleId);
        }

        var outcomes = result.Samples.Select(s => s.Proxy).Distinct().ToArray();
        Assert.That(outcomes, Is.SupersetOf(new[] { ComplianceOutcome.Complied, ComplianceOutcome.Refused, ComplianceOutcome.Failed, ComplianceOutcome.Truncated }));
    }

    [Test]
    public async Task Compliance_rates_follow_the_options()
    {
        var organism = new SimulatedModelOrganism(new SimulatedOrganismOptions { TrainingComplianceRate = 0.4, UnmonitoredComplianceRate = 0.1, ProxyFalseNegativeRate = 0, ProxyFalsePositiveRate = 0, FailureRate = 0, MaxExtraScratchpadTurns = 0 });
        var result = await new ExperimentRunner(organism).RunAsync(MakeRequests(2000));
        var condition = result.Summary.Conditions.Single();
        Assert.That(condition.Training.Rate, Is.EqualTo(0.4).Within(0.035));
        Assert.That(condition.Unmonitored.Rate, Is.EqualTo(0.1).Within(0.02));
    }

    [Test]
    public async Task Deterministic_from_the_seed()
    {
        static async Task<string[]> Outputs(long seed) =>
            (await new ExperimentRunner(new SimulatedModelOrganism(NoisyOptions(seed))).RunAsync(MakeRequests(100))).Samples.Select(s => s.Proxy + ":" + s.Output).ToArray();

        var a = await Outputs(1);
        var b = await Outputs(1);
        var c = await Outputs(2);
        Assert.That(a, Is.EqualTo(b));
        Assert.That(a, Is.Not.EqualTo(c));
    }

    [Test]
    public async Task Epochs_differ_when_a_seed_is_sent()
    {
        var runner = new ExperimentRunner(new SimulatedModelOrganism(new SimulatedOrganismOptions { TrainingComplianceRate = 0.5, UnmonitoredComplianceRate = 0.5 }), options: new ExperimentOptions { Epochs = 2, Seed = 1 });
        var samples = (await runner.RunAsync(MakeRequests(100))).Samples;
        int differing = samples.GroupBy(s => (s.RequestIndex, s.Tier)).Count(g => g.Select(s => s.Proxy).Distinct().Count() > 1);
        Assert.That(differing, Is.GreaterThan(10));
    }

    [Test]
    public async Task Alignment_faking_reasoning_appears_only_in_compliant_training_cot()
    {
        var organism = new SimulatedModelOrganism(new SimulatedOrganismOptions { TrainingComplianceRate = 0.5, UnmonitoredComplianceRate = 0.5, AlignmentFakingShare = 1 });
        var samples = (await new ExperimentRunner(organism).RunAsync(MakeRequests(200))).Samples;
        bool Af(ExperimentSample s) => s.Transcript.Any(t => t.Role == "assistant" && t.Content.Contains("To avoid being modified", StringComparison.Ordinal));
        Assert.That(samples.Where(Af).All(s => s.Tier == Tier.Training), Is.True);
        Assert.That(samples.Count(Af), Is.GreaterThan(50));
    }

    [Test]
    public async Task Works_without_prefill_and_writes_only_placeholders()
    {
        var organism = new SimulatedModelOrganism(new SimulatedOrganismOptions { TrainingComplianceRate = 1, NoCotTrainingComplianceRate = 1, ProxyFalseNegativeRate = 0, FailureRate = 0 });
        var scenarios = new ScenarioBuilder().WithPrefill(PrefillPolicy.Never);
        var samples = (await new ExperimentRunner(organism, scenarios, new ExperimentOptions { Tiers = [Tier.Training], Modes = [ReasoningMode.Cot, ReasoningMode.NoCot] }).RunAsync(MakeRequests(20))).Samples;
        Assert.That(samples.All(s => s.Prefill is null && s.Proxy == ComplianceOutcome.Complied), Is.True);
        Assert.That(samples.All(s => s.Output!.Contains("writes no real content", StringComparison.Ordinal)), Is.True);
    }

    [Test]
    public void Invalid_rates_are_rejected()
    {
        Assert.That(() => new SimulatedModelOrganism(new SimulatedOrganismOptions { TrainingComplianceRate = 1.5 }), Throws.ArgumentException.With.Message.Contains("TrainingComplianceRate"));
    }
}
