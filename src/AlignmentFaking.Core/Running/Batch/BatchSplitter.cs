namespace AlignmentFaking.Running.Batch;

/// <summary>Splits the requests of one round into batches that respect a provider's limits.</summary>
internal static class BatchSplitter
{
    /// <summary>
    /// The items in order, cut into runs of at most <paramref name="maxRequests"/> items and
    /// <paramref name="maxBytes"/> bytes (an item larger than the byte limit goes alone).
    /// </summary>
    public static IEnumerable<List<T>> Split<T>(IEnumerable<T> items, Func<T, long> size, int maxRequests, long maxBytes)
    {
        var current = new List<T>();
        long bytes = 0;
        foreach (var item in items)
        {
            long itemSize = size(item);
            if (current.Count > 0 && (current.Count >= maxRequests || bytes + itemSize > maxBytes))
            {
                yield return current;
                current = [];
                bytes = 0;
            }

            current.Add(item);
            bytes += itemSize;
        }

        if (current.Count > 0)
        {
            yield return current;
        }
    }

    /// <summary>The limits in force: the provider's, lowered by the options where they are smaller.</summary>
    public static (int MaxRequests, long MaxBytes) Limits(IBatchProvider provider, BatchRunOptions options) =>
        (Math.Min(options.MaxRequestsPerBatch ?? int.MaxValue, provider.Limits.MaxRequests),
         Math.Min(options.MaxBytesPerBatch ?? long.MaxValue, provider.Limits.MaxBytes));
}
