using System.Diagnostics;
using System.Runtime.CompilerServices;
using AlignmentFaking.Diagnostics;
using Microsoft.Extensions.AI;

namespace AlignmentFaking.Running;

/// <summary>
/// Middleware that reports every model call under <see cref="AlignmentFakingTelemetry.Name"/>
/// (<see cref="CallTelemetryChatClientBuilderExtensions.UseCallTelemetry"/>; <see cref="ExperimentRunner"/> composes it
/// outermost when the subject's pipeline has none): an <c>af.call</c> activity around the call (tags <c>af.cached</c>,
/// <c>af.cross_run</c>, <c>af.finish_reason</c>, <c>af.tokens.input</c>, <c>af.tokens.output</c>; status
/// <see cref="ActivityStatusCode.Error"/> with the exception's type when the call fails), and, for each call that
/// returns a reply, <c>af.calls</c> (+1, tag <c>af.cached</c>), <c>af.call.duration</c> (ms, on the
/// <see cref="TimeProvider"/> given) and <c>af.tokens.input</c> / <c>af.tokens.output</c> (the reply's usage).
/// </summary>
/// <remarks>
/// Compose it above the response cache (first on the builder), so replayed replies are counted too, tagged
/// <c>af.cached</c> (<see cref="ResponseCachingChatClient.CachedKey"/>), and the duration is the call's latency as its
/// call record has it.
/// </remarks>
public sealed class CallTelemetryChatClient : DelegatingChatClient
{
    private readonly TimeProvider _time;

    /// <summary>Creates the middleware.</summary>
    /// <param name="innerClient">The client below.</param>
    /// <param name="timeProvider">The clock of <c>af.call.duration</c>. Default: <see cref="TimeProvider.System"/>.</param>
    public CallTelemetryChatClient(IChatClient innerClient, TimeProvider? timeProvider = null)
        : base(innerClient)
    {
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        using var activity = AlignmentFakingTelemetry.Source.StartActivity("af.call");
        long start = _time.GetTimestamp();
        ChatResponse response;
        try
        {
            response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            throw;
        }

        Record(activity, start, response.Usage, response.AdditionalProperties, response.FinishReason);
        return response;
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var activity = AlignmentFakingTelemetry.Source.StartActivity("af.call");
        long start = _time.GetTimestamp();
        var usage = new UsageDetails();
        AdditionalPropertiesDictionary? properties = null;
        ChatFinishReason? finish = null;
        bool completed = false;
        try
        {
            await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
            {
                foreach (var content in update.Contents)
                {
                    if (content is UsageContent u)
                    {
                        usage.Add(u.Details);
                    }
                }

                properties ??= update.AdditionalProperties;
                finish = update.FinishReason ?? finish;
                yield return update;
            }

            completed = true;
        }
        finally
        {
            if (completed)
            {
                Record(activity, start, usage, properties, finish);
            }
            else
            {
                activity?.SetStatus(ActivityStatusCode.Error, "the call did not complete");
            }
        }
    }

    private static bool Flag(AdditionalPropertiesDictionary? properties, string key) =>
        properties is not null && properties.TryGetValue(key, out object? value) && value is true;

    private void Record(Activity? activity, long start, UsageDetails? usage, AdditionalPropertiesDictionary? properties, ChatFinishReason? finish)
    {
        double ms = _time.GetElapsedTime(start).TotalMilliseconds;
        bool cached = Flag(properties, ResponseCachingChatClient.CachedKey);
        long input = usage?.InputTokenCount ?? 0;
        long output = usage?.OutputTokenCount ?? 0;
        AlignmentFakingTelemetry.Calls.Add(1, new KeyValuePair<string, object?>("af.cached", cached));
        AlignmentFakingTelemetry.CallDuration.Record(ms);
        AlignmentFakingTelemetry.InputTokens.Add(input);
        AlignmentFakingTelemetry.OutputTokens.Add(output);
        if (activity is not null)
        {
            activity.SetTag("af.cached", cached);
            activity.SetTag("af.cross_run", Flag(properties, ResponseCachingChatClient.CrossRunKey));
            activity.SetTag("af.finish_reason", finish?.Value);
            activity.SetTag("af.tokens.input", input);
            activity.SetTag("af.tokens.output", output);
        }
    }
}
