namespace AlignmentFaking.Running.Batch;

/// <summary>A provider's limits per batch.</summary>
/// <param name="MaxRequests">Requests per batch (OpenAI: 50,000).</param>
/// <param name="MaxBytes">Bytes of the input file per batch (OpenAI: 200 MB).</param>
public sealed record BatchLimits(int MaxRequests, long MaxBytes)
{
    /// <summary>The OpenAI Batch API's limits: 50,000 requests and 200 MB per input file.</summary>
    public static BatchLimits OpenAI { get; } = new(50_000, 200L * 1024 * 1024);
}
