using System.Globalization;
using System.Text;

namespace AlignmentFaking.Datasets;

/// <summary>One CSV record and the one-based physical line on which it starts.</summary>
/// <param name="LineNumber">The physical line (counting line breaks inside quoted fields) where the record starts.</param>
/// <param name="Fields">The unquoted field values.</param>
internal sealed record CsvRecord(long LineNumber, IReadOnlyList<string> Fields);

/// <summary>A CSV file split into its header record and its data records.</summary>
/// <param name="Header">The first record.</param>
/// <param name="Rows">The remaining records, each with exactly as many fields as the header.</param>
internal sealed record CsvTable(CsvRecord Header, IReadOnlyList<CsvRecord> Rows);

/// <summary>
/// A strict RFC 4180 CSV parser: fields separated by commas; a field may be enclosed in double quotes, and then may
/// contain commas, line breaks and doubled quotes (<c>""</c> for one <c>"</c>); records end with CRLF, LF or a lone CR;
/// the last record may or may not end with a line break. Empty lines (no characters at all) are skipped.
/// </summary>
internal static class Rfc4180
{
    /// <summary>Parses <paramref name="text"/> into records.</summary>
    /// <exception cref="DatasetFormatException">An unterminated quoted field, a stray quote in an unquoted field, or text after a closing quote.</exception>
    internal static List<CsvRecord> Parse(string text, string filePath)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(filePath);

        var records = new List<CsvRecord>();
        var fields = new List<string>();
        var field = new StringBuilder();
        int n = text.Length;
        int i = 0;
        long line = 1;

        while (i < n)
        {
            if (text[i] is '\r' or '\n')
            {
                // An empty line: no record.
                i = SkipLineBreak(text, i);
                line++;
                continue;
            }

            long recordLine = line;
            fields.Clear();
            while (true)
            {
                field.Clear();
                if (i < n && text[i] == '"')
                {
                    long quoteLine = line;
                    i++;
                    while (true)
                    {
                        if (i >= n)
                        {
                            throw new DatasetFormatException(
                                filePath,
                                quoteLine,
                                Invariant($"unterminated quoted field {fields.Count + 1} (no closing '\"' before the end of the file)"));
                        }

                        char c = text[i];
                        if (c == '"')
                        {
                            if (i + 1 < n && text[i + 1] == '"')
                            {
                                field.Append('"');
                                i += 2;
                                continue;
                            }

                            i++;
                            break;
                        }

                        if (c == '\n' || (c == '\r' && (i + 1 >= n || text[i + 1] != '\n')))
                        {
                            line++;
                        }

                        field.Append(c);
                        i++;
                    }

                    if (i < n && text[i] is not (',' or '\r' or '\n'))
                    {
                        throw new DatasetFormatException(
                            filePath,
                            line,
                            Invariant($"unexpected character '{text[i]}' after the closing quote of field {fields.Count + 1} (a quote inside a quoted field must be doubled)"));
                    }
                }
                else
                {
                    int start = i;
                    while (i < n && text[i] is not (',' or '\r' or '\n'))
                    {
                        if (text[i] == '"')
                        {
                            throw new DatasetFormatException(
                                filePath,
                                line,
                                Invariant($"stray '\"' in unquoted field {fields.Count + 1} (a field containing quotes must be enclosed in quotes, with each inner quote doubled)"));
                        }

                        i++;
                    }

                    field.Append(text, start, i - start);
                }

                fields.Add(field.ToString());
                if (i < n && text[i] == ',')
                {
                    i++;
                    continue;
                }

                if (i < n)
                {
                    i = SkipLineBreak(text, i);
                    line++;
                }

                break;
            }

            records.Add(new CsvRecord(recordLine, fields.ToArray()));
        }

        return records;
    }

    /// <summary>Parses <paramref name="text"/> and checks that it has a header and that every record has as many fields as the header.</summary>
    /// <exception cref="DatasetFormatException">The file is empty, malformed, or a record has the wrong number of fields.</exception>
    internal static CsvTable ParseTable(string text, string filePath)
    {
        List<CsvRecord> records = Parse(text, filePath);
        if (records.Count == 0)
        {
            throw new DatasetFormatException(filePath, 1, "the file is empty (expected a header line)");
        }

        CsvRecord header = records[0];
        int expected = header.Fields.Count;
        for (int r = 1; r < records.Count; r++)
        {
            int found = records[r].Fields.Count;
            if (found != expected)
            {
                throw new DatasetFormatException(
                    filePath,
                    records[r].LineNumber,
                    Invariant($"expected {expected} {(expected == 1 ? "field" : "fields")}, found {found}"));
            }
        }

        return new CsvTable(header, records.GetRange(1, records.Count - 1));
    }

    private static int SkipLineBreak(string text, int i) =>
        text[i] == '\r' && i + 1 < text.Length && text[i + 1] == '\n' ? i + 2 : i + 1;

    private static string Invariant(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
