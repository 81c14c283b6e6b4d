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
    /// Retries (above and below HTTP, one budget per call), backoff, timeouts and <see cref="RetryOptions.OnRetry"/>.
    /// Its <see cref="RetryOptions.Classify"/> is replaced by <see cref="OpenAICompatibleEndpoint.Classify"/>. Default: a
    /// new <see cref="RetryOptions"/> (6 retries, 1 s base delay doubling to a 60 s cap with full jitter, 10-minute
    /// attempts, 30 minutes per call).
    /// </summary>
    public RetryOptions Retry { get; set; } = new();

    /// <summary>
    /// Client-side limits of the endpoint and model (concurrency, requests and tokens per minute, the reactions to
    /// 429s), shared by every client of the same endpoint and model in the process (<see cref="EndpointLimits.For"/>).
    /// Default: <see langword="null"/> (none).
    /// </summary>
    public EndpointLimitOptions? Limits { get; set; }

    /// <summary>
    /// The endpoint's circuit breaker: an endpoint that never answered stops the run at once, one that goes away holds
    /// calls until it is back. Used unless <see cref="RetryOptions.CircuitBreaker"/> of <see cref="Retry"/> is set.
    /// Default: a new <see cref="CircuitBreakerOptions"/> (on); <see langword="null"/> for none.
    /// </summary>
    public CircuitBreakerOptions? CircuitBreaker { get; set; } = new();

    /// <summary>
    /// One clock for every part (retry delays, timeouts, limits, the breaker), replacing their own; tests pass a fake one.
    /// Default: <see langword="null"/> (each part's own, <see cref="TimeProvider.System"/> unless set).
    /// </summary>
    public TimeProvider? TimeProvider { get; set; }

    /// <summary>
    /// The handler that sends the requests, disposed with the client. Default: <see langword="null"/> (see
    /// <see cref="ModelHttpClientOptions.PrimaryHandler"/>).
    /// </summary>
    public HttpMessageHandler? PrimaryHandler { get; set; }

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

        if (Retry is null)
        {
            throw new ArgumentException("retry options are required", nameof(Retry));
        }

        Retry.Validate();
        Limits?.Validate();
        CircuitBreaker?.Validate();
    }
}
