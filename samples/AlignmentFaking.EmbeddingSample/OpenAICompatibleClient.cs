using System.ClientModel;
using System.ClientModel.Primitives;
using AlignmentFaking.Running;
using Microsoft.Extensions.AI;
using OpenAI;

namespace AlignmentFaking.Samples.Embedding;

/// <summary>
/// An OpenAI-compatible endpoint (OpenAI, DeepInfra, OpenRouter, Together, vLLM, Ollama, an Anthropic gateway...) as an
/// <see cref="IChatClient"/>: the official OpenAI client with its own retries off, inside the library's
/// <see cref="RetryingChatClient"/> (bounded retries with backoff and jitter, Retry-After honoured, long timeouts).
/// </summary>
internal static class OpenAICompatibleClient
{
    public static IChatClient Create(Uri endpoint, string model, string? apiKey)
    {
        var options = new OpenAIClientOptions
        {
            Endpoint = endpoint,
            NetworkTimeout = Timeout.InfiniteTimeSpan, // the retrying client's per-attempt timeout owns this
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        };

        // Local servers (vLLM, Ollama, LM Studio) take no key, but the client wants a non-empty one.
        var credential = new ApiKeyCredential(string.IsNullOrEmpty(apiKey) ? "no-key" : apiKey);
        IChatClient inner = new OpenAI.Chat.ChatClient(model, credential, options).AsIChatClient();
        return new RetryingChatClient(inner, new RetryOptions { MaxRetries = 6, Classify = Classify });
    }

    /// <summary>HTTP statuses decide (429 and 5xx retried, 4xx fatal); anything else as the library classifies it.</summary>
    private static CallFailure Classify(Exception exception) => exception switch
    {
        ClientResultException { Status: > 0 } result => CallFailure.FromStatus(result.Status, retryAfter: null),
        ClientResultException => new CallFailure(CallFailureKind.Transient), // no response: a dropped connection
        _ => CallFailure.Classify(exception),
    };
}
