using System.Globalization;
using System.Text.Json;
using AlignmentFaking.Diagnostics;
using AlignmentFaking.Providers;
using AlignmentFaking.Running;
using Anthropic;
using Anthropic.Exceptions;
using Microsoft.Extensions.AI;

namespace AlignmentFaking.Anthropic;

/// <summary>
/// Anthropic Messages as the subject or judge <see cref="IChatClient"/> of an experiment, with the resilience <c>af</c>
/// uses: the official Anthropic SDK (its own retries and timeout off) over <see cref="ModelHttpClient"/> (HTTP retries
/// with backoff and <c>Retry-After</c>, attempt and total timeouts, the endpoint's circuit breaker, every attempt through
/// the endpoint limits, each reply checked for the API's shape), under <see cref="RetryingChatClient"/> and
/// <see cref="ThrottlingChatClient"/>, with <see cref="Classify"/> deciding what is fatal, permanent or transient. The
/// system message goes to Anthropic's <c>system</c> field and a trailing assistant message is its native prefill; the
/// system prompt (or a judge's prompt) carries a prompt-cache breakpoint unless <see cref="AnthropicEndpointOptions.PromptCaching"/>
/// is off.
/// Extended thinking: a call carrying a thinking budget (<see cref="NativeReasoningChatClient.ThinkingBudgetKey"/>, set
/// from <see cref="ExperimentOptions.ThinkingBudget"/>) sends <c>thinking: {"type": "enabled", "budget_tokens": N}</c>
/// after Anthropic's rules are checked (at least 1024, below <c>max_tokens</c>, temperature 1 or none, no prefill; a
/// <see cref="FatalCallException"/> otherwise, before any request); the <c>thinking</c> blocks come back as
/// <see cref="TextReasoningContent"/> (signature in <see cref="TextReasoningContent.ProtectedData"/>), a
/// <c>redacted_thinking</c> block as one with empty text (hidden reasoning).
/// </summary>
/// <example>
/// <code>
/// IChatClient subject = AnthropicEndpoint.CreateChatClient(new AnthropicEndpointOptions
/// {
///     Model = "claude-3-opus-20240229",
///     ApiKey = Environment.GetEnvironmentVariable("ANTHROPIC_API_KEY"),
///     ApiKeyVariable = "ANTHROPIC_API_KEY",
/// });
/// </code>
/// </example>
public static class AnthropicEndpoint
{
    /// <summary>Anthropic's API base URL: <c>https://api.anthropic.com</c>.</summary>
    public static Uri DefaultEndpoint { get; } = new("https://api.anthropic.com");

    /// <summary>
    /// The <c>anthropic</c> provider for a <see cref="ModelProviderCatalog"/>: Anthropic Messages through the official SDK
    /// (<see cref="CreateChatClient"/>; its base URL defaults to <see cref="DefaultEndpoint"/>), Message Batches
    /// (<see cref="AnthropicBatchProvider"/>), <see cref="Classify"/>, the built-in prices. The key falls back to
    /// <c>ANTHROPIC_API_KEY</c>; the prompt cache (<c>cache_control</c>) follows <see cref="ModelEndpointSettings.PromptCaching"/>.
    /// </summary>
    public static ModelProvider Provider { get; } = new()
    {
        Name = "anthropic",
        Description = "Anthropic Messages (--endpoint is the base URL, default https://api.anthropic.com)",
        DefaultEndpoint = DefaultEndpoint,
        FallbackApiKeyVariable = "ANTHROPIC_API_KEY",
        CreateChatClient = settings => CreateChatClient(OptionsFrom(settings)),
        CreateBatchProvider = settings => new AnthropicBatchProvider(
            settings.Endpoint ?? DefaultEndpoint,
            string.IsNullOrEmpty(settings.ApiKey) ? "no-key" : settings.ApiKey,
            settings.WorkingDirectory ?? throw new ArgumentException("Message Batches need a working directory for their inputs", nameof(settings)))
        {
            PromptCaching = settings.PromptCaching,
        },
        Classify = Classify,
    };

    /// <summary>The endpoint options of a provider-neutral setting.</summary>
    internal static AnthropicEndpointOptions OptionsFrom(ModelEndpointSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new AnthropicEndpointOptions
        {
            Endpoint = settings.Endpoint ?? DefaultEndpoint,
            Model = settings.Model,
            ApiKey = settings.ApiKey,
            ApiKeyVariable = settings.ApiKeyVariable,
            EndpointSetting = settings.EndpointSetting,
            Resilience = settings.Resilience,
            PromptCaching = settings.PromptCaching,
        };
    }

    /// <summary>Creates the client; disposing it disposes its <see cref="HttpClient"/>.</summary>
    /// <param name="options">The endpoint, model, key and resilience.</param>
    /// <exception cref="ArgumentException">An option is invalid (the message names it).</exception>
    public static IChatClient CreateChatClient(AnthropicEndpointOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var endpoint = options.Endpoint!;
        var model = options.Model!;
        SecretRedaction.Register(options.ApiKey);
        var keyVariable = options.ApiKeyVariable;
        var key = string.IsNullOrEmpty(options.ApiKey) ? "no-key" : options.ApiKey;
        int maxTokens = options.DefaultMaxOutputTokens;
        bool promptCaching = options.PromptCaching;
        return ModelHttpClient.CreateChatClient(
            http =>
            {
                var client = new AnthropicClient
                {
                    HttpClient = http,
                    BaseUrl = endpoint.AbsoluteUri.TrimEnd('/'),
                    ApiKey = key,
                    MaxRetries = 0, // ModelHttpClient retries
                    Timeout = Timeout.InfiniteTimeSpan, // on the real clock, around every retry: ModelHttpClient times attempts
                }.AsIChatClient(model, maxTokens);
                return new AnthropicThinkingChatClient(new AnthropicPromptCacheChatClient(client, promptCaching), model, maxTokens);
            },
            endpoint,
            model,
            options.Resilience,
            ex => Classify(ex, keyVariable),
            new AnthropicReplyCheck(ProviderMessages.Describe(endpoint), options.EndpointSetting ?? "the base URL").Check);
    }

    /// <summary>
    /// Classifies what the Anthropic SDK throws: an <see cref="AnthropicApiException"/> by its status
    /// (<see cref="CallFailure.FromStatus"/>: 429, 408, 5xx and Anthropic's 529 transient; 401, 403, 404 fatal, a 401
    /// naming <paramref name="apiKeyVariable"/>; another 4xx permanent); an <see cref="AnthropicIOException"/> (no
    /// response) by its inner exception, as a lost connection at least; malformed JSON transient; an
    /// <see cref="AnthropicInvalidDataException"/> (a well-formed reply missing what the SDK needs) permanent; anything
    /// else by <see cref="CallFailure.Classify"/>. The SDK's exceptions carry no headers: <c>Retry-After</c> and the
    /// rate-limit headers are read below, by <see cref="ModelHttpClient"/>.
    /// </summary>
    /// <param name="exception">What a call threw.</param>
    /// <param name="apiKeyVariable">The environment variable holding the key, named on a 401.</param>
    public static CallFailure Classify(Exception exception, string? apiKeyVariable = null)
    {
        ArgumentNullException.ThrowIfNull(exception);
        switch (ProviderMessages.Unwrap(exception))
        {
            case AnthropicApiException api:
                int status = (int)api.StatusCode;
                return ProviderMessages.WithHint(CallFailure.FromReply(status, _ => null, api.ResponseBody), status, apiKeyVariable, api.ApiMessage);
            case AnthropicIOException io:
                return ProviderMessages.NoResponse(io.InnerException);
            case AnthropicInvalidDataException invalid:
                return new CallFailure(CallFailureKind.Permanent, null, "the Anthropic SDK cannot read the reply: " + invalid.Message);
            case var other:
                return CallFailure.Classify(other);
        }
    }

    /// <summary>
    /// The check of each reply to <c>POST /v1/messages</c> before the SDK reads it (<see cref="ModelHttpClientOptions.ReplyCheck"/>):
    /// a 405 or 501, or a body that is not a Messages reply (an HTML page, JSON that is not a <c>message</c> object with a
    /// <c>content</c> list) is an <see cref="UnexpectedReplyException"/> (usually a wrong URL); malformed or truncated JSON
    /// a <see cref="JsonException"/> (transient: retried at the HTTP level).
    /// </summary>
    private sealed class AnthropicReplyCheck(string endpoint, string setting)
    {
        public Exception? Check(HttpResponseMessage response, ReadOnlyMemory<byte> body)
        {
            if (response.RequestMessage?.RequestUri?.AbsolutePath.EndsWith("/v1/messages", StringComparison.Ordinal) != true)
            {
                return null;
            }

            int status = (int)response.StatusCode;
            var media = response.Content.Headers.ContentType?.MediaType;
            if (status is 405 or 501)
            {
                return new UnexpectedReplyException(string.Create(CultureInfo.InvariantCulture, $"the endpoint {endpoint} answered {status}{(media is null ? string.Empty : " (" + media + ")")} to a Messages request, not an Anthropic reply: check {setting}"));
            }

            if (status is < 200 or > 299)
            {
                return null;
            }

            if (!string.IsNullOrEmpty(media) && !media.Contains("json", StringComparison.OrdinalIgnoreCase))
            {
                return new UnexpectedReplyException($"the endpoint {endpoint} answered {media}, not an Anthropic Messages JSON body: check {setting}");
            }

            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(body);
            }
            catch (JsonException ex)
            {
                return ex;
            }

            using (document)
            {
                var root = document.RootElement;
                return root.ValueKind == JsonValueKind.Object && root.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Array
                    ? null
                    : new UnexpectedReplyException($"the endpoint {endpoint} answered JSON without a 'content' list, not an Anthropic message: check {setting}");
            }
        }
    }
}
