using System.Globalization;
using System.Text.Json;

namespace AlignmentFaking.Datasets;

/// <summary>
/// Loads a user's own requests from a CSV file (one named column), a JSON Lines file (one string field) or an
/// in-memory list. Requests keep the file order; <see cref="ExperimentRequest.Index"/> is the zero-based position of
/// the record among the records of the source (not counting a CSV header or blank lines).
/// </summary>
/// <remarks>
/// Files are read entirely into memory and must be UTF-8 (a byte order mark is allowed). Request texts are used exactly
/// as stored: no trimming, no added punctuation. Malformed input throws <see cref="DatasetFormatException"/> naming the
/// file and the line; a missing file throws <see cref="FileNotFoundException"/>.
/// </remarks>
public static class RequestDataset
{
    /// <summary>Loads the requests in column <paramref name="column"/> of an RFC 4180 CSV file with a header line.</summary>
    /// <param name="path">The CSV file.</param>
    /// <param name="column">The header name of the column holding the request texts (exact, case-sensitive).</param>
    /// <param name="slice">Which records to return; default <see cref="RequestSlice.All"/>.</param>
    /// <returns>The requests of the slice, in file order.</returns>
    /// <exception cref="DatasetFormatException">The file is malformed, or the header has no (or more than one) column <paramref name="column"/>.</exception>
    public static IReadOnlyList<ExperimentRequest> FromCsv(string path, string column, RequestSlice? slice = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(column);
        string text = DatasetText.Read(path);
        return (slice ?? RequestSlice.All).Apply(ParseCsv(text, path, column));
    }

    /// <summary>Loads the requests in column <paramref name="column"/> of an RFC 4180 CSV file with a header line, reading the file asynchronously.</summary>
    /// <param name="path">The CSV file.</param>
    /// <param name="column">The header name of the column holding the request texts (exact, case-sensitive).</param>
    /// <param name="slice">Which records to return; default <see cref="RequestSlice.All"/>.</param>
    /// <param name="cancellationToken">Cancels reading the file.</param>
    /// <returns>The requests of the slice, in file order.</returns>
    /// <exception cref="DatasetFormatException">The file is malformed, or the header has no (or more than one) column <paramref name="column"/>.</exception>
    public static async Task<IReadOnlyList<ExperimentRequest>> FromCsvAsync(
        string path, string column, RequestSlice? slice = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(column);
        string text = await DatasetText.ReadAsync(path, cancellationToken).ConfigureAwait(false);
        return (slice ?? RequestSlice.All).Apply(ParseCsv(text, path, column));
    }

    /// <summary>
    /// Loads the requests of a JSON Lines file: one JSON object per line whose string property <paramref name="field"/>
    /// is the request text. Blank lines are skipped; lines may end with LF or CRLF.
    /// </summary>
    /// <param name="path">The JSON Lines file.</param>
    /// <param name="field">The property holding the request text (exact, case-sensitive).</param>
    /// <param name="slice">Which records to return; default <see cref="RequestSlice.All"/>.</param>
    /// <returns>The requests of the slice, in file order.</returns>
    /// <exception cref="DatasetFormatException">A line is not a JSON object, or its <paramref name="field"/> is missing or not a string.</exception>
    public static IReadOnlyList<ExperimentRequest> FromJsonl(string path, string field, RequestSlice? slice = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(field);
        string text = DatasetText.Read(path);
        return (slice ?? RequestSlice.All).Apply(ParseJsonl(text, path, field));
    }

    /// <summary>
    /// Loads the requests of a JSON Lines file, reading it asynchronously: one JSON object per line whose string
    /// property <paramref name="field"/> is the request text. Blank lines are skipped; lines may end with LF or CRLF.
    /// </summary>
    /// <param name="path">The JSON Lines file.</param>
    /// <param name="field">The property holding the request text (exact, case-sensitive).</param>
    /// <param name="slice">Which records to return; default <see cref="RequestSlice.All"/>.</param>
    /// <param name="cancellationToken">Cancels reading the file.</param>
    /// <returns>The requests of the slice, in file order.</returns>
    /// <exception cref="DatasetFormatException">A line is not a JSON object, or its <paramref name="field"/> is missing or not a string.</exception>
    public static async Task<IReadOnlyList<ExperimentRequest>> FromJsonlAsync(
        string path, string field, RequestSlice? slice = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(field);
        string text = await DatasetText.ReadAsync(path, cancellationToken).ConfigureAwait(false);
        return (slice ?? RequestSlice.All).Apply(ParseJsonl(text, path, field));
    }

    /// <summary>
    /// Reads a dataset file as <c>af run --dataset PATH</c> does: JSONL (<c>.jsonl</c>, <c>.ndjson</c>; the <paramref name="column"/>
    /// field, default <c>goal</c>), CSV with a <paramref name="column"/>, or else AdvBench's CSV; with the record the manifest
    /// keeps (the file's SHA-256, the slice, the count).
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="column">The column or field holding the request; <see langword="null"/> for the format's default.</param>
    /// <param name="slice">Rows to skip and keep.</param>
    /// <param name="name">The name recorded (<c>advbench</c>); the file name when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DatasetFormatException">A row is malformed (the message names the file and line).</exception>
    public static async Task<(IReadOnlyList<ExperimentRequest> Requests, Storage.DatasetRecord Record)> LoadFileAsync(
        string path, string? column, RequestSlice slice, string? name = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(slice);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"dataset file not found: {path}", path);
        }

        IReadOnlyList<ExperimentRequest> requests;
        if (path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase))
        {
            requests = await FromJsonlAsync(path, column ?? "goal", slice, cancellationToken).ConfigureAwait(false);
        }
        else if (column is not null)
        {
            requests = await FromCsvAsync(path, column, slice, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            requests = await AdvBench.LoadAsync(path, slice, cancellationToken).ConfigureAwait(false);
        }

        return (requests, new Storage.DatasetRecord
        {
            Name = name ?? Path.GetFileName(path),
            Source = path,
            Sha256 = await ContentHash.Sha256FileAsync(path, cancellationToken).ConfigureAwait(false),
            Offset = slice.Offset,
            Limit = slice.Limit,
            Count = requests.Count,
        });
    }

    /// <summary>Makes requests from in-memory texts; the index of each is its position in <paramref name="texts"/>.</summary>
    /// <param name="texts">The request texts, used as they are.</param>
    /// <param name="slice">Which texts to return; default <see cref="RequestSlice.All"/>.</param>
    /// <returns>The requests of the slice, in order.</returns>
    /// <exception cref="ArgumentException">An element of <paramref name="texts"/> is <see langword="null"/>.</exception>
    public static IReadOnlyList<ExperimentRequest> FromList(IEnumerable<string> texts, RequestSlice? slice = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var all = new List<ExperimentRequest>();
        foreach (string text in texts)
        {
            if (text is null)
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture, $"Request {all.Count} is null."), nameof(texts));
            }

            all.Add(new ExperimentRequest(all.Count, text));
        }

        return (slice ?? RequestSlice.All).Apply(all);
    }

    /// <summary>
    /// A request's text, refused when it is empty or only whitespace (sent as it is, it would be a sample of nothing):
    /// <see cref="DatasetFormatException"/> naming the file and line.
    /// </summary>
    internal static string NotBlank(string text, string path, long lineNumber, string where)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new DatasetFormatException(path, lineNumber, $"the request ({where}) is {(text.Length == 0 ? "empty" : "only whitespace")}: remove the line or give it a request");
        }

        return text;
    }

    /// <summary>Parses CSV text and takes one column by header name.</summary>
    internal static List<ExperimentRequest> ParseCsv(string text, string path, string column)
    {
        CsvTable table = Rfc4180.ParseTable(text, path);
        int columnIndex = -1;
        IReadOnlyList<string> header = table.Header.Fields;
        for (int c = 0; c < header.Count; c++)
        {
            if (string.Equals(header[c], column, StringComparison.Ordinal))
            {
                if (columnIndex >= 0)
                {
                    throw new DatasetFormatException(
                        path, table.Header.LineNumber, $"the header names column '{column}' more than once");
                }

                columnIndex = c;
            }
        }

        if (columnIndex < 0)
        {
            throw new DatasetFormatException(
                path,
                table.Header.LineNumber,
                $"the header has no column '{column}' (columns: {string.Join(", ", header.Select(h => "'" + h + "'"))})");
        }

        var requests = new List<ExperimentRequest>(table.Rows.Count);
        foreach (CsvRecord row in table.Rows)
        {
            requests.Add(new ExperimentRequest(requests.Count, NotBlank(row.Fields[columnIndex], path, row.LineNumber, $"column '{column}'")));
        }

        return requests;
    }

    /// <summary>Parses JSON Lines text and takes one string property of each object.</summary>
    internal static List<ExperimentRequest> ParseJsonl(string text, string path, string field)
    {
        var requests = new List<ExperimentRequest>();
        long lineNumber = 0;
        int position = 0;
        while (position < text.Length)
        {
            // Lines end with LF (optionally preceded by CR); other Unicode separators are legal inside JSON strings.
            int end = text.IndexOf('\n', position);
            int next = end < 0 ? text.Length : end + 1;
            ReadOnlySpan<char> line = text.AsSpan(position, (end < 0 ? text.Length : end) - position);
            position = next;
            lineNumber++;
            if (line.EndsWith('\r'))
            {
                line = line[..^1];
            }

            if (line.IsWhiteSpace())
            {
                continue;
            }

            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(line.ToString());
            }
            catch (JsonException ex)
            {
                // The reader's own message counts lines and bytes within the one line it was given: name the file's line
                // once, and the column (in characters) where the JSON stops being valid.
                throw new DatasetFormatException(path, lineNumber, $"not valid JSON at column {Column(line, ex.BytePositionInLine)}", ex);
            }

            using (document)
            {
                JsonElement root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    throw new DatasetFormatException(
                        path, lineNumber, $"expected a JSON object, found {Describe(root.ValueKind)}");
                }

                if (!root.TryGetProperty(field, out JsonElement value))
                {
                    throw new DatasetFormatException(path, lineNumber, $"the object has no field \"{field}\"");
                }

                if (value.ValueKind != JsonValueKind.String)
                {
                    throw new DatasetFormatException(
                        path, lineNumber, $"field \"{field}\" is {Describe(value.ValueKind)}, expected a string");
                }

                requests.Add(new ExperimentRequest(requests.Count, NotBlank(value.GetString()!, path, lineNumber, $"field \"{field}\"")));
            }
        }

        return requests;
    }

    /// <summary>The one-based column (in characters) of a UTF-8 byte offset within a line.</summary>
    private static long Column(ReadOnlySpan<char> line, long? bytePosition)
    {
        long bytes = 0;
        int chars = 0;
        while (chars < line.Length && bytes < (bytePosition ?? 0))
        {
            int width = chars + 1 < line.Length && char.IsSurrogatePair(line[chars], line[chars + 1]) ? 2 : 1;
            bytes += System.Text.Encoding.UTF8.GetByteCount(line.Slice(chars, width));
            chars += width;
        }

        return chars + 1;
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };
}
