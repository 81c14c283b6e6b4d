namespace AlignmentFaking.Internal;

/// <summary>
/// (Source shared by AlignmentFaking.Core and AlignmentFaking.Judging, compiled into each.) Replaces a file atomically:
/// a temporary file, then a move; nothing is written when the file already holds these bytes (a rerun changes
/// nothing), and a failed write leaves no temporary file behind.
/// </summary>
internal static class AtomicFile
{
    public static async Task WriteAsync(string path, byte[] bytes, CancellationToken cancellationToken)
    {
        if (File.Exists(path) && new FileInfo(path).Length == bytes.Length
            && (await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false)).AsSpan().SequenceEqual(bytes))
        {
            return;
        }

        var temp = path + ".tmp";
        try
        {
            await File.WriteAllBytesAsync(temp, bytes, cancellationToken).ConfigureAwait(false);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp); // a full disk or a cancellation leaves no temporary file behind
            }
        }
    }
}
