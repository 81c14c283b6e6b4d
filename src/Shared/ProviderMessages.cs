using AlignmentFaking.Diagnostics;
using AlignmentFaking.Running;

namespace AlignmentFaking.Providers;

/// <summary>(Source shared by the provider packages, compiled into each.) What the provider classifiers add to a decision.</summary>
internal static class ProviderMessages
{
    /// <summary>A fatal status's message that says where to look: the key's environment variable on a 401, the provider's words otherwise.</summary>
    public static CallFailure WithHint(CallFailure failure, int status, string? keyVariable, string? providerMessage) =>
        failure.Kind != CallFailureKind.Fatal ? failure
        : status == 401 ? failure with { Message = keyVariable is null ? "401 Unauthorized: check the API key" : $"401 Unauthorized: check the key in environment variable {keyVariable}" }
        : string.IsNullOrWhiteSpace(providerMessage) || failure.Message?.StartsWith("429 insufficient_quota", StringComparison.Ordinal) == true ? failure
        : failure with { Message = failure.Message + " (" + SecretRedaction.Redact(providerMessage) + ")" };

    /// <summary>The endpoint as messages name it: scheme, host, port and path (never user info or a query).</summary>
    public static string Describe(Uri endpoint) =>
        endpoint.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped).TrimEnd('/');

    /// <summary>What a call threw, unwrapped from an <see cref="AggregateException"/>.</summary>
    public static Exception Unwrap(Exception exception) =>
        exception is AggregateException { InnerExceptions.Count: > 0 } aggregate ? Unwrap(aggregate.InnerExceptions[^1]) : exception;

    /// <summary>
    /// A failure without a response (the SDK's wrapper of a transport error): its inner exception's classification when
    /// transient or a reply the HTTP layer refused by size (<see cref="ReplyTooLargeException"/>: permanent), else a lost connection.
    /// </summary>
    public static CallFailure NoResponse(Exception? inner) =>
        inner is not null && CallFailure.Classify(inner) is { } failure && (failure.Kind == CallFailureKind.Transient || inner is ReplyTooLargeException)
            ? failure
            : new CallFailure(CallFailureKind.Transient) { Endpoint = EndpointFault.ConnectionLost };
}
