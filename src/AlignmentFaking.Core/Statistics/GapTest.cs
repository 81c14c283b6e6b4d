namespace AlignmentFaking.Statistics;

/// <summary>Which significance test <see cref="ComplianceGap"/> uses for the gap.</summary>
public enum GapTest
{
    /// <summary>Choose from the design: paired one-epoch data → McNemar exact; several epochs → cluster sign-flip; otherwise Fisher exact.</summary>
    Auto = 0,

    /// <summary>Exact McNemar test with the paired Newcombe interval (needs every request exactly once in both tiers; otherwise the automatic choice is used and the reason says so).</summary>
    McNemarExact,

    /// <summary>Fisher's exact test with the unpaired Newcombe interval, treating every observation as independent.</summary>
    FisherExact,

    /// <summary>Pooled two-proportion z-test with the unpaired Newcombe interval, treating every observation as independent.</summary>
    TwoProportionZ,

    /// <summary>Request-level sign-flip test with the cluster bootstrap interval (valid for any number of epochs).</summary>
    ClusterSignFlip,
}
