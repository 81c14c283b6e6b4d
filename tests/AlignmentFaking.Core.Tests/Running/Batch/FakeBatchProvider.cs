using System.Globalization;
using System.Text;
using AlignmentFaking.Running.Batch;
using Microsoft.Extensions.AI;

namespace AlignmentFaking.Tests.Running.Batch;

/// <summary>
/// A batch service in memory, as strict as the real ones about what they refuse: an input must be within the limits and
/// carry each custom id once, a batch needs a known input file, an unknown batch is an error. Batches finish when
/// retrieved, unless <see cref="Hold"/> is set; <see cref="Answer"/> gives each request's result (an exception is a
/// failed item). State outlives an engine run, as a provider's does.
/// </summary>
internal sealed class FakeBatchProvider(Func<BatchRequest, ChatResponse> answer, BatchLimits? limits = null) : IBatchProvider
{
    private readonly Dictionary<string, IReadOnlyList<BatchRequest>> _files = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Batch> _batches = new(StringComparer.Ordinal);
    private int _ids;

    public Func<BatchRequest, ChatResponse> Answer { get; set; } = answer;

    /// <summary>Batches stay in progress while set.</summary>
    public bool Hold { get; set; }

    public string Name => "fake";

    public BatchLimits Limits { get; } = limits ?? BatchLimits.OpenAI;

    public List<string> Uploads { get; } = [];

    public List<(string Id, string FileId, IReadOnlyDictionary<string, string> Metadata)> Created { get; } = [];

    public int Retrievals { get; private set; }

    public long MeasureRequest(BatchRequest request) => request.Messages.Sum(m => (long)Encoding.UTF8.GetByteCount(m.Text)) + 100;

    public Task<string> UploadAsync(IReadOnlyList<BatchRequest> requests, string fileName, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (requests.Count == 0 || requests.Count > Limits.MaxRequests || requests.Sum(MeasureRequest) > Math.Max(Limits.MaxBytes, requests.Max(MeasureRequest)))
        {
            throw new InvalidOperationException($"input {fileName} breaks the limits ({requests.Count} requests)");
        }

        if (requests.Select(r => r.CustomId).Distinct(StringComparer.Ordinal).Count() != requests.Count)
        {
            throw new InvalidOperationException($"input {fileName} repeats a custom id");
        }

        var id = "file-" + Next();
        _files[id] = requests.ToArray();
        Uploads.Add(fileName);
        return Task.FromResult(id);
    }

    public Task<BatchJob> CreateAsync(string inputFileId, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        if (!_files.TryGetValue(inputFileId, out var requests))
        {
            throw new InvalidOperationException($"no input file {inputFileId}");
        }

        var batch = new Batch("batch-" + Next(), inputFileId, requests);
        _batches[batch.Id] = batch;
        Created.Add((batch.Id, inputFileId, metadata));
        return Task.FromResult(batch.Job());
    }

    public Task<BatchJob?> FindByInputFileAsync(string inputFileId, CancellationToken cancellationToken) =>
        Task.FromResult(_batches.Values.FirstOrDefault(b => b.InputFileId == inputFileId)?.Job());

    public Task<BatchJob> GetAsync(string batchId, CancellationToken cancellationToken)
    {
        Retrievals++;
        var batch = _batches.TryGetValue(batchId, out var b) ? b : throw new InvalidOperationException($"no batch {batchId}");
        if (!Hold && batch.Results is null)
        {
            batch.Results = batch.Requests.Select(Run).ToArray();
        }

        return Task.FromResult(batch.Job());
    }

    public Task<IReadOnlyList<BatchItemResult>> DownloadResultsAsync(BatchJob job, CancellationToken cancellationToken) =>
        Task.FromResult(_batches[job.Id].Results ?? throw new InvalidOperationException($"batch {job.Id} has not finished"));

    public Task CancelAsync(string batchId, CancellationToken cancellationToken)
    {
        _batches[batchId].Results ??= [];
        return Task.CompletedTask;
    }

    private BatchItemResult Run(BatchRequest request)
    {
        try
        {
            return new BatchItemResult(request.CustomId, Answer(request), null);
        }
        catch (InvalidOperationException ex)
        {
            return new BatchItemResult(request.CustomId, null, ex.Message);
        }
    }

    private string Next() => (++_ids).ToString(CultureInfo.InvariantCulture);

    private sealed class Batch(string id, string inputFileId, IReadOnlyList<BatchRequest> requests)
    {
        public string Id { get; } = id;

        public string InputFileId { get; } = inputFileId;

        public IReadOnlyList<BatchRequest> Requests { get; } = requests;

        public IReadOnlyList<BatchItemResult>? Results { get; set; }

        public BatchJob Job() => Results is null
            ? new BatchJob(Id, BatchJobStatus.InProgress, "in_progress", null, null, Requests.Count, 0, 0)
            : new BatchJob(Id, BatchJobStatus.Completed, "completed", Id + "-out", null, Requests.Count, Results.Count(r => r.Response is not null), Results.Count(r => r.Response is null));
    }
}
