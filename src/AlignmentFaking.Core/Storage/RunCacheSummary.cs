using AlignmentFaking.Running;

namespace AlignmentFaking.Storage;

/// <summary>
/// The <c>cache</c> object of <c>summary.json</c>: how many subject calls were replayed from the response cache instead
/// of being made, counted from the samples' call records. Field names are a contract.
/// </summary>
public sealed record RunCacheSummary
{
    /// <summary>Calls answered from a response cache (the run's own or the shared one): no call was made.</summary>
    public required long Hits { get; init; }

    /// <summary>
    /// Of <see cref="Hits"/>, the replies that came from another run through the shared cache
    /// (<see cref="ExperimentOptions.SharedResponseCache"/>, <c>af run --cache-dir</c>): replayed, not newly drawn.
    /// </summary>
    public required long CrossRunHits { get; init; }

    /// <summary>All subject calls of the samples, replayed or made: the denominator of <see cref="Hits"/>.</summary>
    public long Calls { get; init; }

    /// <summary>Counts the cache hits of <paramref name="samples"/>; <see langword="null"/> when there are none.</summary>
    /// <param name="samples">The samples.</param>
    public static RunCacheSummary? Compute(IEnumerable<ExperimentSample> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        long hits = 0, crossRun = 0, calls = 0;
        foreach (var sample in samples)
        {
            foreach (var call in sample.Calls)
            {
                calls++;
                if (call.Cached)
                {
                    hits++;
                    crossRun += call.CrossRun ? 1 : 0;
                }
            }
        }

        return hits == 0 ? null : new RunCacheSummary { Hits = hits, CrossRunHits = crossRun, Calls = calls };
    }

    /// <summary>One line for the printout and the report, e.g. <c>12 of 40 calls replayed from the cache, 0 from other runs (--cache-dir)</c>.</summary>
    public string Describe() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Hits} of {Calls} calls replayed from the cache, {CrossRunHits} from other runs (--cache-dir)");
}
