using AlignmentFaking.Statistics;
using NUnit.Framework;

namespace AlignmentFaking.Tests.Statistics;

/// <summary>
/// Wilson and Newcombe intervals. Full-precision references were computed with an independent Python 3.11
/// script (closed-form formulas, z from <c>statistics.NormalDist().inv_cdf</c>); published 4-decimal values
/// are cited where they exist.
/// </summary>
[TestFixture]
public sealed class ConfidenceIntervalsTests
{
    private const double Tight = 1e-12;

    // R: prop.test(0, 10, correct = FALSE)$conf.int = 0.0000000 0.2775328 (well-known value).
    [Test]
    public void Wilson_zero_of_ten_matches_R()
    {
        ProportionInterval ci = ConfidenceIntervals.Wilson(0, 10);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(ci.Rate, Is.Zero);
            Assert.That(ci.Lower, Is.Zero);
            Assert.That(ci.Upper, Is.EqualTo(0.2775328).Within(5e-8));
            Assert.That(ci.Upper, Is.EqualTo(0.27753279986288915).Within(Tight));
            Assert.That(ci.N, Is.EqualTo(10));
            Assert.That(ci.Successes, Is.Zero);
            Assert.That(ci.ConfidenceLevel, Is.EqualTo(0.95));
        }
    }

    [TestCase(10, 10, 0.95, 1.0, 0.7224672001371107, 1.0)]
    [TestCase(1, 1, 0.95, 1.0, 0.20654931437723745, 1.0)]
    [TestCase(0, 1, 0.95, 0.0, 0.0, 0.7934506856227626)]
    [TestCase(56, 70, 0.95, 0.8, 0.6918335550374693, 0.8769526075163704)]
    [TestCase(48, 80, 0.95, 0.6, 0.490454650051604, 0.7003817240412906)]
    [TestCase(260, 520, 0.95, 0.5, 0.45718281003107614, 0.5428171899689238)]
    [TestCase(3, 520, 0.95, 0.0057692307692307696, 0.0019639587282406484, 0.016823135448783548)]
    [TestCase(517, 520, 0.99, 0.9942307692307693, 0.977466739599578, 0.9985415031458826)]
    [TestCase(0, 520, 0.95, 0.0, 0.0, 0.007333247027339655)]
    [TestCase(7, 23, 0.99, 0.30434782608695654, 0.12606999174510136, 0.5702339933449002)]
    [TestCase(1, 2, 0.5, 0.5, 0.2847588845819623, 0.7152411154180377)]
    public void Wilson_matches_reference(int x, int n, double level, double rate, double lower, double upper)
    {
        ProportionInterval ci = ConfidenceIntervals.Wilson(x, n, level);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(ci.Rate, Is.EqualTo(rate).Within(Tight));
            Assert.That(ci.Lower, Is.EqualTo(lower).Within(Tight));
            Assert.That(ci.Upper, Is.EqualTo(upper).Within(Tight));
        }
    }

    [Test]
    public void Wilson_all_successes_has_upper_exactly_one_and_none_has_lower_exactly_zero()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(ConfidenceIntervals.Wilson(520, 520).Upper, Is.EqualTo(1.0));
            Assert.That(ConfidenceIntervals.Wilson(0, 520).Lower, Is.EqualTo(0.0));
            Assert.That(ConfidenceIntervals.Wilson(0, 520, 0.99).Upper, Is.GreaterThan(ConfidenceIntervals.Wilson(0, 520).Upper));
        }
    }

    [Test]
    public void Wilson_empty_sample_is_NaN_rate_and_whole_unit_interval()
    {
        ProportionInterval ci = ConfidenceIntervals.Wilson(0, 0);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(ci.Rate, Is.NaN);
            Assert.That(ci.Lower, Is.Zero);
            Assert.That(ci.Upper, Is.EqualTo(1.0));
        }
    }

    [Test]
    public void Wilson_rejects_invalid_arguments()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(() => ConfidenceIntervals.Wilson(11, 10), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => ConfidenceIntervals.Wilson(-1, 10), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => ConfidenceIntervals.Wilson(1, 10, 1.0), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => ConfidenceIntervals.Wilson(1, 10, 0.0), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => ConfidenceIntervals.Wilson(1, 10, double.NaN), Throws.InstanceOf<ArgumentOutOfRangeException>());
        }
    }

    // Newcombe (1998), Statistics in Medicine 17:873-890, Table II, method 10 (4 decimals), examples (a)-(f);
    // full precision from the independent Python script.
    [TestCase(56, 70, 48, 80, 0.0524, 0.3339, 0.0524314724023649, 0.3338726540369059)]
    [TestCase(9, 10, 3, 10, 0.1705, 0.8090, 0.17052272393450302, 0.809017973535488)]
    [TestCase(6, 7, 2, 7, 0.0582, 0.8062, 0.058227927482312314, 0.8062496375242277)]
    [TestCase(5, 56, 0, 29, -0.0381, 0.1926, -0.03813714790353685, 0.19256001385511157)]
    [TestCase(0, 10, 0, 20, -0.1611, 0.2775, -0.16112515805281932, 0.27753279986288915)]
    [TestCase(10, 10, 0, 20, 0.6791, 1.0000, 0.6790860371419147, 1.0)]
    public void NewcombeUnpaired_matches_Newcombe_1998_Table_II(int x1, int n1, int x2, int n2, double paperLower, double paperUpper, double lower, double upper)
    {
        DifferenceInterval ci = ConfidenceIntervals.NewcombeUnpaired(x1, n1, x2, n2);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(ci.Estimate, Is.EqualTo(((double)x1 / n1) - ((double)x2 / n2)).Within(Tight));
            Assert.That(ci.Lower, Is.EqualTo(paperLower).Within(5e-5));
            Assert.That(ci.Upper, Is.EqualTo(paperUpper).Within(5e-5));
            Assert.That(ci.Lower, Is.EqualTo(lower).Within(Tight));
            Assert.That(ci.Upper, Is.EqualTo(upper).Within(Tight));
            Assert.That(ci.Method, Is.EqualTo("newcombe"));
        }
    }

    [TestCase(520, 520, 0, 520, 0.95, 0.9896292225977039, 1.0)]
    [TestCase(62, 520, 30, 520, 0.95, 0.02717476193693044, 0.0966088561996776)]
    [TestCase(56, 70, 48, 80, 0.99, 0.005370869250078403, 0.3718084317757736)]
    public void NewcombeUnpaired_large_samples_and_other_levels(int x1, int n1, int x2, int n2, double level, double lower, double upper)
    {
        DifferenceInterval ci = ConfidenceIntervals.NewcombeUnpaired(x1, n1, x2, n2, level);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(ci.Lower, Is.EqualTo(lower).Within(Tight));
            Assert.That(ci.Upper, Is.EqualTo(upper).Within(Tight));
            Assert.That(ci.ConfidenceLevel, Is.EqualTo(level));
        }
    }

    [Test]
    public void NewcombeUnpaired_empty_sample_gives_NaN_and_full_range()
    {
        DifferenceInterval ci = ConfidenceIntervals.NewcombeUnpaired(0, 0, 3, 10);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(ci.Estimate, Is.NaN);
            Assert.That(ci.Lower, Is.EqualTo(-1.0));
            Assert.That(ci.Upper, Is.EqualTo(1.0));
        }
    }

    // Fagerland, Lydersen & Laake (2017), Statistical Analysis of Contingency Tables, ch. 8, Cavo et al. (2012):
    // table [[59, 6], [16, 80]], Newcombe square-and-add: -0.0621 (95% CI -0.1186 to -0.0046), as asserted in the
    // test suite of the R package contingencytables; full precision from the independent Python script.
    [Test]
    public void NewcombePaired_matches_Fagerland_Cavo_example()
    {
        DifferenceInterval ci = ConfidenceIntervals.NewcombePaired(59, 6, 16, 80);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(ci.Estimate, Is.EqualTo(-0.0621).Within(5e-5));
            Assert.That(ci.Lower, Is.EqualTo(-0.1186).Within(5e-5));
            Assert.That(ci.Upper, Is.EqualTo(-0.0046).Within(5e-5));
            Assert.That(ci.Lower, Is.EqualTo(-0.11862119563870993).Within(Tight));
            Assert.That(ci.Upper, Is.EqualTo(-0.004625113933050054).Within(Tight));
            Assert.That(ci.Method, Is.EqualTo("newcombe-paired"));
        }
    }

    // (both, firstOnly, secondOnly, neither). Covers: phi correction in all three branches (A > n/2, 0 <= A <= n/2,
    // A < 0), zero marginals (phi = 0), all-concordant tables, n = 1, level 0.99.
    [TestCase(1, 1, 7, 12, 0.95, -0.2857142857142857, -0.5069202266861409, -0.025559124164859837)]
    [TestCase(8, 5, 4, 7, 0.95, 0.041666666666666664, -0.20140332508269387, 0.27733418378611985)]
    [TestCase(0, 0, 0, 10, 0.95, 0.0, -0.27753279986288915, 0.27753279986288915)]
    [TestCase(10, 0, 0, 0, 0.95, 0.0, -0.27753279986288926, 0.27753279986288926)]
    [TestCase(0, 520, 0, 0, 0.95, 1.0, 0.9896292225977039, 1.0)]
    [TestCase(300, 60, 20, 140, 0.95, 0.07692307692307693, 0.043587003242581135, 0.11004120674218662)]
    [TestCase(300, 60, 20, 140, 0.99, 0.07692307692307693, 0.033110350405898145, 0.12035945337654624)]
    [TestCase(0, 1, 0, 0, 0.95, 1.0, -0.12210872068194178, 1.0)]
    [TestCase(2, 3, 3, 2, 0.95, 0.0, -0.40806822948832155, 0.40806822948832155)]
    [TestCase(12, 0, 2, 22, 0.95, -0.05555555555555555, -0.14718985603913654, 0.03671868418893376)]
    public void NewcombePaired_matches_reference(int both, int firstOnly, int secondOnly, int neither, double level, double estimate, double lower, double upper)
    {
        DifferenceInterval ci = ConfidenceIntervals.NewcombePaired(both, firstOnly, secondOnly, neither, level);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(ci.Estimate, Is.EqualTo(estimate).Within(Tight));
            Assert.That(ci.Lower, Is.EqualTo(lower).Within(1e-11));
            Assert.That(ci.Upper, Is.EqualTo(upper).Within(1e-11));
        }
    }

    [Test]
    public void NewcombePaired_positive_correlation_narrows_the_interval_compared_to_unpaired()
    {
        DifferenceInterval paired = ConfidenceIntervals.NewcombePaired(300, 60, 20, 140);
        DifferenceInterval unpaired = ConfidenceIntervals.NewcombeUnpaired(360, 520, 320, 520);
        Assert.That(paired.Upper - paired.Lower, Is.LessThan(0.8 * (unpaired.Upper - unpaired.Lower)));
    }

    [Test]
    public void NewcombePaired_no_units_gives_NaN_and_full_range()
    {
        DifferenceInterval ci = ConfidenceIntervals.NewcombePaired(0, 0, 0, 0);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(ci.Estimate, Is.NaN);
            Assert.That(ci.Lower, Is.EqualTo(-1.0));
            Assert.That(ci.Upper, Is.EqualTo(1.0));
        }
    }
}
