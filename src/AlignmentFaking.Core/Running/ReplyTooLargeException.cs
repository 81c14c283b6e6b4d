using System.Globalization;

namespace AlignmentFaking.Running;

/// <summary>
/// A reply's body exceeded <see cref="ModelHttpClientOptions.MaxReplyBytes"/> (declared by its <c>Content-Length</c>, or
/// read so far from a body that does not end). The attempt fails at once, no more of the body is read, and the failure
/// is permanent (<see cref="CallFailure.Classify"/>): asking again would only fetch it again. The call becomes an
/// <c>error</c> sample naming the limit.
/// </summary>
public sealed class ReplyTooLargeException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="limitBytes">The limit that was exceeded.</param>
    /// <param name="declaredBytes">The size the reply declared (<c>Content-Length</c>), if it declared one over the limit.</param>
    public ReplyTooLargeException(long limitBytes, long? declaredBytes = null)
        : base(declaredBytes is { } declared
            ? string.Create(CultureInfo.InvariantCulture, $"the reply declared {declared:N0} bytes, over the limit of {limitBytes:N0} bytes on a reply's size (MaxReplyBytes, af --max-reply-mb); not retried")
            : string.Create(CultureInfo.InvariantCulture, $"the reply exceeded the limit of {limitBytes:N0} bytes on a reply's size (MaxReplyBytes, af --max-reply-mb) and was cut off; not retried"))
    {
        LimitBytes = limitBytes;
        DeclaredBytes = declaredBytes;
    }

    /// <summary>The limit that was exceeded.</summary>
    public long LimitBytes { get; }

    /// <summary>The size the reply declared, when its <c>Content-Length</c> was over the limit; else <see langword="null"/>.</summary>
    public long? DeclaredBytes { get; }
}
