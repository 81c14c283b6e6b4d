using System.Text.Json.Serialization;

namespace AlignmentFaking.Costs;

/// <summary>
/// A model's price in US dollars per million tokens. Written as the <c>prices</c> object of a cost report.
/// </summary>
public sealed record ModelPrice
{
    /// <summary>Price of one million input (prompt) tokens, in USD.</summary>
    public required decimal Input { get; init; }

    /// <summary>
    /// Price of one million input tokens read from the provider's prompt cache, in USD; <see langword="null"/> when the
    /// provider offers no caching discount (cached tokens are then billed at <see cref="Input"/>).
    /// </summary>
    public decimal? CachedInput { get; init; }

    /// <summary>
    /// Price of one million input tokens written to the provider's prompt cache, in USD (Anthropic bills a 5-minute
    /// cache write at 1.25x the input price; OpenAI's automatic caching writes for free); <see langword="null"/> when
    /// writes cost the input price.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public decimal? CacheWriteInput { get; init; }

    /// <summary>Price of one million output (completion, including reasoning) tokens, in USD.</summary>
    public required decimal Output { get; init; }

    /// <summary>
    /// The discount of the provider's batch API as a fraction (0.5 = half price); 0 when it has none. Applied only
    /// when a batch run is asked for. Default: 0.
    /// </summary>
    public decimal BatchDiscount { get; init; }

    /// <summary>Where the price comes from (<c>user</c>, or the built-in table with its date).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Source { get; init; }

    /// <summary>The currency of every price: <c>USD</c>.</summary>
    public string Currency => "USD";

    /// <summary>
    /// Throws <see cref="ArgumentException"/> when a price is negative, the cached price exceeds the input price, or
    /// the batch discount is not in [0, 1).
    /// </summary>
    public void Validate()
    {
        if (Input < 0)
        {
            throw new ArgumentException($"the input price must not be negative (was {Input})", nameof(Input));
        }

        if (Output < 0)
        {
            throw new ArgumentException($"the output price must not be negative (was {Output})", nameof(Output));
        }

        if (CachedInput is < 0)
        {
            throw new ArgumentException($"the cached-input price must not be negative (was {CachedInput})", nameof(CachedInput));
        }

        if (CacheWriteInput is < 0)
        {
            throw new ArgumentException($"the cache-write price must not be negative (was {CacheWriteInput})", nameof(CacheWriteInput));
        }

        if (CachedInput > Input)
        {
            throw new ArgumentException($"the cached-input price ({CachedInput}) must not exceed the input price ({Input})", nameof(CachedInput));
        }

        if (BatchDiscount is < 0 or >= 1)
        {
            throw new ArgumentException($"the batch discount must be in [0, 1) (was {BatchDiscount})", nameof(BatchDiscount));
        }
    }

    /// <summary>
    /// The cost of a token count in USD: uncached input at <see cref="Input"/>, cached input at
    /// <see cref="CachedInput"/> (or <see cref="Input"/> without one), output at <see cref="Output"/>; less
    /// <see cref="BatchDiscount"/> when <paramref name="batch"/> is set.
    /// </summary>
    /// <param name="inputTokens">All input tokens, cached ones included.</param>
    /// <param name="cachedInputTokens">The part of <paramref name="inputTokens"/> read from the cache.</param>
    /// <param name="outputTokens">Output tokens.</param>
    /// <param name="batch">Whether the batch discount applies.</param>
    public decimal Cost(long inputTokens, long cachedInputTokens, long outputTokens, bool batch = false) =>
        CostWithCacheWrites(inputTokens, cachedInputTokens, 0, outputTokens, batch);

    /// <summary>
    /// The cost of a token count in USD, as <see cref="Cost(long, long, long, bool)"/>, with the input tokens written to
    /// the prompt cache at <see cref="CacheWriteInput"/> (or <see cref="Input"/> without one).
    /// </summary>
    /// <param name="inputTokens">All input tokens, cached and written ones included.</param>
    /// <param name="cachedInputTokens">The part of <paramref name="inputTokens"/> read from the cache.</param>
    /// <param name="cacheWriteInputTokens">The part of <paramref name="inputTokens"/> written to the cache.</param>
    /// <param name="outputTokens">Output tokens.</param>
    /// <param name="batch">Whether the batch discount applies.</param>
    public decimal CostWithCacheWrites(long inputTokens, long cachedInputTokens, long cacheWriteInputTokens, long outputTokens, bool batch = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(inputTokens);
        ArgumentOutOfRangeException.ThrowIfNegative(outputTokens);
        if (cachedInputTokens < 0 || cachedInputTokens > inputTokens)
        {
            throw new ArgumentOutOfRangeException(nameof(cachedInputTokens), cachedInputTokens, "cached input tokens must be between 0 and the input tokens");
        }

        if (cacheWriteInputTokens < 0 || cacheWriteInputTokens > inputTokens - cachedInputTokens)
        {
            throw new ArgumentOutOfRangeException(nameof(cacheWriteInputTokens), cacheWriteInputTokens, "cache-write input tokens must be between 0 and the uncached input tokens");
        }

        decimal cost = ((inputTokens - cachedInputTokens - cacheWriteInputTokens) * Input + cachedInputTokens * (CachedInput ?? Input)
            + cacheWriteInputTokens * (CacheWriteInput ?? Input) + outputTokens * Output) / 1_000_000m;
        // Dividing by 1.000...0 drops the trailing zeros that decimal arithmetic keeps (4.8860420 -> 4.886042), exactly.
        return (batch ? cost * (1 - BatchDiscount) : cost) / 1.0000000000000000000000000000m;
    }
}
