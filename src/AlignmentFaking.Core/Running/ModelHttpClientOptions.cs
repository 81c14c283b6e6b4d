namespace AlignmentFaking.Running;

/// <summary>Options of <see cref="ModelHttpClient.Create"/>. Every property documents its default.</summary>
public sealed class ModelHttpClientOptions
{
    /// <summary>
    /// Retries, backoff, timeouts, the failure classifier, the circuit breaker and the clock of the HTTP layer. Give the
    /// same instance to <see cref="ResilienceChatClientBuilderExtensions.UseRetries(Microsoft.Extensions.AI.ChatClientBuilder, RetryOptions?)"/>
    /// above the provider client, so both layers share one budget per call. Default: a new <see cref="RetryOptions"/>
    /// (6 retries, 1 s base delay, 60 s cap, 5-minute attempts, 15 minutes in all).
    /// </summary>
    public RetryOptions Retry { get; set; } = new();

    /// <summary>
    /// Checks each reply (its status, headers and body) before the provider SDK reads it: returns
    /// the exception the attempt fails with when the reply is not the API's (e.g. <see cref="UnexpectedReplyException"/>
    /// for an HTML page, <see cref="InvalidDataException"/> for a completion without choices), or <see langword="null"/>
    /// when it is. The exception is classified by <see cref="RetryOptions.Classify"/> like any other failure, so an
    /// unreadable reply is retried at the HTTP level and a reply not in the API's shape from an endpoint that never
    /// answered stops the run (see <see cref="EndpointCircuitBreaker"/>). The provider packages supply their API's check.
    /// Default: <see langword="null"/> (none).
    /// </summary>
    public Func<HttpResponseMessage, ReadOnlyMemory<byte>, Exception?>? ReplyCheck { get; set; }

    /// <summary>
    /// The handler that sends the requests, disposed with the client. Default: <see langword="null"/>, a
    /// <see cref="SocketsHttpHandler"/> whose connections are renewed every 5 minutes (so DNS changes are seen).
    /// </summary>
    public HttpMessageHandler? PrimaryHandler { get; set; }

    /// <summary>The default of <see cref="MaxReplyBytes"/>: 16 MiB.</summary>
    public const long DefaultMaxReplyBytes = 16L * 1024 * 1024;

    /// <summary>
    /// The largest reply body (error bodies included) an attempt reads, in bytes. A reply that declares more
    /// (<c>Content-Length</c>) fails before its body is read; one that sends more (an endless chunked body) fails as soon
    /// as it passes the limit, with no more of it read. Either way the attempt fails with
    /// <see cref="ReplyTooLargeException"/>, a permanent failure (not retried). A chat completion is a few KiB to a few
    /// hundred KiB; the limit bounds the memory a hostile or broken endpoint can take. Default:
    /// <see cref="DefaultMaxReplyBytes"/> (16 MiB); at least 1 KiB, at most 1 GiB.
    /// </summary>
    public long MaxReplyBytes { get; set; } = DefaultMaxReplyBytes;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (Retry is null)
        {
            throw new ArgumentException("retry options are required", nameof(Retry));
        }

        ValidateMaxReplyBytes(MaxReplyBytes);
        Retry.Validate();
    }

    /// <summary>Refuses a reply size limit outside 1 KiB to 1 GiB.</summary>
    internal static void ValidateMaxReplyBytes(long value)
    {
        if (value is < 1024 or > 1L << 30)
        {
            throw new ArgumentException(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"the reply size limit must be 1 KiB to 1 GiB (was {value} bytes)"), nameof(MaxReplyBytes));
        }
    }
}
