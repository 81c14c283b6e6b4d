namespace AlignmentFaking.Running.Batch;

/// <summary>A batch recorded in a run directory.</summary>
/// <param name="BatchId">The provider's batch id.</param>
/// <param name="InputFileId">The provider's id of the uploaded input file.</param>
/// <param name="Round">The round it belongs to (1-based).</param>
/// <param name="Part">Its index among the batches of the round (0-based).</param>
/// <param name="Requests">Requests it carries.</param>
/// <param name="Provider">The provider name.</param>
/// <param name="Consumed">Whether every result was taken in.</param>
/// <param name="FinalStatus">The provider's status when it was taken in, if it was.</param>
public sealed record BatchRecord(string BatchId, string InputFileId, int Round, int Part, int Requests, string Provider, bool Consumed, string? FinalStatus);
