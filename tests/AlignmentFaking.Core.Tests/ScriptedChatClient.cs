using Microsoft.Extensions.AI;

namespace AlignmentFaking.Tests;

/// <summary>A hand-written fake subject: answers each call with a function of the messages; records every call.</summary>
internal sealed class ScriptedChatClient(Func<IReadOnlyList<ChatMessage>, ChatOptions?, ChatResponse> answer) : IChatClient
{
    private readonly List<(IReadOnlyList<ChatMessage> Messages, ChatOptions? Options)> _calls = [];

    public ScriptedChatClient(params string[] replies)
        : this(Sequence(replies))
    {
    }

    public IReadOnlyList<(IReadOnlyList<ChatMessage> Messages, ChatOptions? Options)> Calls
    {
        get
        {
            lock (_calls)
            {
                return _calls.ToArray();
            }
        }
    }

    public static ChatResponse Reply(string text, ChatFinishReason? finish = null, int input = 10, int output = 5) =>
        new(new ChatMessage(ChatRole.Assistant, text))
        {
            FinishReason = finish ?? ChatFinishReason.Stop,
            Usage = new UsageDetails { InputTokenCount = input, OutputTokenCount = output },
        };

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var list = messages.Select(m => new ChatMessage(m.Role, m.Text)).ToArray();
        lock (_calls)
        {
            _calls.Add((list, options));
        }

        return Task.FromResult(answer(list, options));
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }

    private static Func<IReadOnlyList<ChatMessage>, ChatOptions?, ChatResponse> Sequence(string[] replies)
    {
        int next = 0;
        return (_, _) => Reply(replies[Math.Min(Interlocked.Increment(ref next) - 1, replies.Length - 1)]);
    }
}
