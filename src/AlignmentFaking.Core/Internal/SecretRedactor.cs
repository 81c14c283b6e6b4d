using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace AlignmentFaking.Internal;

/// <summary>Removes credentials from text that may reach logs, files or exceptions.</summary>
internal static partial class SecretRedactor
{
    private static readonly ConcurrentDictionary<string, byte> Secrets = new(StringComparer.Ordinal);

    /// <summary>Registers a secret value (an API key) to be replaced wherever it appears.</summary>
    public static void Register(string? secret)
    {
        if (!string.IsNullOrEmpty(secret) && secret.Length >= 4)
        {
            Secrets.TryAdd(secret, 0);
        }
    }

    public static string Redact(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? string.Empty;
        }

        foreach (var secret in Secrets.Keys)
        {
            text = text.Replace(secret, "***", StringComparison.Ordinal);
        }

        text = BearerPattern().Replace(text, "Bearer ***");
        return KeyPattern().Replace(text, "$1***");
    }

    [GeneratedRegex(@"(?i)bearer\s+[^\s""',;]+")]
    private static partial Regex BearerPattern();

    [GeneratedRegex(@"\b(sk-|sk-ant-|sk-or-)[A-Za-z0-9_\-]{6,}")]
    private static partial Regex KeyPattern();
}
