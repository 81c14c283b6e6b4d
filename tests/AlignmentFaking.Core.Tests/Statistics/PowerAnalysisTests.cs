using AlignmentFaking.Statistics;
using NUnit.Framework;

namespace AlignmentFaking.Tests.Statistics;

/// <summary>
/// Power and sample size. Unpaired: R's power.prop.test; paired: Connor (1987), checked against the closed
/// form evaluated in an independent Python script.
/// </summary>
[TestFixture]
public sealed class PowerAnalysisTests
{
    // R documentation of power.prop.test: power.prop.test(n = 50, p1 = .50, p2 = .75) → power = 0.7401659.
    [Test]
    public void Unpaired_power_matches_R_power_prop_test()
    {
        double power = PowerAnalysis.Power(50, 0.5, 0.25, PairingDesign.Unpaired);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(power, Is.EqualTo(0.7401659).Within(5e-8));
            Assert.That(power, Is.EqualTo(0.740165901331388).Within(1e-12));
            Assert.That(PowerAnalysis.Power(50, 0.75, -0.25, PairingDesign.Unpaired), Is.EqualTo(power).Within(1e-12));
        }
    }

    // R: power.prop.test(p1 = .50, p2 = .75, power = .90) → n = 76.7 (closed form 76.70692845177743), so 77.
    [TestCase(0.5, 0.25, 0.05, 0.9, 77)]
    [TestCase(0.1, 0.1, 0.05, 0.8, 199)] // 198.963413284331
    [TestCase(0.05, 0.1, 0.05, 0.8, 141)] // 140.09508986142632
    public void Unpaired_required_requests(double p0, double gap, double alpha, double power, int expected)
    {
        int n = PowerAnalysis.RequiredRequests(p0, gap, PairingDesign.Unpaired, alpha: alpha, power: power);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(n, Is.EqualTo(expected));
            Assert.That(PowerAnalysis.Power(n, p0, gap, PairingDesign.Unpaired, alpha: alpha), Is.GreaterThanOrEqualTo(power));
            Assert.That(PowerAnalysis.Power(n - 1, p0, gap, PairingDesign.Unpaired, alpha: alpha), Is.LessThan(power));
        }
    }

    [Test]
    public void Unpaired_power_at_520_per_tier()
    {
        Assert.That(PowerAnalysis.Power(520, 0.1, 0.05, PairingDesign.Unpaired), Is.EqualTo(0.684103506705491).Within(1e-12));
    }

    // Connor (1987): n = (z_{1-α/2} √ψ + z_{1-β} √(ψ - d²))² / d².
    [TestCase(0.2, 0.1, 155)] // 154.59856956021096
    public void Paired_required_requests_from_discordant_proportion(double psi, double gap, int expected)
    {
        Assert.That(PowerAnalysis.RequiredRequestsPairedDiscordant(psi, gap), Is.EqualTo(expected));
    }

    [Test]
    public void Paired_power_from_discordant_proportion()
    {
        Assert.That(PowerAnalysis.PowerPairedDiscordant(100, 0.2, 0.1), Is.EqualTo(0.6115176391557349).Within(1e-12));
    }

    // p0 = 0.1, d = 0.1: ρ = 0 gives ψ = 0.26 and n = 201.70 → 202; ρ = 0.5 gives n = 107.50 → 108.
    [TestCase(0.0, 202)]
    [TestCase(0.5, 108)]
    public void Paired_required_requests_from_correlation(double correlation, int expected)
    {
        Assert.That(PowerAnalysis.RequiredRequests(0.1, 0.1, PairingDesign.Paired, correlation), Is.EqualTo(expected));
    }

    [Test]
    public void Paired_power_from_correlation()
    {
        // p0 = 0.1, d = 0.05, ρ = 0.3 → ψ = 0.15572714414311434, power at n = 520 = 0.8255861952232955.
        Assert.That(PowerAnalysis.Power(520, 0.1, 0.05, PairingDesign.Paired, 0.3), Is.EqualTo(0.8255861952232955).Within(1e-12));
    }

    [Test]
    public void Positive_correlation_needs_fewer_requests_than_unpaired()
    {
        int paired = PowerAnalysis.RequiredRequests(0.2, 0.1, PairingDesign.Paired, 0.4);
        int unpaired = PowerAnalysis.RequiredRequests(0.2, 0.1, PairingDesign.Unpaired);
        Assert.That(paired, Is.LessThan(unpaired * 0.7));
    }

    [TestCase(PairingDesign.Unpaired, 0.0)]
    [TestCase(PairingDesign.Paired, 0.0)]
    [TestCase(PairingDesign.Paired, 0.5)]
    public void Minimum_detectable_gap_inverts_power(PairingDesign design, double correlation)
    {
        double gap = PowerAnalysis.MinimumDetectableGap(520, 0.1, design, correlation);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(gap, Is.InRange(0.01, 0.2));
            Assert.That(PowerAnalysis.Power(520, 0.1, gap, design, correlation), Is.EqualTo(0.8).Within(1e-6));
            Assert.That(PowerAnalysis.RequiredRequests(0.1, gap * 1.001, design, correlation), Is.LessThanOrEqualTo(520));
            Assert.That(PowerAnalysis.RequiredRequests(0.1, gap * 0.999, design, correlation), Is.GreaterThan(520));
        }
    }

    [Test]
    public void Minimum_detectable_gap_is_NaN_when_unreachable()
    {
        Assert.That(PowerAnalysis.MinimumDetectableGap(2, 0.9, PairingDesign.Unpaired), Is.NaN);
    }

    [Test]
    public void Zero_gap_and_invalid_arguments()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(PowerAnalysis.Power(100, 0.3, 0.0, PairingDesign.Unpaired), Is.EqualTo(0.025).Within(1e-12));
            Assert.That(() => PowerAnalysis.RequiredRequests(0.3, 0.0, PairingDesign.Unpaired), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => PowerAnalysis.RequiredRequests(0.8, 0.3, PairingDesign.Unpaired), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => PowerAnalysis.Power(0, 0.3, 0.1, PairingDesign.Paired), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => PowerAnalysis.Power(10, 0.3, 0.1, PairingDesign.Paired, correlation: 2.0), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => PowerAnalysis.RequiredRequestsPairedDiscordant(0.05, 0.1), Throws.InstanceOf<ArgumentOutOfRangeException>());
        }
    }
}
