namespace AlignmentFaking.Datasets;

/// <summary>
/// Which requests of a dataset to use: skip <see cref="Offset"/> requests, then take at most <see cref="Limit"/>.
/// The <see cref="ExperimentRequest.Index"/> of every request stays its position in the whole dataset.
/// </summary>
/// <remarks>
/// Defaults: <see cref="Offset"/> = 0 and <see cref="Limit"/> = <see langword="null"/> (all requests), i.e. the whole
/// dataset in file order. A slice that reaches past the end of the dataset yields the requests that exist (possibly none);
/// it is not an error. The whole file is always parsed and validated, whatever the slice.
/// </remarks>
public sealed record RequestSlice
{
    /// <summary>The whole dataset (offset 0, no limit).</summary>
    public static RequestSlice All { get; } = new();

    /// <summary>How many requests to skip from the start of the dataset. Default 0. Must not be negative.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public int Offset
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            field = value;
        }
    }

    /// <summary>
    /// The largest number of requests to take after the offset, or <see langword="null"/> for all of the remaining
    /// ones. Default <see langword="null"/>. Must not be negative.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public int? Limit
    {
        get;
        init
        {
            if (value is int limit)
            {
                ArgumentOutOfRangeException.ThrowIfNegative(limit, nameof(value));
            }

            field = value;
        }
    }

    /// <summary>Applies the slice to a full, ordered dataset.</summary>
    internal IReadOnlyList<ExperimentRequest> Apply(IReadOnlyList<ExperimentRequest> all)
    {
        ArgumentNullException.ThrowIfNull(all);
        int start = Math.Min(Offset, all.Count);
        int count = all.Count - start;
        if (Limit is int limit && limit < count)
        {
            count = limit;
        }

        var result = new ExperimentRequest[count];
        for (int k = 0; k < count; k++)
        {
            result[k] = all[start + k];
        }

        return result.AsReadOnly();
    }
}
