using System.Globalization;

namespace AlignmentFaking.Datasets;

/// <summary>
/// Thrown when a dataset file is malformed: bad CSV quoting, a wrong number of fields, an unexpected header,
/// a line that is not a JSON object, a missing or non-string field, or bytes that are not UTF-8.
/// </summary>
/// <remarks>
/// The message starts with the file name and the line, for example
/// <c>harmful_behaviors.csv line 17: expected 2 fields, found 3</c>, so that it can be shown to a user as is.
/// </remarks>
public sealed class DatasetFormatException : FormatException
{
    /// <summary>Creates the exception for a problem at a given line of a file.</summary>
    /// <param name="filePath">The path of the malformed file, as it was given to the loader.</param>
    /// <param name="lineNumber">The one-based physical line number where the problem (or the malformed record) starts.</param>
    /// <param name="detail">What is wrong, without the file name or line, e.g. <c>expected 2 fields, found 3</c>.</param>
    /// <param name="innerException">The underlying error, if any (for example a <see cref="System.Text.Json.JsonException"/>).</param>
    public DatasetFormatException(string filePath, long lineNumber, string detail, Exception? innerException = null)
        : base(FormatMessage(filePath, lineNumber, detail), innerException)
    {
        FilePath = filePath;
        LineNumber = lineNumber;
        Detail = detail;
    }

    /// <summary>The path of the malformed file, as it was given to the loader.</summary>
    public string FilePath { get; }

    /// <summary>The one-based physical line number where the problem (or the malformed record) starts.</summary>
    public long LineNumber { get; }

    /// <summary>What is wrong, without the file name or the line number.</summary>
    public string Detail { get; }

    private static string FormatMessage(string filePath, long lineNumber, string detail)
    {
        ArgumentNullException.ThrowIfNull(filePath);
        ArgumentNullException.ThrowIfNull(detail);
        string name = Path.GetFileName(filePath);
        if (name.Length == 0)
        {
            name = filePath;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{name} line {lineNumber}: {detail}");
    }
}
