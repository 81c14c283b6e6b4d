using Microsoft.Extensions.AI;

namespace AlignmentFaking.Running;

/// <summary>
/// Several choices from one chat request (OpenAI's <c>n</c>), portably: Microsoft.Extensions.AI has no such option and
/// its OpenAI adapter surfaces only the first choice, so a caller asks through <see cref="CountKey"/> and a client that
/// can answer (the clients of <c>AlignmentFaking.OpenAI</c>) says so through <see cref="IChatClient.GetService"/>
/// (<see cref="IsSupported"/>), sends <c>n</c>, and returns every choice as its own assistant message in
/// <see cref="ChatResponse.Messages"/> (each with its finish reason in <see cref="FinishReasonKey"/>). The input is sent
/// and billed once, the output of every choice is billed.
/// </summary>
/// <remarks>
/// An endpoint may return fewer choices than asked (some cap <c>n</c>); the client then returns what it got, and an
/// endpoint that refuses the request with a 400 naming <c>n</c> is asked again for fewer (the number the error names,
/// else half), so a caller asks for the rest in further requests (see <see cref="ChoiceLimits"/>).
/// </remarks>
public sealed class MultipleChoices
{
    /// <summary>
    /// The <see cref="ChatOptions.AdditionalProperties"/> key holding how many choices (an <see cref="int"/>, 2 or more)
    /// to ask for in one request. A client that honours it removes it before the request goes further, so it is never sent.
    /// </summary>
    public const string CountKey = "af.choices";

    /// <summary>The <see cref="ChatMessage.AdditionalProperties"/> key of each choice's finish reason (a <see cref="string"/> such as <c>stop</c> or <c>length</c>).</summary>
    public const string FinishReasonKey = "af.finishReason";

    private MultipleChoices()
    {
    }

    /// <summary>The service object a client returns from <see cref="IChatClient.GetService"/> for <see cref="MultipleChoices"/> when it honours <see cref="CountKey"/>.</summary>
    public static MultipleChoices Supported { get; } = new();

    /// <summary>Whether <paramref name="client"/> (or a client it wraps) honours <see cref="CountKey"/>.</summary>
    /// <param name="client">The client.</param>
    public static bool IsSupported(IChatClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        return client.GetService(typeof(MultipleChoices)) is not null;
    }

    /// <summary>A copy of <paramref name="options"/> asking for <paramref name="count"/> choices (none of the key when 1).</summary>
    /// <param name="options">The options (not changed).</param>
    /// <param name="count">The choices to ask for (at least 1).</param>
    public static ChatOptions Request(ChatOptions options, int count)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var copy = options.Clone();
        if (count > 1)
        {
            copy.AdditionalProperties = copy.AdditionalProperties?.Clone() ?? [];
            copy.AdditionalProperties[CountKey] = count;
        }

        return copy;
    }

    /// <summary>The choices asked for in <paramref name="options"/> (<see cref="CountKey"/>); 1 when none.</summary>
    /// <param name="options">The options, if any.</param>
    public static int RequestedCount(ChatOptions? options) =>
        options?.AdditionalProperties is { } properties && properties.TryGetValue(CountKey, out var value) && value is int count && count > 1 ? count : 1;
}
