using AlignmentFaking.Running.Batch;

namespace AlignmentFaking.Cli.Batch;

/// <summary>
/// TEST-ONLY hooks of the batch providers, read from the environment; unset in normal use, and nothing else reads them.
/// <list type="bullet">
/// <item><c>AF_TEST_HANG_AFTER_BATCH_CREATE=PATH</c>: right after a provider's create call returns (<see cref="Wrap"/>), the process
/// writes the new batch id to PATH and then hangs, before the runner records the batch. A test waits for PATH and
/// kills the process (SIGKILL), which puts the kill exactly inside the window between creating a batch and
/// journaling it (see <c>tests/AlignmentFaking.Cli.Tests/Batch/BatchKillWindowTests.cs</c>).</item>
/// </list>
/// </summary>
internal static class BatchTestHooks
{
    /// <summary>The environment variable of the hang-after-create hook.</summary>
    public const string HangAfterCreateVariable = "AF_TEST_HANG_AFTER_BATCH_CREATE";

    /// <summary>The provider, with the hang-after-create hook around it when the hook is set (else unchanged).</summary>
    /// <param name="provider">The provider.</param>
    public static IBatchProvider Wrap(IBatchProvider provider) =>
        Environment.GetEnvironmentVariable(HangAfterCreateVariable) is { Length: > 0 } ? new Hooked(provider) : provider;

    /// <summary>Called right after a batch was created: hangs when the test hook is set.</summary>
    /// <param name="batchId">The batch just created.</param>
    public static async Task AfterCreateAsync(string batchId)
    {
        if (Environment.GetEnvironmentVariable(HangAfterCreateVariable) is not { Length: > 0 } marker)
        {
            return;
        }

        await File.WriteAllTextAsync(marker + ".tmp", batchId).ConfigureAwait(false);
        File.Move(marker + ".tmp", marker, overwrite: true);
        await Task.Delay(Timeout.Infinite).ConfigureAwait(false); // until the test kills the process
    }

    /// <summary>Forwards every operation; hangs after a create (see <see cref="AfterCreateAsync"/>).</summary>
    private sealed class Hooked(IBatchProvider inner) : IBatchProvider
    {
        public string Name => inner.Name;

        public BatchLimits Limits => inner.Limits;

        public long MeasureRequest(BatchRequest request) => inner.MeasureRequest(request);

        public Task<string> UploadAsync(IReadOnlyList<BatchRequest> requests, string fileName, CancellationToken cancellationToken) =>
            inner.UploadAsync(requests, fileName, cancellationToken);

        public async Task<BatchJob> CreateAsync(string inputFileId, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
        {
            var job = await inner.CreateAsync(inputFileId, metadata, cancellationToken).ConfigureAwait(false);
            await AfterCreateAsync(job.Id).ConfigureAwait(false);
            return job;
        }

        public Task<BatchJob?> FindByInputFileAsync(string inputFileId, CancellationToken cancellationToken) =>
            inner.FindByInputFileAsync(inputFileId, cancellationToken);

        public Task<BatchJob?> FindCreatedAsync(BatchSearch search, CancellationToken cancellationToken) =>
            inner.FindCreatedAsync(search, cancellationToken);

        public Task<BatchJob> GetAsync(string batchId, CancellationToken cancellationToken) => inner.GetAsync(batchId, cancellationToken);

        public Task<IReadOnlyList<BatchItemResult>> DownloadResultsAsync(BatchJob job, CancellationToken cancellationToken) =>
            inner.DownloadResultsAsync(job, cancellationToken);

        public Task CancelAsync(string batchId, CancellationToken cancellationToken) => inner.CancelAsync(batchId, cancellationToken);
    }
}
