using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace AlignmentFaking.Running;

/// <summary>
/// The resilience layers of a model client, the Microsoft.Extensions.AI way: <c>new ChatClientBuilder(provider)
/// .UseRetries(retry).UseEndpointLimits(limits).Build()</c> (the first <c>Use</c> is the outermost). Over a provider
/// client whose <see cref="HttpClient"/> comes from <see cref="ModelHttpClient"/> (what the AlignmentFaking.OpenAI and
/// AlignmentFaking.Anthropic packages build), the HTTP layer retries each attempt and every attempt passes the limits;
/// these layers add the token estimate, the per-call budget and deadline, and the retries of what only shows above HTTP.
/// </summary>
public static class ResilienceChatClientBuilderExtensions
{
    /// <summary>
    /// Adds <see cref="RetryingChatClient"/>: bounded retries with backoff, <c>Retry-After</c>, timeouts and the circuit
    /// breaker; fatal failures become <see cref="FatalCallException"/>, permanent ones are not retried. Over
    /// <see cref="ModelHttpClient"/> (with the same <paramref name="options"/>) it retries only what the HTTP layer could
    /// not see, and <see cref="RetryOptions.MaxRetries"/> bounds both layers' retries together per call.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="options">
    /// The options; when <see langword="null"/>, the defaults with the <see cref="TimeProvider"/> registered in the
    /// builder's services (else <see cref="TimeProvider.System"/>).
    /// </param>
    /// <returns>The builder.</returns>
    public static ChatClientBuilder UseRetries(this ChatClientBuilder builder, RetryOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        options?.Validate();
        return builder.Use((inner, services) => new RetryingChatClient(
            inner,
            options ?? new RetryOptions { TimeProvider = services.GetService<TimeProvider>() ?? TimeProvider.System }));
    }

    /// <summary>
    /// Adds <see cref="ThrottlingChatClient"/>: every call (over <see cref="ModelHttpClient"/>, every HTTP attempt) waits
    /// for a concurrency slot and the request and token permits of <paramref name="limits"/>, sized by the call's
    /// estimate (chars/4 of its input plus its max output tokens), and 429s act on every call of the endpoint once they
    /// show a real limit. Put it inside <see cref="UseRetries(ChatClientBuilder, RetryOptions?)"/>.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="limits">The endpoint's limits, shared by its clients (<see cref="EndpointLimits.For"/>).</param>
    /// <param name="classify">Tells rate-limit failures from others above HTTP; <see cref="CallFailure.Classify"/> by default.</param>
    /// <returns>The builder.</returns>
    public static ChatClientBuilder UseEndpointLimits(this ChatClientBuilder builder, EndpointLimits limits, Func<Exception, CallFailure>? classify = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(limits);
        return builder.Use(inner => new ThrottlingChatClient(inner, limits, classify));
    }
}
