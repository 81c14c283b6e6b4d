using Microsoft.Extensions.AI;

namespace AlignmentFaking.Running;

/// <summary>Provider-specific counts of <see cref="UsageDetails.AdditionalCounts"/>.</summary>
internal static class UsageCounts
{
    /// <summary>The key under which the Anthropic SDK's chat client reports <c>cache_creation_input_tokens</c>.</summary>
    public const string CacheCreationInputTokens = "CacheCreationInputTokens";

    /// <summary>The input tokens written to the prompt cache, when the provider reported them.</summary>
    public static long? CacheWrite(UsageDetails? usage) =>
        usage?.AdditionalCounts is { } counts && counts.TryGetValue(CacheCreationInputTokens, out var value) ? value : null;
}
