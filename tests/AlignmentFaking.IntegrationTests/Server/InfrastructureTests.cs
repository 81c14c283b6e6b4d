using System.ClientModel;
using System.Diagnostics;
using System.Net;
using System.Text;
using AlignmentFaking.Testing;
using Microsoft.Extensions.AI;
using NUnit.Framework;
using OpenAI.Models;

namespace AlignmentFaking.IntegrationTests.Server;

/// <summary>The server's own machinery: addresses, recording, concurrency, plans, models, shutdown.</summary>
[TestFixture]
[CancelAfter(20_000)]
public sealed class InfrastructureTests
{
    private static readonly ChatMessage[] Hi = [new ChatMessage(ChatRole.User, "Hi")];

    [Test]
    public async Task Binds_to_an_ephemeral_loopback_port_with_a_v1_base_address()
    {
        await using var a = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text("a"));
        await using var b = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text("b"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(a.BaseAddress.Host, Is.EqualTo("127.0.0.1"));
            Assert.That(a.BaseAddress.Scheme, Is.EqualTo("http"));
            Assert.That(a.BaseAddress.Port, Is.GreaterThan(0));
            Assert.That(a.BaseAddress.AbsolutePath, Is.EqualTo("/v1/"));
            Assert.That(a.RootAddress.AbsolutePath, Is.EqualTo("/"));
            Assert.That(b.BaseAddress.Port, Is.Not.EqualTo(a.BaseAddress.Port));
            Assert.That((await b.CreateChatClient().GetResponseAsync(Hi)).Text, Is.EqualTo("b"));
        }
    }

    [Test]
    public async Task Peak_concurrency_is_recorded()
    {
        const int parallel = 6;
        var arrived = 0;
        var allArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await OpenAICompatibleTestServer.StartAsync(async (_, ct) =>
        {
            // Hold every call until all of them are in flight, so the peak does not depend on timing.
            if (Interlocked.Increment(ref arrived) >= parallel)
            {
                allArrived.TrySetResult();
            }

            await allArrived.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
            return ScriptedReply.Text("ok");
        });
        var client = server.CreateChatClient();

        await Task.WhenAll(Enumerable.Range(0, parallel).Select(_ => client.GetResponseAsync(Hi)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(server.MaxConcurrentRequests, Is.EqualTo(parallel));
            Assert.That(server.InFlightRequests, Is.Zero);
        }

        server.ResetMaxConcurrentRequests();
        await client.GetResponseAsync(Hi);
        Assert.That(server.MaxConcurrentRequests, Is.EqualTo(1));
    }

    [Test]
    public async Task Concurrent_calls_get_unique_sequence_numbers_and_are_all_recorded_with_their_reply()
    {
        const int count = 40;
        await using var server = await OpenAICompatibleTestServer.StartAsync(
            ScriptedResponders.FromText(c => "reply to " + c.LastMessageContent));
        var client = server.CreateChatClient();

        var responses = await Task.WhenAll(Enumerable.Range(0, count).Select(i =>
            client.GetResponseAsync([new ChatMessage(ChatRole.User, "prompt " + i)])));

        var calls = server.Calls;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(calls.Select(c => c.Sequence), Is.EquivalentTo(Enumerable.Range(1, count)));
            Assert.That(calls.Select(c => c.Outcome), Is.All.EqualTo(CallOutcome.Answered));
            Assert.That(responses.Select(r => r.Text), Is.EquivalentTo(Enumerable.Range(0, count).Select(i => "reply to prompt " + i)));
            Assert.That(calls.Select(c => c.Reply!.Choices[0].Text), Is.EquivalentTo(calls.Select(c => "reply to " + c.LastMessageContent)));
        }
    }

    [Test]
    public async Task Fault_plan_by_predicate_with_a_limit_and_by_sequence_number()
    {
        var plan = new FaultPlan()
            .WhenLastMessageContains("flaky", ScriptedReply.ServerError(), times: 2)
            .OnCall(5, ScriptedReply.Unauthorized());
        await using var server = await OpenAICompatibleTestServer.StartAsync(plan.Wrap(ScriptedResponders.Echo()));
        var client = server.CreateChatClient(disableRetries: true);

        var statuses = new List<int>();
        foreach (var prompt in new[] { "flaky", "steady", "flaky", "flaky", "steady", "steady" })
        {
            try
            {
                await client.GetResponseAsync([new ChatMessage(ChatRole.User, prompt)]);
                statuses.Add(200);
            }
            catch (ClientResultException e)
            {
                statuses.Add(e.Status);
            }
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(statuses, Is.EqualTo(new[] { 500, 200, 500, 200, 401, 200 }).AsCollection);
            Assert.That(plan.FaultsInjected, Is.EqualTo(3));
            Assert.That(server.Calls.Select(c => c.ResponseStatusCode), Is.EqualTo(statuses.Select(s => (int?)s)).AsCollection);
        }
    }

    [Test]
    public async Task Fault_plan_first_n_is_exact_under_concurrency()
    {
        var plan = new FaultPlan().FailFirst(5, ScriptedReply.TooManyRequests(TimeSpan.FromSeconds(1)));
        await using var server = await OpenAICompatibleTestServer.StartAsync(plan.Wrap(ScriptedReply.Text("ok")));
        var client = server.CreateChatClient(disableRetries: true);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ =>
        {
            try
            {
                await client.GetResponseAsync(Hi);
                return 200;
            }
            catch (ClientResultException e)
            {
                return e.Status;
            }
        }));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(outcomes.Count(s => s == 429), Is.EqualTo(5));
            Assert.That(outcomes.Count(s => s == 200), Is.EqualTo(15));
        }
    }

    [Test]
    public async Task Sequence_responder_replays_in_order_then_repeats_the_last()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(
            ScriptedResponders.Sequence(ScriptedReply.Text("one"), ScriptedReply.Text("two")));
        var client = server.CreateChatClient();

        var texts = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            texts.Add((await client.GetResponseAsync(Hi)).Text);
        }

        Assert.That(texts, Is.EqualTo(new[] { "one", "two", "two" }).AsCollection);
    }

    [Test]
    public async Task Models_endpoint_lists_the_configured_models_through_the_OpenAI_client()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(
            ScriptedReply.Text("ok"), new TestServerOptions { Models = ["model-a", "model-b"] });
        var models = new OpenAIModelClient(new ApiKeyCredential("k"), server.CreateClientOptions(disableRetries: true));

        var list = await models.GetModelsAsync();

        using var http = new HttpClient();
        var atRoot = await http.GetStringAsync(new Uri(server.RootAddress, "models"));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(list.Value.Select(m => m.Id), Is.EqualTo(new[] { "model-a", "model-b" }).AsCollection);
            Assert.That(atRoot, Does.Contain("\"model-b\""));
        }
    }

    [Test]
    public async Task A_body_that_is_not_json_gets_400_and_is_recorded()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text("never"));
        using var http = new HttpClient();
        using var content = new StringContent("{not json", Encoding.UTF8, "application/json");

        using var response = await http.PostAsync(new Uri(server.BaseAddress, "chat/completions"), content);

        var call = server.Calls.Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(call.ParseError, Is.Not.Null);
            Assert.That(call.RawBody, Is.EqualTo("{not json"));
            Assert.That(call.HasAuthorization, Is.False);
            Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("invalid_request_error"));
        }
    }

    [Test]
    public async Task Extra_headers_are_sent()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(
            ScriptedReply.TooManyRequests().WithHeader("retry-after-ms", "250").WithHeader("x-ratelimit-remaining-requests", "0"));
        var client = server.CreateChatClient(disableRetries: true);

        var e = (await Assert.ThrowsAsync<ClientResultException>(() => client.GetResponseAsync(Hi)))!;

        var headers = e.GetRawResponse()!.Headers;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(headers.TryGetValue("retry-after-ms", out var ms) ? ms : null, Is.EqualTo("250"));
            Assert.That(headers.TryGetValue("x-ratelimit-remaining-requests", out var rem) ? rem : null, Is.EqualTo("0"));
            Assert.That(headers.TryGetValue("Retry-After", out _), Is.False);
        }
    }

    [Test]
    public async Task Disposing_with_a_slow_call_in_flight_ends_promptly_and_fails_the_call()
    {
        var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text("late").WithDelay(TimeSpan.FromSeconds(30)));
        var client = server.CreateChatClient(disableRetries: true);
        var pending = client.GetResponseAsync(Hi);
        await server.WaitForCallsAsync(1, TimeSpan.FromSeconds(5));
        var watch = Stopwatch.StartNew();

        await server.DisposeAsync();

        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(4)));
        var e = await Assert.CatchAsync<Exception>(() => pending);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(e, Is.InstanceOf<ClientResultException>());
            Assert.That(server.Calls.Single().Outcome, Is.EqualTo(CallOutcome.Cancelled));
        }

        await server.DisposeAsync();
    }

    [Test]
    public async Task Streaming_faults_empty_choices_and_truncation_end_the_stream_quietly()
    {
        // The OpenAI client does not raise on these when streaming: the caller sees a short (or empty) answer.
        var plan = new FaultPlan().OnCall(1, ScriptedReply.EmptyChoices()).OnCall(2, ScriptedReply.TruncatedJson("a long enough answer to be cut in half by the server"));
        await using var server = await OpenAICompatibleTestServer.StartAsync(plan.Wrap(ScriptedReply.Text("unused")));
        var client = server.CreateChatClient(disableRetries: true);

        var empty = await client.GetStreamingResponseAsync(Hi).ToChatResponseAsync();
        var truncated = await client.GetStreamingResponseAsync(Hi).ToChatResponseAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(empty.Text, Is.Empty);
            Assert.That(empty.FinishReason, Is.Null);
            Assert.That(truncated.FinishReason, Is.Null);
            Assert.That(truncated.Text.Length, Is.LessThan("a long enough answer to be cut in half by the server".Length));
        }
    }
}
