using System.Globalization;
using System.Text;

namespace AlignmentFaking.Anthropic;

/// <summary>
/// Maps the runners' custom ids (<c>cot/training/r0/e0#t1#a1</c>, 64-character judge cache keys) to the alphabet of
/// Anthropic Message Batches and back. Anthropic requires each <c>custom_id</c> to match <c>^[a-zA-Z0-9_-]{1,64}$</c>
/// (API reference, "Create a Message Batch", <c>requests[].custom_id</c>:
/// https://docs.anthropic.com/en/api/creating-message-batches); a batch with any other id is refused whole with a 400.
/// The mapping is reversible and needs no state: letters, digits and <c>-</c> stay, every other UTF-8 byte becomes
/// <c>_XX</c> (two upper-case hex digits), so <c>cot/training/r0/e0#t1#a1</c> goes as
/// <c>cot_2Ftraining_2Fr0_2Fe0_23t1_23a1</c>. (OpenAI's Batch API documents no alphabet for <c>custom_id</c>, only
/// that it is unique within a batch: its ids are sent unchanged.)
/// </summary>
public static class AnthropicCustomIds
{
    /// <summary>Anthropic's maximum length of a custom id.</summary>
    public const int MaxLength = 64;

    /// <summary>The id as sent to Anthropic.</summary>
    /// <exception cref="ArgumentException">The id is empty or longer than 64 characters once mapped.</exception>
    public static string Encode(string customId)
    {
        ArgumentException.ThrowIfNullOrEmpty(customId);
        var wire = new StringBuilder(customId.Length + 8);
        Span<byte> bytes = stackalloc byte[4];
        foreach (var rune in customId.EnumerateRunes())
        {
            if (rune.IsAscii && (char.IsAsciiLetterOrDigit((char)rune.Value) || rune.Value == '-'))
            {
                wire.Append((char)rune.Value);
                continue;
            }

            int length = rune.EncodeToUtf8(bytes);
            foreach (var b in bytes[..length])
            {
                wire.Append('_').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return wire.Length <= MaxLength
            ? wire.ToString()
            : throw new ArgumentException($"the batch request id '{customId}' is {wire.Length} characters in Anthropic's custom_id alphabet; Message Batches allow at most {MaxLength}", nameof(customId));
    }

    /// <summary>The runner's id of an id Anthropic returned; false when it is not one <see cref="Encode"/> makes.</summary>
    public static bool TryDecode(string? wire, out string customId)
    {
        customId = string.Empty;
        if (string.IsNullOrEmpty(wire) || wire.Length > MaxLength)
        {
            return false;
        }

        var bytes = new List<byte>(wire.Length);
        for (int i = 0; i < wire.Length; i++)
        {
            char c = wire[i];
            if (char.IsAsciiLetterOrDigit(c) || c == '-')
            {
                bytes.Add((byte)c);
            }
            else if (c == '_' && i + 2 < wire.Length && byte.TryParse(wire.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b))
            {
                bytes.Add(b);
                i += 2;
            }
            else
            {
                return false;
            }
        }

        try
        {
            customId = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes.ToArray());
        }
        catch (DecoderFallbackException)
        {
            return false;
        }

        return Encode(customId) == wire; // only the canonical form (upper-case hex, no escaped letters)
    }
}
