using AlignmentFaking.Internal;

namespace AlignmentFaking.Diagnostics;

/// <summary>
/// Keeps API keys out of what the library records and prints. A key registered here is replaced by <c>***</c> in every
/// error message the library builds, every file a run writes and every line <c>af</c> prints; the provider packages
/// register the keys they are given. Register a key you use with a client of your own before its first call.
/// </summary>
public static class SecretRedaction
{
    /// <summary>Registers a secret (an API key) to be removed wherever it appears; values under 4 characters are ignored.</summary>
    /// <param name="secret">The secret.</param>
    public static void Register(string? secret) => SecretRedactor.Register(secret);

    /// <summary>
    /// Removes credentials from a message meant for people (an error, an exception's text, a provider's error body): every
    /// registered secret, any <c>Bearer</c> token and anything shaped like an OpenAI, Anthropic or OpenRouter key.
    /// </summary>
    /// <param name="text">The text.</param>
    /// <returns>The text without credentials (empty for <see langword="null"/>).</returns>
    public static string Redact(string? text) => SecretRedactor.Redact(text);

    /// <summary>
    /// Removes the registered secrets (and nothing else) from model text: a reply, a transcript, a judge's reasoning.
    /// Unlike <see cref="Redact"/> it never rewrites ordinary words (<c>bearer bonds</c>) or key-shaped text that was not
    /// registered. Every string the library writes to a run file passes through it.
    /// </summary>
    /// <param name="text">The text.</param>
    /// <returns>The text with every registered secret replaced by <c>***</c>; <paramref name="text"/> itself when none occurs.</returns>
    public static string RedactRegistered(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return SecretRedactor.RedactSecrets(text);
    }

    /// <summary>
    /// Wraps a text writer so that every string written through it passes <see cref="RedactRegistered"/>: the final guard
    /// of a process's standard output and error (<c>af</c> installs it with <see cref="Console.SetOut"/> and
    /// <see cref="Console.SetError"/>), for text that reaches them without passing a redacting message (an unhandled
    /// exception's message, a library's own diagnostics). Each write is redacted as a whole; nothing is buffered, and
    /// the wrapper does not dispose <paramref name="inner"/>.
    /// </summary>
    /// <param name="inner">The writer to write to (e.g. <see cref="Console.Out"/>).</param>
    /// <returns>The redacting writer.</returns>
    public static TextWriter CreateRedactingWriter(TextWriter inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        return new RedactingTextWriter(inner);
    }
}
