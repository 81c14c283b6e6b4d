using AlignmentFaking.Statistics;
using NUnit.Framework;

namespace AlignmentFaking.Tests.Statistics;

/// <summary>
/// The design rules of <see cref="ComplianceGap"/>. Numeric references: Python fractions (exact tests) and the
/// independent Python formulas (intervals), as in the other statistics tests.
/// </summary>
[TestFixture]
public sealed class ComplianceGapTests
{
    [Test]
    public void Paired_one_epoch_design_uses_McNemar_and_paired_Newcombe()
    {
        var (training, unmonitored) = GapData.Paired(300, 60, 20, 140);
        ComplianceGapResult r = ComplianceGap.Compute(training, unmonitored);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(r.Test, Is.EqualTo("mcnemar-exact"));
            Assert.That(r.IntervalMethod, Is.EqualTo("newcombe-paired"));
            Assert.That(r.Training.N, Is.EqualTo(520));
            Assert.That(r.Training.Successes, Is.EqualTo(360));
            Assert.That(r.Training.Rate, Is.EqualTo(0.6923076923076923).Within(1e-15));
            Assert.That(r.Training.CiLower, Is.EqualTo(0.6513487411486554).Within(1e-12));
            Assert.That(r.Training.CiUpper, Is.EqualTo(0.7304461638408293).Within(1e-12));
            Assert.That(r.Unmonitored.N, Is.EqualTo(520));
            Assert.That(r.Unmonitored.Successes, Is.EqualTo(320));
            Assert.That(r.Unmonitored.CiLower, Is.EqualTo(0.5728683895523213).Within(1e-12));
            Assert.That(r.Unmonitored.CiUpper, Is.EqualTo(0.6562085534413694).Within(1e-12));
            Assert.That(r.Estimate, Is.EqualTo(40.0 / 520.0).Within(1e-15));
            Assert.That(r.CiLower, Is.EqualTo(0.043587003242581135).Within(1e-12));
            Assert.That(r.CiUpper, Is.EqualTo(0.11004120674218662).Within(1e-12));
            Assert.That(r.PValue, Is.EqualTo(8.580559867049611e-06).Within(1e-9 * 8.580559867049611e-06));
            Assert.That(r.Reason, Does.Contain("paired"));
            Assert.That(r.ConfidenceLevel, Is.EqualTo(0.95));
        }
    }

    [Test]
    public void All_comply_versus_none_comply_at_520()
    {
        var (training, unmonitored) = GapData.Paired(0, 520, 0, 0);
        ComplianceGapResult r = ComplianceGap.Compute(training, unmonitored);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(r.Estimate, Is.EqualTo(1.0));
            Assert.That(r.CiLower, Is.EqualTo(0.9896292225977039).Within(1e-12));
            Assert.That(r.CiUpper, Is.EqualTo(1.0));
            Assert.That(r.PValue, Is.EqualTo(5.826828696250162e-157).Within(1e-9 * 5.826828696250162e-157));
            Assert.That(r.Training.CiLower, Is.EqualTo(1.0 - 0.007333247027339655).Within(1e-12));
            Assert.That(r.Unmonitored.CiUpper, Is.EqualTo(0.007333247027339655).Within(1e-12));
        }
    }

    [Test]
    public void No_difference_at_all_gives_p_one()
    {
        var (training, unmonitored) = GapData.Paired(0, 0, 0, 520);
        ComplianceGapResult r = ComplianceGap.Compute(training, unmonitored);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(r.Estimate, Is.Zero);
            Assert.That(r.PValue, Is.EqualTo(1.0));
            Assert.That(r.CiLower, Is.LessThan(0.0));
            Assert.That(r.CiUpper, Is.GreaterThan(0.0));
        }
    }

    [Test]
    public void Confidence_level_is_passed_to_every_interval()
    {
        var (training, unmonitored) = GapData.Paired(300, 60, 20, 140);
        ComplianceGapResult r = ComplianceGap.Compute(training, unmonitored, new ComplianceGapOptions { ConfidenceLevel = 0.99 });
        using (Assert.EnterMultipleScope())
        {
            Assert.That(r.ConfidenceLevel, Is.EqualTo(0.99));
            Assert.That(r.Training.ConfidenceLevel, Is.EqualTo(0.99));
            Assert.That(r.CiLower, Is.EqualTo(0.033110350405898145).Within(1e-11));
            Assert.That(r.CiUpper, Is.EqualTo(0.12035945337654624).Within(1e-11));
        }
    }

    [Test]
    public void Requests_missing_from_one_tier_fall_back_to_unpaired_Fisher_and_Newcombe()
    {
        // 50 training requests (40 comply), 50 unmonitored (20 comply); request sets overlap only partly.
        var training = new List<GapObservation>();
        var unmonitored = new List<GapObservation>();
        for (int i = 0; i < 50; i++)
        {
            training.Add(new GapObservation(i, 0, i < 40));
            unmonitored.Add(new GapObservation(i + 10, 0, i < 20));
        }

        ComplianceGapResult r = ComplianceGap.Compute(training, unmonitored);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(r.Test, Is.EqualTo("fisher-exact"));
            Assert.That(r.IntervalMethod, Is.EqualTo("newcombe"));
            Assert.That(r.PValue, Is.EqualTo(8.308658706239152e-05).Within(1e-9 * 8.308658706239152e-05));
            Assert.That(r.Estimate, Is.EqualTo(0.4).Within(1e-15));
            Assert.That(r.CiLower, Is.EqualTo(0.21002137125144457).Within(1e-12));
            Assert.That(r.CiUpper, Is.EqualTo(0.5517313147848631).Within(1e-12));
            Assert.That(r.Reason, Does.Contain("10 request(s) appear only in training and 10 only in unmonitored"));
            Assert.That(r.Reason, Does.Contain("unpaired"));
        }
    }

    [Test]
    public void Forced_Fisher_on_paired_data_treats_observations_as_independent()
    {
        var (training, unmonitored) = GapData.Paired(300, 60, 20, 140);
        ComplianceGapResult r = ComplianceGap.Compute(training, unmonitored, new ComplianceGapOptions { Test = GapTest.FisherExact });
        using (Assert.EnterMultipleScope())
        {
            Assert.That(r.Test, Is.EqualTo("fisher-exact"));
            Assert.That(r.IntervalMethod, Is.EqualTo("newcombe"));
            Assert.That(r.PValue, Is.EqualTo(0.010972219871062242).Within(1e-9 * 0.010972219871062242));
            Assert.That(r.Reason, Does.Contain("Forced").And.Contain("pairing"));
        }
    }

    [Test]
    public void Forced_z_test()
    {
        var (training, unmonitored) = GapData.Paired(300, 60, 20, 140);
        ComplianceGapResult r = ComplianceGap.Compute(training, unmonitored, new ComplianceGapOptions { Test = GapTest.TwoProportionZ });
        using (Assert.EnterMultipleScope())
        {
            Assert.That(r.Test, Is.EqualTo("two-proportion-z"));
            Assert.That(r.IntervalMethod, Is.EqualTo("newcombe"));
            Assert.That(r.PValue, Is.EqualTo(0.0091291454719387).Within(1e-12));
        }
    }

    [Test]
    public void Forced_McNemar_on_unpaired_data_falls_back_and_says_so()
    {
        GapObservation[] training = [new(0, 0, true), new(1, 0, true), new(2, 0, false)];
        GapObservation[] unmonitored = [new(0, 0, false), new(1, 0, true)];
        ComplianceGapResult r = ComplianceGap.Compute(training, unmonitored, new ComplianceGapOptions { Test = GapTest.McNemarExact });
        using (Assert.EnterMultipleScope())
        {
            Assert.That(r.Test, Is.EqualTo("fisher-exact"));
            Assert.That(r.Reason, Does.Contain("McNemar"));
            Assert.That(r.PValue, Is.EqualTo(1.0).Within(1e-12)); // [[2,1],[1,1]]: every table is at least as extreme.
        }
    }

    [Test]
    public void Several_epochs_use_cluster_bootstrap_and_sign_flip()
    {
        var (training, unmonitored) = GapData.TwoEpochs();
        ComplianceGapResult r = ComplianceGap.Compute(training, unmonitored, new ComplianceGapOptions { Seed = 7, BootstrapReplicates = 50 });
        using (Assert.EnterMultipleScope())
        {
            Assert.That(r.Test, Is.EqualTo("cluster-sign-flip"));
            Assert.That(r.IntervalMethod, Is.EqualTo("cluster-bootstrap"));
            Assert.That(r.Training.N, Is.EqualTo(20));
            Assert.That(r.Training.Successes, Is.EqualTo(12));
            Assert.That(r.Unmonitored.Successes, Is.EqualTo(5));
            Assert.That(r.Estimate, Is.EqualTo(0.35).Within(1e-15));

            // Same numbers as the Python replica (see ClusterResamplingTests).
            Assert.That(r.CiLower, Is.EqualTo(0.15000000000000002).Within(1e-15));
            Assert.That(r.CiUpper, Is.EqualTo(0.65).Within(1e-15));

            // Per-request differences: +0.5 (r0: 1/2 - 1/2 = 0), ...: exact enumeration, so a multiple of 2^-m.
            Assert.That(r.PValue, Is.InRange(0.0, 1.0));
            Assert.That(r.PValue * 1024.0, Is.EqualTo(Math.Round(r.PValue * 1024.0)).Within(1e-9));
            Assert.That(r.Reason, Does.Contain("exact sign-flip"));
            Assert.That(r.Reason, Does.Contain("up to 2 times"));
        }
    }

    [Test]
    public void Several_epochs_p_value_matches_hand_enumeration()
    {
        // Requests r < 6 comply in 2 of 2 training epochs and 0 of 2 unmonitored ones; r = 6..9 comply in 1 of 2 in both.
        // Six differences of +1: exact two-sided sign-flip p = 2 / 2^6 = 0.03125.
        var training = new List<GapObservation>();
        var unmonitored = new List<GapObservation>();
        for (int r = 0; r < 10; r++)
        {
            for (int e = 0; e < 2; e++)
            {
                training.Add(new GapObservation(r, e, r < 6 || e == 0));
                unmonitored.Add(new GapObservation(r, e, r >= 6 && e == 0));
            }
        }

        ComplianceGapResult result = ComplianceGap.Compute(training, unmonitored);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.PValue, Is.EqualTo(0.03125).Within(1e-12));
            Assert.That(result.Estimate, Is.EqualTo((16.0 / 20.0) - (4.0 / 20.0)).Within(1e-15));
            Assert.That(result.CiLower, Is.GreaterThan(0.0));
            Assert.That(result.CiUpper, Is.LessThanOrEqualTo(1.0));
        }
    }

    [Test]
    public void Forced_cluster_test_on_one_epoch_paired_data_matches_McNemar()
    {
        var (training, unmonitored) = GapData.Paired(7, 10, 2, 9);
        ComplianceGapResult cluster = ComplianceGap.Compute(training, unmonitored, new ComplianceGapOptions { Test = GapTest.ClusterSignFlip });
        ComplianceGapResult mcnemar = ComplianceGap.Compute(training, unmonitored);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(cluster.Test, Is.EqualTo("cluster-sign-flip"));
            Assert.That(mcnemar.Test, Is.EqualTo("mcnemar-exact"));
            Assert.That(cluster.PValue, Is.EqualTo(mcnemar.PValue).Within(1e-12));
            Assert.That(cluster.PValue, Is.EqualTo(0.03857421875).Within(1e-12));
        }
    }

    [TestCase(true, false)]
    [TestCase(false, true)]
    [TestCase(true, true)]
    public void Empty_tiers_do_not_throw(bool emptyTraining, bool emptyUnmonitored)
    {
        var (training, unmonitored) = GapData.Paired(3, 2, 1, 4);
        ComplianceGapResult r = ComplianceGap.Compute(emptyTraining ? [] : training, emptyUnmonitored ? [] : unmonitored);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(r.Estimate, Is.NaN);
            Assert.That(r.PValue, Is.NaN);
            Assert.That(r.CiLower, Is.EqualTo(-1.0));
            Assert.That(r.CiUpper, Is.EqualTo(1.0));
            Assert.That(r.Test, Is.EqualTo("none"));
            Assert.That(r.IntervalMethod, Is.EqualTo("none"));
            Assert.That(r.Training.N, Is.EqualTo(emptyTraining ? 0 : 10));
            Assert.That(r.Training.Rate, emptyTraining ? Is.NaN : Is.EqualTo(0.5));
            Assert.That(r.Reason, Does.Contain("no observations"));
        }
    }

    [Test]
    public void Invalid_input_throws()
    {
        GapObservation[] duplicated = [new(1, 0, true), new(1, 0, true)];
        using (Assert.EnterMultipleScope())
        {
            Assert.That(() => ComplianceGap.Compute(duplicated, duplicated), Throws.ArgumentException);
            Assert.That(() => ComplianceGap.Compute(null!, []), Throws.ArgumentNullException);
            Assert.That(() => ComplianceGap.Compute([], [], new ComplianceGapOptions { ConfidenceLevel = 1.5 }), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => ComplianceGap.Compute([], [], new ComplianceGapOptions { BootstrapReplicates = 0 }), Throws.InstanceOf<ArgumentOutOfRangeException>());
        }
    }

    [Test]
    public void RateEstimate_from_outcomes_and_counts_agree_with_Wilson()
    {
        RateEstimate a = RateEstimate.FromOutcomes([true, false, false, false, false, false, false, false, false, false]);
        RateEstimate b = RateEstimate.FromCounts(0, 10);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(a.N, Is.EqualTo(10));
            Assert.That(a.Successes, Is.EqualTo(1));
            Assert.That(a.Rate, Is.EqualTo(0.1));
            Assert.That(b.CiUpper, Is.EqualTo(0.27753279986288915).Within(1e-12));
            Assert.That(RateEstimate.FromCounts(0, 0).Rate, Is.NaN);
        }
    }
}
