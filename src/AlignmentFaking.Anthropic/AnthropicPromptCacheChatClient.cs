using AlignmentFaking.Running;
using Anthropic.Models.Messages;
using Microsoft.Extensions.AI;

namespace AlignmentFaking.Anthropic;

/// <summary>
/// Anthropic prompt caching (<see cref="AnthropicEndpointOptions.PromptCaching"/>): an ephemeral <c>cache_control</c>
/// breakpoint at the end of the static part of each request, so Anthropic bills it at the cache-read price when it is
/// sent again within the cache's lifetime: the system prompt (the subject's, re-sent on every call of every
/// conversation), or, in a request without one, the first user message (a judge's: the classifier prompt with the
/// material it grades, which every vote of a sample sends again). The caller's messages are not changed.
/// </summary>
/// <remarks>
/// A request marked <see cref="RequestHints.SentOnceKey"/> (its prompt is not sent again) gets no breakpoint: Anthropic
/// would bill it at the cache-write price (1.25x) and never read it. The hint is removed either way, also with caching
/// off (<paramref name="enabled"/> false), so it never reaches the SDK.
/// </remarks>
internal sealed class AnthropicPromptCacheChatClient(IChatClient inner, bool enabled = true) : DelegatingChatClient(inner)
{
    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        base.GetResponseAsync(Mark(messages, options), RequestHints.WithoutHints(options), cancellationToken);

    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        base.GetStreamingResponseAsync(Mark(messages, options), RequestHints.WithoutHints(options), cancellationToken);

    private IEnumerable<ChatMessage> Mark(IEnumerable<ChatMessage> messages, ChatOptions? options) =>
        enabled && !RequestHints.IsSentOnce(options) ? WithBreakpoint(messages) : messages;

    /// <summary>The messages with a breakpoint on the last text of the system prompt, or else of the first user message.</summary>
    internal static List<ChatMessage> WithBreakpoint(IEnumerable<ChatMessage> messages)
    {
        var list = messages.ToList();
        int target = list.FindLastIndex(m => m.Role == ChatRole.System);
        if (target < 0)
        {
            target = list.FindIndex(m => m.Role == ChatRole.User);
        }

        if (target < 0)
        {
            return list;
        }

        var message = list[target];
        int last = -1;
        for (int i = message.Contents.Count - 1; i >= 0; i--)
        {
            if (message.Contents[i] is TextContent { Text: { } text } && !string.IsNullOrWhiteSpace(text))
            {
                last = i;
                break;
            }
        }

        if (last < 0)
        {
            return list;
        }

        var original = (TextContent)message.Contents[last];
        var marked = new TextContent(original.Text)
        {
            AdditionalProperties = original.AdditionalProperties?.Clone(),
            Annotations = original.Annotations,
        }.WithCacheControl(new CacheControlEphemeral());
        var contents = message.Contents.ToList();
        contents[last] = marked;
        var copy = message.Clone();
        copy.Contents = contents;
        list[target] = copy;
        return list;
    }
}
