using AlignmentFaking.Anthropic;
using AlignmentFaking.OpenAI;
using AlignmentFaking.Providers;

namespace AlignmentFaking.Cli;

/// <summary>
/// The providers <c>af</c> can name (<c>--provider</c>, <c>--judge-provider</c>, <c>--batch-provider</c>): one
/// registration per provider package; every command looks a name up here and never switches on it.
/// </summary>
internal static class ProviderNames
{
    /// <summary>The catalogue of the provider packages af ships with.</summary>
    public static ModelProviderCatalog Catalog { get; } = new([OpenAICompatibleEndpoint.Provider, OpenAIResponsesEndpoint.Provider, AnthropicEndpoint.Provider]);

    /// <summary>The default provider: <c>openai-compatible</c>.</summary>
    public const string Default = "openai-compatible";

    /// <summary>The base URL a provider is called at when no endpoint flag is given (Anthropic's); null for none (the simulated organism or judge runs).</summary>
    public static string? DefaultEndpoint(string? provider) =>
        provider is not null && Catalog.TryGet(provider, out var p) ? p.DefaultEndpoint?.AbsoluteUri : null;

    /// <summary>Every name and alias a flag accepts.</summary>
    public static string[] Accepted => [.. Catalog.SelectMany(p => (IEnumerable<string>)[p.Name, .. p.Aliases])];

    /// <summary>The names with a batch service (and their aliases).</summary>
    public static string[] WithBatch => [.. Catalog.Where(p => p.SupportsBatch).SelectMany(p => (IEnumerable<string>)[.. p.Aliases, p.Name])];

    /// <summary>The help text of a provider flag: each provider and what it reaches.</summary>
    public static string Describe(string endpointOption) =>
        $"Who serves the model: {string.Join("; ", Catalog.Select(p => $"{p.Name} ({p.Description.Replace("--endpoint", endpointOption, StringComparison.Ordinal)})"))}.";
}
