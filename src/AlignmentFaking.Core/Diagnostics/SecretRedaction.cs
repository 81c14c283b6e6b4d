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
}
