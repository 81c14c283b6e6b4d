using System.ClientModel;
using System.ClientModel.Primitives;
using System.Globalization;
using System.Text.Json;
using AlignmentFaking.Internal;
using AlignmentFaking.Running;
using Microsoft.Extensions.AI;
using OpenAI;

namespace AlignmentFaking.Cli;

/// <summary>
/// Wires an OpenAI-compatible endpoint as an <see cref="IChatClient"/>: the official OpenAI client with its own retries
/// off and a check of each reply's shape, inside our <see cref="RetryingChatClient"/> (bounded retries, backoff with
/// jitter, <c>Retry-After</c> honoured, LLM-sized timeouts, the endpoint's circuit breaker) with a classifier that knows
/// the OpenAI client's exceptions.
/// </summary>
internal static class OpenAICompatibleSubject
{
    public static IChatClient Create(Uri endpoint, string model, string apiKey, string keyVariable, int maxRetries, Action<int, Exception, TimeSpan>? onRetry = null, TimeSpan? baseDelay = null, EndpointLimitOptions? limits = null, TimeSpan? attemptTimeout = null, CircuitBreakerOptions? breaker = null)
    {
        SecretRedactor.Register(apiKey);
        var clientOptions = new OpenAIClientOptions
        {
            Endpoint = endpoint,
            NetworkTimeout = Timeout.InfiniteTimeSpan, // our per-attempt timeout owns this
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        };
        var name = Describe(endpoint);
        clientOptions.AddPolicy(new ReplyShapePolicy(name), PipelinePosition.PerTry);
        IChatClient inner = new OpenAI.Chat.ChatClient(model, new ApiKeyCredential(apiKey), clientOptions).AsIChatClient();
        if (limits is not null)
        {
            var shared = EndpointLimits.For(endpoint.AbsoluteUri.TrimEnd('/') + "|" + model, limits);
            inner = new ThrottlingChatClient(inner, shared, ex => Classify(ex, keyVariable));
        }

        return new RetryingChatClient(inner, new RetryOptions
        {
            MaxRetries = maxRetries,
            Classify = ex => Classify(ex, keyVariable),
            OnRetry = onRetry,
            BaseDelay = baseDelay ?? TimeSpan.FromSeconds(1),
            AttemptTimeout = attemptTimeout ?? TimeSpan.FromMinutes(10),
            CircuitBreaker = new EndpointCircuitBreaker(name, breaker),
        });
    }

    /// <summary>The endpoint as messages name it: scheme, host, port and path (never user info or a query).</summary>
    internal static string Describe(Uri endpoint) =>
        endpoint.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped).TrimEnd('/');

    /// <summary>Parses an http(s) endpoint URL given on the command line.</summary>
    public static Uri ParseEndpoint(string text, string option)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new CliException($"{option} must be an http(s) URL (got '{SecretRedactor.Redact(text)}')");
        }

        return uri;
    }

    /// <summary>Reads an API key from an environment variable (never from a flag); local servers need none.</summary>
    public static async Task<string> ReadKeyAsync(string variable, string? fallbackVariable, string what, TextWriter human)
    {
        var key = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrEmpty(key) && fallbackVariable is not null)
        {
            key = Environment.GetEnvironmentVariable(fallbackVariable);
        }

        if (string.IsNullOrEmpty(key))
        {
            await human.WriteLineAsync($"note: environment variable {variable} is not set; calling the {what} without a key (fine for local servers).").ConfigureAwait(false);
            return "no-key";
        }

        SecretRedactor.Register(key);
        return key;
    }

    /// <summary>Classifies the exceptions the OpenAI .NET client throws (see tests/AlignmentFaking.Testing/README.md).</summary>
    public static CallFailure Classify(Exception exception, string keyVariable)
    {
        switch (exception)
        {
            case AggregateException aggregate when aggregate.InnerExceptions.Count > 0:
                return Classify(aggregate.InnerExceptions[^1], keyVariable);
            case ClientResultException { Status: 405 or 501 } notAllowed:
                // The URL does not take a POST: a web server or a UI, not the API.
                var media = notAllowed.GetRawResponse()?.Headers.TryGetValue("Content-Type", out var type) == true ? type?.Split(';')[0].Trim() : null;
                return new CallFailure(CallFailureKind.Transient, null, string.Create(CultureInfo.InvariantCulture, $"the endpoint answered {notAllowed.Status}{(media is null ? string.Empty : " (" + media + ")")} to a chat completion request, not an OpenAI-compatible reply: check --endpoint (usually ends in /v1)"))
                {
                    Endpoint = EndpointFault.NotTheApi,
                };
            case ClientResultException result when result.Status > 0:
                var raw = result.GetRawResponse();
                var failure = CallFailure.FromStatus(result.Status, RetryAfter(raw));
                if (failure.IsRateLimited && raw is not null)
                {
                    if (ErrorCode(raw) == "insufficient_quota")
                    {
                        return new CallFailure(CallFailureKind.Fatal, null, "429 insufficient_quota: the account has no credit left for this endpoint (check its billing)");
                    }

                    failure = failure with { RateLimit = RateLimitHeaders.Parse(name => raw.Headers.TryGetValue(name, out var value) ? value : null) };
                }

                return failure.Kind == CallFailureKind.Fatal && result.Status == 401
                    ? failure with { Message = $"401 Unauthorized: check the key in environment variable {keyVariable}" }
                    : failure.Kind == CallFailureKind.Fatal
                        ? failure with { Message = failure.Message + " (" + SecretRedactor.Redact(result.Message) + ")" }
                        : failure;
            case ClientResultException { InnerException: { } inner }:
                return CallFailure.Classify(inner) is { Kind: CallFailureKind.Transient } transient ? transient : new CallFailure(CallFailureKind.Transient) { Endpoint = EndpointFault.ConnectionLost };
            case ClientResultException:
                return new CallFailure(CallFailureKind.Transient) { Endpoint = EndpointFault.ConnectionLost }; // no response: dropped connection
            default:
                // A well-formed reply the client cannot read (an ArgumentOutOfRangeException for an unknown finish reason,
                // role or content type) is permanent: the same reply would be rejected again. Empty choice lists and
                // bodies that are not the API's are caught before the client reads them (ReplyShapePolicy).
                return CallFailure.Classify(exception);
        }
    }

    /// <summary>Reads <c>retry-after-ms</c>, then <c>Retry-After</c> (seconds or an HTTP date).</summary>
    internal static TimeSpan? RetryAfter(PipelineResponse? response)
    {
        if (response is null)
        {
            return null;
        }

        if (response.Headers.TryGetValue("retry-after-ms", out var ms) && double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out var millis) && millis >= 0)
        {
            return TimeSpan.FromMilliseconds(millis);
        }

        if (!response.Headers.TryGetValue("Retry-After", out var value) || string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
        {
            return TimeSpan.FromSeconds(seconds);
        }

        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when)
            ? Max(when - DateTimeOffset.UtcNow, TimeSpan.Zero)
            : null;
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>The <c>error.code</c> of an OpenAI error body, if it has one.</summary>
    private static string? ErrorCode(PipelineResponse response)
    {
        try
        {
            using var doc = JsonDocument.Parse(response.Content);
            return doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object
                && error.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.String
                ? code.GetString()
                : null;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>
    /// Checks each successful chat completion reply before the OpenAI client reads it: a body that is not the API's (an
    /// HTML page, JSON without a <c>choices</c> list) becomes <see cref="UnexpectedReplyException"/> (usually a wrong
    /// URL); an empty <c>choices</c> list or a 200 carrying an <c>error</c> object becomes a transient
    /// <see cref="InvalidDataException"/>. Malformed or truncated JSON is left to the client (a transient JsonException),
    /// so what remains for the client to reject is a well-formed reply it deterministically cannot read (permanent).
    /// </summary>
    private sealed class ReplyShapePolicy(string endpoint) : PipelinePolicy
    {
        private const string Hint = "check --endpoint (usually ends in /v1)";

        public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            ProcessNext(message, pipeline, currentIndex);
            Check(message);
        }

        public override async ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            await ProcessNextAsync(message, pipeline, currentIndex).ConfigureAwait(false);
            Check(message);
        }

        private void Check(PipelineMessage message)
        {
            var response = message.Response;
            if (response is null || response.Status is < 200 or > 299
                || message.Request.Uri?.AbsolutePath.EndsWith("/chat/completions", StringComparison.Ordinal) != true)
            {
                return;
            }

            var media = response.Headers.TryGetValue("Content-Type", out var contentType) ? contentType?.Split(';')[0].Trim() : null;
            if (!string.IsNullOrEmpty(media) && !media.Contains("json", StringComparison.OrdinalIgnoreCase)
                && !media.Equals("text/event-stream", StringComparison.OrdinalIgnoreCase))
            {
                throw new UnexpectedReplyException($"the endpoint {endpoint} answered {media}, not an OpenAI-compatible JSON body: {Hint}");
            }

            BinaryData content;
            try
            {
                content = response.Content;
            }
            catch (InvalidOperationException)
            {
                return; // not buffered (a stream): the client reads it
            }

            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(content);
            }
            catch (JsonException)
            {
                return; // malformed or truncated: the client's JsonException, transient
            }

            using (document)
            {
                var root = document.RootElement;
                if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
                {
                    var text = error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : error.GetRawText();
                    throw new InvalidDataException("the endpoint answered 200 with an error: " + SecretRedactor.Redact(text ?? string.Empty));
                }

                if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array)
                {
                    throw new UnexpectedReplyException($"the endpoint {endpoint} answered JSON without a 'choices' list, not an OpenAI chat completion: {Hint}");
                }

                if (choices.GetArrayLength() == 0)
                {
                    throw new InvalidDataException("the response has no choices");
                }
            }
        }
    }
}
