#pragma warning disable OPENAI001 // the Responses API of the OpenAI SDK (2.15) and its Microsoft.Extensions.AI adapter are marked for evaluation
using System.ClientModel;
using System.ClientModel.Primitives;
using AlignmentFaking.Diagnostics;
using AlignmentFaking.Providers;
using AlignmentFaking.Running;
using Microsoft.Extensions.AI;
using OpenAI;

namespace AlignmentFaking.OpenAI;

/// <summary>
/// OpenAI's Responses API (<c>POST /v1/responses</c>) as the subject or judge <see cref="IChatClient"/> of an experiment,
/// for the native reasoning its Chat Completions never return: a reasoning model's <c>reasoning</c> output items carry a
/// summary of its reasoning, which becomes <see cref="TextReasoningContent"/> marked as summary-only
/// (<see cref="NativeReasoningChatClient.HiddenKey"/>: the sample's turn records <c>reasoningHiddenKind:
/// "summary-only"</c>, and the alignment-faking judge reads the summary as native reasoning); encrypted reasoning, when
/// the caller's raw options include it, is kept as <see cref="TextReasoningContent.ProtectedData"/> (marked
/// <c>encrypted</c> when there is no summary); a reasoning item that carries the full reasoning (<c>reasoning_text</c>
/// content, as open-weight models served with the Responses API return it) is read in full, unmarked. The same options and the
/// same resilience as <see cref="OpenAICompatibleEndpoint.CreateChatClient"/>: the official OpenAI client's
/// <c>ResponsesClient</c> (its own retries and timeouts off) through Microsoft.Extensions.AI's adapter, over
/// <see cref="ModelHttpClient"/>, with <see cref="OpenAICompatibleEndpoint.Classify"/> deciding what is fatal, permanent
/// or transient (a 401 names <see cref="OpenAIEndpointOptions.ApiKeyVariable"/>), no <c>Authorization</c> header when
/// there is no key, the key registered for redaction.
/// </summary>
/// <remarks>
/// <para>
/// Every call is stateless: <c>store: false</c> and no <c>previous_response_id</c> (a <see cref="ChatOptions.ConversationId"/>
/// is dropped and none is returned), so the conversation is re-sent as input messages as the original's scratchpad loop
/// does, and the response cache (which skips calls that carry a conversation id) keeps working; its key tells this API
/// from Chat Completions (the client's <see cref="ChatClientMetadata.ProviderUri"/> is <c>{endpoint}/responses</c>), so
/// a reply of one is never replayed for the other. Reasoning is never
/// sent back: the <see cref="TextReasoningContent"/> of input messages is left out.
/// </para>
/// <para>
/// For a reasoning model (the model id, after any <c>provider/</c> prefix, starts with <c>o1</c>, <c>o3</c>,
/// <c>o4</c> or <c>gpt-5</c>; or the call asks for a reasoning effort, <see cref="ChatOptions.Reasoning"/>) a call sends
/// <c>reasoning: {"effort": ..., "summary": "auto"}</c> and no temperature, which those models refuse; other models get
/// neither <c>reasoning</c> (OpenAI refuses it for them) nor a change of temperature. A thinking budget
/// (<see cref="NativeReasoningChatClient.ThinkingBudgetKey"/>, Anthropic's) is refused with a
/// <see cref="FatalCallException"/> before any request. Usage gives the input, output, cached input and reasoning
/// tokens. Streamed replies carry the reasoning as Microsoft.Extensions.AI streams it, unmarked.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// IChatClient subject = OpenAIResponsesEndpoint.CreateChatClient(new OpenAIEndpointOptions
/// {
///     Endpoint = new Uri("https://api.openai.com/v1"),
///     Model = "o4-mini",
///     ApiKey = Environment.GetEnvironmentVariable("OPENAI_API_KEY"),
///     ApiKeyVariable = "OPENAI_API_KEY",
/// });
/// </code>
/// </example>
public static class OpenAIResponsesEndpoint
{
    /// <summary>OpenAI's API base URL: <c>https://api.openai.com/v1</c>.</summary>
    public static Uri DefaultEndpoint { get; } = new("https://api.openai.com/v1");

    /// <summary>
    /// The <c>openai-responses</c> provider for a <see cref="ModelProviderCatalog"/>: OpenAI's Responses API through
    /// <see cref="CreateChatClient"/> (reasoning summaries captured; base URL default <see cref="DefaultEndpoint"/>), the
    /// failure classifier of <see cref="OpenAICompatibleEndpoint"/>, the built-in prices; no batch service on this path
    /// (use <c>openai-compatible</c> for the Batch API). The key falls back to <c>OPENAI_API_KEY</c>.
    /// </summary>
    public static ModelProvider Provider { get; } = new()
    {
        Name = "openai-responses",
        Description = "OpenAI's Responses API, whose reasoning models return reasoning summaries (--endpoint default https://api.openai.com/v1)",
        DefaultEndpoint = DefaultEndpoint,
        FallbackApiKeyVariable = "OPENAI_API_KEY",
        CreateChatClient = settings => CreateChatClient(OpenAICompatibleEndpoint.OptionsFrom(settings)),
        Classify = OpenAICompatibleEndpoint.Classify,
    };

    /// <summary>Creates the client; disposing it disposes its <see cref="HttpClient"/>.</summary>
    /// <param name="options">The endpoint (the base URL, <c>https://api.openai.com/v1</c>), model, key and resilience.</param>
    /// <returns>The client, calling <c>{endpoint}/responses</c>.</returns>
    /// <exception cref="ArgumentException">An option is invalid (the message names it).</exception>
    public static IChatClient CreateChatClient(OpenAIEndpointOptions options) =>
        OpenAICompatibleEndpoint.Create(
            options,
            (model, credential, clientOptions) => new OpenAIResponsesChatClient(new OpenAIClient(credential, clientOptions).GetResponsesClient().AsIChatClient(model), model),
            "/responses",
            "output",
            "Responses API");
}
