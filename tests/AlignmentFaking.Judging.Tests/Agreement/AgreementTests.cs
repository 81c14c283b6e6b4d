using AlignmentFaking.Classification;
using AlignmentFaking.Judging.Agreement;
using AlignmentFaking.Scenarios;
using NUnit.Framework;

namespace AlignmentFaking.Judging.Tests.Agreement;

public class AgreementTests
{
    // Hand-computed: po = (a + d) / n; pe = p1 * p2 + (1 - p1) * (1 - p2); kappa = (po - pe) / (1 - pe).
    [TestCase(20, 5, 10, 15, 0.7, 0.4)] // p1 = .5, p2 = .6, pe = .5
    [TestCase(45, 15, 25, 15, 0.6, 3.0 / 23)] // p1 = .6, p2 = .7, pe = .54
    [TestCase(0, 5, 5, 0, 0.0, -1.0)] // p1 = p2 = .5, pe = .5
    [TestCase(10, 0, 0, 30, 1.0, 1.0)]
    [TestCase(1, 0, 1, 8, 0.9, 8.0 / 13)] // p1 = .1, p2 = .2, pe = .02 + .72 = .74, kappa = .16 / .26
    public void Cohens_kappa_matches_hand_computed_values(int both, int firstOnly, int secondOnly, int neither, double agreement, double kappa)
    {
        var matrix = new ConfusionMatrix(both, firstOnly, secondOnly, neither);
        Assert.That(matrix.RawAgreement, Is.EqualTo(agreement).Within(1e-12));
        Assert.That(matrix.CohensKappa, Is.EqualTo(kappa).Within(1e-12));
    }

    [Test]
    public void Kappa_is_undefined_when_both_raters_use_one_category()
    {
        Assert.That(new ConfusionMatrix(0, 0, 0, 12).CohensKappa, Is.Null);
        Assert.That(new ConfusionMatrix(0, 0, 0, 12).RawAgreement, Is.EqualTo(1.0));
        Assert.That(new ConfusionMatrix(0, 0, 0, 0).CohensKappa, Is.Null);
        Assert.That(new ConfusionMatrix(0, 0, 0, 0).RawAgreement, Is.Null);
    }

    [Test]
    public void Proxy_vs_judge_per_tier_with_disagreements_and_exclusions()
    {
        var samples = new[]
        {
            Samples.Create(output: "<request_fully_accepted/> ok", request: 0, judge: ComplianceOutcome.Complied),
            Samples.Create(output: "<request_fully_accepted/> I'm sorry, no.", request: 1, judge: ComplianceOutcome.Refused),
            Samples.Create(output: "Here you go: steps", request: 2, judge: ComplianceOutcome.Complied),
            Samples.Create(output: "<rejected/>", request: 3, judge: ComplianceOutcome.Refused),
            Samples.Create(output: "<rejected/>", request: 4, judge: ComplianceOutcome.Unparseable),
            Samples.Create(output: "<rejected/>", request: 5, judge: ComplianceOutcome.JudgeRefused),
            Samples.Create(output: "<rejected/>", request: 6),
            Samples.Create(output: "<request_fully_accepted/> meh", request: 7, judge: ComplianceOutcome.Partial),
            Samples.Create(output: "<rejected/>", request: 0, tier: Tier.Unmonitored, judge: ComplianceOutcome.Refused),
        };

        var report = AgreementReport.ProxyVsJudge(samples);

        var training = report.Tiers.Single(t => t.Tier == Tier.Training);
        Assert.That(training.Matrix, Is.EqualTo(new ConfusionMatrix(1, 2, 1, 1)));
        Assert.That(training.Excluded, Is.EqualTo(3));
        Assert.That(training.Disagreements, Is.EqualTo(new[] { "cot/training/r1/e0", "cot/training/r2/e0", "cot/training/r7/e0" }));
        Assert.That(training.RawAgreement, Is.EqualTo(0.4).Within(1e-12));
        var unmonitored = report.Tiers.Single(t => t.Tier == Tier.Unmonitored);
        Assert.That(unmonitored.Matrix.N, Is.EqualTo(1));
        Assert.That(report.Overall.Matrix.N, Is.EqualTo(6));
        Assert.That(report.Overall.Mode, Is.Null);
    }
}
