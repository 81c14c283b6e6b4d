using System.ClientModel;
using System.ClientModel.Primitives;
using System.Globalization;
using AlignmentFaking.Diagnostics;
using AlignmentFaking.Providers;
using AlignmentFaking.Running;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;

namespace AlignmentFaking.OpenAI;

/// <summary>
/// An OpenAI-compatible endpoint (OpenAI, DeepInfra, OpenRouter, Together, vLLM, Ollama, LM Studio, ...) as the subject
/// or judge <see cref="IChatClient"/> of an experiment, with the resilience <c>af</c> uses: the official OpenAI client
/// (its own retries and timeouts off) over <see cref="ModelHttpClient"/> (HTTP retries with backoff and
/// <c>Retry-After</c>, attempt and total timeouts, the endpoint's circuit breaker, every attempt through the endpoint
/// limits, each reply checked for the API's shape), under <see cref="RetryingChatClient"/> and
/// <see cref="ThrottlingChatClient"/>, with <see cref="Classify"/> deciding what is fatal, permanent or transient.
/// Native reasoning becomes <see cref="TextReasoningContent"/>: <c>message.reasoning_content</c> (DeepSeek, older vLLM;
/// read by Microsoft.Extensions.AI) and <c>message.reasoning</c> (OpenRouter, vLLM 0.11.2 and later); a call asking for
/// a reasoning effort (<see cref="ChatOptions.Reasoning"/>) sends it instead of the temperature, which OpenAI's reasoning
/// models refuse; a thinking budget (<see cref="NativeReasoningChatClient.ThinkingBudgetKey"/>) is sent as the
/// <c>thinking</c> object of Anthropic's OpenAI-compatible endpoint. A request asking for several choices
/// (<see cref="MultipleChoices"/>, as the alignment-faking classifier asks for its votes) goes with <c>n</c> and gets
/// every choice back as its own assistant message; a 400 naming <c>n</c> is asked again for fewer.
/// </summary>
/// <example>
/// <code>
/// IChatClient subject = OpenAICompatibleEndpoint.CreateChatClient(new OpenAIEndpointOptions
/// {
///     Endpoint = new Uri("https://api.deepinfra.com/v1/openai"),
///     Model = "meta-llama/Meta-Llama-3.1-405B-Instruct",
///     ApiKey = Environment.GetEnvironmentVariable("AF_API_KEY"),
///     ApiKeyVariable = "AF_API_KEY",
///     Resilience = new ModelResilienceOptions { Limits = new EndpointLimitOptions { MaxConcurrency = 16 } },
/// });
/// </code>
/// </example>
public static class OpenAICompatibleEndpoint
{
    /// <summary>
    /// The <c>openai-compatible</c> provider (alias <c>openai</c>, the name of its batch service) for a
    /// <see cref="ModelProviderCatalog"/>: Chat Completions at any OpenAI-compatible base URL (OpenAI, DeepInfra,
    /// OpenRouter, Together, xAI, Gemini's OpenAI endpoint, vLLM, Ollama, LM Studio) through <see cref="CreateChatClient"/>,
    /// the OpenAI Batch API (<see cref="OpenAIBatchProvider"/>), <see cref="Classify"/>, the built-in prices. The key
    /// falls back to <c>OPENAI_API_KEY</c>; an endpoint must be given.
    /// </summary>
    public static ModelProvider Provider { get; } = new()
    {
        Name = "openai-compatible",
        Aliases = ["openai"],
        Description = "Chat Completions at any OpenAI-compatible base URL (--endpoint, usually ending in /v1)",
        FallbackApiKeyVariable = "OPENAI_API_KEY",
        CreateChatClient = settings => CreateChatClient(OptionsFrom(settings)),
        CreateBatchProvider = settings => new OpenAIBatchProvider(
            settings.Endpoint ?? throw new ArgumentException("the OpenAI-compatible batch service needs an endpoint", nameof(settings)),
            settings.ApiKey ?? string.Empty),
        Classify = Classify,
    };

    /// <summary>The endpoint options of a provider-neutral setting.</summary>
    internal static OpenAIEndpointOptions OptionsFrom(ModelEndpointSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new OpenAIEndpointOptions
        {
            Endpoint = settings.Endpoint,
            Model = settings.Model,
            ApiKey = settings.ApiKey,
            ApiKeyVariable = settings.ApiKeyVariable,
            EndpointSetting = settings.EndpointSetting,
            Resilience = settings.Resilience,
        };
    }

    /// <summary>Creates the client; disposing it disposes its <see cref="HttpClient"/>.</summary>
    /// <param name="options">The endpoint, model, key and resilience.</param>
    /// <exception cref="ArgumentException">An option is invalid (the message names it).</exception>
    public static IChatClient CreateChatClient(OpenAIEndpointOptions options) =>
        Create(options, (model, credential, clientOptions) =>
            new OpenAIReasoningChatClient(new OpenAIChoicesChatClient(new ChatClient(model, credential, clientOptions).AsIChatClient())));

    /// <summary>
    /// The one composition of an OpenAI SDK client over <see cref="ModelHttpClient"/> (the Chat Completions and the
    /// Responses clients differ only in <paramref name="provider"/> and the reply check): options validated, the key
    /// registered for redaction and sent only when there is one, the SDK's retries and timeouts off, this package's
    /// classifier naming the key's variable on a 401.
    /// </summary>
    internal static IChatClient Create(
        OpenAIEndpointOptions options,
        Func<string, ApiKeyCredential, OpenAIClientOptions, IChatClient> provider,
        string path = "/chat/completions",
        string list = "choices",
        string request = "chat completion")
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var endpoint = options.Endpoint!;
        var model = options.Model!;
        SecretRedaction.Register(options.ApiKey);
        var keyVariable = options.ApiKeyVariable;
        var apiKey = options.ApiKey;
        return ModelHttpClient.CreateChatClient(
            http =>
            {
                var clientOptions = new OpenAIClientOptions
                {
                    Endpoint = endpoint,
                    Transport = new HttpClientPipelineTransport(http),
                    RetryPolicy = new ClientRetryPolicy(maxRetries: 0), // ModelHttpClient retries
                    NetworkTimeout = Timeout.InfiniteTimeSpan, // on the real clock, around every retry: ModelHttpClient times attempts
                };
                var key = NoKeyPolicy.Apply(clientOptions, apiKey); // without a key, no Authorization header at all
                return provider(model, new ApiKeyCredential(key), clientOptions);
            },
            endpoint,
            model,
            options.Resilience,
            ex => Classify(ex, keyVariable),
            new OpenAIReplyCheck(ProviderMessages.Describe(endpoint), options.EndpointSetting ?? "the endpoint URL", path, list, request).Check);
    }

    /// <summary>
    /// Classifies what the OpenAI .NET client (through <c>Microsoft.Extensions.AI.OpenAI</c>) throws: a
    /// <see cref="ClientResultException"/> with a status by <see cref="CallFailure.FromReply"/> (its headers and body:
    /// <c>Retry-After</c>, rate-limit headers, <c>insufficient_quota</c>), a 401 naming
    /// <paramref name="apiKeyVariable"/>; one without a status (no response) as a lost connection; anything else by
    /// <see cref="CallFailure.Classify"/> (a well-formed reply the client cannot read, such as an unknown finish reason,
    /// is permanent: the same reply would be rejected again).
    /// </summary>
    /// <param name="exception">What a call threw.</param>
    /// <param name="apiKeyVariable">The environment variable holding the key, named on a 401.</param>
    public static CallFailure Classify(Exception exception, string? apiKeyVariable = null)
    {
        ArgumentNullException.ThrowIfNull(exception);
        switch (ProviderMessages.Unwrap(exception))
        {
            case ClientResultException result when result.Status > 0:
                var raw = result.GetRawResponse();
                string? body = null;
                if (raw is not null && result.Status == 429)
                {
                    try
                    {
                        body = raw.Content.ToString();
                    }
                    catch (InvalidOperationException)
                    {
                        body = null; // not buffered
                    }
                }

                var failure = raw is null
                    ? CallFailure.FromStatus(result.Status, null)
                    : CallFailure.FromReply(result.Status, header => raw.Headers.TryGetValue(header, out var value) ? value : null, body);
                return ProviderMessages.WithHint(failure, result.Status, apiKeyVariable, result.Message);
            case ClientResultException noResponse:
                return ProviderMessages.NoResponse(noResponse.InnerException);
            case var other:
                return CallFailure.Classify(other);
        }
    }

    /// <summary>
    /// The check of each reply before the OpenAI client reads it (<see cref="ModelHttpClientOptions.ReplyCheck"/>), for the
    /// requests to <c>path</c> (chat completions; the Responses API's <c>/responses</c> with its <c>output</c> list): a 405 or
    /// 501 to the POST, a body that is not the API's (an HTML page, JSON without a <c>choices</c> list) is an
    /// <see cref="UnexpectedReplyException"/> (usually a wrong URL: it stops a run whose endpoint never answered); an empty
    /// <c>choices</c> list or a 200 carrying an <c>error</c> object is an <see cref="InvalidDataException"/>, malformed or
    /// truncated JSON a <see cref="System.Text.Json.JsonException"/> (both transient: retried at the HTTP level). What is
    /// left for the client to reject is a well-formed reply it deterministically cannot read (permanent).
    /// </summary>
    internal sealed class OpenAIReplyCheck(string endpoint, string setting, string path = "/chat/completions", string list = "choices", string request = "chat completion")
    {
        private string Hint => $"check {setting} (usually ends in /v1)";

        public Exception? Check(HttpResponseMessage response, ReadOnlyMemory<byte> body)
        {
            if (response.RequestMessage?.RequestUri?.AbsolutePath.EndsWith(path, StringComparison.Ordinal) != true)
            {
                return null;
            }

            int status = (int)response.StatusCode;
            var media = response.Content.Headers.ContentType?.MediaType;
            if (status is 405 or 501)
            {
                // The URL does not take a POST: a web server or a UI, not the API.
                return new UnexpectedReplyException(string.Create(CultureInfo.InvariantCulture, $"the endpoint {endpoint} answered {status}{(media is null ? string.Empty : " (" + media + ")")} to a {request} request, not an OpenAI-compatible reply: {Hint}"));
            }

            if (status is < 200 or > 299)
            {
                return null;
            }

            if (!string.IsNullOrEmpty(media) && !media.Contains("json", StringComparison.OrdinalIgnoreCase)
                && !media.Equals("text/event-stream", StringComparison.OrdinalIgnoreCase))
            {
                return new UnexpectedReplyException($"the endpoint {endpoint} answered {media}, not an OpenAI-compatible JSON body: {Hint}");
            }

            System.Text.Json.JsonDocument document;
            try
            {
                document = System.Text.Json.JsonDocument.Parse(body);
            }
            catch (System.Text.Json.JsonException ex)
            {
                return ex; // malformed or truncated: transient
            }

            using (document)
            {
                var root = document.RootElement;
                if (root.ValueKind == System.Text.Json.JsonValueKind.Object && root.TryGetProperty("error", out var error) && error.ValueKind == System.Text.Json.JsonValueKind.Object)
                {
                    var text = error.TryGetProperty("message", out var m) && m.ValueKind == System.Text.Json.JsonValueKind.String ? m.GetString() : error.GetRawText();
                    return new InvalidDataException("the endpoint answered 200 with an error: " + SecretRedaction.Redact(text ?? string.Empty));
                }

                if (root.ValueKind != System.Text.Json.JsonValueKind.Object || !root.TryGetProperty(list, out var items) || items.ValueKind != System.Text.Json.JsonValueKind.Array)
                {
                    return new UnexpectedReplyException($"the endpoint {endpoint} answered JSON without a '{list}' list, not an OpenAI {request}: {Hint}");
                }

                return items.GetArrayLength() == 0 ? new InvalidDataException($"the response has no {list}") : null;
            }
        }
    }
}
