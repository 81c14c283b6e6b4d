namespace AlignmentFaking.Running;

/// <summary>How an <see cref="ExperimentSession"/> ended.</summary>
public enum ExperimentSessionStatus
{
    /// <summary>Every planned sample is in the run directory and has a verdict (or there was nothing to run).</summary>
    Complete,

    /// <summary>
    /// Every planned sample is in the run directory, but some have no verdict: their call failed after all retries
    /// (<c>error</c> samples). A session with <see cref="ExperimentSessionOptions.RetryErrors"/> calls them again.
    /// </summary>
    FinishedWithErrors,

    /// <summary>Cancelled; the finished samples are kept and a new session resumes the run.</summary>
    Cancelled,

    /// <summary>Stopped by <see cref="ExperimentSessionOptions.BudgetUsd"/>; a session with a higher budget resumes the run.</summary>
    BudgetExhausted,

    /// <summary>
    /// Stopped by a failure no retry can fix (<see cref="FatalCallException"/>: a wrong key, model or URL, a dead
    /// endpoint, a refused batch call); the finished samples are kept and a new session resumes once the cause is fixed.
    /// </summary>
    Fatal,
}
