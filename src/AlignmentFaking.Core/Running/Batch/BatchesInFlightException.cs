namespace AlignmentFaking.Running.Batch;

/// <summary>
/// Thrown when a run directory is about to be worked on online while batches of it are still in flight at the provider:
/// their results would be paid for a second time. Resume it on the batch path instead, which takes them in.
/// </summary>
public sealed class BatchesInFlightException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="directory">The run directory.</param>
    /// <param name="journalFile">The journal that records the batches (e.g. <c>batches.jsonl</c>).</param>
    /// <param name="count">Batches in flight.</param>
    public BatchesInFlightException(string directory, string journalFile, int count)
        : base($"{count} batch(es) of the run in {directory} ({journalFile}) are still in flight at the provider; resume it on the batch path to take in their results (working online would pay for the same requests again)")
    {
        Directory = directory;
        JournalFile = journalFile;
        Count = count;
    }

    /// <summary>The run directory.</summary>
    public string Directory { get; }

    /// <summary>The journal that records the batches.</summary>
    public string JournalFile { get; }

    /// <summary>Batches in flight.</summary>
    public int Count { get; }
}
