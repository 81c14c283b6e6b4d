using System.Buffers;
using System.Globalization;
using System.Text.Unicode;

namespace AlignmentFaking.Datasets;

/// <summary>Reads a dataset file as strict UTF-8 text (an optional UTF-8 byte order mark is removed).</summary>
internal static class DatasetText
{
    internal static string Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Decode(File.ReadAllBytes(path), path);
    }

    internal static async Task<string> ReadAsync(string path, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        return Decode(bytes, path);
    }

    internal static string Decode(ReadOnlySpan<byte> bytes, string path)
    {
        ReadOnlySpan<byte> bom = [0xEF, 0xBB, 0xBF];
        int skipped = bytes.StartsWith(bom) ? bom.Length : 0;
        ReadOnlySpan<byte> content = bytes[skipped..];
        char[] buffer = ArrayPool<char>.Shared.Rent(Math.Max(content.Length, 1));
        try
        {
            OperationStatus status = Utf8.ToUtf16(content, buffer, out int bytesRead, out int charsWritten, replaceInvalidSequences: false, isFinalBlock: true);
            if (status != OperationStatus.Done)
            {
                long line = 1 + content[..bytesRead].Count((byte)'\n');
                throw new DatasetFormatException(
                    path,
                    line,
                    string.Create(CultureInfo.InvariantCulture, $"the file is not valid UTF-8 (invalid byte sequence at byte offset {bytesRead + skipped})"));
            }

            return new string(buffer, 0, charsWritten);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }
    }
}
