namespace AlignmentFaking.Running.Batch;

/// <summary>Options of a batch run. Every property documents its default; <see cref="Validate"/> checks them.</summary>
public sealed class BatchRunOptions
{
    /// <summary>How long to wait between two retrievals of the batches in flight. Default: 30 seconds.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Requests per batch; <see langword="null"/> uses the provider's limit (<see cref="IBatchProvider.Limits"/>; OpenAI:
    /// 50,000). Default: <see langword="null"/>. A smaller value is capped by the provider's.
    /// </summary>
    public int? MaxRequestsPerBatch { get; set; }

    /// <summary>
    /// Bytes of input per batch; <see langword="null"/> uses the provider's limit (OpenAI: 200 MB). Default:
    /// <see langword="null"/>. A smaller value is capped by the provider's.
    /// </summary>
    public long? MaxBytesPerBatch { get; set; }

    /// <summary>
    /// How many times one turn of a conversation is sent before the conversation is given up as a failed call (an
    /// <c>error</c> sample): a request that failed, expired, was cancelled or has no result is sent again in the next
    /// round. Default: 3.
    /// </summary>
    public int MaxAttemptsPerTurn { get; set; } = 3;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (PollInterval < TimeSpan.Zero)
        {
            throw new ArgumentException($"the poll interval must not be negative (was {PollInterval})", nameof(PollInterval));
        }

        if (MaxRequestsPerBatch is < 1)
        {
            throw new ArgumentException($"requests per batch must be positive (was {MaxRequestsPerBatch})", nameof(MaxRequestsPerBatch));
        }

        if (MaxBytesPerBatch is < 1)
        {
            throw new ArgumentException($"bytes per batch must be positive (was {MaxBytesPerBatch})", nameof(MaxBytesPerBatch));
        }

        if (MaxAttemptsPerTurn < 1)
        {
            throw new ArgumentException($"attempts per turn must be at least 1 (was {MaxAttemptsPerTurn})", nameof(MaxAttemptsPerTurn));
        }
    }
}
