using Microsoft.Extensions.AI;

namespace AlignmentFaking.Running;

/// <summary>
/// Hints a caller puts in <see cref="ChatOptions.AdditionalProperties"/> for the provider clients of this project, which
/// read and remove them (Microsoft.Extensions.AI's OpenAI clients never send <see cref="ChatOptions.AdditionalProperties"/>).
/// </summary>
public static class RequestHints
{
    /// <summary>
    /// The key (value <see langword="true"/>) of a request whose prompt is sent once (a compliance judge's, a single
    /// vote's): a provider that bills prompt-cache writes above the input price (Anthropic, 1.25x) does not mark it for
    /// its cache, where it would be written and never read. Set by the judges; judge-cache keys do not include it.
    /// </summary>
    public const string SentOnceKey = "af.sentOnce";

    /// <summary>Whether <paramref name="options"/> carry <see cref="SentOnceKey"/>.</summary>
    /// <param name="options">The options, if any.</param>
    public static bool IsSentOnce(ChatOptions? options) =>
        options?.AdditionalProperties?.TryGetValue(SentOnceKey, out var value) == true && value is true;

    /// <summary>A copy of <paramref name="options"/> with <see cref="SentOnceKey"/> set.</summary>
    /// <param name="options">The options.</param>
    public static ChatOptions SentOnce(ChatOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var copy = options.Clone();
        copy.AdditionalProperties = options.AdditionalProperties?.Clone() ?? [];
        copy.AdditionalProperties[SentOnceKey] = true;
        return copy;
    }

    /// <summary><paramref name="options"/> without <see cref="SentOnceKey"/> (the same instance when it has none).</summary>
    /// <param name="options">The options, if any.</param>
    public static ChatOptions? WithoutHints(ChatOptions? options)
    {
        if (options?.AdditionalProperties?.ContainsKey(SentOnceKey) != true)
        {
            return options;
        }

        var copy = options.Clone();
        var properties = new AdditionalPropertiesDictionary(options.AdditionalProperties.Where(p => p.Key != SentOnceKey));
        copy.AdditionalProperties = properties.Count == 0 ? null : properties;
        return copy;
    }
}
