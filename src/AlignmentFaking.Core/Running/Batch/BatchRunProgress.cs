namespace AlignmentFaking.Running.Batch;

/// <summary>Progress of a batch run, reported when batches are submitted, polled and consumed.</summary>
/// <param name="Round">The current round (1-based; a CoT run needs at most <c>MaxTurns</c> rounds plus retries).</param>
/// <param name="Phase"><c>submitting</c>, <c>waiting</c>, <c>downloading</c> or <c>done</c>.</param>
/// <param name="BatchesInFlight">Batches submitted and not yet consumed.</param>
/// <param name="RequestsInFlight">Requests in those batches.</param>
/// <param name="RequestsCompleted">Requests of those batches the provider reports completed.</param>
/// <param name="SamplesCompleted">Samples finished by this process.</param>
/// <param name="SamplesTotal">Samples this process has to finish.</param>
/// <param name="Elapsed">Time since the run started.</param>
public sealed record BatchRunProgress(int Round, string Phase, int BatchesInFlight, int RequestsInFlight, int RequestsCompleted, int SamplesCompleted, int SamplesTotal, TimeSpan Elapsed);
