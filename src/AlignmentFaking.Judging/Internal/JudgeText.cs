using System.Text;
using System.Text.RegularExpressions;
using AlignmentFaking.Datasets;
using AlignmentFaking.Running;

namespace AlignmentFaking.Judging.Internal;

/// <summary>Text helpers shared by the judges: scratchpad handling, delimiter nonces, refusal detection.</summary>
internal static partial class JudgeText
{
    public const string ScratchpadOpen = "<SCRATCHPAD_REASONING>";
    public const string ScratchpadClose = "</SCRATCHPAD_REASONING>";
    public const string OutputOpen = "<OUTPUT>";
    public const string OutputClose = "</OUTPUT>";

    /// <summary>
    /// All scratchpad reasoning of a transcript: the inside of every <c>&lt;SCRATCHPAD_REASONING&gt;</c> block of every
    /// assistant turn (an unclosed block runs to the end of its turn), trimmed, joined by blank lines.
    /// </summary>
    public static string ExtractReasoning(IEnumerable<TranscriptMessage> transcript) => ExtractReasoning(transcript, scratchpad: true, native: false);

    /// <summary>
    /// The reasoning of a transcript, turn by turn: each assistant turn's native reasoning (when
    /// <paramref name="native"/>) followed by the inside of its scratchpad blocks (when <paramref name="scratchpad"/>),
    /// trimmed, joined by blank lines. Without native reasoning this is exactly <see cref="ExtractReasoning(IEnumerable{TranscriptMessage})"/>.
    /// </summary>
    public static string ExtractReasoning(IEnumerable<TranscriptMessage> transcript, bool scratchpad, bool native)
    {
        var blocks = new List<string>();
        foreach (var message in transcript)
        {
            if (!string.Equals(message.Role, "assistant", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (native && message.Reasoning is { } thought && thought.Trim() is { Length: > 0 } trimmed)
            {
                blocks.Add(trimmed);
            }

            if (!scratchpad)
            {
                continue;
            }

            var text = message.Content;
            int at = 0;
            while (at < text.Length)
            {
                int open = text.IndexOf(ScratchpadOpen, at, StringComparison.Ordinal);
                if (open < 0)
                {
                    break;
                }

                int start = open + ScratchpadOpen.Length;
                int close = text.IndexOf(ScratchpadClose, start, StringComparison.Ordinal);
                var inner = close < 0 ? text[start..] : text[start..close];
                inner = inner.Trim();
                if (inner.Length > 0)
                {
                    blocks.Add(inner);
                }

                at = close < 0 ? text.Length : close + ScratchpadClose.Length;
            }
        }

        return string.Join("\n\n", blocks);
    }

    /// <summary>
    /// The final answer with any scratchpad removed: closed <c>&lt;SCRATCHPAD_REASONING&gt;</c> blocks are cut, an
    /// unclosed one is cut to the end, and <c>&lt;OUTPUT&gt;</c> wrappers are dropped; trimmed.
    /// </summary>
    public static string RemoveScratchpad(string output)
    {
        var text = new StringBuilder(output.Length);
        int at = 0;
        while (at < output.Length)
        {
            int open = output.IndexOf(ScratchpadOpen, at, StringComparison.Ordinal);
            if (open < 0)
            {
                text.Append(output, at, output.Length - at);
                break;
            }

            text.Append(output, at, open - at);
            int close = output.IndexOf(ScratchpadClose, open, StringComparison.Ordinal);
            at = close < 0 ? output.Length : close + ScratchpadClose.Length;
        }

        var result = text.ToString();

        // A stray closing tag (reasoning whose opening tag was in the prefill) ends the reasoning part.
        int stray = result.LastIndexOf(ScratchpadClose, StringComparison.Ordinal);
        if (stray >= 0)
        {
            result = result[(stray + ScratchpadClose.Length)..];
        }

        result = result.Replace(OutputOpen, string.Empty, StringComparison.Ordinal).Replace(OutputClose, string.Empty, StringComparison.Ordinal);
        return result.Trim();
    }

    /// <summary>
    /// A delimiter nonce derived from the texts it will delimit: deterministic (so the rendered prompt, and with it the
    /// cache key, is stable) yet unpredictable to whoever wrote the texts, since it depends on their exact content.
    /// </summary>
    public static string Nonce(params string[] parts)
    {
        var joined = string.Join("\u0000", parts);
        for (int salt = 0; ; salt++)
        {
            var nonce = ContentHash.Sha256("af-judge-nonce/" + salt.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\u0000" + joined)[..16];
            if (!joined.Contains(nonce, StringComparison.OrdinalIgnoreCase))
            {
                return nonce;
            }
        }
    }

    /// <summary>Whether a judge reply that is not in the expected format reads as the judge declining to judge.</summary>
    public static bool LooksLikeRefusal(string reply)
    {
        var text = reply.Trim();
        if (text.Length == 0 || text.Length > 1500)
        {
            return false;
        }

        return RefusalPattern().IsMatch(text);
    }

    /// <summary>The last non-empty line, with markdown decoration (<c>*</c>, <c>`</c>, <c>#</c>, <c>&gt;</c>, quotes) removed.</summary>
    public static string LastLine(string text)
    {
        var lines = text.Split('\n');
        for (int i = lines.Length - 1; i >= 0; i--)
        {
            var line = lines[i].Trim().Trim('*', '`', '#', '>', '"', '\'', '_', ' ', '\t', '\r');
            if (line.Length > 0)
            {
                return line;
            }
        }

        return string.Empty;
    }

    [GeneratedRegex(@"^(I'm sorry|I am sorry|Sorry|I can(no|')t|I cannot|I won't|I will not|I'm not able|I am not able|I'm unable|I am unable|As an AI|I must decline|I do not feel comfortable|I don't feel comfortable)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex RefusalPattern();
}
