using Microsoft.Extensions.AI;

namespace AlignmentFaking.Judging.Tests;

/// <summary>A hand-written fake judge: answers each call with a function of the prompt and options; records every call.</summary>
internal sealed class FakeJudge(Func<string, ChatOptions?, int, ChatResponse> answer) : IChatClient
{
    private readonly List<(string Prompt, ChatOptions? Options)> _calls = [];

    public FakeJudge(params string[] replies)
        : this((_, _, i) => Reply(replies[Math.Min(i, replies.Length - 1)]))
    {
    }

    public IReadOnlyList<(string Prompt, ChatOptions? Options)> Calls
    {
        get
        {
            lock (_calls)
            {
                return _calls.ToArray();
            }
        }
    }

    public static ChatResponse Reply(string text, ChatFinishReason? finish = null) =>
        new(new ChatMessage(ChatRole.Assistant, text)) { FinishReason = finish ?? ChatFinishReason.Stop };

    public static FakeJudge Always(string text) => new((_, _, _) => Reply(text));

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var prompt = string.Join("\n", messages.Select(m => m.Text));
        int index;
        lock (_calls)
        {
            index = _calls.Count;
            _calls.Add((prompt, options));
        }

        return Task.FromResult(answer(prompt, options, index));
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
