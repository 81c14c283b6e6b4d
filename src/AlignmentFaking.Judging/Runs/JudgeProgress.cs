namespace AlignmentFaking.Judging.Runs;

/// <summary>Progress of a judgement.</summary>
/// <param name="Completed">Samples done.</param>
/// <param name="Total">Samples in all.</param>
public sealed record JudgeProgress(int Completed, int Total);
