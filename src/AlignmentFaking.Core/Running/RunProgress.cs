namespace AlignmentFaking.Running;

/// <summary>Progress of a run, reported after every finished sample.</summary>
/// <param name="Completed">Samples finished.</param>
/// <param name="Total">Samples in the run.</param>
/// <param name="Calls">Model calls made.</param>
/// <param name="InputTokens">Input tokens reported so far.</param>
/// <param name="OutputTokens">Output tokens reported so far.</param>
/// <param name="Elapsed">Time since the run started.</param>
public sealed record RunProgress(int Completed, int Total, long Calls, long InputTokens, long OutputTokens, TimeSpan Elapsed)
{
    /// <summary>Samples per second so far (since the start).</summary>
    public double SamplesPerSecond => Elapsed > TimeSpan.Zero ? Completed / Elapsed.TotalSeconds : 0;

    /// <summary>
    /// Samples per second lately (the last 30 s, at least the last 20 samples), which follows a rate that changes during
    /// the run; <see langword="null"/> when the reporter does not measure it (then <see cref="SamplesPerSecond"/> is used).
    /// </summary>
    public double? RecentSamplesPerSecond { get; init; }

    /// <summary>Estimated time left at the recent rate, or <see langword="null"/> before the first sample.</summary>
    public TimeSpan? EstimatedRemaining
    {
        get
        {
            double rate = RecentSamplesPerSecond ?? SamplesPerSecond;
            return Completed > 0 && rate > 0 ? TimeSpan.FromSeconds(Math.Max(0, Total - Completed) / rate) : null;
        }
    }
}
