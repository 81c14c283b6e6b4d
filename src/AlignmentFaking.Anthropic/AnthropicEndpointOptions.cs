using AlignmentFaking.Running;

namespace AlignmentFaking.Anthropic;

/// <summary>
/// Options of <see cref="AnthropicEndpoint.CreateChatClient"/>: the endpoint, the model, the key, and the resilience of
/// its calls. Every property documents its default; the resilience defaults are what <c>af</c> uses.
/// </summary>
public sealed class AnthropicEndpointOptions
{
    /// <summary>The API's base URL, without <c>/v1</c>. Default: <c>https://api.anthropic.com</c>.</summary>
    public Uri? Endpoint { get; set; } = new("https://api.anthropic.com");

    /// <summary>The model id, e.g. <c>claude-3-opus-20240229</c>. Required.</summary>
    public string? Model { get; set; }

    /// <summary>
    /// The <c>max_tokens</c> sent when a call sets no <see cref="Microsoft.Extensions.AI.ChatOptions.MaxOutputTokens"/>
    /// (Anthropic requires one). Default: 4000, the original's value for Anthropic models.
    /// </summary>
    public int DefaultMaxOutputTokens { get; set; } = 4000;

    /// <summary>
    /// Whether requests mark their static part for Anthropic's prompt cache: an ephemeral <c>cache_control</c>
    /// breakpoint at the end of the system prompt (the subject's ~5.8k-token prompt, re-sent on every call), or, without
    /// one, at the end of the first user message (a judge's classifier prompt with the transcript it grades, re-sent by
    /// every vote). Anthropic then bills a repeat at the cache-read price (0.1x input) and the first write at the
    /// cache-write price (1.25x); prefixes below the model's minimum (1,024 tokens for most models) are not cached. The
    /// text sent is unchanged. <c>af run --no-prompt-cache</c> and <c>af judge --no-prompt-cache</c> turn it off.
    /// Default: <see langword="true"/>.
    /// </summary>
    public bool PromptCaching { get; set; } = true;

    /// <summary>
    /// The API key (<c>x-api-key</c>), registered for redaction (<see cref="Diagnostics.SecretRedaction"/>). Default:
    /// <see langword="null"/>, which sends a placeholder.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// The environment variable the key came from, named in the message of a 401 (<c>401 Unauthorized: check the key in
    /// environment variable ANTHROPIC_API_KEY</c>). Default: <see langword="null"/> (the message says "the API key").
    /// </summary>
    public string? ApiKeyVariable { get; set; }

    /// <summary>
    /// Where the endpoint was set, named in the message of a reply that is not the API's (<c>... check --endpoint</c>).
    /// Default: <see langword="null"/> (the message says "the base URL").
    /// </summary>
    public string? EndpointSetting { get; set; }

    /// <summary>
    /// Retries (above and below HTTP, one budget per call), client-side limits, the circuit breaker, the clock and the
    /// HTTP handler. Default: a new <see cref="ModelResilienceOptions"/> (af's: 6 retries, 1 s base delay to a 60 s cap,
    /// 5-minute attempts, 15 minutes per call, the breaker on, no client-side limits).
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

        if (DefaultMaxOutputTokens < 1)
        {
            throw new ArgumentException($"the default max output tokens must be at least 1 (was {DefaultMaxOutputTokens})", nameof(DefaultMaxOutputTokens));
        }

        if (Resilience is null)
        {
            throw new ArgumentException("resilience options are required", nameof(Resilience));
        }

        Resilience.Validate();
    }
}
