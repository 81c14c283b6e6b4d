using Microsoft.Extensions.AI;

namespace AlignmentFaking.Running.Batch;

/// <summary>
/// A provider's batch service (OpenAI-compatible Batch API, Anthropic Message Batches, ...) reduced to the five
/// operations the <see cref="BatchExperimentRunner"/> needs: upload the requests, create a batch, retrieve it, download
/// its results, cancel it. Implementations keep no state between calls; the runner records every id it gets in the run
/// directory, so that a restarted process can re-attach to batches in flight.
/// </summary>
public interface IBatchProvider
{
    /// <summary>A short provider name recorded in the run directory, e.g. <c>openai</c>.</summary>
    string Name { get; }

    /// <summary>The provider's limits per batch; the runner splits larger rounds into several batches.</summary>
    BatchLimits Limits { get; }

    /// <summary>The size in bytes of one request as it will be uploaded (one JSONL line, newline included).</summary>
    /// <param name="request">The request.</param>
    long MeasureRequest(BatchRequest request);

    /// <summary>Uploads the requests of one batch and returns the id of the input file.</summary>
    /// <param name="requests">The requests, at most <see cref="BatchLimits.MaxRequests"/> and <see cref="BatchLimits.MaxBytes"/>.</param>
    /// <param name="fileName">A descriptive file name.</param>
    /// <param name="cancellationToken">Cancels the upload.</param>
    Task<string> UploadAsync(IReadOnlyList<BatchRequest> requests, string fileName, CancellationToken cancellationToken);

    /// <summary>Creates a batch over an uploaded input file.</summary>
    /// <param name="inputFileId">The id <see cref="UploadAsync"/> returned.</param>
    /// <param name="metadata">Labels stored with the batch (run, round, part).</param>
    /// <param name="cancellationToken">Cancels the request (the batch may still have been created).</param>
    Task<BatchJob> CreateAsync(string inputFileId, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken);

    /// <summary>
    /// Looks for a batch already created over <paramref name="inputFileId"/>: used on resume when an upload was
    /// recorded but its batch was not (a crash right after the batch was created), so the same work is never submitted
    /// twice. Returns <see langword="null"/> when there is none (or the provider cannot tell).
    /// </summary>
    /// <param name="inputFileId">The id <see cref="UploadAsync"/> returned.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    Task<BatchJob?> FindByInputFileAsync(string inputFileId, CancellationToken cancellationToken);

    /// <summary>
    /// Looks for the batch an earlier process created over <see cref="BatchSearch.InputFileId"/> but did not record
    /// (it was killed between the create call and the journal line). The runners record every input, with its custom
    /// ids, before they create its batch, and on resume call this for an input without a recorded batch, adopting what
    /// it returns instead of creating a second batch. An implementation compares what the provider lets it list (the
    /// input file, the creation time, the request count, the custom ids of the results) and never returns one of
    /// <see cref="BatchSearch.KnownBatchIds"/>. Returns <see langword="null"/> when there is none (or the provider
    /// cannot tell). Default: <see cref="FindByInputFileAsync"/>.
    /// </summary>
    /// <param name="search">What the run recorded of the input before the create call.</param>
    /// <param name="cancellationToken">Cancels the requests.</param>
    Task<BatchJob?> FindCreatedAsync(BatchSearch search, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(search);
        return FindByInputFileAsync(search.InputFileId, cancellationToken);
    }

    /// <summary>Retrieves the current state of a batch.</summary>
    /// <param name="batchId">The batch id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    Task<BatchJob> GetAsync(string batchId, CancellationToken cancellationToken);

    /// <summary>
    /// Downloads the results of a finished batch: one entry per request that has a result in the output or error file
    /// (requests with neither are treated as failed by the runner).
    /// </summary>
    /// <param name="job">The finished batch.</param>
    /// <param name="cancellationToken">Cancels the downloads.</param>
    Task<IReadOnlyList<BatchItemResult>> DownloadResultsAsync(BatchJob job, CancellationToken cancellationToken);

    /// <summary>Asks the provider to cancel a batch (requests already run are still billed and returned).</summary>
    /// <param name="batchId">The batch id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    Task CancelAsync(string batchId, CancellationToken cancellationToken);
}

/// <summary>What a run recorded of an input before it asked the provider to create its batch (see <see cref="IBatchProvider.FindCreatedAsync"/>).</summary>
/// <param name="InputFileId">The id <see cref="IBatchProvider.UploadAsync"/> returned.</param>
/// <param name="CustomIds">The custom ids of the requests in the input, as the runner gave them.</param>
/// <param name="NotBefore">When the input was recorded, before any create call: the batch was created after it (allow for clock skew).</param>
/// <param name="KnownBatchIds">The batches the run has recorded already: never one of these.</param>
public sealed record BatchSearch(string InputFileId, IReadOnlyList<string> CustomIds, DateTimeOffset NotBefore, IReadOnlyCollection<string> KnownBatchIds);

/// <summary>One model call inside a batch.</summary>
/// <param name="CustomId">The id that ties the result back to its conversation turn (unique within the run).</param>
/// <param name="Messages">The messages, exactly as the online runner would send them (prefill included).</param>
/// <param name="Options">The sampling options (model, temperature, max output tokens, seed).</param>
public sealed record BatchRequest(string CustomId, IReadOnlyList<ChatMessage> Messages, ChatOptions Options);

/// <summary>The result of one request of a finished batch.</summary>
/// <param name="CustomId">The request's custom id; empty for a line of the results that names no request af sent (its <see cref="Error"/> says why it could not be read).</param>
/// <param name="Response">The reply, when the request succeeded.</param>
/// <param name="Error">Why it failed (status, code, message; credentials removed), when it did.</param>
public sealed record BatchItemResult(string CustomId, ChatResponse? Response, string? Error);

/// <summary>A provider's limits per batch.</summary>
/// <param name="MaxRequests">Requests per batch (OpenAI: 50,000).</param>
/// <param name="MaxBytes">Bytes of the input file per batch (OpenAI: 200 MB).</param>
public sealed record BatchLimits(int MaxRequests, long MaxBytes)
{
    /// <summary>The OpenAI Batch API's limits: 50,000 requests and 200 MB per input file.</summary>
    public static BatchLimits OpenAI { get; } = new(50_000, 200L * 1024 * 1024);
}

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

/// <summary>Where a batch is in its life.</summary>
public enum BatchJobStatus
{
    /// <summary>Accepted, validating, running or finalizing.</summary>
    InProgress,

    /// <summary>Every request has run (some may have failed).</summary>
    Completed,

    /// <summary>The completion window passed; requests that did not run are in the error file.</summary>
    Expired,

    /// <summary>Being cancelled.</summary>
    Cancelling,

    /// <summary>Cancelled; requests that ran have results.</summary>
    Cancelled,

    /// <summary>The batch failed as a whole (e.g. its input did not validate).</summary>
    Failed,
}
