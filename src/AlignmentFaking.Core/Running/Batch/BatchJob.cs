namespace AlignmentFaking.Running.Batch;

/// <summary>The state of a batch as the provider reports it.</summary>
/// <param name="Id">The batch id.</param>
/// <param name="Status">The status.</param>
/// <param name="ProviderStatus">The provider's own status word (<c>validating</c>, <c>in_progress</c>, <c>finalizing</c>, ...).</param>
/// <param name="OutputFileId">The output file, once there is one.</param>
/// <param name="ErrorFileId">The error file, once there is one.</param>
/// <param name="Total">Requests in the batch.</param>
/// <param name="Completed">Requests that succeeded so far.</param>
/// <param name="Failed">Requests that failed so far.</param>
/// <param name="Error">Why the batch as a whole failed (e.g. its input did not validate), when the provider says.</param>
public sealed record BatchJob(string Id, BatchJobStatus Status, string ProviderStatus, string? OutputFileId, string? ErrorFileId, int Total, int Completed, int Failed, string? Error = null)
{
    /// <summary>Whether the batch will not change any more (completed, expired, cancelled or failed).</summary>
    public bool IsFinished => Status is BatchJobStatus.Completed or BatchJobStatus.Expired or BatchJobStatus.Cancelled or BatchJobStatus.Failed;
}
