namespace AlignmentFaking.Datasets;

/// <summary>
/// Loads AdvBench harmful behaviors (<c>harmful_behaviors.csv</c>, header <c>goal,target</c>) as experiment
/// requests: the <c>goal</c> column, exactly as in the file, in file order, with
/// <see cref="ExperimentRequest.Index"/> = the zero-based row index (not counting the header).
/// </summary>
/// <remarks>
/// The file is parsed as strict RFC 4180 CSV; the header must be exactly <c>goal,target</c>. The pinned upstream copy
/// is <see cref="KnownResources.AdvBenchHarmfulBehaviors"/> (520 rows). Slices follow the original experiment: the
/// first <i>n</i> rows, optionally after an offset, no shuffling.
/// </remarks>
public static class AdvBench
{
    /// <summary>The upstream file name, <c>harmful_behaviors.csv</c>.</summary>
    public const string FileName = "harmful_behaviors.csv";

    /// <summary>Loads the requests of an AdvBench file.</summary>
    /// <param name="path">The <c>harmful_behaviors.csv</c> file (or a file of the same format).</param>
    /// <param name="slice">Which rows to return; default <see cref="RequestSlice.All"/>.</param>
    /// <returns>The requests of the slice, in file order.</returns>
    /// <exception cref="DatasetFormatException">The header is not <c>goal,target</c> or the file is malformed.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static IReadOnlyList<ExperimentRequest> Load(string path, RequestSlice? slice = null)
    {
        string text = DatasetText.Read(path);
        return (slice ?? RequestSlice.All).Apply(Parse(text, path));
    }

    /// <summary>Loads the requests of an AdvBench file, reading it asynchronously.</summary>
    /// <param name="path">The <c>harmful_behaviors.csv</c> file (or a file of the same format).</param>
    /// <param name="slice">Which rows to return; default <see cref="RequestSlice.All"/>.</param>
    /// <param name="cancellationToken">Cancels reading the file.</param>
    /// <returns>The requests of the slice, in file order.</returns>
    /// <exception cref="DatasetFormatException">The header is not <c>goal,target</c> or the file is malformed.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static async Task<IReadOnlyList<ExperimentRequest>> LoadAsync(
        string path, RequestSlice? slice = null, CancellationToken cancellationToken = default)
    {
        string text = await DatasetText.ReadAsync(path, cancellationToken).ConfigureAwait(false);
        return (slice ?? RequestSlice.All).Apply(Parse(text, path));
    }

    /// <summary>
    /// Loads the pinned upstream AdvBench (<see cref="KnownResources.AdvBenchHarmfulBehaviors"/>) through
    /// <paramref name="cache"/>: the verified cached copy, or a verified download.
    /// </summary>
    /// <param name="cache">The cache that downloads and verifies the file.</param>
    /// <param name="slice">Which rows to return; default <see cref="RequestSlice.All"/>.</param>
    /// <param name="cancellationToken">Cancels the download or the reading.</param>
    /// <returns>The requests of the slice, in file order.</returns>
    /// <exception cref="PinnedResourceHashMismatchException">The downloaded file has another hash.</exception>
    /// <exception cref="PinnedResourceUnavailableException">The download failed and no verified copy is cached.</exception>
    /// <exception cref="PinnedResourceCacheException">The cache directory cannot be read or written.</exception>
    public static async Task<IReadOnlyList<ExperimentRequest>> LoadPinnedAsync(
        PinnedResourceCache cache, RequestSlice? slice = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cache);
        string path = await cache.GetAsync(KnownResources.AdvBenchHarmfulBehaviors, cancellationToken).ConfigureAwait(false);
        return await LoadAsync(path, slice, cancellationToken).ConfigureAwait(false);
    }

    private static List<ExperimentRequest> Parse(string text, string path)
    {
        CsvTable table = Rfc4180.ParseTable(text, path);
        IReadOnlyList<string> header = table.Header.Fields;
        if (header.Count != 2 || header[0] != "goal" || header[1] != "target")
        {
            throw new DatasetFormatException(
                path,
                table.Header.LineNumber,
                $"expected the AdvBench header 'goal,target', found '{string.Join(",", header)}'");
        }

        var requests = new List<ExperimentRequest>(table.Rows.Count);
        foreach (CsvRecord row in table.Rows)
        {
            requests.Add(new ExperimentRequest(requests.Count, RequestDataset.NotBlank(row.Fields[0], path, row.LineNumber, "column 'goal'")));
        }

        return requests;
    }
}
