using AlignmentFaking.Statistics;
using AlignmentFaking.Studies;
using NUnit.Framework;

namespace AlignmentFaking.Tests.Studies;

/// <summary>The plan's power: the detectable difference of gaps (hand-computed) and the Holm-adjusted alpha.</summary>
[TestFixture]
public sealed class StudyPlanTests
{
    // An independent Python bisection of power = Phi((sqrt(N) d - z(1 - alpha/2) sd0) / sd1), with
    // Var = (1 - rho) sum s^2 + rho (sTa - sUa - sTb + sUb)^2 (paired) and cell a's training rate pT + d under the alternative.
    [Test]
    public void The_detectable_difference_of_gaps_matches_the_closed_form()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(PowerAnalysis.MinimumDetectableGapDifference(100, 1, 0.15, 0.05, PairingDesign.Paired), Is.EqualTo(0.17182772352721257).Within(1e-8));
            Assert.That(PowerAnalysis.MinimumDetectableGapDifference(100, 1, 0.15, 0.05, PairingDesign.Unpaired), Is.EqualTo(0.17182772352721257).Within(1e-8), "at correlation 0 the designs agree");
            // 200 requests x 2 epochs, rho 0.3, alpha 0.05 / 8
            Assert.That(PowerAnalysis.MinimumDetectableGapDifference(200, 2, 0.3, 0.1, PairingDesign.Paired, 0.3, 0.05 / 8), Is.EqualTo(0.11662778151849125).Within(1e-8));
            Assert.That(
                PowerAnalysis.MinimumDetectableGapDifference(200, 1, 0.3, 0.1, PairingDesign.Paired, 0.3),
                Is.LessThan(PowerAnalysis.MinimumDetectableGapDifference(200, 1, 0.3, 0.1, PairingDesign.Unpaired, 0.3)),
                "pairing the cells on the same requests helps when outcomes are correlated");
            Assert.That(PowerAnalysis.MinimumDetectableGapDifference(4, 1, 0.15, 0.05, PairingDesign.Paired, 0, 0.05 / 14), Is.NaN, "even 1 - pT is not detected with 4 requests");
        }
    }

    [Test]
    public void A_plan_prices_every_cell_and_plans_every_comparison_at_alpha_over_their_number()
    {
        var study = Study.Parse(StudyFileTests.Example.Replace("\"requests.jsonl\"", "\"x.jsonl\"", StringComparison.Ordinal), "/tmp");
        var plan = StudyPlan.Create(study, StudyFileTests.Inputs(50));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(plan.Cells, Has.Count.EqualTo(8));
            Assert.That(plan.Samples, Is.EqualTo(8L * 50 * 2 * 2));
            Assert.That(plan.Expected.Calls, Is.EqualTo(plan.Cells.Sum(c => c.Estimate.Expected.Calls)));
            Assert.That(plan.Expected.JudgeCalls, Is.GreaterThan(0), "the judge is planned");
            Assert.That(plan.Comparisons, Has.Count.EqualTo(20));
            Assert.That(plan.Comparisons[0].Alpha, Is.EqualTo(0.05 / 20));
            Assert.That(plan.Comparisons[0].MinimumDetectableDifference, Is.EqualTo(PowerAnalysis.MinimumDetectableGapDifference(50, 1, 0.15, 0.05, PairingDesign.Paired, 0, 0.05 / 20)));
            Assert.That(plan.Describe(), Has.Count.EqualTo(1 + 8 + 2 + 20));
        }
    }
}
