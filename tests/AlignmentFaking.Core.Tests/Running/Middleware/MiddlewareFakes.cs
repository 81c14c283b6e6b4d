using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Time.Testing;

namespace AlignmentFaking.Tests.Running.Middleware;

/// <summary>
/// A hand-written provider client as the middleware sees it: its metadata names an endpoint (as the OpenAI adapter's
/// does), each call takes <see cref="Latency"/> on a <see cref="FakeTimeProvider"/> (advanced, never slept), answers
/// with <see cref="Answer"/>, and is recorded with the options it received.
/// </summary>
internal sealed class FakeProvider(string endpoint = "http://127.0.0.1:8000/v1", string model = "the-model", FakeTimeProvider? time = null) : IChatClient
{
    private readonly List<(IReadOnlyList<ChatMessage> Messages, ChatOptions? Options)> _calls = [];
    private int _count;

    public ChatClientMetadata Metadata { get; } = new("openai", new Uri(endpoint), model);

    public TimeSpan Latency { get; set; } = TimeSpan.FromMilliseconds(250);

    public Func<int, ChatResponse> Answer { get; set; } = n => new ChatResponse(new ChatMessage(ChatRole.Assistant, $"reply {n}"))
    {
        FinishReason = ChatFinishReason.Stop,
        ModelId = "served-model",
        ResponseId = $"resp-{n}",
        Usage = new UsageDetails { InputTokenCount = 1000, OutputTokenCount = 100, CachedInputTokenCount = 400 },
    };

    /// <summary>Runs inside each call (before it answers): to hold a call, fail it, or look at the world while it is in flight.</summary>
    public Func<CancellationToken, Task>? During { get; set; }

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

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        int n;
        lock (_calls)
        {
            _calls.Add((messages.ToArray(), options));
            n = ++_count;
        }

        time?.Advance(Latency);
        if (During is { } during)
        {
            await during(cancellationToken).ConfigureAwait(false);
        }

        return Answer(n);
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        foreach (var update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType == typeof(ChatClientMetadata) ? Metadata : null;

    public void Dispose()
    {
    }
}

/// <summary>A hand-written <see cref="IDistributedCache"/> in memory; writes can be made to fail as a full disk does.</summary>
internal sealed class FakeCache : IDistributedCache
{
    private readonly Dictionary<string, byte[]> _entries = new(StringComparer.Ordinal);

    public Exception? FailWrites { get; set; }

    public int Writes { get; private set; }

    public IReadOnlyDictionary<string, byte[]> Entries
    {
        get
        {
            lock (_entries)
            {
                return new Dictionary<string, byte[]>(_entries, StringComparer.Ordinal);
            }
        }
    }

    public string? Text(string key) => Entries.TryGetValue(key, out var bytes) ? System.Text.Encoding.UTF8.GetString(bytes) : null;

    public byte[]? Get(string key)
    {
        lock (_entries)
        {
            return _entries.TryGetValue(key, out var value) ? value : null;
        }
    }

    public Task<byte[]?> GetAsync(string key, CancellationToken token = default)
    {
        token.ThrowIfCancellationRequested();
        return Task.FromResult(Get(key));
    }

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options)
    {
        if (FailWrites is { } failure)
        {
            throw failure;
        }

        lock (_entries)
        {
            _entries[key] = value;
            Writes++;
        }
    }

    public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        token.ThrowIfCancellationRequested();
        Set(key, value, options);
        return Task.CompletedTask;
    }

    public void Refresh(string key)
    {
    }

    public Task RefreshAsync(string key, CancellationToken token = default) => Task.CompletedTask;

    public void Remove(string key)
    {
        lock (_entries)
        {
            _entries.Remove(key);
        }
    }

    public Task RemoveAsync(string key, CancellationToken token = default)
    {
        Remove(key);
        return Task.CompletedTask;
    }
}
