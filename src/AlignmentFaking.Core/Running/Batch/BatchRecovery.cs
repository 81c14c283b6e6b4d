using System.Globalization;
using AlignmentFaking.Internal;

namespace AlignmentFaking.Running.Batch;

/// <summary>What the subject and judge batch runners share when they take in results and recover after a crash.</summary>
internal static class BatchRecovery
{
    /// <summary>
    /// The search for the batch of an input recorded without one (see <see cref="IBatchProvider.FindCreatedAsync"/>):
    /// the <c>file</c> line is written before any create call, so its time bounds the batch's creation from below.
    /// </summary>
    /// <param name="file">The journal's <c>file</c> line of the input.</param>
    /// <param name="knownBatchIds">Every batch the journal records (and any adopted since).</param>
    public static BatchSearch SearchFor(BatchJournalEntry file, IReadOnlyCollection<string> knownBatchIds) =>
        new(file.FileId!, file.CustomIds ?? [], file.At, knownBatchIds);

    /// <summary>The batches a journal records.</summary>
    public static HashSet<string> KnownBatchIds(IEnumerable<BatchJournalEntry> entries) =>
        entries.Where(e => e.Kind == "batch" && e.BatchId is not null).Select(e => e.BatchId!).ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// Why a request of a finished batch has no result of its own: the batch's status (and error), and, when lines of
    /// the results could not be read (a provider's output that is not JSONL, a line naming no request), how many and
    /// the first reason. Credentials are removed.
    /// </summary>
    public static string MissingReason(BatchJob job, IReadOnlyList<BatchItemResult> results)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(results);
        var reason = job.Error is null ? $"no result (batch {job.ProviderStatus})" : $"no result (batch {job.ProviderStatus}: {SecretRedactor.Redact(job.Error)})";
        var unreadable = results.Where(r => string.IsNullOrEmpty(r.CustomId)).ToList();
        return unreadable.Count == 0
            ? reason
            : string.Create(CultureInfo.InvariantCulture, $"{reason}; {unreadable.Count} line(s) of its results could not be read, the first: {SecretRedactor.Redact(unreadable[0].Error ?? "unreadable")}");
    }
}
