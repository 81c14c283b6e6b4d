using System.ClientModel;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using AlignmentFaking.Testing;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace AlignmentFaking.IntegrationTests.Server;

/// <summary>
/// Faults through the real OpenAI client (retries disabled unless said), pinning which exception each one surfaces as:
/// the lead's retry pipeline is built on these.
/// </summary>
[TestFixture]
[CancelAfter(20_000)]
public sealed class FaultTests
{
    private static readonly ChatMessage[] Hi = [new ChatMessage(ChatRole.User, "Hi")];

    [Test]
    public async Task Status_429_with_Retry_After_seconds_surfaces_as_ClientResultException_429()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.TooManyRequests(TimeSpan.FromSeconds(1)));
        var client = server.CreateChatClient(disableRetries: true);

        var e = (await Assert.ThrowsAsync<ClientResultException>(() => client.GetResponseAsync(Hi)))!;

        var raw = e.GetRawResponse();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(e.Status, Is.EqualTo(429));
            Assert.That(raw, Is.Not.Null);
            Assert.That(raw!.Headers.TryGetValue("Retry-After", out var retryAfter), Is.True);
            Assert.That(retryAfter, Is.EqualTo("1"));
            Assert.That(e.Message, Does.Contain("429"));
            Assert.That(server.CallCount, Is.EqualTo(1), "no client retry");
            Assert.That(server.Calls[0].ResponseStatusCode, Is.EqualTo(429));
        }
    }

    [Test]
    public async Task Status_429_with_Retry_After_date_carries_the_http_date()
    {
        var when = new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero);
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.TooManyRequests().WithRetryAfter(when));
        var client = server.CreateChatClient(disableRetries: true);

        var e = (await Assert.ThrowsAsync<ClientResultException>(() => client.GetResponseAsync(Hi)))!;

        Assert.That(e.GetRawResponse()!.Headers.TryGetValue("Retry-After", out var value), Is.True);
        Assert.That(DateTimeOffset.Parse(value!, CultureInfo.InvariantCulture), Is.EqualTo(when));
    }

    [TestCase(500)]
    [TestCase(503)]
    [TestCase(400)]
    public async Task Error_statuses_surface_as_ClientResultException_with_the_status(int status)
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Error(status));
        var client = server.CreateChatClient(disableRetries: true);

        var e = (await Assert.ThrowsAsync<ClientResultException>(() => client.GetResponseAsync(Hi)))!;

        Assert.That(e.Status, Is.EqualTo(status));
    }

    [Test]
    public async Task Wrong_api_key_gets_401_and_the_right_one_passes()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(
            ScriptedReply.Text("ok"), new TestServerOptions { RequiredApiKey = "sk-right" });

        var e = (await Assert.ThrowsAsync<ClientResultException>(
            () => server.CreateChatClient(disableRetries: true, apiKey: "sk-wrong").GetResponseAsync(Hi)))!;
        var ok = await server.CreateChatClient().GetResponseAsync(Hi);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(e.Status, Is.EqualTo(401));
            Assert.That(e.Message, Does.Contain("invalid_api_key"));
            Assert.That(e.Message, Does.Not.Contain("sk-wrong"));
            Assert.That(ok.Text, Is.EqualTo("ok"));
            Assert.That(server.Calls.Select(c => c.ResponseStatusCode), Is.EqualTo(new int?[] { 401, 200 }).AsCollection);
            Assert.That(server.Calls.Select(c => c.HasAuthorization), Is.All.True);
        }
    }

    [Test]
    public async Task Connection_dropped_before_the_response_surfaces_as_ClientResultException_status_0_wrapping_HttpRequestException()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.DropConnection());
        var client = server.CreateChatClient(disableRetries: true);

        var e = (await Assert.ThrowsAsync<ClientResultException>(() => client.GetResponseAsync(Hi)))!;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(e.Status, Is.Zero);
            Assert.That(e.GetRawResponse(), Is.Null);
            Assert.That(e.InnerException, Is.TypeOf<HttpRequestException>());
            Assert.That(e.InnerException?.InnerException, Is.InstanceOf<IOException>());
            Assert.That(server.Calls.Single().Outcome, Is.EqualTo(CallOutcome.Dropped));
            Assert.That(server.Calls.Single().ResponseStatusCode, Is.Null);
        }
    }

    [Test]
    public async Task Connection_dropped_mid_body_surfaces_as_a_bare_IOException()
    {
        // Headers arrived, the client was buffering the body: System.ClientModel lets the IOException through unwrapped.
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.DropConnection(afterPartialBody: true));
        var client = server.CreateChatClient(disableRetries: true);

        var e = await Assert.CatchAsync<Exception>(() => client.GetResponseAsync(Hi));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(e, Is.TypeOf<IOException>());
            Assert.That(server.Calls.Single().Outcome, Is.EqualTo(CallOutcome.Dropped));
            Assert.That(server.Calls.Single().ResponseStatusCode, Is.EqualTo(200));
        }
    }

    [Test]
    public async Task Dropped_connections_with_client_retries_enabled_surface_as_AggregateException_of_every_try()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.DropConnection());
        var client = server.CreateChatClient(disableRetries: false);

        var e = (await Assert.ThrowsAsync<AggregateException>(() => client.GetResponseAsync(Hi)))!;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(e.InnerExceptions, Has.Count.EqualTo(4));
            Assert.That(e.InnerExceptions, Is.All.TypeOf<ClientResultException>().And.Property(nameof(ClientResultException.Status)).Zero);
            Assert.That(server.CallCount, Is.EqualTo(4));
        }
    }

    [Test]
    public async Task Malformed_body_surfaces_as_JsonException()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.MalformedJson());
        var client = server.CreateChatClient(disableRetries: true);

        await Assert.CatchAsync<JsonException>(() => client.GetResponseAsync(Hi));
    }

    [Test]
    public async Task Truncated_body_surfaces_as_JsonException()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.TruncatedJson("a fairly long answer"));
        var client = server.CreateChatClient(disableRetries: true);

        await Assert.CatchAsync<JsonException>(() => client.GetResponseAsync(Hi));
        var call = server.Calls.Single();
        Assert.That(() => JsonDocument.Parse(call.ResponseBody!), Throws.InstanceOf<JsonException>());
    }

    [Test]
    public async Task Empty_choices_surfaces_as_ArgumentOutOfRangeException()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.EmptyChoices());
        var client = server.CreateChatClient(disableRetries: true);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.GetResponseAsync(Hi));
    }

    [Test]
    public async Task Unknown_finish_reason_surfaces_as_ArgumentOutOfRangeException()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text("x", "not_a_reason"));
        var client = server.CreateChatClient(disableRetries: true);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.GetResponseAsync(Hi));
    }

    [Test]
    public async Task Slow_reply_is_cancelled_by_the_callers_token()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text("late").WithDelay(TimeSpan.FromSeconds(30)));
        var client = server.CreateChatClient(disableRetries: true);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var watch = Stopwatch.StartNew();

        await Assert.CatchAsync<OperationCanceledException>(() => client.GetResponseAsync(Hi, cancellationToken: cts.Token));

        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
        await WaitUntilAsync(() => server.Calls.Single().Outcome == CallOutcome.Cancelled);
        Assert.That(server.InFlightRequests, Is.Zero);
    }

    [Test]
    public async Task Network_timeout_surfaces_as_TaskCanceledException_without_the_callers_token_cancelled()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text("late").WithDelay(TimeSpan.FromSeconds(30)));
        var client = server.CreateChatClient(disableRetries: true, networkTimeout: TimeSpan.FromMilliseconds(300));
        using var cts = new CancellationTokenSource();

        var e = (await Assert.CatchAsync<OperationCanceledException>(() => client.GetResponseAsync(Hi, cancellationToken: cts.Token)))!;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(e, Is.TypeOf<TaskCanceledException>());
            Assert.That(e.Message, Does.Contain("NetworkTimeout"));
            Assert.That(cts.IsCancellationRequested, Is.False);
        }
    }

    [Test]
    public async Task Global_latency_delays_every_reply()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(
            ScriptedReply.Text("ok"), new TestServerOptions { Latency = TimeSpan.FromMilliseconds(250) });
        var client = server.CreateChatClient();
        var watch = Stopwatch.StartNew();

        await client.GetResponseAsync(Hi);

        Assert.That(watch.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(240)));
    }

    [Test]
    public async Task Fault_plan_fails_the_first_two_calls_with_429_then_answers()
    {
        var plan = new FaultPlan().FailFirst(2, ScriptedReply.TooManyRequests(TimeSpan.FromSeconds(1)));
        await using var server = await OpenAICompatibleTestServer.StartAsync(plan.Wrap(ScriptedReply.Text("finally")));
        var client = server.CreateChatClient(disableRetries: true);

        var first = (await Assert.ThrowsAsync<ClientResultException>(() => client.GetResponseAsync(Hi)))!;
        var second = (await Assert.ThrowsAsync<ClientResultException>(() => client.GetResponseAsync(Hi)))!;
        var third = await client.GetResponseAsync(Hi);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first.Status, Is.EqualTo(429));
            Assert.That(second.Status, Is.EqualTo(429));
            Assert.That(third.Text, Is.EqualTo("finally"));
            Assert.That(plan.FaultsInjected, Is.EqualTo(2));
            Assert.That(server.Calls.Select(c => c.ResponseStatusCode), Is.EqualTo(new int?[] { 429, 429, 200 }).AsCollection);
        }
    }

    [Test]
    public async Task The_OpenAI_clients_own_retries_honour_Retry_After_when_enabled()
    {
        var plan = new FaultPlan().FailFirst(2, ScriptedReply.TooManyRequests(TimeSpan.Zero));
        await using var server = await OpenAICompatibleTestServer.StartAsync(plan.Wrap(ScriptedReply.Text("after retries")));
        var client = server.CreateChatClient(disableRetries: false);
        var watch = Stopwatch.StartNew();

        var response = await client.GetResponseAsync(Hi);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(response.Text, Is.EqualTo("after retries"));
            Assert.That(server.CallCount, Is.EqualTo(3));
            Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
        }

        await TestContext.Out.WriteLineAsync($"two client retries with Retry-After: 0 took {watch.ElapsedMilliseconds} ms");
    }

    [Test]
    public async Task A_throwing_responder_becomes_a_500()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(
            (_, _) => throw new InvalidOperationException("responder bug"));
        var client = server.CreateChatClient(disableRetries: true);

        var e = (await Assert.ThrowsAsync<ClientResultException>(() => client.GetResponseAsync(Hi)))!;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(e.Status, Is.EqualTo(500));
            Assert.That(server.Calls.Single().Outcome, Is.EqualTo(CallOutcome.ResponderFailed));
            Assert.That(server.Calls.Single().ResponseBody, Does.Contain("responder bug"));
        }
    }

    internal static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail("Condition not met within 5 s.");
            }

            await Task.Delay(10);
        }
    }
}
