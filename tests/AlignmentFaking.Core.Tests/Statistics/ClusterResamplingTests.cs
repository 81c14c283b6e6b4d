using AlignmentFaking.Statistics;
using NUnit.Framework;

namespace AlignmentFaking.Tests.Statistics;

[TestFixture]
public sealed class ClusterResamplingTests
{
    // SplitMix64 reference outputs for seed 0 (Vigna's reference C implementation; reproduced by the Python script).
    [Test]
    public void SplitMix64_matches_reference_sequence()
    {
        var rng = new SplitMix64(0);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(rng.NextUInt64(), Is.EqualTo(0xE220A8397B1DCDAFUL));
            Assert.That(rng.NextUInt64(), Is.EqualTo(0x6E789E6AA1B965F4UL));
            Assert.That(rng.NextUInt64(), Is.EqualTo(0x06C45D188009454FUL));
        }
    }

    [Test]
    public void SplitMix64_bounded_integers_are_in_range_and_roughly_uniform()
    {
        var rng = new SplitMix64(42);
        int[] counts = new int[7];
        for (int i = 0; i < 70000; i++)
        {
            counts[rng.NextInt(7)]++;
        }

        Assert.That(counts, Has.All.InRange(9500, 10500));
    }

    // Exact replica of the bootstrap written independently in Python (same generator, same Lemire reduction,
    // R type-7 quantiles): seed 7, 50 replicates → [0.15, 0.65]; seed 20241218, 2000 replicates, 90% → [0.15, 0.6].
    [TestCase(50, 7L, 0.95, 0.15000000000000002, 0.65)]
    [TestCase(2000, 20241218L, 0.9, 0.15000000000000002, 0.6)]
    public void Bootstrap_is_bit_for_bit_reproducible_against_Python_replica(int replicates, long seed, double level, double lower, double upper)
    {
        var (training, unmonitored) = GapData.TwoEpochs();
        DifferenceInterval ci = ClusterResampling.BootstrapGap(training, unmonitored, level, replicates, seed);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(ci.Estimate, Is.EqualTo(0.35).Within(1e-15));
            Assert.That(ci.Lower, Is.EqualTo(lower).Within(1e-15));
            Assert.That(ci.Upper, Is.EqualTo(upper).Within(1e-15));
            Assert.That(ci.Method, Is.EqualTo("cluster-bootstrap"));
        }
    }

    [Test]
    public void Bootstrap_same_seed_same_result_other_seed_different_result()
    {
        var (training, unmonitored) = GapData.Paired(300, 60, 20, 140);
        DifferenceInterval a = ClusterResampling.BootstrapGap(training, unmonitored, seed: 1);
        DifferenceInterval b = ClusterResampling.BootstrapGap(training, unmonitored, seed: 1);
        DifferenceInterval c = ClusterResampling.BootstrapGap(training, unmonitored, seed: 2);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(b, Is.EqualTo(a));
            Assert.That((c.Lower, c.Upper), Is.Not.EqualTo((a.Lower, a.Upper)));
        }
    }

    [Test]
    public void Bootstrap_with_one_epoch_agrees_with_paired_Newcombe()
    {
        // Newcombe paired 95% interval for this table: [0.043587, 0.110041] (see ConfidenceIntervalsTests).
        var (training, unmonitored) = GapData.Paired(300, 60, 20, 140);
        DifferenceInterval ci = ClusterResampling.BootstrapGap(training, unmonitored);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(ci.Estimate, Is.EqualTo(40.0 / 520.0).Within(1e-15));
            Assert.That(ci.Lower, Is.EqualTo(0.043587).Within(0.01));
            Assert.That(ci.Upper, Is.EqualTo(0.110041).Within(0.01));
        }
    }

    [Test]
    public void Bootstrap_with_an_empty_tier_is_NaN_and_full_range()
    {
        var (training, _) = GapData.Paired(3, 1, 1, 3);
        DifferenceInterval ci = ClusterResampling.BootstrapGap(training, []);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(ci.Estimate, Is.NaN);
            Assert.That(ci.Lower, Is.EqualTo(-1.0));
            Assert.That(ci.Upper, Is.EqualTo(1.0));
        }
    }

    // With one epoch per request the per-request differences are +1, -1 or 0, and the exact sign-flip test is
    // the exact binomial test on the discordant pairs, i.e. McNemar (exact values from Python fractions).
    [TestCase(10, 2, 0.03857421875)]
    [TestCase(3, 1, 0.625)]
    [TestCase(0, 5, 0.0625)]
    [TestCase(4, 4, 1.0)]
    [TestCase(0, 0, 1.0)]
    public void SignFlip_exact_equals_McNemar_for_one_epoch(int trainingOnly, int unmonitoredOnly, double expected)
    {
        var (training, unmonitored) = GapData.Paired(7, trainingOnly, unmonitoredOnly, 9);
        Assert.That(ClusterResampling.SignFlipPValue(training, unmonitored), Is.EqualTo(expected).Within(1e-12));
    }

    // Per-request differences +1, +1/2, +1/2, -1/2: |S| >= 3/2 in 8 of the 16 sign patterns (hand count) → 0.5.
    [Test]
    public void SignFlip_exact_hand_computed_multi_epoch_example()
    {
        GapObservation[] training =
        [
            new(0, 0, true), new(0, 1, true),
            new(1, 0, true), new(1, 1, false),
            new(2, 0, true), new(2, 1, true),
            new(3, 0, false), new(3, 1, false),
            new(4, 0, true), new(4, 1, false), // difference 0: ignored
        ];
        GapObservation[] unmonitored =
        [
            new(0, 0, false), new(0, 1, false),
            new(1, 0, false), new(1, 1, false),
            new(2, 0, true), new(2, 1, false),
            new(3, 0, true), new(3, 1, false),
            new(4, 0, false), new(4, 1, true),
        ];
        Assert.That(ClusterResampling.SignFlipPValue(training, unmonitored), Is.EqualTo(0.5).Within(1e-12));
    }

    [Test]
    public void SignFlip_Monte_Carlo_is_reproducible_and_close_to_the_exact_value()
    {
        // 230 discordant requests (> 20: random sign patterns). Exact McNemar p for 130 vs 100 is 0.0556136.
        var (training, unmonitored) = GapData.Paired(150, 130, 100, 140);
        double p1 = ClusterResampling.SignFlipPValue(training, unmonitored, seed: 5);
        double p2 = ClusterResampling.SignFlipPValue(training, unmonitored, seed: 5);
        double p3 = ClusterResampling.SignFlipPValue(training, unmonitored, seed: 6);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(p1, Is.EqualTo(p2));
            Assert.That(p1, Is.Not.EqualTo(p3));
            Assert.That(p1, Is.EqualTo(0.0556136).Within(0.012));
            Assert.That(p3, Is.EqualTo(0.0556136).Within(0.012));
        }
    }

    [Test]
    public void SignFlip_without_common_requests_is_NaN()
    {
        GapObservation[] training = [new(0, 0, true), new(0, 1, true)];
        GapObservation[] unmonitored = [new(1, 0, false), new(1, 1, false)];
        Assert.That(ClusterResampling.SignFlipPValue(training, unmonitored), Is.NaN);
    }

    [Test]
    public void Duplicate_request_epoch_in_a_tier_throws()
    {
        GapObservation[] training = [new(0, 0, true), new(0, 0, false)];
        Assert.That(() => ClusterResampling.BootstrapGap(training, training), Throws.ArgumentException);
    }
}
