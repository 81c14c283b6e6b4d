using System.Text;

namespace AlignmentFaking.Running;

/// <summary>
/// Repairs the text of a reply body that no JSON reader accepts as it is, so the reply is kept rather than lost: bytes
/// that are not UTF-8 become U+FFFD, and so does a JSON escape of a lone UTF-16 surrogate (<c>\ud800</c> without its
/// pair). The call records what was repaired (<see cref="CallRecord.Repaired"/>).
/// </summary>
internal static class ReplyRepair
{
    /// <summary>The body had bytes that are not UTF-8.</summary>
    public const string InvalidUtf8 = "invalid-utf8";

    /// <summary>The body had an escaped lone UTF-16 surrogate.</summary>
    public const string LoneSurrogate = "lone-surrogate";

    private static readonly byte[] Replacement = "\\ufffd"u8.ToArray();

    /// <summary>The repaired body, or <see langword="null"/> when it needs no repair; <paramref name="kind"/> says what was repaired.</summary>
    public static byte[]? Repair(ReadOnlySpan<byte> body, out string? kind)
    {
        kind = null;
        byte[]? text = null;
        if (!System.Text.Unicode.Utf8.IsValid(body))
        {
            text = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(body)); // the decoder's replacement fallback gives U+FFFD
            kind = InvalidUtf8;
        }

        var source = text is null ? body : text;
        var fixedSurrogates = ReplaceLoneSurrogateEscapes(source);
        if (fixedSurrogates is not null)
        {
            kind = kind is null ? LoneSurrogate : kind + "," + LoneSurrogate;
            return fixedSurrogates;
        }

        return text;
    }

    /// <summary>
    /// Replaces each <c>\uXXXX</c> escape of a surrogate without its pair by <c>\ufffd</c>; <see langword="null"/> when
    /// there is none. Backslashes occur in JSON only inside strings, each starting an escape, so a scan of escapes is exact.
    /// </summary>
    private static byte[]? ReplaceLoneSurrogateEscapes(ReadOnlySpan<byte> json)
    {
        List<int>? lone = null;
        for (int i = 0; i < json.Length; i++)
        {
            if (json[i] != (byte)'\\' || i + 1 >= json.Length)
            {
                continue;
            }

            if (json[i + 1] != (byte)'u' || !TryUnit(json, i, out int unit))
            {
                i++; // another escape (\\, \", \n, ...): skip its second byte
                continue;
            }

            if (unit is >= 0xD800 and <= 0xDBFF && TryUnit(json, i + 6, out int next) && next is >= 0xDC00 and <= 0xDFFF)
            {
                i += 11; // a whole pair
                continue;
            }

            if (unit is >= 0xD800 and <= 0xDFFF)
            {
                (lone ??= []).Add(i);
            }

            i += 5;
        }

        if (lone is null)
        {
            return null;
        }

        var result = json.ToArray();
        foreach (int at in lone)
        {
            Replacement.CopyTo(result, at); // same length: six bytes for six
        }

        return result;
    }

    private static bool TryUnit(ReadOnlySpan<byte> json, int at, out int unit)
    {
        unit = 0;
        if (at + 6 > json.Length || json[at] != (byte)'\\' || json[at + 1] != (byte)'u')
        {
            return false;
        }

        for (int k = at + 2; k < at + 6; k++)
        {
            int digit = json[k] switch
            {
                >= (byte)'0' and <= (byte)'9' => json[k] - '0',
                >= (byte)'a' and <= (byte)'f' => json[k] - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' => json[k] - 'A' + 10,
                _ => -1,
            };
            if (digit < 0)
            {
                return false;
            }

            unit = (unit * 16) + digit;
        }

        return true;
    }
}
