using System.Net.Sockets;
using AlignmentFaking.Running;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;

namespace AlignmentFaking.Tests.Running;

public class EndpointCircuitBreakerTests
{
    private const string Endpoint = "http://127.0.0.1:9/v1";
    private static readonly ChatMessage[] Messages = [new(ChatRole.User, "hi")];

    private static HttpRequestException Refused() =>
        new(HttpRequestError.ConnectionError, "Connection refused (127.0.0.1:9)", new SocketException((int)SocketError.ConnectionRefused));

    /// <summary>A subject that answers while <see cref="Down"/> is false and refuses connections while it is true.</summary>
    private sealed class SwitchableEndpoint : IChatClient
    {
        private int _calls;
        private volatile bool _down;

        public bool Down
        {
            get => _down;
            set => _down = value;
        }

        public int Calls => Volatile.Read(ref _calls);

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _calls);
            return Down ? Task.FromException<ChatResponse>(Refused()) : Task.FromResult(ScriptedChatClient.Reply("ok"));
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }

    private static (RetryingChatClient Client, EndpointCircuitBreaker Breaker, List<string> Log) Create(IChatClient inner, FakeTimeProvider time, int maxRetries = 2)
    {
        var log = new List<string>();
        var breaker = new EndpointCircuitBreaker(Endpoint, new CircuitBreakerOptions { TimeProvider = time, OnStateChanged = m => { lock (log) { log.Add(m); } } });
        var client = new RetryingChatClient(inner, new RetryOptions { MaxRetries = maxRetries, TimeProvider = time, Jitter = () => 0, CircuitBreaker = breaker });
        return (client, breaker, log);
    }

    /// <summary>Lets continuations run (real time) without moving the fake clock.</summary>
    private static async Task SettleAsync()
    {
        for (int i = 0; i < 20; i++)
        {
            await Task.Delay(1);
        }
    }

    [Test]
    public void An_endpoint_that_never_answered_and_refuses_connections_stops_at_once_with_the_cause()
    {
        var time = new FakeTimeProvider();
        var endpoint = new SwitchableEndpoint { Down = true };
        var (client, _, _) = Create(endpoint, time, maxRetries: 6);
        Assert.That(async () => await client.GetResponseAsync(Messages), Throws.TypeOf<FatalCallException>().With.Message.EqualTo($"cannot reach {Endpoint}: connection refused"));
        Assert.That(endpoint.Calls, Is.EqualTo(1), "no retry of an endpoint that never answered");
        Assert.That(async () => await client.GetResponseAsync(Messages), Throws.TypeOf<FatalCallException>());
        Assert.That(endpoint.Calls, Is.EqualTo(1), "and no later call");
    }

    [Test]
    public void A_reply_not_in_the_api_shape_from_an_endpoint_that_never_answered_stops_at_once()
    {
        var breaker = new EndpointCircuitBreaker(Endpoint, new CircuitBreakerOptions { TimeProvider = new FakeTimeProvider() });
        var failure = CallFailure.Classify(new UnexpectedReplyException("the endpoint answered text/html, not an OpenAI-compatible JSON body"));
        Assert.That(() => breaker.RecordFailure(failure), Throws.TypeOf<FatalCallException>().With.Message.EqualTo("the endpoint answered text/html, not an OpenAI-compatible JSON body"));
    }

    [Test]
    public void Lost_connections_of_an_endpoint_that_never_answered_stop_it_after_the_threshold()
    {
        var breaker = new EndpointCircuitBreaker(Endpoint, new CircuitBreakerOptions { TimeProvider = new FakeTimeProvider(), FailureThreshold = 3 });
        var lost = CallFailure.Classify(new IOException("Connection reset by peer"));
        Assert.That(lost.Endpoint, Is.EqualTo(EndpointFault.ConnectionLost));
        Assert.That(breaker.RecordFailure(lost), Is.False);
        Assert.That(breaker.RecordFailure(lost), Is.False);
        Assert.That(() => breaker.RecordFailure(lost), Throws.TypeOf<FatalCallException>().With.Message.Contains("cannot reach " + Endpoint));
    }

    [Test]
    public async Task An_endpoint_that_goes_away_holds_the_calls_probes_and_resumes_without_spending_retries()
    {
        var time = new FakeTimeProvider();
        var endpoint = new SwitchableEndpoint();
        var (client, breaker, log) = Create(endpoint, time, maxRetries: 2);
        await client.GetResponseAsync(Messages); // it answers
        endpoint.Down = true;

        // 8 calls while it is away: without the breaker each would fail after 3 attempts.
        var calls = Enumerable.Range(0, 8).Select(_ => client.GetResponseAsync(Messages)).ToArray();
        await SettleAsync();
        Assert.That(breaker.IsOpen, Is.True);
        Assert.That(calls.Any(c => c.IsCompleted), Is.False, "no call fails while the breaker is open");
        int callsWhileOpen = endpoint.Calls;

        time.Advance(TimeSpan.FromSeconds(2)); // the first probe: still away
        await SettleAsync();
        Assert.That(endpoint.Calls, Is.EqualTo(callsWhileOpen + 1), "one probe, not a burst");
        Assert.That(calls.Any(c => c.IsCompleted), Is.False);

        endpoint.Down = false;
        time.Advance(TimeSpan.FromSeconds(4)); // the second probe (the delay doubled): it answers again
        var responses = await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.That(responses.Select(r => r.Text), Is.All.EqualTo("ok"));
        Assert.That(breaker.IsOpen, Is.False);
        Assert.That(log, Has.Count.EqualTo(2));
        Assert.That(log[0], Does.StartWith($"{Endpoint} stopped answering (connection refused"));
        Assert.That(log[1], Does.StartWith($"{Endpoint} answers again"));
    }

    [Test]
    public async Task A_breaker_open_longer_than_the_bound_gives_up_as_fatal()
    {
        var time = new FakeTimeProvider();
        var endpoint = new SwitchableEndpoint();
        var (client, breaker, _) = Create(endpoint, time, maxRetries: 6);
        await client.GetResponseAsync(Messages);
        endpoint.Down = true;
        var calls = Enumerable.Range(0, 4).Select(_ => client.GetResponseAsync(Messages)).ToArray();
        await SettleAsync();
        Assert.That(breaker.IsOpen, Is.True);

        for (int i = 0; i < 25 && !calls.All(c => c.IsCompleted); i++)
        {
            time.Advance(TimeSpan.FromSeconds(30));
            await SettleAsync();
        }

        foreach (var call in calls)
        {
            Assert.That(async () => await call, Throws.TypeOf<FatalCallException>().With.Message.StartWith($"cannot reach {Endpoint}: connection refused"));
        }

        Assert.That(time.GetUtcNow() - time.Start, Is.LessThanOrEqualTo(TimeSpan.FromMinutes(10.5)), "gave up at the default bound of 10 minutes");
        Assert.That(async () => await client.GetResponseAsync(Messages), Throws.TypeOf<FatalCallException>());
    }
}
