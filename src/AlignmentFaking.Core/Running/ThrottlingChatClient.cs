using Microsoft.Extensions.AI;

namespace AlignmentFaking.Running;

/// <summary>
/// Holds every call to the limits of its endpoint (<see cref="EndpointLimits"/>): requests and tokens per minute, and
/// the reactions to 429 replies that show a real rate limit. Put it inside <see cref="RetryingChatClient"/> so that each
/// attempt is limited.
/// </summary>
public sealed class ThrottlingChatClient : DelegatingChatClient
{
    private readonly EndpointLimits _limits;
    private readonly Func<Exception, CallFailure> _classify;

    /// <summary>Wraps a client.</summary>
    /// <param name="innerClient">The client to call.</param>
    /// <param name="limits">The endpoint's limits (shared with other clients of the same endpoint).</param>
    /// <param name="classify">Tells rate-limit replies from other failures; <see cref="CallFailure.Classify"/> by default.</param>
    public ThrottlingChatClient(IChatClient innerClient, EndpointLimits limits, Func<Exception, CallFailure>? classify = null)
        : base(innerClient)
    {
        _limits = limits ?? throw new ArgumentNullException(nameof(limits));
        _classify = classify ?? CallFailure.Classify;
    }

    /// <summary>The limits this client obeys.</summary>
    public EndpointLimits Limits => _limits;

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages as IList<ChatMessage> ?? messages.ToList();
        long chars = 0;
        foreach (var m in list)
        {
            chars += m.Text.Length;
        }

        int estimate = (int)Math.Min(int.MaxValue, (chars / 4) + (options?.MaxOutputTokens ?? 1000));
        using var lease = await _limits.AcquireAsync(estimate, cancellationToken).ConfigureAwait(false);
        try
        {
            var response = await base.GetResponseAsync(list, options, cancellationToken).ConfigureAwait(false);
            _limits.OnSuccess();
            return response;
        }
        catch (Exception ex) when (ex is not OperationCanceledException && _classify(ex) is { IsRateLimited: true } failure)
        {
            _limits.OnRateLimited(failure);
            throw;
        }
    }
}
