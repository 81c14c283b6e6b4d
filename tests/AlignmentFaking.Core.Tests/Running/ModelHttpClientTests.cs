using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Text;
using AlignmentFaking.Running;
using AlignmentFaking.Testing;
using Microsoft.Extensions.AI;
using NUnit.Framework;
using OpenAI;
using OpenAI.Chat;
using Polly.Timeout;

namespace AlignmentFaking.Tests.Running;

/// <summary>
/// The HTTP layer of model calls (<see cref="ModelHttpClient"/>) against the loopback server, every delay and timeout on
/// a fake clock: the test waits until the pipeline has set the timer it expects, checks its length, then moves the clock.
/// </summary>
[CancelAfter(60_000)]
public class ModelHttpClientTests
{
    /// <summary>The timers a call waits on (retry delays, Retry-After, breaker pauses), not the attempt timeout (10 minutes) that runs while a request is in flight.</summary>
    private static bool Waits(TimeSpan timer) => timer < RetryOptions.DefaultAttemptTimeout;

    private const string Body = """{"model":"m","messages":[{"role":"user","content":"hi"}]}""";

    private static (HttpClient Http, ObservedClock Clock, List<(int Attempt, Exception Failure, TimeSpan Delay)> Retries) Create(int maxRetries = 6, double jitter = 0, Action<RetryOptions>? configure = null)
    {
        var clock = new ObservedClock();
        var retries = new List<(int, Exception, TimeSpan)>();
        var retry = new RetryOptions
        {
            MaxRetries = maxRetries,
            TimeProvider = clock,
            Jitter = () => jitter,
            OnRetry = (attempt, failure, delay) =>
            {
                lock (retries)
                {
                    retries.Add((attempt, failure, delay));
                }
            },
        };
        configure?.Invoke(retry);
        return (ModelHttpClient.Create(new ModelHttpClientOptions { Retry = retry }), clock, retries);
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient http, OpenAICompatibleTestServer server, CancellationToken ct = default) =>
        http.PostAsync(new Uri(server.BaseAddress, "chat/completions"), new StringContent(Body, Encoding.UTF8, "application/json"), ct);

    [Test]
    public async Task A_429s_Retry_After_is_waited_on_the_pipeline_clock_and_nothing_is_sent_before_it_passes()
    {
        var plan = new FaultPlan().FailFirst(1, ScriptedReply.TooManyRequests(TimeSpan.FromSeconds(7)));
        await using var server = await OpenAICompatibleTestServer.StartAsync(plan.Wrap(ScriptedReply.Text("ok")));
        var (http, clock, retries) = Create();
        using (http)
        {
            var call = PostAsync(http, server);
            Assert.That(await clock.WaitForTimerAsync(t => t == TimeSpan.FromSeconds(7)), Is.EqualTo(TimeSpan.FromSeconds(7)));
            await Task.Delay(50);
            Assert.That(server.CallCount, Is.EqualTo(1), "no second attempt before the clock moves");
            clock.Advance(TimeSpan.FromSeconds(7));
            using var response = await call;

            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(server.CallCount, Is.EqualTo(2));
            Assert.That(retries.Single().Failure, Is.TypeOf<HttpRequestException>().With.Message.StartsWith("HTTP 429"));
        }
    }

    [Test]
    public async Task Retry_after_ms_and_an_http_date_are_measured_on_the_pipeline_clock()
    {
        var clock = new ObservedClock();
        var plan = new FaultPlan()
            .OnCall(1, ScriptedReply.TooManyRequests().WithHeader("retry-after-ms", "1500"))
            .OnCall(2, ScriptedReply.ServiceUnavailable().WithRetryAfter(clock.GetUtcNow() + TimeSpan.FromSeconds(20)));
        await using var server = await OpenAICompatibleTestServer.StartAsync(plan.Wrap(ScriptedReply.Text("ok")));
        var retry = new RetryOptions { TimeProvider = clock, Jitter = () => 0 };
        using var http = ModelHttpClient.Create(new ModelHttpClientOptions { Retry = retry });

        var call = PostAsync(http, server);
        clock.Advance(await clock.WaitForTimerAsync(t => t == TimeSpan.FromMilliseconds(1500)));

        // The HTTP date lies 20 s after the start on the fake clock (in the year 2000), 18.5 s after the first wait: measured
        // on the system clock, as Polly's own Retry-After handling does, it would be long past.
        clock.Advance(await clock.WaitForTimerAsync(t => t == TimeSpan.FromSeconds(18.5)));
        using var response = await call;
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(server.CallCount, Is.EqualTo(3));
    }

    [Test]
    public async Task Backoff_is_full_jitter_exponential_from_the_base_delay()
    {
        var plan = new FaultPlan().FailFirst(3, ScriptedReply.ServerError());
        await using var server = await OpenAICompatibleTestServer.StartAsync(plan.Wrap(ScriptedReply.Text("ok")));
        var (http, clock, retries) = Create(jitter: 1.0, configure: r => r.AdaptiveBackoff = false);
        using (http)
        {
            var call = PostAsync(http, server);
            foreach (var seconds in new[] { 1, 2, 4 })
            {
                clock.Advance(await clock.WaitForTimerAsync(t => t == TimeSpan.FromSeconds(seconds)));
            }

            using var response = await call;
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(retries.Select(r => (r.Attempt, r.Delay)), Is.EqualTo(new[] { (1, TimeSpan.FromSeconds(1)), (2, TimeSpan.FromSeconds(2)), (3, TimeSpan.FromSeconds(4)) }));
        }
    }

    [Test]
    public async Task Retries_are_bounded_and_the_last_reply_is_returned()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.ServerError());
        var (http, clock, _) = Create(maxRetries: 2);
        using (http)
        {
            using var response = await clock.DriveAsync(PostAsync(http, server), Waits, TimeSpan.FromMinutes(5));
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.InternalServerError));
            Assert.That(server.CallCount, Is.EqualTo(3), "one attempt and two retries");
        }
    }

    [TestCase(400)]
    [TestCase(401)]
    [TestCase(404)]
    public async Task Fatal_and_permanent_statuses_are_not_retried(int status)
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Error(status));
        var (http, _, retries) = Create();
        using (http)
        {
            using var response = await PostAsync(http, server);
            Assert.That((int)response.StatusCode, Is.EqualTo(status));
            Assert.That(server.CallCount, Is.EqualTo(1));
            Assert.That(retries, Is.Empty);
        }
    }

    [Test]
    public async Task A_429_insufficient_quota_is_not_retried()
    {
        const string Quota = """{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}""";
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Error(429, Quota));
        var (http, _, retries) = Create();
        using (http)
        {
            using var response = await PostAsync(http, server);
            Assert.That((int)response.StatusCode, Is.EqualTo(429));
            Assert.That(server.CallCount, Is.EqualTo(1));
            Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo(Quota), "the body is still there for the SDK");
        }
    }

    [Test]
    public async Task A_hung_attempt_is_cut_by_the_attempt_timeout_and_retried()
    {
        var plan = new FaultPlan().FailFirst(1, ScriptedReply.Text("too late").WithDelay(TimeSpan.FromHours(1)));
        await using var server = await OpenAICompatibleTestServer.StartAsync(plan.Wrap(ScriptedReply.Text("ok")));
        var (http, clock, retries) = Create();
        using (http)
        {
            var call = PostAsync(http, server);
            await server.WaitForCallsAsync(1, TimeSpan.FromSeconds(10));
            clock.Advance(await clock.WaitForTimerAsync(t => t == RetryOptions.DefaultAttemptTimeout));
            using var response = await call;

            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(server.CallCount, Is.EqualTo(2));
            Assert.That(retries.Single().Failure, Is.TypeOf<TimeoutException>().With.Message.StartsWith("the attempt timeout of 5m fired"));
        }
    }

    [Test]
    public async Task The_total_timeout_bounds_every_attempt_and_wait_of_a_call()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text("never").WithDelay(TimeSpan.FromHours(1)));
        var (http, clock, _) = Create();
        using (http)
        {
            var call = PostAsync(http, server);
            for (int attempt = 1; attempt <= 3; attempt++)
            {
                // The attempt is on the wire (its timeout was set before it was sent): its 5 minutes pass.
                await server.WaitForCallsAsync(attempt, TimeSpan.FromSeconds(20));
                clock.Advance(RetryOptions.DefaultAttemptTimeout);
            }

            Assert.That(async () => await call, Throws.TypeOf<TimeoutException>().With.Message.StartsWith("the total timeout of 15m fired"));
            Assert.That(clock.Timers, Does.Contain(RetryOptions.DefaultTotalTimeout), "the total timeout");
            Assert.That(server.CallCount, Is.EqualTo(3), "attempts at 0, 5 and 10 min (no backoff at jitter 0), cut at 15");
        }
    }

    [Test]
    public async Task A_body_dropped_mid_read_is_retried_at_the_http_level()
    {
        var plan = new FaultPlan().FailFirst(1, ScriptedReply.DropConnection(afterPartialBody: true));
        await using var server = await OpenAICompatibleTestServer.StartAsync(plan.Wrap(ScriptedReply.Text("ok")));
        var (http, clock, _) = Create();
        using (http)
        {
            using var response = await clock.DriveAsync(PostAsync(http, server), Waits, TimeSpan.FromMinutes(1));
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("\"ok\""));
            Assert.That(server.CallCount, Is.EqualTo(2));
        }
    }

    /// <summary>The real OpenAI client over <see cref="ModelHttpClient.CreateChatClient"/>, no reply check: malformed bodies are only visible above HTTP.</summary>
    private static IChatClient OpenAIOver(OpenAICompatibleTestServer server, RetryOptions retry, EndpointLimits? limits = null) =>
        ModelHttpClient.CreateChatClient(
            http => new ChatClient("m", new ApiKeyCredential("k"), new OpenAIClientOptions
            {
                Endpoint = server.BaseAddress,
                Transport = new HttpClientPipelineTransport(http),
                RetryPolicy = new ClientRetryPolicy(0),
                NetworkTimeout = Timeout.InfiniteTimeSpan,
            }).AsIChatClient(),
            new ModelHttpClientOptions { Retry = retry },
            limits);

    [Test]
    public async Task Retries_above_http_share_the_per_call_budget_with_the_http_retries()
    {
        // 503, an unreadable body (only the SDK sees it), 503, an unreadable body, ...: without one budget per call the
        // two layers would multiply, (1 + 3) x (1 + 3) = 16 attempts; with it, MaxRetries 3 means 4 attempts in all.
        var plan = new FaultPlan().When(c => c.Sequence % 2 == 1, ScriptedReply.ServiceUnavailable()).When(c => c.Sequence % 2 == 0, ScriptedReply.MalformedJson());
        await using var server = await OpenAICompatibleTestServer.StartAsync(plan.Wrap(ScriptedReply.Text("ok")));
        var clock = new ObservedClock();
        var attempts = new List<int>();
        using var client = OpenAIOver(server, new RetryOptions { MaxRetries = 3, TimeProvider = clock, Jitter = () => 0, OnRetry = (a, _, _) => attempts.Add(a) });

        Assert.That(async () => await clock.DriveAsync(client.GetResponseAsync("hi"), Waits, TimeSpan.FromMinutes(5)), Throws.InstanceOf<System.Text.Json.JsonException>());
        Assert.That(server.CallCount, Is.EqualTo(4));
        Assert.That(attempts, Is.EqualTo(new[] { 1, 2, 3 }), "retry numbers count both layers' attempts");
    }

    [Test]
    public async Task An_unreadable_body_is_retried_above_http_and_the_call_succeeds()
    {
        var plan = new FaultPlan().FailFirst(2, ScriptedReply.MalformedJson());
        await using var server = await OpenAICompatibleTestServer.StartAsync(plan.Wrap(ScriptedReply.Text("ok")));
        var clock = new ObservedClock();
        using var client = OpenAIOver(server, new RetryOptions { TimeProvider = clock, Jitter = () => 0 });

        var response = await clock.DriveAsync(client.GetResponseAsync("hi"), Waits, TimeSpan.FromMinutes(1));
        Assert.That(response.Text, Is.EqualTo("ok"));
        Assert.That(server.CallCount, Is.EqualTo(3));
    }

    [Test]
    public async Task Every_http_attempt_passes_the_endpoint_limits_and_reports_its_429_once()
    {
        // One slot: the first call's 429 frees it while that call waits for its retry, so the second call goes first.
        var plan = new FaultPlan().FailFirst(1, ScriptedReply.TooManyRequests(TimeSpan.FromSeconds(5)));
        await using var server = await OpenAICompatibleTestServer.StartAsync(plan.Wrap(ScriptedResponders.FromText(c => "answer to " + c.LastMessageContent)));
        var clock = new ObservedClock();
        using var limits = new EndpointLimits(new EndpointLimitOptions { MaxConcurrency = 1, TimeProvider = clock });
        using var client = OpenAIOver(server, new RetryOptions { TimeProvider = clock, Jitter = () => 0 }, limits);

        var first = client.GetResponseAsync("first");
        await clock.WaitForTimerAsync(t => t == TimeSpan.FromSeconds(5));
        var second = await client.GetResponseAsync("second");
        Assert.That(second.Text, Is.EqualTo("answer to second"), "the waiting retry holds no slot");
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.That((await first).Text, Is.EqualTo("answer to first"));

        Assert.That(server.Calls.Select(c => c.LastMessageContent), Is.EqualTo(new[] { "first", "second", "first" }));
        Assert.That(limits.RateLimitedCount, Is.EqualTo(1), "reported by the HTTP attempt, not again above it");
    }

    [Test]
    public async Task The_attempt_timeout_above_http_does_not_cut_the_http_layers_retries()
    {
        // Two 503s asking for 3 minutes each, then a reply: 6 minutes in all, more than the 5-minute attempt timeout and no
        // attempt near it. The same options drive both layers; above HTTP, an attempt is the whole HTTP call, so its timer
        // must not run.
        var plan = new FaultPlan().FailFirst(2, ScriptedReply.ServiceUnavailable(TimeSpan.FromMinutes(3)));
        await using var server = await OpenAICompatibleTestServer.StartAsync(plan.Wrap(ScriptedReply.Text("ok")));
        var clock = new ObservedClock();
        var retries = new List<Exception>();
        using var client = OpenAIOver(server, new RetryOptions { TimeProvider = clock, Jitter = () => 0, OnRetry = (_, failure, _) => retries.Add(failure) });

        var response = await clock.DriveAsync(client.GetResponseAsync("hi"), Waits, RetryOptions.DefaultTotalTimeout);
        Assert.That(response.Text, Is.EqualTo("ok"));
        Assert.That(server.CallCount, Is.EqualTo(3));
        Assert.That(retries.Select(r => r.GetType().Name), Is.EqualTo(new[] { "HttpRequestException", "HttpRequestException" }), "two HTTP retries, none above HTTP");
        Assert.That(client.GetService<RetryingChatClient>()!.RetryCount, Is.Zero);
    }

    [Test]
    public void Replies_are_classified_in_one_place_from_their_status_headers_and_body()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        string? Headers(string name, params (string Name, string Value)[] headers) => headers.FirstOrDefault(h => h.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;

        Assert.That(CallFailure.FromReply(429, n => Headers(n, ("retry-after-ms", "1500"), ("Retry-After", "9"))).RetryAfter, Is.EqualTo(TimeSpan.FromMilliseconds(1500)), "retry-after-ms first");
        var date = (time.GetUtcNow() + TimeSpan.FromSeconds(42)).ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(CallFailure.FromReply(503, n => Headers(n, ("Retry-After", date)), null, time).RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(42)), "an HTTP date on the given clock");
        var limited = CallFailure.FromReply(429, n => Headers(n, ("x-ratelimit-remaining-tokens", "0"), ("x-ratelimit-reset-tokens", "6m0s")));
        Assert.That(limited is { Kind: CallFailureKind.Transient, IsRateLimited: true, RateLimit.Exhausted: true }, Is.True);
        Assert.That(limited.RateLimit!.ResetAfter, Is.EqualTo(TimeSpan.FromMinutes(6)));
        Assert.That(CallFailure.FromReply(429, _ => null, """{"error":{"code":"insufficient_quota","message":"no credit"}}""").Kind, Is.EqualTo(CallFailureKind.Fatal));
        Assert.That(CallFailure.FromReply(409, _ => null).Kind, Is.EqualTo(CallFailureKind.Transient));
        Assert.That(CallFailure.FromReply(400, _ => null).Kind, Is.EqualTo(CallFailureKind.Permanent));
        Assert.That(CallFailure.FromReply(403, _ => null).Kind, Is.EqualTo(CallFailureKind.Fatal));
        Assert.That(CallFailure.Classify(new TimeoutRejectedException()).Kind, Is.EqualTo(CallFailureKind.Transient), "an attempt cut by the HTTP layer's timeout");
    }

    [Test]
    public async Task A_call_that_passed_the_breaker_above_http_goes_out_as_the_probe()
    {
        // The breaker of an endpoint that answered, then lost 5 connections in a row: open, its first probe due after 2 s.
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text("ok"));
        var clock = new ObservedClock();
        var breaker = new EndpointCircuitBreaker("http://127.0.0.1/v1", new CircuitBreakerOptions { TimeProvider = clock });
        breaker.RecordSuccess();
        for (int i = 0; i < 5; i++)
        {
            breaker.RecordFailure(new CallFailure(CallFailureKind.Transient) { Endpoint = EndpointFault.ConnectionLost });
        }

        Assert.That(breaker.IsOpen, Is.True);
        clock.Advance(TimeSpan.FromSeconds(2));

        // One breaker for both layers: the wait above HTTP takes the probe slot, so the HTTP layer must not wait for it again.
        using var client = OpenAIOver(server, new RetryOptions { TimeProvider = clock, CircuitBreaker = breaker });
        var response = await client.GetResponseAsync("hi").WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(response.Text, Is.EqualTo("ok"));
        Assert.That(breaker.IsOpen, Is.False, "the probe's reply closed it");
        Assert.That(server.CallCount, Is.EqualTo(1));
    }
}
