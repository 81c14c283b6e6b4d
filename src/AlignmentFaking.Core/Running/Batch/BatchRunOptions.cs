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

/// <summary>Progress of a batch run, reported when batches are submitted, polled and consumed.</summary>
/// <param name="Round">The current round (1-based; a CoT run needs at most <c>MaxTurns</c> rounds plus retries).</param>
/// <param name="Phase"><c>submitting</c>, <c>waiting</c>, <c>downloading</c> or <c>done</c>.</param>
/// <param name="BatchesInFlight">Batches submitted and not yet consumed.</param>
/// <param name="RequestsInFlight">Requests in those batches.</param>
/// <param name="RequestsCompleted">Requests of those batches the provider reports completed.</param>
/// <param name="SamplesCompleted">Samples finished by this process.</param>
/// <param name="SamplesTotal">Samples this process has to finish.</param>
/// <param name="Elapsed">Time since the run started.</param>
public sealed record BatchRunProgress(int Round, string Phase, int BatchesInFlight, int RequestsInFlight, int RequestsCompleted, int SamplesCompleted, int SamplesTotal, TimeSpan Elapsed);
