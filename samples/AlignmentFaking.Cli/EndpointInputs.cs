using AlignmentFaking.Diagnostics;

namespace AlignmentFaking.Cli;

/// <summary>The endpoint URLs and API keys of a command line: URLs from flags, keys from environment variables only.</summary>
internal static class EndpointInputs
{
    /// <summary>Parses an http(s) endpoint URL given on the command line.</summary>
    public static Uri ParseEndpoint(string text, string option)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new CliException($"{option} must be an http(s) URL (got '{SecretRedaction.Redact(text)}')");
        }

        return uri;
    }

    /// <summary>Reads an API key from an environment variable (never from a flag); local servers need none.</summary>
    public static async Task<string> ReadKeyAsync(string variable, string? fallbackVariable, string what, TextWriter human)
    {
        var key = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrEmpty(key) && fallbackVariable is not null)
        {
            key = Environment.GetEnvironmentVariable(fallbackVariable);
        }

        if (string.IsNullOrEmpty(key))
        {
            await human.WriteLineAsync($"note: environment variable {variable} is not set; calling the {what} without a key (fine for local servers).").ConfigureAwait(false);
            return "no-key";
        }

        SecretRedaction.Register(key);
        return key;
    }
}
