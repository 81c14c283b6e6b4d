using AlignmentFaking.Running;
using AlignmentFaking.Testing;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace AlignmentFaking.Anthropic.Tests;

/// <summary>
/// <see cref="AnthropicEndpoint"/>: the official Anthropic SDK over <see cref="ModelHttpClient"/> against the loopback
/// server's Messages endpoint (Anthropic's request rules and error shapes), every wait on one fake clock.
/// </summary>
[CancelAfter(60_000)]
public class AnthropicEndpointTests
{
    private const string Model = "claude-3-opus-20240229";
    private const string Key = "sk-ant-test-0123456789";

    /// <summary>The timers a call waits on (retry delays, Retry-After, breaker pauses), not the attempt timeout (5 minutes) that runs while a request is in flight.</summary>
    private static bool Waits(TimeSpan timer) => timer < RetryOptions.DefaultAttemptTimeout;

    private static IChatClient Create(OpenAICompatibleTestServer server, ObservedClock clock, List<Exception>? retries = null, Action<AnthropicEndpointOptions>? configure = null)
    {
        var options = new AnthropicEndpointOptions
        {
            Endpoint = server.RootAddress,
            Model = Model,
            ApiKey = Key,
            ApiKeyVariable = "ANTHROPIC_API_KEY",
            Resilience = new ModelResilienceOptions
            {
                TimeProvider = clock,
                Retry = new RetryOptions
                {
                    Jitter = () => 0,
                    OnRetry = (_, failure, _) =>
                    {
                        if (retries is not null)
                        {
                            lock (retries)
                            {
                                retries.Add(failure);
                            }
                        }
                    },
                },
            },
        };
        configure?.Invoke(options);
        return AnthropicEndpoint.CreateChatClient(options);
    }

    private static Task<OpenAICompatibleTestServer> StartAsync(Func<ChatCompletionCall, CancellationToken, ValueTask<ScriptedReply>> responder, string requiredKey = Key) =>
        OpenAICompatibleTestServer.StartAsync(responder, new TestServerOptions { Models = [Model], RequiredApiKey = requiredKey });

    private static readonly ChatMessage[] Conversation =
    [
        new(ChatRole.System, "You are a helpful assistant."),
        new(ChatRole.User, "Say hello."),
        new(ChatRole.Assistant, "<"),
    ];

    [Test]
    public void Options_are_validated_with_the_cause()
    {
        Assert.That(() => AnthropicEndpoint.CreateChatClient(new AnthropicEndpointOptions()), Throws.ArgumentException.With.Message.Contains("model id"));
        Assert.That(() => AnthropicEndpoint.CreateChatClient(new AnthropicEndpointOptions { Model = "m", DefaultMaxOutputTokens = 0 }), Throws.ArgumentException.With.Message.Contains("max output tokens"));
        Assert.That(new AnthropicEndpointOptions().Endpoint, Is.EqualTo(new Uri("https://api.anthropic.com")));
    }

    [Test]
    public async Task A_conversation_goes_to_the_messages_api_with_its_system_prompt_prefill_and_default_max_tokens()
    {
        await using var server = await StartAsync(ScriptedResponders.FromText(_ => "OUTPUT>hello"));
        using var client = Create(server, new ObservedClock());
        var response = await client.GetResponseAsync(Conversation);

        Assert.That(response.Text, Is.EqualTo("OUTPUT>hello"));
        var call = server.Calls.Single();
        Assert.That(call.Messages.Select(m => (m.Role, m.Content)), Is.EqualTo(new[] { ("system", "You are a helpful assistant."), ("user", "Say hello."), ("assistant", "<") }));
        Assert.That(call.MaxTokens, Is.EqualTo(4000), "the original's max_tokens for Anthropic models");
        Assert.That(call.Headers.ContainsKey("x-api-key"), Is.False, "the key is never recorded");
    }

    [Test]
    public async Task A_429_is_retried_by_the_pipeline_after_its_Retry_After_and_the_sdk_adds_no_retry()
    {
        var plan = new FaultPlan().FailFirst(1, ScriptedReply.TooManyRequests(TimeSpan.FromSeconds(5)));
        await using var server = await StartAsync(plan.Wrap(ScriptedReply.Text("ok")));
        var clock = new ObservedClock();
        using var client = Create(server, clock);
        var call = client.GetResponseAsync(Conversation);
        await clock.WaitForTimerAsync(t => t == TimeSpan.FromSeconds(5));
        await Task.Delay(50);
        Assert.That(server.CallCount, Is.EqualTo(1));
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.That((await call).Text, Is.EqualTo("ok"));
        Assert.That(server.CallCount, Is.EqualTo(2));
    }

    [Test]
    public async Task Overloaded_529s_dropped_connections_and_malformed_bodies_are_retried()
    {
        var plan = new FaultPlan()
            .OnCall(1, ScriptedReply.Error(529))
            .OnCall(2, ScriptedReply.DropConnection())
            .OnCall(3, ScriptedReply.MalformedJson())
            .OnCall(4, ScriptedReply.TruncatedJson());
        await using var server = await StartAsync(plan.Wrap(ScriptedReply.Text("ok")));
        var clock = new ObservedClock();
        var retries = new List<Exception>();
        using var client = Create(server, clock, retries);
        var response = await clock.DriveAsync(client.GetResponseAsync(Conversation), Waits, TimeSpan.FromMinutes(1));
        Assert.That(response.Text, Is.EqualTo("ok"));
        Assert.That(server.CallCount, Is.EqualTo(5));
        Assert.That(retries, Has.Count.EqualTo(4), "each retried once, at the HTTP level");
    }

    [Test]
    public async Task A_401_stops_at_once_naming_the_key_variable()
    {
        await using var server = await StartAsync(ScriptedResponders.FromText(_ => "x"), requiredKey: "another-key");
        using var client = Create(server, new ObservedClock());
        Assert.That(async () => await client.GetResponseAsync(Conversation), Throws.TypeOf<FatalCallException>().With.Message.EqualTo("401 Unauthorized: check the key in environment variable ANTHROPIC_API_KEY"));
        Assert.That(server.CallCount, Is.Zero, "refused before the responder, not retried");
    }

    [Test]
    public async Task A_400_is_permanent_and_not_retried()
    {
        await using var server = await StartAsync(new FaultPlan().When(_ => true, ScriptedReply.BadRequest()).Wrap(ScriptedReply.Text("x")));
        var retries = new List<Exception>();
        using var client = Create(server, new ObservedClock(), retries);

        Assert.That(async () => await client.GetResponseAsync(Conversation), Throws.InstanceOf<global::Anthropic.Exceptions.AnthropicBadRequestException>().With.Message.Contains("invalid_request_error"));
        Assert.That(server.CallCount, Is.EqualTo(1));
        Assert.That(retries, Is.Empty);
        Assert.That(AnthropicEndpoint.Classify(new InvalidOperationException("x")).Kind, Is.EqualTo(CallFailureKind.Permanent));
    }

    [Test]
    public async Task An_html_page_from_an_endpoint_that_never_answered_stops_at_once_with_the_cause()
    {
        var plan = new FaultPlan().When(_ => true, ScriptedReply.Html());
        await using var html = await StartAsync(plan.Wrap(ScriptedReply.Text("x")));
        using var client = Create(html, new ObservedClock(), configure: o => o.EndpointSetting = "--endpoint");
        Assert.That(
            async () => await client.GetResponseAsync(Conversation),
            Throws.TypeOf<FatalCallException>().With.Message.EqualTo($"the endpoint {html.RootAddress.AbsoluteUri.TrimEnd('/')} answered text/html, not an Anthropic Messages JSON body: check --endpoint"));
        Assert.That(html.CallCount, Is.EqualTo(1));
    }
}
