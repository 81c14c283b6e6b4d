namespace AlignmentFaking.Providers;

/// <summary>What a provider's batch service needs (<see cref="ModelProvider.CreateBatchProvider"/>). Every property documents its default.</summary>
public sealed class BatchProviderSettings
{
    /// <summary>The base URL; <see langword="null"/> for the provider's <see cref="ModelProvider.DefaultEndpoint"/>. Default: <see langword="null"/>.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>The API key (registered for redaction); <see langword="null"/> sends none. Default: <see langword="null"/>.</summary>
    public string? ApiKey { get; set; }

    /// <summary>A folder of the run for files the service stages (Anthropic keeps each batch's input there). Required.</summary>
    public string? WorkingDirectory { get; set; }

    /// <summary>Whether batch requests use the provider's explicit prompt cache where it has one. Default: <see langword="true"/>.</summary>
    public bool PromptCaching { get; set; } = true;
}
