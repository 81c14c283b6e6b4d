namespace AlignmentFaking.Datasets;

/// <summary>
/// One request (a harmful behaviour, in AdvBench terms) that the experiment sends in both tiers.
/// </summary>
/// <param name="Index">
/// The zero-based position of the request in its source (row index in the dataset file, not counting the
/// header), stable across <c>--offset</c>/<c>--limit</c> slices so that runs over different slices can be merged.
/// </param>
/// <param name="Text">The request text exactly as in the source (AdvBench: the <c>goal</c> column).</param>
public sealed record ExperimentRequest(int Index, string Text);
