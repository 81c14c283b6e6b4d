using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace AlignmentFaking.Internal;

/// <summary>
/// Removes credentials from text that may reach logs, files or exceptions. Every API key the process uses is registered
/// (<see cref="Register"/>: the subject's and the judge's, by whoever reads them); then two layers keep them in:
/// provider text is redacted where it enters a record (an error message, a judge reply), and every string written
/// through the run files' JSON settings passes <see cref="RedactSecrets"/> (the shared <c>RedactingStringConverter</c>),
/// the final guard for text that came in another way (a subject's reply, a batch journal line).
/// </summary>
internal static partial class SecretRedactor
{
    /// <summary>What stands in for a removed secret.</summary>
    public const string Mask = "***";

    /// <summary>The key the command line passes when none is set (for local servers): not a secret.</summary>
    private const string NoKeyPlaceholder = "no-key";

    private static readonly ConcurrentDictionary<string, byte> Secrets = new(StringComparer.Ordinal);
    private static volatile string[] _snapshot = [];

    /// <summary>Registers a secret value (an API key) to be replaced wherever it appears.</summary>
    public static void Register(string? secret)
    {
        secret = secret?.Trim();
        if (string.IsNullOrEmpty(secret) || secret.Length < 4 || secret == NoKeyPlaceholder)
        {
            return;
        }

        if (Secrets.TryAdd(secret, 0))
        {
            // Longest first, so that a key containing another registered key is removed whole.
            _snapshot = Secrets.Keys.OrderByDescending(s => s.Length).ToArray();
        }
    }

    /// <summary>
    /// Redacts a message meant for people (an error, an exception's text, a provider's error body): every registered
    /// secret, any <c>Bearer</c> token and anything shaped like an OpenAI/Anthropic/OpenRouter key.
    /// </summary>
    public static string Redact(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? string.Empty;
        }

        text = RedactSecrets(text);
        text = BearerPattern().Replace(text, "Bearer " + Mask);
        return KeyPattern().Replace(text, "$1" + Mask);
    }

    /// <summary>
    /// Redacts model text (a reply, a transcript): only the registered secrets (also inside <c>Bearer KEY</c>), so that
    /// ordinary words ("bearer bonds") are never rewritten.
    /// </summary>
    public static string RedactSecrets(string text)
    {
        var secrets = _snapshot;
        if (secrets.Length == 0 || string.IsNullOrEmpty(text))
        {
            return text;
        }

        foreach (var secret in secrets)
        {
            if (text.Contains(secret, StringComparison.Ordinal))
            {
                text = text.Replace(secret, Mask, StringComparison.Ordinal);
            }
        }

        return text;
    }

    [GeneratedRegex(@"(?i)bearer\s+[^\s""',;]+")]
    private static partial Regex BearerPattern();

    [GeneratedRegex(@"\b(sk-|sk-ant-|sk-or-)[A-Za-z0-9_\-]{6,}")]
    private static partial Regex KeyPattern();
}

/// <summary>
/// A text writer that writes every string through <see cref="SecretRedactor.RedactSecrets"/>: the final guard of a
/// process's standard output and error (<c>af</c> installs it with <see cref="Console.SetOut"/> and
/// <see cref="Console.SetError"/>), for text that reaches them without passing a redacting message (an unhandled
/// exception's message, a library's own diagnostics). Each write is redacted as a whole; nothing is buffered.
/// </summary>
internal sealed class RedactingTextWriter(TextWriter inner) : TextWriter(inner.FormatProvider)
{
    public override System.Text.Encoding Encoding => inner.Encoding;

    [System.Diagnostics.CodeAnalysis.AllowNull]
    public override string NewLine
    {
        get => inner.NewLine;
        set => inner.NewLine = value;
    }

    public override void Write(char value) => inner.Write(value);

    public override void Write(string? value) => inner.Write(value is null ? null : SecretRedactor.RedactSecrets(value));

    public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

    public override void WriteLine(string? value) => inner.WriteLine(value is null ? null : SecretRedactor.RedactSecrets(value));

    public override Task WriteAsync(string? value) => inner.WriteAsync(value is null ? null : SecretRedactor.RedactSecrets(value));

    public override Task WriteLineAsync(string? value) => inner.WriteLineAsync(value is null ? null : SecretRedactor.RedactSecrets(value));

    public override Task WriteAsync(char value) => inner.WriteAsync(value);

    public override Task WriteLineAsync() => inner.WriteLineAsync();

    public override void Flush() => inner.Flush();

    public override Task FlushAsync() => inner.FlushAsync();
}
