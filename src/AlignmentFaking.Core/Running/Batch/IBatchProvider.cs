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
