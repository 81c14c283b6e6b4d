using AlignmentFaking.Storage;

namespace AlignmentFaking.Running;

/// <summary>The samples of a finished run and their summary.</summary>
/// <param name="Samples">Every sample, ordered by mode, epoch, request and tier.</param>
/// <param name="Summary">Per-mode rates and gaps.</param>
public sealed record ExperimentResult(IReadOnlyList<ExperimentSample> Samples, RunSummary Summary);
