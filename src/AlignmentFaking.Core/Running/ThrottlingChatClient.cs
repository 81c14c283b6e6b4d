using Microsoft.Extensions.AI;

namespace AlignmentFaking.Running;

/// <summary>
/// Holds every call to the limits of its endpoint (<see cref="EndpointLimits"/>): requests and tokens per minute, and
/// the reactions to 429 replies that show a real rate limit. Added by
/// <see cref="ResilienceChatClientBuilderExtensions.UseEndpointLimits"/>; put it inside <see cref="RetryingChatClient"/>
/// so that each attempt is limited.
/// </summary>
/// <remarks>
/// Over a provider client whose <see cref="HttpClient"/> comes from <see cref="ModelHttpClient"/>, every HTTP attempt
/// (the HTTP layer's retries included) passes the limits below HTTP, sized by this call's token estimate: the lease this
/// client takes for the call serves its first attempt, later attempts take their own, and 429s and successes are
/// reported there, per attempt. Over any other client, the call is limited here as a whole.
/// </remarks>
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

    /// <summary>The token estimate of a call: chars/4 of its messages plus its max output tokens (1,000 when unset).</summary>
    internal static int Estimate(IList<ChatMessage> messages, ChatOptions? options)
    {
        long chars = 0;
        foreach (var m in messages)
        {
            chars += m.Text.Length;
        }

        return (int)Math.Min(int.MaxValue, (chars / 4) + (options?.MaxOutputTokens ?? 1000));
    }

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages as IList<ChatMessage> ?? messages.ToList();
        int estimate = Estimate(list, options);
        var lease = await _limits.AcquireAsync(estimate, cancellationToken).ConfigureAwait(false);
        using var restore = ModelCallScope.EnterLimits(_limits, estimate, lease);
        var scope = ModelCallScope.Current!;
        try
        {
            var response = await base.GetResponseAsync(list, options, cancellationToken).ConfigureAwait(false);
            if (!scope.HttpLimited)
            {
                _limits.OnSuccess();
            }

            return response;
        }
        catch (Exception ex) when (ex is not OperationCanceledException && !scope.HttpLimited && _classify(ex) is { IsRateLimited: true } failure)
        {
            _limits.OnRateLimited(failure);
            throw;
        }
        finally
        {
            scope.TakeLease()?.Dispose();
        }
    }
}
