using AlignmentFaking.Costs;
using AlignmentFaking.Running;
using AlignmentFaking.Running.Batch;
using Microsoft.Extensions.AI;

namespace AlignmentFaking.Providers;

/// <summary>
/// One provider of models by name (<c>openai-compatible</c>, <c>anthropic</c>, <c>openai-responses</c>, ...): how to build
/// its subject or judge client, its batch service (if it has one), how to classify its failures and where its prices
/// are. A provider package publishes one (<c>OpenAICompatibleEndpoint.Provider</c>, <c>AnthropicEndpoint.Provider</c>);
/// a <see cref="ModelProviderCatalog"/> looks them up by name, so a new provider is one package plus one registration
/// and a command line never switches on a provider's name.
/// </summary>
public sealed class ModelProvider
{
    /// <summary>The name a command line gives (<c>--provider NAME</c>), lower case.</summary>
    public required string Name { get; init; }

    /// <summary>Other names that find it (e.g. <c>openai</c>, the batch provider's name). Default: none.</summary>
    public IReadOnlyList<string> Aliases { get; init; } = [];

    /// <summary>One line for people: what it reaches and how (for help texts).</summary>
    public required string Description { get; init; }

    /// <summary>
    /// The base URL used when none is given (e.g. <c>https://api.anthropic.com</c>); <see langword="null"/> when an
    /// endpoint must be given (an OpenAI-compatible server can be anywhere). Default: <see langword="null"/>.
    /// </summary>
    public Uri? DefaultEndpoint { get; init; }

    /// <summary>
    /// The environment variable a key is read from when the default one (<c>AF_API_KEY</c>) is empty, e.g.
    /// <c>OPENAI_API_KEY</c> or <c>ANTHROPIC_API_KEY</c>. Default: <see langword="null"/> (none).
    /// </summary>
    public string? FallbackApiKeyVariable { get; init; }

    /// <summary>Builds the client of one endpoint and model with the library's resilience (retries, limits, breaker).</summary>
    public required Func<ModelEndpointSettings, IChatClient> CreateChatClient { get; init; }

    /// <summary>Builds the provider's batch service; <see langword="null"/> when it has none. Default: <see langword="null"/>.</summary>
    public Func<BatchProviderSettings, IBatchProvider>? CreateBatchProvider { get; init; }

    /// <summary>Classifies what its client throws (fatal, permanent, transient); the second argument is the key's variable, named on a 401.</summary>
    public required Func<Exception, string?, CallFailure> Classify { get; init; }

    /// <summary>The list prices of its models. Default: <see cref="PriceTable.BuiltIn"/>.</summary>
    public PriceTable Prices { get; init; } = PriceTable.BuiltIn;

    /// <summary>Whether the provider has a batch service (<see cref="CreateBatchProvider"/>).</summary>
    public bool SupportsBatch => CreateBatchProvider is not null;

    /// <inheritdoc />
    public override string ToString() => Name;
}
