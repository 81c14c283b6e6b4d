using System.Runtime.CompilerServices;
using AlignmentFaking.Diagnostics;
using AlignmentFaking.Judging.Caching;
using AlignmentFaking.Running;
using Microsoft.Extensions.AI;

namespace AlignmentFaking.Judging.Internal;

/// <summary>One judge completion: its text and finish reason, or the error of a failed call.</summary>
internal sealed record JudgeReply(string? Text, string? FinishReason, string? Error, bool FromCache);

/// <summary>
/// Calls the judge: looks every vote up in the cache first, then asks for the missing ones, several per request when the
/// judge can return several choices (<see cref="MultipleChoices"/>, or the caller configured them: a response's assistant
/// messages are its choices), else one call per vote. The first request goes alone; when an endpoint returns fewer
/// choices than asked, the rest are asked for in smaller requests and the limit is kept in <see cref="ChoiceLimits"/>.
/// </summary>
/// <remarks>
/// A failure no retry can fix (<see cref="FatalCallException"/>, or a 401/403/404 by <see cref="CallFailure.Classify"/>:
/// a wrong key, model or URL) is never a vote or a verdict: it is thrown, and every later call to the same judge
/// (client and model) throws it at once without calling. The first call to a judge goes alone, the others wait for its
/// answer, so a wrong key costs one call. Provider text (replies, error messages) is redacted as it comes in.
/// </remarks>
internal sealed class JudgeInvoker
{
    private readonly IChatClient _client;
    private readonly JudgeCache? _cache;
    private readonly ChatOptions _options;
    private readonly string? _modelId;
    private readonly int _votesPerRequest;
    private readonly Func<ChatOptions, int, ChatOptions>? _configureChoices;
    private readonly int _maxParallel;
    private readonly ChoiceLimits _limits;
    private readonly bool _multipleChoices;

    /// <summary>Whether each prompt is sent once (<see cref="RequestHints.SentOnceKey"/>: no prompt-cache write where writes cost more).</summary>
    private readonly bool _sentOnce;
    private readonly TaskCompletionSource _probed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _probing;
    private long _calls;

    public JudgeInvoker(IChatClient client, JudgeCache? cache, string? modelId, float temperature, int? maxOutputTokens, int votesPerRequest = 1, Func<ChatOptions, int, ChatOptions>? configureChoices = null, int maxParallel = 1, ChoiceLimits? limits = null, bool sentOnce = false)
    {
        _sentOnce = sentOnce;
        _client = client;
        _cache = cache;
        _modelId = modelId ?? client.GetService<ChatClientMetadata>()?.DefaultModelId;
        _options = new ChatOptions { Temperature = temperature, MaxOutputTokens = maxOutputTokens, ModelId = modelId };
        _votesPerRequest = Math.Max(1, votesPerRequest);
        _configureChoices = configureChoices;
        _maxParallel = Math.Max(1, maxParallel);
        _limits = limits ?? new ChoiceLimits();
        _multipleChoices = MultipleChoicesSupported;
    }

    /// <summary>Judge calls made (cache hits excluded; a multi-choice request counts once).</summary>
    public long Calls => Interlocked.Read(ref _calls);

    public async Task<JudgeReply[]> GetRepliesAsync(IReadOnlyList<ChatMessage> prompt, int firstIndex, int count, CancellationToken cancellationToken)
    {
        var replies = new JudgeReply[count];
        var keys = new string[count];
        var missing = new List<int>();
        var plan = JudgeCallPlanScope.Current;
        var cache = _cache ?? plan?.FallbackCache;
        for (int i = 0; i < count; i++)
        {
            keys[i] = JudgeCache.ComputeKey(_modelId, _options, prompt, firstIndex + i);
            var cached = cache is null ? null : await cache.TryGetAsync(keys[i], cancellationToken).ConfigureAwait(false);
            if (cached is not null)
            {
                replies[i] = new JudgeReply(cached.Text, cached.FinishReason, null, true);
            }
            else
            {
                missing.Add(i);
            }
        }

        if (missing.Count == 0)
        {
            return replies;
        }

        if (plan is not null && cache is not null)
        {
            // Planning (or the final pass of a batch judgement): record the calls, make none.
            var options = _sentOnce ? RequestHints.SentOnce(_options) : _options.Clone();
            options.ModelId = _modelId ?? _options.ModelId;
            foreach (int i in missing)
            {
                replies[i] = plan.Record(keys[i], prompt, options, cache);
            }

            return replies;
        }

        // The first request of a sample goes alone: it learns how many choices the endpoint returns (the rest are then
        // asked for in requests no larger) and, where the provider caches prompts, the others read the prompt it wrote.
        // Until the endpoint has answered one such request, the first asking for several choices goes alone (the others
        // wait for it), so a limit costs at most one request that returns fewer choices, or one refused.
        var queue = missing.ToArray();
        bool probe = false;
        if (_multipleChoices && queue.Length > 1 && !_probed.Task.IsCompleted)
        {
            probe = Interlocked.Exchange(ref _probing, 1) == 0;
            if (!probe)
            {
                await _probed.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        int first = Math.Min(queue.Length, PerRequest());
        try
        {
            await FillAsync(prompt, queue[..first], keys, replies, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (probe)
            {
                _probed.TrySetResult();
            }
        }

        if (first < queue.Length)
        {
            await Parallel.ForEachAsync(
                queue[first..].Chunk(PerRequest()),
                new ParallelOptions { MaxDegreeOfParallelism = _maxParallel, CancellationToken = cancellationToken },
                (batch, ct) => new ValueTask(FillAsync(prompt, batch, keys, replies, ct))).ConfigureAwait(false);
        }

        return replies;
    }

    /// <summary>Whether the judge can return several choices from one request.</summary>
    private bool MultipleChoicesSupported => _configureChoices is not null || MultipleChoices.IsSupported(_client);

    /// <summary>The votes to ask for in one request: the configured maximum, no more than the endpoint was seen to return.</summary>
    private int PerRequest() =>
        !_multipleChoices ? 1 : Math.Max(1, Math.Min(_votesPerRequest, _limits.Get(_client, _modelId) ?? int.MaxValue));

    /// <summary>
    /// Asks for the replies of <paramref name="batch"/> (vote positions), in one request when the judge returns several
    /// choices; when fewer come back, the limit is recorded and the rest are asked for again. A failed request fills every
    /// vote it was asked for with its error.
    /// </summary>
    private async Task FillAsync(IReadOnlyList<ChatMessage> prompt, int[] batch, string[] keys, JudgeReply[] replies, CancellationToken ct)
    {
        var pending = new Queue<int>(batch);
        while (pending.Count > 0)
        {
            int asked = Math.Min(pending.Count, PerRequest());
            var got = await CallAsync(prompt, asked, ct).ConfigureAwait(false);
            if (got.Count == 1 && got[0].Error is not null)
            {
                for (int n = 0; n < asked; n++)
                {
                    replies[pending.Dequeue()] = got[0];
                }

                continue;
            }

            if (asked > 1 && got.Count < asked && got.Count > 0)
            {
                _limits.Record(_client, _modelId, got.Count);
            }

            foreach (var reply in got.Take(asked))
            {
                int i = pending.Dequeue();
                replies[i] = reply;
                if (reply.Error is null && reply.Text is not null && _cache is not null)
                {
                    await _cache.SetAsync(keys[i], new CachedJudgeReply(reply.Text, reply.FinishReason), ct).ConfigureAwait(false);
                }
            }
        }
    }

    private async Task<IReadOnlyList<JudgeReply>> CallAsync(IReadOnlyList<ChatMessage> prompt, int choices, CancellationToken cancellationToken)
    {
        // The hint is added per call, after the judge-cache key (computed from _options) is taken: the keys do not change.
        var options = _sentOnce ? RequestHints.SentOnce(_options) : _options.Clone();
        if (choices > 1)
        {
            options = _configureChoices is not null ? _configureChoices(options, choices) : MultipleChoices.Request(options, choices);
        }

        var endpoint = JudgeEndpointState.For(_client, options.ModelId ?? _modelId);
        bool first = await endpoint.EnterAsync(cancellationToken).ConfigureAwait(false);
        ChatResponse response;
        try
        {
            Interlocked.Increment(ref _calls);
            response = await _client.GetResponseAsync(prompt, options, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // A failed judge call is recorded as an error outcome, never as a verdict; a fatal one stops the judgement.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            if (Fatal(ex) is { } fatal)
            {
                endpoint.Fail(fatal);
                throw fatal;
            }

            return [new JudgeReply(null, null, SecretRedaction.Redact(ex.GetType().Name + ": " + ex.Message), false)];
        }
        finally
        {
            if (first)
            {
                endpoint.Answered();
            }
        }

        var finish = response.FinishReason?.Value;
        if (choices == 1)
        {
            return [new JudgeReply(Redact(response.Text), finish, null, false)];
        }

        var messages = response.Messages.Where(m => m.Role == ChatRole.Assistant).ToArray();
        return messages.Length == 0
            ? [new JudgeReply(Redact(response.Text), finish, null, false)]
            : messages.Select(m => new JudgeReply(Redact(m.Text), FinishOf(m) ?? finish, null, false)).ToArray();

        static string? Redact(string? text) => text is null ? null : SecretRedaction.RedactRegistered(text);

        static string? FinishOf(ChatMessage message) =>
            message.AdditionalProperties?.TryGetValue(MultipleChoices.FinishReasonKey, out var value) == true ? value as string : null;
    }

    /// <summary>The exception that stops the judgement when <paramref name="exception"/> is one no retry can fix; otherwise <see langword="null"/>.</summary>
    private static FatalCallException? Fatal(Exception exception)
    {
        var failure = CallFailure.Classify(exception);
        return failure.Kind != CallFailureKind.Fatal ? null
            : new FatalCallException("the judge call failed: " + SecretRedaction.Redact(failure.Message ?? exception.Message), exception);
    }

    /// <summary>
    /// What is known of one judge (client and model) in this process: whether its first call has been answered (the
    /// others wait for it) and the failure that stopped it, if any.
    /// </summary>
    private sealed class JudgeEndpointState
    {
        private static readonly ConditionalWeakTable<IChatClient, System.Collections.Concurrent.ConcurrentDictionary<string, JudgeEndpointState>> States = new();
        private readonly TaskCompletionSource _firstAnswer = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _started;
        private volatile FatalCallException? _fatal;

        public static JudgeEndpointState For(IChatClient client, string? modelId) =>
            States.GetValue(client, _ => new(StringComparer.Ordinal)).GetOrAdd(modelId ?? string.Empty, _ => new JudgeEndpointState());

        /// <summary>Returns <see langword="true"/> for the first call (which must call <see cref="Answered"/>); the others wait for it. Throws once the judge failed fatally.</summary>
        public async ValueTask<bool> EnterAsync(CancellationToken cancellationToken)
        {
            ThrowIfFailed();
            if (Interlocked.Exchange(ref _started, 1) == 0)
            {
                return true;
            }

            await _firstAnswer.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            ThrowIfFailed();
            return false;
        }

        public void Answered() => _firstAnswer.TrySetResult();

        public void Fail(FatalCallException fatal)
        {
            _fatal ??= fatal;
            _firstAnswer.TrySetResult();
        }

        private void ThrowIfFailed()
        {
            if (_fatal is { } fatal)
            {
                throw new FatalCallException(fatal.Message, fatal.InnerException);
            }
        }
    }
}
