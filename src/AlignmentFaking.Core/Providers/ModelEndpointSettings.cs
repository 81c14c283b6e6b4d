using AlignmentFaking.Running;

namespace AlignmentFaking.Providers;

/// <summary>What every provider needs to build a client (<see cref="ModelProvider.CreateChatClient"/>). Every property documents its default.</summary>
public sealed class ModelEndpointSettings
{
    /// <summary>The base URL; <see langword="null"/> for the provider's <see cref="ModelProvider.DefaultEndpoint"/>. Default: <see langword="null"/>.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>The model id at the endpoint. Required.</summary>
    public string? Model { get; set; }

    /// <summary>The API key (registered for redaction by the provider); <see langword="null"/> sends none. Default: <see langword="null"/>.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The environment variable the key came from, named in a 401's message. Default: <see langword="null"/>.</summary>
    public string? ApiKeyVariable { get; set; }

    /// <summary>How messages name the endpoint setting (<c>--endpoint</c>, <c>AF_ENDPOINT</c>). Default: <see langword="null"/> ("the endpoint URL").</summary>
    public string? EndpointSetting { get; set; }

    /// <summary>Retries, timeouts, reply size, limits, breaker and clock. Default: a new <see cref="ModelResilienceOptions"/> (af's defaults).</summary>
    public ModelResilienceOptions Resilience { get; set; } = new();

    /// <summary>
    /// Whether the provider's explicit prompt cache is used where it has one (Anthropic's <c>cache_control</c> on the
    /// system prompt); providers that cache by themselves (OpenAI's automatic prefix cache) ignore it. Default: <see langword="true"/>.
    /// </summary>
    public bool PromptCaching { get; set; } = true;
}
