namespace AlignmentFaking.Running.Batch;

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
