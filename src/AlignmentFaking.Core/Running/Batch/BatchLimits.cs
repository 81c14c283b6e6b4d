namespace AlignmentFaking.Running.Batch;

/// <summary>A provider's limits per batch.</summary>
/// <param name="MaxRequests">Requests per batch (OpenAI: 50,000).</param>
/// <param name="MaxBytes">Bytes of the input file per batch (OpenAI: 200 MB).</param>
public sealed record BatchLimits(int MaxRequests, long MaxBytes)
{
    /// <summary>The default of <see cref="MaxResultBytes"/>: 1 GiB.</summary>
    public const long DefaultMaxResultBytes = 1L << 30;

    /// <summary>
    /// The largest results file read back (each of a batch's output and error files): a larger one fails with
    /// <see cref="ReplyTooLargeException"/> as soon as it passes the limit, so an endpoint that streams without end
    /// costs at most this much memory. Default: <see cref="DefaultMaxResultBytes"/> (a full 200 MB OpenAI input file of
    /// the original CoT prompt comes back as well under it).
    /// </summary>
    public long MaxResultBytes { get; init; } = DefaultMaxResultBytes;

    /// <summary>The OpenAI Batch API's limits: 50,000 requests and 200 MB per input file.</summary>
    public static BatchLimits OpenAI { get; } = new(50_000, 200L * 1024 * 1024);
}
