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
    /// The API key, registered for redaction (<see cref="Diagnostics.SecretRedaction"/>). Default: <see langword="null"/>:
    /// no <c>Authorization</c> header is sent (local servers such as vLLM, Ollama and LM Studio take none).
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
    /// 5-minute attempts, 15 minutes per call, the breaker on, no client-side limits).
    /// </summary>
    public ModelResilienceOptions Resilience { get; set; } = new();

    /// <summary>
    /// Options read from environment variables, as a harness (or <c>af</c>) takes them: the base URL and the model are
    /// required, the key is optional (local servers take none). The key is never printed: it is only registered for
    /// redaction, and a 401 names <paramref name="apiKeyVariable"/>, not the key.
    /// </summary>
    /// <example>
    /// <code>
    /// using var subject = OpenAICompatibleEndpoint.CreateChatClient(OpenAIEndpointOptions.FromEnvironment("AF_ENDPOINT", "AF_MODEL", "AF_API_KEY"));
    /// </code>
    /// </example>
    /// <param name="endpointVariable">The variable holding the base URL (e.g. <c>AF_ENDPOINT</c>: <c>https://api.openai.com/v1</c>).</param>
    /// <param name="modelVariable">The variable holding the model id (e.g. <c>AF_MODEL</c>).</param>
    /// <param name="apiKeyVariable">The variable holding the key (e.g. <c>AF_API_KEY</c>); none is read when <see langword="null"/>.</param>
    /// <param name="resilience">Retries, limits and the circuit breaker; af's defaults (<see cref="Resilience"/>) when <see langword="null"/>.</param>
    /// <returns>The options (<see cref="ApiKeyVariable"/> and <see cref="EndpointSetting"/> name the variables).</returns>
    /// <exception cref="ArgumentException">A variable name is empty, or the URL is not an absolute http(s) URL (the message names the variable).</exception>
    /// <exception cref="InvalidOperationException">The endpoint or model variable is not set (the message names it).</exception>
    public static OpenAIEndpointOptions FromEnvironment(string endpointVariable, string modelVariable, string? apiKeyVariable = null, ModelResilienceOptions? resilience = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(endpointVariable);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelVariable);
        if (apiKeyVariable is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(apiKeyVariable);
        }

        var endpointText = Required(endpointVariable, "the OpenAI-compatible base URL, usually ending in /v1");
        if (!Uri.TryCreate(endpointText, UriKind.Absolute, out var endpoint) || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"environment variable {endpointVariable} must hold an absolute http(s) URL", nameof(endpointVariable));
        }

        var key = apiKeyVariable is null ? null : Environment.GetEnvironmentVariable(apiKeyVariable);
        return new OpenAIEndpointOptions
        {
            Endpoint = endpoint,
            Model = Required(modelVariable, "the model id"),
            ApiKey = string.IsNullOrEmpty(key) ? null : key,
            ApiKeyVariable = apiKeyVariable,
            EndpointSetting = "environment variable " + endpointVariable,
            Resilience = resilience ?? new ModelResilienceOptions(),
        };

        static string Required(string variable, string what)
        {
            var value = Environment.GetEnvironmentVariable(variable);
            return string.IsNullOrWhiteSpace(value)
                ? throw new InvalidOperationException($"environment variable {variable} is not set ({what})")
                : value.Trim();
        }
    }

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
