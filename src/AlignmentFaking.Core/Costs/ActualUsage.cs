namespace AlignmentFaking.Costs;

/// <summary>The usage recorded by a run and, with a price, its cost.</summary>
public sealed record ActualUsage
{
    /// <summary>Samples read.</summary>
    public required int Samples { get; init; }

    /// <summary>Subject calls made (failed ones included).</summary>
    public required long Calls { get; init; }

    /// <summary>Calls that reported no usage (failed calls, providers that report none).</summary>
    public required long CallsWithoutUsage { get; init; }

    /// <summary>Input tokens reported, cached ones included.</summary>
    public required long InputTokens { get; init; }

    /// <summary>Input tokens the provider reported as read from its cache.</summary>
    public required long CachedInputTokens { get; init; }

    /// <summary>Input tokens the provider reported as written to its prompt cache (Anthropic), billed at the cache-write price; part of <see cref="InputTokens"/>.</summary>
    public long CacheWriteInputTokens { get; init; }

    /// <summary>Output tokens reported (reasoning tokens included, as providers bill them).</summary>
    public required long OutputTokens { get; init; }

    /// <summary>
    /// Calls answered from the response cache (<c>"cached": true</c>). Those replayed from another run (<c>"crossRun":
    /// true</c>) never cost this run anything: their tokens are in the counts above but not in <see cref="Cost"/>; those
    /// replayed from the run's own cache (a resumed conversation) were paid by this run earlier and are in it.
    /// </summary>
    public long CachedCalls { get; init; }

    /// <summary>The cost in USD of the calls that reached the provider, when a price is known.</summary>
    public decimal? Cost { get; init; }
}
