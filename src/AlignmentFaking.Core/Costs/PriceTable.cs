using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;

namespace AlignmentFaking.Costs;

/// <summary>
/// Prices by model id. <see cref="BuiltIn"/> holds the public list prices of a few common models as of
/// <see cref="BuiltInAsOf"/>; prices change, so they may be stale: pass your provider's current prices for anything
/// you will pay for. Immutable: <see cref="With"/> returns a new table.
/// </summary>
/// <remarks>
/// A model id matches an entry when, lower-cased and without a provider prefix (<c>openai/</c>), it equals the entry's
/// key or is the key followed by a dated snapshot suffix (<c>-20241022</c>, <c>-2024-08-06</c>) or <c>-latest</c>.
/// A newer model of the same name family (say <c>claude-opus-4-5</c> after <c>claude-opus-4</c>) does not match, so an
/// old price is never applied to a new model silently.
/// </remarks>
public sealed class PriceTable
{
    private const string BuiltInSource = "built-in list price as of 2025-08-01; may be stale";
    private readonly Dictionary<string, ModelPrice> _entries;

    private PriceTable(Dictionary<string, ModelPrice> entries)
    {
        _entries = entries;
    }

    /// <summary>The date the built-in prices were taken from the providers' public price pages: 2025-08-01.</summary>
    public static DateOnly BuiltInAsOf { get; } = new(2025, 8, 1);

    /// <summary>A table with no entries.</summary>
    public static PriceTable Empty { get; } = new(new Dictionary<string, ModelPrice>(StringComparer.Ordinal));

    /// <summary>
    /// List prices (USD per million tokens: input, cached input, output; batch discount 50%) of common OpenAI and
    /// Anthropic models as of <see cref="BuiltInAsOf"/>. They may be stale. OpenAI caches long prompt prefixes by
    /// itself, so its entries have a cached-input price; Anthropic caches only prefixes a request marks with
    /// <c>cache_control</c>, which the runner does not send, so its entries have none (set one, its cache-read price, when
    /// your client marks the system prompt). Open-weight models (Llama, Mistral, Qwen) are absent: their price depends
    /// on the host; pass it explicitly.
    /// </summary>
    public static PriceTable BuiltIn { get; } = CreateBuiltIn();

    /// <summary>The entries, keyed by lower-case model id.</summary>
    public IReadOnlyDictionary<string, ModelPrice> Entries => _entries;

    /// <summary>Returns a table with <paramref name="price"/> set for <paramref name="model"/> (replacing any entry).</summary>
    /// <param name="model">The model id (case-insensitive; a provider prefix is dropped).</param>
    /// <param name="price">The price; validated.</param>
    /// <exception cref="ArgumentException">The price is invalid.</exception>
    public PriceTable With(string model, ModelPrice price)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        ArgumentNullException.ThrowIfNull(price);
        price.Validate();
        var entries = new Dictionary<string, ModelPrice>(_entries, StringComparer.Ordinal) { [Normalize(model)] = price };
        return new PriceTable(entries);
    }

    /// <summary>Finds the price of a model id (see the remarks for how ids match).</summary>
    /// <param name="modelId">The model id.</param>
    /// <param name="price">The price, when found.</param>
    public bool TryFind(string? modelId, [NotNullWhen(true)] out ModelPrice? price)
    {
        price = null;
        if (string.IsNullOrWhiteSpace(modelId))
        {
            return false;
        }

        var id = Normalize(modelId);
        if (_entries.TryGetValue(id, out price))
        {
            return true;
        }

        string? best = null;
        foreach (var key in _entries.Keys)
        {
            if (id.Length > key.Length + 1 && id.StartsWith(key, StringComparison.Ordinal) && id[key.Length] == '-'
                && IsSnapshotSuffix(id.AsSpan(key.Length + 1)) && (best is null || key.Length > best.Length))
            {
                best = key;
            }
        }

        if (best is null)
        {
            return false;
        }

        price = _entries[best];
        return true;
    }

    /// <summary>
    /// Reads a price table from JSON: an object whose keys are model ids and whose values are objects with
    /// <c>input</c>, <c>output</c> and optional <c>cachedInput</c> and <c>batchDiscount</c> (USD per million tokens).
    /// Every price is validated.
    /// </summary>
    /// <param name="json">The JSON text.</param>
    /// <exception cref="FormatException">The JSON is not such an object, or a price is invalid.</exception>
    public static PriceTable FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var table = Empty;
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("a price table must be a JSON object keyed by model id");
            }

            foreach (var entry in document.RootElement.EnumerateObject())
            {
                var value = entry.Value;
                if (value.ValueKind != JsonValueKind.Object)
                {
                    throw new FormatException($"the price of '{entry.Name}' must be an object with input and output");
                }

                var price = new ModelPrice
                {
                    Input = Required(value, "input", entry.Name),
                    Output = Required(value, "output", entry.Name),
                    CachedInput = Optional(value, "cachedInput"),
                    BatchDiscount = Optional(value, "batchDiscount") ?? 0,
                    Source = "user",
                };
                table = table.With(entry.Name, price);
            }
        }
        catch (JsonException ex)
        {
            throw new FormatException("the price table is not valid JSON: " + ex.Message, ex);
        }
        catch (ArgumentException ex)
        {
            throw new FormatException("invalid price: " + ex.Message, ex);
        }
        catch (InvalidOperationException ex)
        {
            throw new FormatException("invalid price: " + ex.Message, ex);
        }

        return table;
    }

    private static decimal Required(JsonElement value, string name, string model) =>
        Optional(value, name) ?? throw new FormatException($"the price of '{model}' has no '{name}'");

    private static decimal? Optional(JsonElement value, string name) =>
        value.TryGetProperty(name, out var property) && property.ValueKind != JsonValueKind.Null ? property.GetDecimal() : null;

    private static bool IsSnapshotSuffix(ReadOnlySpan<char> suffix)
    {
        if (suffix.SequenceEqual("latest"))
        {
            return true;
        }

        // 20241022 or 2024-08-06
        if (suffix.Length == 8)
        {
            return int.TryParse(suffix, NumberStyles.None, CultureInfo.InvariantCulture, out _);
        }

        return suffix.Length == 10 && DateOnly.TryParseExact(suffix, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _);
    }

    private static string Normalize(string model)
    {
        var id = model.Trim().ToLowerInvariant();
        int slash = id.LastIndexOf('/');
        return slash >= 0 ? id[(slash + 1)..] : id;
    }

    private static PriceTable CreateBuiltIn()
    {
        var table = Empty;
        void Add(string model, decimal input, decimal? cached, decimal output, decimal? cacheWrite = null) =>
            table = table.With(model, new ModelPrice { Input = input, CachedInput = cached, CacheWriteInput = cacheWrite, Output = output, BatchDiscount = 0.5m, Source = BuiltInSource });

        // Anthropic prompt caching (https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching#pricing): a cache
        // read costs 0.1x the input price, a 5-minute cache write 1.25x.
        void AddClaude(string model, decimal input, decimal output) => Add(model, input, input / 10, output, input * 1.25m);

        Add("gpt-5", 1.25m, 0.125m, 10m);
        Add("gpt-5-mini", 0.25m, 0.025m, 2m);
        Add("gpt-5-nano", 0.05m, 0.005m, 0.40m);
        Add("gpt-4.1", 2m, 0.50m, 8m);
        Add("gpt-4.1-mini", 0.40m, 0.10m, 1.60m);
        Add("gpt-4.1-nano", 0.10m, 0.025m, 0.40m);
        Add("gpt-4o", 2.50m, 1.25m, 10m);
        Add("gpt-4o-mini", 0.15m, 0.075m, 0.60m);
        Add("o3", 2m, 0.50m, 8m);
        Add("o4-mini", 1.10m, 0.275m, 4.40m);
        AddClaude("claude-opus-4-1", 15m, 75m);
        AddClaude("claude-opus-4", 15m, 75m);
        AddClaude("claude-sonnet-4", 3m, 15m);
        AddClaude("claude-3-7-sonnet", 3m, 15m);
        AddClaude("claude-3-5-sonnet", 3m, 15m);
        AddClaude("claude-3-5-haiku", 0.80m, 4m);
        AddClaude("claude-3-opus", 15m, 75m);
        AddClaude("claude-3-haiku", 0.25m, 1.25m);
        return table;
    }
}
