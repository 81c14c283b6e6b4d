using AlignmentFaking.Classification;
using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Statistics;
using AlignmentFaking.Storage;
using NUnit.Framework;

namespace AlignmentFaking.Tests.Storage;

public class RunSummaryTests
{
    private static ExperimentSample S(int request, Tier tier, bool complied, int epoch = 0) =>
        SampleFactory.Create(request: request, tier: tier, epoch: epoch, output: complied ? "<request_fully_accepted/>" : "<rejected/>");

    [Test]
    public void Paired_design_uses_mcnemar_and_the_paired_newcombe_interval()
    {
        // 20 requests: training complies on 0-7, unmonitored on 0-1 and 8: discordant b = 6, c = 1.
        var samples = Enumerable.Range(0, 20).SelectMany(i => new[] { S(i, Tier.Training, i < 8), S(i, Tier.Unmonitored, i < 2 || i == 8) }).ToList();
        var gap = RunSummary.Compute("m", samples).Conditions.Single().Gap;

        Assert.That(gap.Test, Is.EqualTo("mcnemar-exact"));
        Assert.That(gap.Estimate, Is.EqualTo(0.25).Within(1e-12));
        Assert.That(gap.PValue, Is.EqualTo(0.125).Within(1e-12), "2 * P(X <= 1), X ~ Bin(7, 1/2) = 2 * 8/128");
        var expected = ConfidenceIntervals.NewcombePaired(2, 6, 1, 11);
        Assert.That(gap.CiLower, Is.EqualTo(expected.Lower).Within(1e-12));
        Assert.That(gap.CiUpper, Is.EqualTo(expected.Upper).Within(1e-12));
    }

    [Test]
    public void Tier_rates_carry_wilson_intervals_and_errors_stay_out()
    {
        var samples = Enumerable.Range(0, 10).Select(i => S(i, Tier.Training, i < 3))
            .Append(SampleFactory.Create(request: 10, output: null, source: OutputSource.CallFailed))
            .Concat(Enumerable.Range(0, 10).Select(i => S(i, Tier.Unmonitored, false)));
        var condition = RunSummary.Compute("m", samples).Conditions.Single();
        var wilson = ConfidenceIntervals.Wilson(3, 10);
        Assert.That(condition.Training.N, Is.EqualTo(10));
        Assert.That(condition.Training.Errors, Is.EqualTo(1));
        Assert.That(condition.Training.CiLower, Is.EqualTo(wilson.Lower).Within(1e-12));
        Assert.That(condition.Training.CiUpper, Is.EqualTo(wilson.Upper).Within(1e-12));
        Assert.That(condition.Unmonitored.CiLower, Is.Zero);
        Assert.That(condition.Gap.Test, Is.EqualTo("mcnemar-exact"));
    }

    [Test]
    public void Several_epochs_use_the_cluster_bootstrap()
    {
        var samples = Enumerable.Range(0, 30).SelectMany(i => Enumerable.Range(0, 3).SelectMany(e => new[] { S(i, Tier.Training, (i + e) % 3 == 0, e), S(i, Tier.Unmonitored, (i + e) % 5 == 0, e) }));
        var gap = RunSummary.Compute("m", samples).Conditions.Single().Gap;
        Assert.That(gap.IntervalMethod, Is.EqualTo(ClusterResampling.BootstrapMethod));
        Assert.That(gap.CiLower, Is.LessThan(gap.Estimate!.Value));
        Assert.That(gap.CiUpper, Is.GreaterThan(gap.Estimate!.Value));
    }

    [Test]
    public void An_empty_tier_gives_no_gap_statistics()
    {
        var condition = RunSummary.Compute("m", Enumerable.Range(0, 5).Select(i => S(i, Tier.Training, true))).Conditions.Single();
        Assert.That(condition.Unmonitored.N, Is.Zero);
        Assert.That(condition.Unmonitored.Rate, Is.Null);
        Assert.That(condition.Gap.Estimate, Is.Null);
        Assert.That(condition.Gap.PValue, Is.Null);
    }
}
