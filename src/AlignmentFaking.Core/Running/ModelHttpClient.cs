using Microsoft.Extensions.AI;
using Microsoft.Extensions.Http.Resilience;

namespace AlignmentFaking.Running;

/// <summary>
/// The <see cref="HttpClient"/> for a provider SDK's model calls (the OpenAI and Anthropic SDKs both take one), with the
/// resilience sized for LLM calls on <c>Microsoft.Extensions.Http.Resilience</c> (Polly v8). Outermost first: the total
/// timeout, then the retry (408, 409, 425, 429, 5xx, connection failures, attempt timeouts and replies the
/// <see cref="ModelHttpClientOptions.ReplyCheck"/> refuses; delay = the larger of full-jitter exponential backoff and the
/// server's <c>retry-after-ms</c> / <c>Retry-After</c>, on <see cref="RetryOptions.TimeProvider"/>), then the endpoint's
/// circuit breaker (<see cref="RetryOptions.CircuitBreaker"/>: an attempt waits while the endpoint is away), then the
/// endpoint limits of the call (<see cref="ThrottlingChatClient"/> above: every attempt passes them), then the
/// attempt timeout (measured after the limits, so queueing never cuts an attempt), then the reply check, with the body
/// read inside the attempt (a connection dropped mid-body is retried here) and bounded by
/// <see cref="ModelHttpClientOptions.MaxReplyBytes"/> (a larger reply fails at once with <see cref="ReplyTooLargeException"/>).
/// </summary>
/// <remarks>
/// <para>
/// Turn the SDK's own retries and timeouts off (the provider packages do): they would retry on top of these, and their
/// timeouts run on the real clock around the whole pipeline. Calls are not streamed (bodies are buffered).
/// </para>
/// <para>
/// Every status and exception is classified by <see cref="RetryOptions.Classify"/> and <see cref="CallFailure.FromHttpResponse"/>,
/// the same rules as above HTTP: fatal (401, 403, 404, a 429 <c>insufficient_quota</c>) and permanent (another 4xx)
/// replies are never retried and go up to the SDK, which throws for them. Polly's own <c>Retry-After</c> handling is not
/// used: it measures HTTP dates on the system clock, ignores <c>retry-after-ms</c> and replaces the backoff instead of
/// bounding it. Nor is Polly's circuit breaker: inside the retry it fails calls fast while the endpoint is away (each
/// becoming an error sample), where <see cref="EndpointCircuitBreaker"/> holds them until it is back.
/// </para>
/// </remarks>
public static class ModelHttpClient
{
    /// <summary>
    /// The <see cref="ChatResponse.AdditionalProperties"/> key that says what the HTTP layer repaired in the reply's
    /// body so it could be read (<c>invalid-utf8</c>: bytes that are not UTF-8; <c>lone-surrogate</c>: an escaped lone
    /// UTF-16 surrogate; both replaced by U+FFFD). Set by <see cref="RetryingChatClient"/>; a sample records it per call
    /// (<see cref="CallRecord.Repaired"/>).
    /// </summary>
    public const string RepairedKey = "af.repaired";

    /// <summary>Creates the client (its <see cref="HttpClient.Timeout"/> is infinite: the pipeline owns the timeouts).</summary>
    /// <param name="options">Options; defaults when <see langword="null"/>.</param>
    public static HttpClient Create(ModelHttpClientOptions? options = null)
    {
        options ??= new ModelHttpClientOptions();
        options.Validate();
        var pipeline = ModelHttpPipeline.Build(options.Retry);
#pragma warning disable CA2000 // the handlers are owned (and disposed) by the HttpClient
        var handler = new ResilienceHandler(pipeline)
        {
            InnerHandler = new ReplyHandler(options.ReplyCheck, options.MaxReplyBytes)
            {
                InnerHandler = options.PrimaryHandler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) },
            },
        };
#pragma warning restore CA2000
        return new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>
    /// A provider's client over the resilient <see cref="HttpClient"/>, composed the one right way:
    /// <see cref="ResilienceChatClientBuilderExtensions.UseRetries"/> with <see cref="ModelHttpClientOptions.Retry"/>
    /// (the same options as the HTTP layer, so both share one budget per call) outermost, then
    /// <see cref="ResilienceChatClientBuilderExtensions.UseEndpointLimits"/> when <paramref name="limits"/> are given, then
    /// the provider client <paramref name="createProviderClient"/> makes over <see cref="Create"/>'s client (with the SDK's
    /// own retries and timeouts off). Disposing the result disposes the provider client and the <see cref="HttpClient"/>.
    /// Wrap it in more middleware (a cache, a budget) with <c>new ChatClientBuilder(client)</c>.
    /// </summary>
    /// <param name="createProviderClient">Makes the provider SDK's <see cref="IChatClient"/> over the given client.</param>
    /// <param name="options">The HTTP layer's options, whose <see cref="ModelHttpClientOptions.Retry"/> also drives the retries above HTTP.</param>
    /// <param name="limits">The endpoint's limits (<see cref="EndpointLimits.For"/>); <see langword="null"/> for none.</param>
    public static IChatClient CreateChatClient(Func<HttpClient, IChatClient> createProviderClient, ModelHttpClientOptions options, EndpointLimits? limits)
    {
        ArgumentNullException.ThrowIfNull(createProviderClient);
        ArgumentNullException.ThrowIfNull(options);
        var http = Create(options);
        IChatClient provider;
        try
        {
            provider = createProviderClient(http) ?? throw new InvalidOperationException("the provider client factory returned null");
        }
        catch
        {
            http.Dispose();
            throw;
        }

        var builder = new ChatClientBuilder(new HttpClientOwner(provider, http)).UseRetries(options.Retry);
        if (limits is not null)
        {
            builder.UseEndpointLimits(limits, options.Retry.Classify);
        }

        return builder.Build();
    }

    /// <summary>
    /// A provider's client for one endpoint and model, with <paramref name="resilience"/> put together the way the
    /// provider packages do: copies of its option objects (the caller's are never changed) with
    /// <paramref name="classify"/> as the classifier, the endpoint's circuit breaker (named by the endpoint's scheme, host,
    /// port and path, never credentials), the limits shared per endpoint and model (<see cref="EndpointLimits.For"/>) and
    /// the one clock when given; then <see cref="CreateChatClient(Func{HttpClient, IChatClient}, ModelHttpClientOptions, EndpointLimits?)"/>.
    /// </summary>
    /// <param name="createProviderClient">Makes the provider SDK's <see cref="IChatClient"/> over the given client (its own retries and timeouts off).</param>
    /// <param name="endpoint">The endpoint's base URL.</param>
    /// <param name="model">The model id.</param>
    /// <param name="resilience">Retries, limits, breaker, clock and handler.</param>
    /// <param name="classify">The provider's classifier (falling back to <see cref="CallFailure.Classify"/>).</param>
    /// <param name="replyCheck">The provider's reply check (<see cref="ModelHttpClientOptions.ReplyCheck"/>); <see langword="null"/> for none.</param>
    public static IChatClient CreateChatClient(
        Func<HttpClient, IChatClient> createProviderClient,
        Uri endpoint,
        string model,
        ModelResilienceOptions resilience,
        Func<Exception, CallFailure> classify,
        Func<HttpResponseMessage, ReadOnlyMemory<byte>, Exception?>? replyCheck)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        ArgumentNullException.ThrowIfNull(resilience);
        ArgumentNullException.ThrowIfNull(classify);
        resilience.Validate();
        var time = resilience.TimeProvider;
        var source = resilience.Retry;
        var retry = new RetryOptions
        {
            MaxRetries = source.MaxRetries,
            BaseDelay = source.BaseDelay,
            MaxDelay = source.MaxDelay,
            AdaptiveBackoff = source.AdaptiveBackoff,
            AttemptTimeout = source.AttemptTimeout,
            TotalTimeout = source.TotalTimeout,
            Jitter = source.Jitter,
            OnRetry = source.OnRetry,
            TimeProvider = time ?? source.TimeProvider,
            Classify = classify,
            CircuitBreaker = source.CircuitBreaker ?? (resilience.CircuitBreaker is { } breaker ? new EndpointCircuitBreaker(Describe(endpoint), time is null ? breaker : breaker.WithTimeProvider(time)) : null),
        };
        var limits = resilience.Limits is { } l
            ? EndpointLimits.For(endpoint.AbsoluteUri.TrimEnd('/') + "|" + model, time is null ? l : l.WithTimeProvider(time))
            : null;
        return CreateChatClient(createProviderClient, new ModelHttpClientOptions { Retry = retry, ReplyCheck = replyCheck, PrimaryHandler = resilience.PrimaryHandler, MaxReplyBytes = resilience.MaxReplyBytes }, limits);
    }

    /// <summary>The endpoint as messages name it: scheme, host, port and path (never user info or a query).</summary>
    internal static string Describe(Uri endpoint) =>
        endpoint.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped).TrimEnd('/');

    /// <summary>Disposes the <see cref="HttpClient"/> with the provider client that uses it.</summary>
    private sealed class HttpClientOwner(IChatClient inner, HttpClient http) : DelegatingChatClient(inner)
    {
        protected override void Dispose(bool disposing)
        {
            base.Dispose(disposing);
            if (disposing)
            {
                http.Dispose();
            }
        }
    }
}
