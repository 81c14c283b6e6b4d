namespace AlignmentFaking.Running;

/// <summary>
/// A reply that is not in the API's shape (an HTML page, JSON without a choice list, a text body): usually the URL
/// points at something other than the API. Transient (a proxy can answer so for a moment), but it stops the run at once
/// when the endpoint has never answered properly (see <see cref="EndpointCircuitBreaker"/>).
/// </summary>
public sealed class UnexpectedReplyException : Exception
{
    /// <summary>Creates the exception.</summary>
    public UnexpectedReplyException()
        : this("the endpoint answered something that is not the API's reply")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What the endpoint answered and what to check.</param>
    public UnexpectedReplyException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What the endpoint answered and what to check.</param>
    /// <param name="innerException">The underlying error.</param>
    public UnexpectedReplyException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
