namespace AlignmentFaking.Testing;

/// <summary>Ready-made responders for <see cref="OpenAICompatibleTestServer.StartAsync"/>.</summary>
public static class ScriptedResponders
{
    /// <summary>Every call gets the same reply.</summary>
    public static Func<ChatCompletionCall, CancellationToken, ValueTask<ScriptedReply>> Always(ScriptedReply reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        return (_, _) => ValueTask.FromResult(reply);
    }

    /// <summary>Every call gets a completion with this text.</summary>
    public static Func<ChatCompletionCall, CancellationToken, ValueTask<ScriptedReply>> AlwaysText(string text) =>
        Always(ScriptedReply.Text(text));

    /// <summary>Each call gets the reply computed from it.</summary>
    public static Func<ChatCompletionCall, CancellationToken, ValueTask<ScriptedReply>> From(Func<ChatCompletionCall, ScriptedReply> reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        return (call, _) => ValueTask.FromResult(reply(call));
    }

    /// <summary>Each call gets a completion whose text is computed from it.</summary>
    public static Func<ChatCompletionCall, CancellationToken, ValueTask<ScriptedReply>> FromText(Func<ChatCompletionCall, string> text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return (call, _) => ValueTask.FromResult(ScriptedReply.Text(text(call)));
    }

    /// <summary>Each call gets a completion echoing the last message's content, prefixed.</summary>
    public static Func<ChatCompletionCall, CancellationToken, ValueTask<ScriptedReply>> Echo(string prefix = "echo: ") =>
        FromText(call => prefix + call.LastMessageContent);

    /// <summary>The replies in order of arrival (thread-safe); once they run out the last one repeats.</summary>
    public static Func<ChatCompletionCall, CancellationToken, ValueTask<ScriptedReply>> Sequence(params IEnumerable<ScriptedReply> replies)
    {
        ArgumentNullException.ThrowIfNull(replies);
        var list = replies.ToArray();
        if (list.Length == 0)
        {
            throw new ArgumentException("At least one reply is needed.", nameof(replies));
        }

        var next = -1;
        return (_, _) =>
        {
            var i = Interlocked.Increment(ref next);
            return ValueTask.FromResult(list[Math.Min(i, list.Length - 1)]);
        };
    }
}
