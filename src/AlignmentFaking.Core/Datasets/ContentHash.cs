using System.Security.Cryptography;
using System.Text;

namespace AlignmentFaking.Datasets;

/// <summary>
/// SHA-256 hashes as lowercase hexadecimal strings (64 characters), the form used by <see cref="PinnedResource"/>
/// and recorded in run manifests for the dataset and the prompts.
/// </summary>
public static class ContentHash
{
    /// <summary>The SHA-256 of a file's bytes.</summary>
    /// <param name="path">The file to hash.</param>
    /// <returns>64 lowercase hexadecimal characters.</returns>
    public static string Sha256File(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using FileStream stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>The SHA-256 of a file's bytes, read asynchronously.</summary>
    /// <param name="path">The file to hash.</param>
    /// <param name="cancellationToken">Cancels reading the file.</param>
    /// <returns>64 lowercase hexadecimal characters.</returns>
    public static async Task<string> Sha256FileAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        FileStream stream = new(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (stream.ConfigureAwait(false))
        {
            byte[] hash = await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false);
            return Convert.ToHexStringLower(hash);
        }
    }

    /// <summary>The SHA-256 of some bytes.</summary>
    /// <param name="data">The bytes to hash.</param>
    /// <returns>64 lowercase hexadecimal characters.</returns>
    public static string Sha256(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(SHA256.HashData(data));

    /// <summary>The SHA-256 of a string's UTF-8 encoding (without a byte order mark).</summary>
    /// <param name="text">The text to hash.</param>
    /// <returns>64 lowercase hexadecimal characters.</returns>
    public static string Sha256(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Sha256(Encoding.UTF8.GetBytes(text));
    }

    /// <summary>Whether <paramref name="value"/> is 64 hexadecimal characters (either case).</summary>
    internal static bool IsSha256Hex(string? value) =>
        value is { Length: 64 } && value.AsSpan().ContainsAnyExcept("0123456789abcdefABCDEF") is false;
}
