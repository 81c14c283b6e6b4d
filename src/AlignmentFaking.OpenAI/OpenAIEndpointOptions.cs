using AlignmentFaking.Running;

namespace AlignmentFaking.OpenAI;

/// <summary>
/// Options of <see cref="OpenAICompatibleEndpoint.CreateChatClient"/>: the endpoint, the model, the key, and the
/// resilience of its calls. Every property documents its default; the defaults are what <c>af</c> uses.
/// </summary>
public sealed class OpenAIEndpointOptions
{
    /// <summary>
    /// The OpenAI-compatible base URL, usually ending in <c>/v1</c> (<c>https://api.openai.com/v1</c>,
    /// <c>https://api.deepinfra.com/v1/openai</c>, <c>http://localhost:8000/v1</c> for vLLM, ...). Required.
    /// </summary>
    public Uri? Endpoint { get; set; }

    /// <summary>The model id, e.g. <c>meta-llama/Meta-Llama-3.1-405B-Instruct</c>. Required.</summary>
    public string? Model { get; set; }

    /// <summary>
    /// The API key, registered for redaction (<see cref="Diagnostics.SecretRedaction"/>). Default: <see langword="null"/>,
    /// which sends a placeholder (local servers such as vLLM, Ollama and LM Studio take none).
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// The environment variable the key came from, named in the message of a 401 (<c>401 Unauthorized: check the key in
    /// environment variable AF_API_KEY</c>). Default: <see langword="null"/> (the message says "the API key").
    /// </summary>
    public string? ApiKeyVariable { get; set; }

    /// <summary>
    /// Where the endpoint was set, named in the message of a reply that is not the API's (<c>... check --endpoint
    /// (usually ends in /v1)</c>). Default: <see langword="null"/> (the message says "the endpoint URL").
    /// </summary>
    public string? EndpointSetting { get; set; }

    /// <summary>
    /// Retries (above and below HTTP, one budget per call), client-side limits, the circuit breaker, the clock and the
    /// HTTP handler. Default: a new <see cref="ModelResilienceOptions"/> (af's: 6 retries, 1 s base delay to a 60 s cap,
    /// 10-minute attempts, 30 minutes per call, the breaker on, no client-side limits).
    /// </summary>
    public ModelResilienceOptions Resilience { get; set; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (Endpoint is null || !Endpoint.IsAbsoluteUri || (Endpoint.Scheme != Uri.UriSchemeHttp && Endpoint.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException("the endpoint must be an absolute http(s) URL", nameof(Endpoint));
        }

        if (string.IsNullOrWhiteSpace(Model))
        {
            throw new ArgumentException("the model id is required", nameof(Model));
        }

        if (Resilience is null)
        {
            throw new ArgumentException("resilience options are required", nameof(Resilience));
        }

        Resilience.Validate();
    }
}
