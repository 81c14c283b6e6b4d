using AlignmentFaking.Statistics;
using NUnit.Framework;

namespace AlignmentFaking.Tests.Statistics;

/// <summary>
/// References: Python 3.11 <c>statistics.NormalDist().inv_cdf</c> (Wichura AS241, ~1e-16) and
/// <c>0.5 * math.erfc(-x / sqrt(2))</c> / <c>math.erfc</c> (libm), printed with repr().
/// </summary>
[TestFixture]
public sealed class StandardNormalTests
{
    [TestCase(1e-300, -37.0470962993612)]
    [TestCase(1e-20, -9.262340089798405)]
    [TestCase(1e-10, -6.361340902404056)]
    [TestCase(1e-05, -4.2648907939228256)]
    [TestCase(0.001, -3.090232306167813)]
    [TestCase(0.01, -2.3263478740408408)]
    [TestCase(0.02425, -1.9729610513118845)]
    [TestCase(0.025, -1.9599639845400538)]
    [TestCase(0.05, -1.6448536269514726)]
    [TestCase(0.1, -1.2815515655446008)]
    [TestCase(0.3, -0.5244005127080407)]
    [TestCase(0.499999999, -2.506628342884533e-09)]
    [TestCase(0.7, 0.5244005127080407)]
    [TestCase(0.9, 1.2815515655446008)]
    [TestCase(0.975, 1.9599639845400536)]
    [TestCase(0.995, 2.5758293035489)]
    [TestCase(0.9999999999, 6.361340889697421)]
    public void Quantile_matches_AS241_to_1e_14_relative(double p, double expected)
    {
        Assert.That(StandardNormal.Quantile(p), Is.EqualTo(expected).Within(1e-14 * Math.Abs(expected)));
    }

    [Test]
    public void Quantile_edges()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(StandardNormal.Quantile(0.5), Is.Zero);
            Assert.That(StandardNormal.Quantile(0.0), Is.EqualTo(double.NegativeInfinity));
            Assert.That(StandardNormal.Quantile(1.0), Is.EqualTo(double.PositiveInfinity));
            Assert.That(StandardNormal.Quantile(-0.1), Is.NaN);
            Assert.That(StandardNormal.Quantile(1.1), Is.NaN);
            Assert.That(StandardNormal.Quantile(double.NaN), Is.NaN);
        }
    }

    [TestCase(-37.5, 4.605353009581955e-308)] // 60-digit decimal continued fraction (libm's value carries the rounding of -x/√2)
    [TestCase(-20.0, 2.7536241186063314e-89)]
    [TestCase(-10.0, 7.619853024160593e-24)]
    [TestCase(-8.3, 5.2055697448902866e-17)]
    [TestCase(-5.0, 2.866515718791946e-07)]
    [TestCase(-3.0, 0.0013498980316300957)]
    [TestCase(-1.96, 0.024997895148220435)]
    [TestCase(-1.0, 0.15865525393145707)]
    [TestCase(-0.5, 0.3085375387259869)]
    [TestCase(-0.001, 0.49960105778608893)]
    [TestCase(0.0, 0.5)]
    [TestCase(0.3, 0.6179114221889526)]
    [TestCase(1.0, 0.8413447460685429)]
    [TestCase(1.7, 0.955434537241457)]
    [TestCase(2.5, 0.9937903346742238)]
    [TestCase(5.0, 0.9999997133484281)]
    [TestCase(8.0, 0.9999999999999993)]
    public void Cdf_matches_erfc_to_1e_13_relative(double x, double expected)
    {
        Assert.That(StandardNormal.Cdf(x), Is.EqualTo(expected).Within(1e-13 * expected));
    }

    [Test]
    public void Cdf_edges()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(StandardNormal.Cdf(double.PositiveInfinity), Is.EqualTo(1.0));
            Assert.That(StandardNormal.Cdf(double.NegativeInfinity), Is.Zero);
            Assert.That(StandardNormal.Cdf(double.NaN), Is.NaN);
            Assert.That(StandardNormal.Cdf(-40.0), Is.LessThan(1e-300));
        }
    }

    [TestCase(-3.0, 1.9999779095030015)]
    [TestCase(-1.0, 1.842700792949715)]
    [TestCase(-0.2, 1.2227025892104786)]
    [TestCase(0.0, 1.0)]
    [TestCase(1e-08, 0.9999999887162083)]
    [TestCase(0.1, 0.8875370839817152)]
    [TestCase(0.5, 0.4795001221869535)]
    [TestCase(1.0, 0.15729920705028513)]
    [TestCase(1.2247, 0.08327581479808639)]
    [TestCase(1.2248, 0.08325063757190905)]
    [TestCase(1.5, 0.033894853524689274)]
    [TestCase(2.0, 0.004677734981047265)]
    [TestCase(3.0, 2.2090496998585438e-05)]
    [TestCase(5.0, 1.5374597944280351e-12)]
    [TestCase(10.0, 2.088487583762545e-45)]
    [TestCase(20.0, 5.3958656116079005e-176)]
    [TestCase(26.5, 2.2109076642637343e-307)]
    public void Erfc_matches_libm_to_1e_14_relative(double x, double expected)
    {
        Assert.That(SpecialFunctions.Erfc(x), Is.EqualTo(expected).Within(1e-14 * expected));
    }

    [Test]
    public void Quantile_inverts_Cdf_in_the_lower_half()
    {
        // Only x <= 0: above, p = Cdf(x) near 1 has lost the digits that would identify x.
        for (double x = -30.0; x <= 0.0; x += 0.37)
        {
            double p = StandardNormal.Cdf(x);
            Assert.That(StandardNormal.Quantile(p), Is.EqualTo(x).Within(1e-12 * Math.Max(1.0, Math.Abs(x))), $"x = {x}");
        }
    }
}
