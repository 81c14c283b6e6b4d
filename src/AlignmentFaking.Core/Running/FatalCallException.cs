namespace AlignmentFaking.Running;

/// <summary>
/// A call failure that no other call can escape (wrong key, model or endpoint): the runner stops launching, cancels the
/// calls in flight and rethrows it, after every finished sample has been handed out.
/// </summary>
public sealed class FatalCallException : Exception
{
    /// <summary>Creates the exception.</summary>
    public FatalCallException()
        : this("a model call failed in a way no retry can fix")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong and what to check (never a credential).</param>
    public FatalCallException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong and what to check (never a credential).</param>
    /// <param name="innerException">The underlying error.</param>
    public FatalCallException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
