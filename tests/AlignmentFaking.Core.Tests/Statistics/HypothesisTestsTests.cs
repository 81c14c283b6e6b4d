using AlignmentFaking.Statistics;
using NUnit.Framework;

namespace AlignmentFaking.Tests.Statistics;

/// <summary>
/// Exact tests against rationals computed exactly with Python <c>fractions.Fraction</c> and <c>math.comb</c>
/// (Fisher: sum of hypergeometric probabilities &lt;= observed × (1 + 1e-7), as R; McNemar: min(1, 2·P(X ≤ min(b, c)))).
/// </summary>
[TestFixture]
public sealed class HypothesisTestsTests
{
    private static void AssertRelative(double actual, double expected, double relative = 1e-9)
    {
        Assert.That(actual, Is.EqualTo(expected).Within(relative * expected));
    }

    // Fisher's tea-tasting table: two-sided p = 34/70 = 0.4857142857.
    [Test]
    public void Fisher_tea_tasting()
    {
        AssertRelative(HypothesisTests.FisherExact(3, 1, 1, 3), 0.4857142857142857);
    }

    [TestCase(1, 9, 11, 3, 0.0027594561852200836)]
    [TestCase(62, 458, 30, 490, 0.0006425441956046484)]
    [TestCase(0, 5, 5, 0, 0.007936507936507936)]
    [TestCase(10, 510, 0, 520, 0.001869669963363672)]
    [TestCase(7, 2, 3, 8, 0.06977851869492736)]
    [TestCase(2, 7, 8, 3, 0.06977851869492736)]
    [TestCase(260, 260, 259, 261, 1.0)]
    [TestCase(1, 0, 0, 1, 1.0)]
    public void Fisher_matches_exact_rationals(int a, int b, int c, int d, double expected)
    {
        AssertRelative(HypothesisTests.FisherExact(a, b, c, d), expected);
    }

    // [[5, 1], [2, 9]]: P(a = 5) = P(a = 0) = 15/884 exactly, but the two are reached by different floating-point
    // paths; only the relative tolerance 1e-7 (R, scipy) counts the tie: p = 61/1768 (exact), not 31/1768.
    [TestCase(5, 1, 2, 9)]
    [TestCase(9, 2, 1, 5)]
    public void Fisher_counts_ties_reached_by_different_rounding(int a, int b, int c, int d)
    {
        AssertRelative(HypothesisTests.FisherExact(a, b, c, d), 61.0 / 1768.0);
    }

    // All comply vs none comply at n = 520 per tier: p = 2 / C(1040, 520), far below 1e-300.
    [Test]
    public void Fisher_all_versus_none_at_520_per_tier_does_not_overflow()
    {
        double p = HypothesisTests.FisherExact(520, 0, 0, 520);
        Assert.That(p, Is.EqualTo(6.86302389511e-312).Within(1e-6 * 6.86302389511e-312));
    }

    [Test]
    public void Fisher_degenerate_margins_give_one()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(HypothesisTests.FisherExact(0, 520, 0, 520), Is.EqualTo(1.0));
            Assert.That(HypothesisTests.FisherExact(520, 0, 520, 0), Is.EqualTo(1.0));
            Assert.That(HypothesisTests.FisherExact(0, 0, 0, 0), Is.EqualTo(1.0));
        }
    }

    [TestCase(0, 0, 1.0)]
    [TestCase(1, 0, 1.0)]
    [TestCase(3, 1, 0.625)]
    [TestCase(5, 0, 0.0625)]
    [TestCase(10, 2, 0.03857421875)]
    [TestCase(2, 10, 0.03857421875)]
    [TestCase(6, 16, 0.052478790283203125)]
    [TestCase(25, 15, 0.1538599441628321)]
    [TestCase(50, 50, 1.0)]
    [TestCase(51, 50, 1.0)]
    [TestCase(130, 100, 0.055613577781392386)]
    [TestCase(300, 220, 0.0005194158496652891)]
    [TestCase(60, 20, 8.580559867049611e-06)]
    [TestCase(0, 520, 5.826828696250162e-157)]
    public void McNemar_matches_exact_rationals(int b, int c, double expected)
    {
        AssertRelative(HypothesisTests.McNemarExact(b, c), expected);
    }

    // Two-proportion z-test: z and p from the closed form in Python (p = erfc(|z|/√2)); z² equals the Pearson
    // chi-square of R's prop.test(correct = FALSE).
    [TestCase(56, 70, 48, 80, 2.6501719512585336, 0.008045081368196568)]
    [TestCase(62, 520, 30, 520, 3.4943674046928725, 0.00047518658611676775)]
    [TestCase(1, 10, 0, 10, 1.025978352085154, 0.30490178817878844)]
    [TestCase(15, 20, 5, 20, 3.162277660168379, 0.0015654022580025523)]
    [TestCase(520, 520, 519, 520, 1.0004811162173926, 0.3170777317931559)]
    public void TwoProportionZ_matches_closed_form(int x1, int n1, int x2, int n2, double z, double p)
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(HypothesisTests.TwoProportionZStatistic(x1, n1, x2, n2), Is.EqualTo(z).Within(1e-12));
            Assert.That(HypothesisTests.TwoProportionZStatistic(x2, n2, x1, n1), Is.EqualTo(-z).Within(1e-12));
            AssertRelative(HypothesisTests.TwoProportionZ(x1, n1, x2, n2), p, 1e-12);
        }
    }

    [Test]
    public void TwoProportionZ_degenerate_cases()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(HypothesisTests.TwoProportionZ(0, 520, 0, 520), Is.EqualTo(1.0));
            Assert.That(HypothesisTests.TwoProportionZ(520, 520, 520, 520), Is.EqualTo(1.0));
            Assert.That(HypothesisTests.TwoProportionZ(0, 0, 3, 10), Is.NaN);
            Assert.That(HypothesisTests.TwoProportionZ(520, 520, 0, 520), Is.LessThan(1e-100));
        }
    }

    [Test]
    public void Tests_reject_negative_counts()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(() => HypothesisTests.McNemarExact(-1, 2), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => HypothesisTests.FisherExact(1, -2, 3, 4), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => HypothesisTests.TwoProportionZ(5, 4, 1, 4), Throws.InstanceOf<ArgumentOutOfRangeException>());
        }
    }
}
