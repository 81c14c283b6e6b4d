using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using AlignmentFaking.Internal;
using Microsoft.Extensions.AI;

namespace AlignmentFaking.Running.Batch;

/// <summary>
/// A batch service emulated in process over any <see cref="IChatClient"/> (the simulated model organism, a local
/// model, tests): a batch runs its requests, one at a time, when it is first retrieved, and is then complete. Nothing is
/// durable: batches live as long as this object, so after a restart a recorded batch or upload is unknown; it is
/// reported as a failed batch and its requests are sent again in the next round. Use it to try the batch path offline;
/// use a provider's real batch service for cost savings.
/// </summary>
public sealed class ChatClientBatchProvider : IBatchProvider
{
    private readonly IChatClient _client;
    private readonly ConcurrentDictionary<string, IReadOnlyList<BatchRequest>> _files = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, State> _batches = new(StringComparer.Ordinal);
    private int _counter;

    /// <summary>Creates the emulation over a chat client.</summary>
    /// <param name="client">Answers every request.</param>
    /// <param name="limits">Limits per batch; <see cref="BatchLimits.OpenAI"/> when <see langword="null"/>.</param>
    public ChatClientBatchProvider(IChatClient client, BatchLimits? limits = null)
    {
        _client = client ?? throw new ArgumentNullException(nameof(client));
        Limits = limits ?? BatchLimits.OpenAI;
    }

    /// <inheritdoc />
    public string Name => "in-process";

    /// <inheritdoc />
    public BatchLimits Limits { get; }

    /// <inheritdoc />
    public long MeasureRequest(BatchRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Messages.Sum(m => (long)Encoding.UTF8.GetByteCount(m.Text)) + 256;
    }

    /// <inheritdoc />
    public Task<string> UploadAsync(IReadOnlyList<BatchRequest> requests, string fileName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var id = "file-local-" + Interlocked.Increment(ref _counter).ToString(CultureInfo.InvariantCulture);
        _files[id] = requests.ToArray();
        return Task.FromResult(id);
    }

    /// <inheritdoc />
    public Task<BatchJob> CreateAsync(string inputFileId, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        var id = "batch-local-" + Interlocked.Increment(ref _counter).ToString(CultureInfo.InvariantCulture);
        if (!_files.TryGetValue(inputFileId, out var requests))
        {
            return Task.FromResult(Lost(id)); // uploaded by an earlier process
        }

        var state = new State(id, inputFileId, requests);
        _batches[id] = state;
        return Task.FromResult(state.Job());
    }

    /// <inheritdoc />
    public Task<BatchJob?> FindByInputFileAsync(string inputFileId, CancellationToken cancellationToken) =>
        Task.FromResult(_batches.Values.FirstOrDefault(b => b.InputFileId == inputFileId)?.Job());

    /// <inheritdoc />
    public async Task<BatchJob> GetAsync(string batchId, CancellationToken cancellationToken)
    {
        if (!_batches.TryGetValue(batchId, out var state))
        {
            return Lost(batchId); // created by an earlier process: an in-process batch does not outlive it
        }

        if (state.Results is null)
        {
            var results = new List<BatchItemResult>(state.Requests.Count);
            foreach (var request in state.Requests)
            {
                try
                {
                    var response = await _client.GetResponseAsync(request.Messages, request.Options, cancellationToken).ConfigureAwait(false);
                    results.Add(new BatchItemResult(request.CustomId, response, null));
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    throw;
                }
#pragma warning disable CA1031 // a failed request is an item in the error file, as in a real batch
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    results.Add(new BatchItemResult(request.CustomId, null, SecretRedactor.Redact($"{ex.GetType().Name}: {ex.Message}")));
                }
            }

            state.Results = results;
        }

        return state.Job();
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<BatchItemResult>> DownloadResultsAsync(BatchJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        return Task.FromResult(_batches.TryGetValue(job.Id, out var state) && state.Results is { } results ? results : (IReadOnlyList<BatchItemResult>)[]);
    }

    /// <inheritdoc />
    public Task CancelAsync(string batchId, CancellationToken cancellationToken)
    {
        if (_batches.TryGetValue(batchId, out var state) && state.Results is null)
        {
            state.Results = [];
            state.Cancelled = true;
        }

        return Task.CompletedTask;
    }

    private static BatchJob Lost(string id) => new(id, BatchJobStatus.Failed, "lost", null, null, 0, 0, 0);

    private sealed class State(string id, string inputFileId, IReadOnlyList<BatchRequest> requests)
    {
        public string InputFileId { get; } = inputFileId;

        public IReadOnlyList<BatchRequest> Requests { get; } = requests;

        public IReadOnlyList<BatchItemResult>? Results { get; set; }

        public bool Cancelled { get; set; }

        public BatchJob Job()
        {
            var results = Results;
            if (results is null)
            {
                return new BatchJob(id, BatchJobStatus.InProgress, "in_progress", null, null, Requests.Count, 0, 0);
            }

            int ok = results.Count(r => r.Response is not null);
            return Cancelled
                ? new BatchJob(id, BatchJobStatus.Cancelled, "cancelled", null, null, Requests.Count, 0, 0)
                : new BatchJob(id, BatchJobStatus.Completed, "completed", id + "-output", id + "-errors", Requests.Count, ok, results.Count - ok);
        }
    }
}
