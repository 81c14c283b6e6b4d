using System.Globalization;
using System.Text.RegularExpressions;

namespace AlignmentFaking.Running;

/// <summary>
/// What a provider's rate-limit headers said on a reply: OpenAI's <c>x-ratelimit-remaining-requests</c> /
/// <c>x-ratelimit-remaining-tokens</c> / <c>x-ratelimit-reset-requests</c> / <c>x-ratelimit-reset-tokens</c>, Anthropic's
/// <c>anthropic-ratelimit-requests-remaining</c> / <c>anthropic-ratelimit-tokens-remaining</c>, and the IETF draft's
/// <c>ratelimit-remaining</c> / <c>ratelimit-reset</c>. A 429 whose headers say a limit is used up is a real rate limit,
/// not a random fault (see <see cref="EndpointLimits"/>).
/// </summary>
public sealed partial record RateLimitHeaders
{
    /// <summary>Requests left in the current window, if the provider said.</summary>
    public long? RemainingRequests { get; init; }

    /// <summary>Tokens left in the current window, if the provider said.</summary>
    public long? RemainingTokens { get; init; }

    /// <summary>Time until the request limit resets, if the provider said.</summary>
    public TimeSpan? ResetRequests { get; init; }

    /// <summary>Time until the token limit resets, if the provider said.</summary>
    public TimeSpan? ResetTokens { get; init; }

    /// <summary>Whether a limit is used up (no requests or no tokens left).</summary>
    public bool Exhausted => RemainingRequests == 0 || RemainingTokens == 0;

    /// <summary>When the used-up limits reset (the later one), if the provider said.</summary>
    public TimeSpan? ResetAfter
    {
        get
        {
            TimeSpan? reset = null;
            if (RemainingRequests == 0 && ResetRequests is { } r)
            {
                reset = r;
            }

            if (RemainingTokens == 0 && ResetTokens is { } t && (reset is null || t > reset))
            {
                reset = t;
            }

            return reset;
        }
    }

    /// <summary>Reads the headers; <see langword="null"/> when none of them is present.</summary>
    /// <param name="header">Returns a header's value by name (case-insensitive), or <see langword="null"/>.</param>
    public static RateLimitHeaders? Parse(Func<string, string?> header)
    {
        ArgumentNullException.ThrowIfNull(header);
        long? remainingRequests = Count(header("x-ratelimit-remaining-requests") ?? header("anthropic-ratelimit-requests-remaining") ?? header("ratelimit-remaining"));
        long? remainingTokens = Count(header("x-ratelimit-remaining-tokens") ?? header("anthropic-ratelimit-tokens-remaining"));
        var resetRequests = Duration(header("x-ratelimit-reset-requests") ?? header("ratelimit-reset"));
        var resetTokens = Duration(header("x-ratelimit-reset-tokens"));
        return remainingRequests is null && remainingTokens is null && resetRequests is null && resetTokens is null
            ? null
            : new RateLimitHeaders { RemainingRequests = remainingRequests, RemainingTokens = remainingTokens, ResetRequests = resetRequests, ResetTokens = resetTokens };
    }

    private static long? Count(string? value) =>
        long.TryParse(value?.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 0 ? n : null;

    /// <summary>Seconds (<c>12</c>, <c>0.5</c>) or Go-style durations as OpenAI sends them (<c>1s</c>, <c>6m0s</c>, <c>20ms</c>).</summary>
    internal static TimeSpan? Duration(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        value = value.Trim();
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var plain))
        {
            return plain >= 0 ? TimeSpan.FromSeconds(plain) : null;
        }

        var parts = DurationPart().Matches(value);
        if (parts.Count == 0 || parts.Sum(m => m.Length) != value.Length)
        {
            return null;
        }

        double seconds = 0;
        foreach (Match part in parts)
        {
            double n = double.Parse(part.Groups[1].Value, CultureInfo.InvariantCulture);
            seconds += part.Groups[2].Value switch
            {
                "h" => n * 3600,
                "m" => n * 60,
                "s" => n,
                _ => n / 1000,
            };
        }

        return TimeSpan.FromSeconds(seconds);
    }

    [GeneratedRegex(@"(\d+(?:\.\d+)?)(ms|h|m|s)", RegexOptions.CultureInvariant)]
    private static partial Regex DurationPart();
}
