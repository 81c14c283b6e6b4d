using AlignmentFaking.Running;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;

namespace AlignmentFaking.Tests.Running;

public class RetryingChatClientTests
{
    private static readonly ChatMessage[] Messages = [new(ChatRole.User, "hi")];

    private static (RetryingChatClient Client, FakeTimeProvider Time, List<TimeSpan> Delays) Create(Func<int, ChatResponse> answer, int maxRetries = 3, TimeSpan? attemptTimeout = null)
    {
        var time = new FakeTimeProvider();
        var delays = new List<TimeSpan>();
        int call = 0;
        var inner = new ScriptedChatClient((_, _) => answer(Interlocked.Increment(ref call)));
        var client = new RetryingChatClient(inner, new RetryOptions
        {
            MaxRetries = maxRetries,
            BaseDelay = TimeSpan.FromSeconds(1),
            MaxDelay = TimeSpan.FromSeconds(8),
            AttemptTimeout = attemptTimeout ?? TimeSpan.FromMinutes(10),
            TimeProvider = time,
            Jitter = () => 1.0,
            OnRetry = (_, _, d) => delays.Add(d),
        });
        return (client, time, delays);
    }

    /// <summary>Runs the call while advancing fake time, so the test never sleeps.</summary>
    private static async Task<T> Drive<T>(FakeTimeProvider time, Task<T> task)
    {
        for (int i = 0; i < 1000 && !task.IsCompleted; i++)
        {
            await Task.Yield();
            time.Advance(TimeSpan.FromMilliseconds(250));
        }

        return await task;
    }

    [Test]
    public async Task Transient_failures_are_retried_with_exponential_backoff()
    {
        var (client, time, delays) = Create(n => n <= 3 ? throw new HttpRequestException("boom", null, System.Net.HttpStatusCode.ServiceUnavailable) : ScriptedChatClient.Reply("ok"));
        var response = await Drive(time, client.GetResponseAsync(Messages));
        Assert.That(response.Text, Is.EqualTo("ok"));
        Assert.That(delays, Is.EqualTo(new[] { TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4) }));
        Assert.That(client.RetryCount, Is.EqualTo(3));
    }

    [Test]
    public void Retries_are_bounded()
    {
        var (client, time, delays) = Create(_ => throw new HttpRequestException("rate limited", null, System.Net.HttpStatusCode.TooManyRequests), maxRetries: 2);
        Assert.That(async () => await Drive(time, client.GetResponseAsync(Messages)), Throws.TypeOf<HttpRequestException>());
        Assert.That(delays, Has.Count.EqualTo(2));
    }

    [Test]
    public async Task Retry_after_is_honoured_when_longer_than_the_backoff()
    {
        var time = new FakeTimeProvider();
        var delays = new List<TimeSpan>();
        int call = 0;
        var inner = new ScriptedChatClient((_, _) => Interlocked.Increment(ref call) == 1 ? throw new InvalidOperationException("429") : ScriptedChatClient.Reply("ok"));
        var client = new RetryingChatClient(inner, new RetryOptions
        {
            TimeProvider = time,
            Jitter = () => 0.5,
            Classify = _ => new CallFailure(CallFailureKind.Transient, TimeSpan.FromSeconds(30)),
            OnRetry = (_, _, d) => delays.Add(d),
        });
        var task = client.GetResponseAsync(Messages);
        time.Advance(TimeSpan.FromSeconds(29));
        await Task.Yield();
        Assert.That(task.IsCompleted, Is.False, "still waiting as the server asked");
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.That((await task).Text, Is.EqualTo("ok"));
        Assert.That(delays, Is.EqualTo(new[] { TimeSpan.FromSeconds(30) }));
    }

    [Test]
    public async Task While_most_calls_succeed_a_failed_call_backs_off_at_most_twice_the_base_delay()
    {
        // 10 successes, then a call that fails 3 times: random faults of a healthy endpoint, not an endpoint in trouble.
        var (client, time, delays) = Create(n => n is > 10 and <= 13 ? throw new HttpRequestException("boom", null, System.Net.HttpStatusCode.InternalServerError) : ScriptedChatClient.Reply("ok"));
        for (int i = 0; i < 10; i++)
        {
            await Drive(time, client.GetResponseAsync(Messages));
        }

        Assert.That((await Drive(time, client.GetResponseAsync(Messages))).Text, Is.EqualTo("ok"));
        Assert.That(delays, Is.EqualTo(new[] { TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2) }));
    }

    [TestCase(System.Net.HttpStatusCode.Unauthorized, "401")]
    [TestCase(System.Net.HttpStatusCode.NotFound, "404")]
    [TestCase(System.Net.HttpStatusCode.Forbidden, "403")]
    public void Auth_and_not_found_fail_fast_as_fatal(System.Net.HttpStatusCode status, string word)
    {
        var (client, time, delays) = Create(_ => throw new HttpRequestException("no", null, status));
        Assert.That(async () => await Drive(time, client.GetResponseAsync(Messages)), Throws.TypeOf<FatalCallException>().With.Message.Contains(word));
        Assert.That(delays, Is.Empty);
    }

    [Test]
    public void Bad_request_is_permanent_and_not_retried()
    {
        var (client, time, delays) = Create(_ => throw new HttpRequestException("too long", null, System.Net.HttpStatusCode.BadRequest));
        Assert.That(async () => await Drive(time, client.GetResponseAsync(Messages)), Throws.TypeOf<HttpRequestException>());
        Assert.That(delays, Is.Empty);
    }

    [Test]
    public async Task An_empty_response_is_retried()
    {
        var (client, time, _) = Create(n => n == 1 ? new ChatResponse([]) : ScriptedChatClient.Reply("ok"));
        Assert.That((await Drive(time, client.GetResponseAsync(Messages))).Text, Is.EqualTo("ok"));
    }

    [Test]
    public async Task A_hung_attempt_times_out_and_is_retried()
    {
        var time = new FakeTimeProvider();
        int call = 0;
        var inner = new HangingClient(() => Interlocked.Increment(ref call) == 1);
        var client = new RetryingChatClient(inner, new RetryOptions { TimeProvider = time, AttemptTimeout = TimeSpan.FromSeconds(5), Jitter = () => 0 });
        var response = await Drive(time, client.GetResponseAsync(Messages));
        Assert.That(response.Text, Is.EqualTo("late ok"));
        Assert.That(call, Is.EqualTo(2));
    }

    [Test]
    public void Caller_cancellation_is_not_retried()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var (client, _, delays) = Create(_ => ScriptedChatClient.Reply("ok"));
        Assert.That(async () => await client.GetResponseAsync(Messages, cancellationToken: cts.Token), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(delays, Is.Empty);
    }

    private sealed class HangingClient(Func<bool> hang) : IChatClient
    {
        public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            if (hang())
            {
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            }

            return ScriptedChatClient.Reply("late ok");
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
