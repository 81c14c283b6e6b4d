using System.ClientModel;
using System.ClientModel.Primitives;
using System.Globalization;
using AlignmentFaking.Internal;
using AlignmentFaking.Running;
using Microsoft.Extensions.AI;
using OpenAI;

namespace AlignmentFaking.Cli;

/// <summary>
/// Wires an OpenAI-compatible endpoint as an <see cref="IChatClient"/>: the official OpenAI client with its own retries
/// off, inside our <see cref="RetryingChatClient"/> (bounded retries, backoff with jitter, <c>Retry-After</c> honoured,
/// LLM-sized timeouts) with a classifier that knows the OpenAI client's exceptions.
/// </summary>
internal static class OpenAICompatibleSubject
{
    public static IChatClient Create(Uri endpoint, string model, string apiKey, string keyVariable, int maxRetries, Action<int, Exception, TimeSpan>? onRetry = null, TimeSpan? baseDelay = null, EndpointLimitOptions? limits = null, TimeSpan? attemptTimeout = null)
    {
        SecretRedactor.Register(apiKey);
        var clientOptions = new OpenAIClientOptions
        {
            Endpoint = endpoint,
            NetworkTimeout = Timeout.InfiniteTimeSpan, // our per-attempt timeout owns this
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        };
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
        });
    }

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
            case ClientResultException result when result.Status > 0:
                var failure = CallFailure.FromStatus(result.Status, RetryAfter(result.GetRawResponse()));
                return failure.Kind == CallFailureKind.Fatal && result.Status == 401
                    ? failure with { Message = $"401 Unauthorized: check the key in environment variable {keyVariable}" }
                    : failure.Kind == CallFailureKind.Fatal
                        ? failure with { Message = failure.Message + " (" + SecretRedactor.Redact(result.Message) + ")" }
                        : failure;
            case ClientResultException:
                return new CallFailure(CallFailureKind.Transient); // no response: dropped connection
            case ArgumentOutOfRangeException:
                return new CallFailure(CallFailureKind.Transient); // an empty or unreadable choice list
            default:
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
}
