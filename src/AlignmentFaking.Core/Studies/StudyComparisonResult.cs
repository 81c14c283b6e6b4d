using System.Text.Json.Serialization;

namespace AlignmentFaking.Studies;

/// <summary>One comparison in <c>study-summary.json</c>: gap(a) - gap(b) with its paired interval and test, Holm-adjusted.</summary>
public sealed record StudyComparisonResult
{
    /// <summary>The first cell.</summary>
    [JsonPropertyName("a")]
    public required StudyCellReference A { get; init; }

    /// <summary>The second cell.</summary>
    [JsonPropertyName("b")]
    public required StudyCellReference B { get; init; }

    /// <summary><c>judge</c> (the primary measure when both cells are judged) or <c>proxy</c>.</summary>
    [JsonPropertyName("measure")]
    public required string Measure { get; init; }

    /// <summary>gap(a) - gap(b); <see langword="null"/> when a gap is undefined.</summary>
    [JsonPropertyName("difference")]
    public double? Difference { get; init; }

    /// <summary>The paired cluster-bootstrap interval of the difference.</summary>
    [JsonPropertyName("ci")]
    public required StudyInterval Ci { get; init; }

    /// <summary>The two-sided p-value of the paired sign-flip test; <see langword="null"/> when no request is paired.</summary>
    [JsonPropertyName("p")]
    public double? P { get; init; }

    /// <summary>The p-value after Holm's adjustment over the study's comparisons of the same measure.</summary>
    [JsonPropertyName("pHolm")]
    public double? PHolm { get; init; }

    /// <summary>Whether <see cref="PHolm"/> is at most the study's alpha.</summary>
    [JsonPropertyName("rejected")]
    public bool Rejected { get; init; }

    /// <summary>The requests with a verdict in both tiers of both cells (the test's units).</summary>
    [JsonPropertyName("pairedRequests")]
    public int PairedRequests { get; init; }

    /// <summary>The test: <c>paired-sign-flip</c>.</summary>
    [JsonPropertyName("test")]
    public string Test { get; init; } = Statistics.GapDifference.TestName;
}
