using AlignmentFaking.Running;
using AlignmentFaking.Testing;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace AlignmentFaking.OpenAI.Tests;

/// <summary>
/// <see cref="OpenAICompatibleEndpoint"/>: the real OpenAI client over <see cref="ModelHttpClient"/> against the loopback
/// OpenAI-compatible server, every wait on one fake clock.
/// </summary>
[CancelAfter(60_000)]
public class OpenAICompatibleEndpointTests
{
    private const string Model = "meta-llama/Meta-Llama-3.1-8B-Instruct";

    /// <summary>The timers a call waits on (retry delays, Retry-After, breaker pauses), not the attempt timeout (10 minutes) that runs while a request is in flight.</summary>
    private static bool Waits(TimeSpan timer) => timer < RetryOptions.DefaultAttemptTimeout;

    private static IChatClient Create(OpenAICompatibleTestServer server, ObservedClock clock, List<Exception>? retries = null, Action<OpenAIEndpointOptions>? configure = null)
    {
        var options = new OpenAIEndpointOptions
        {
            Endpoint = server.BaseAddress,
            Model = Model,
            ApiKey = "test-key-0123",
            ApiKeyVariable = "MY_KEY",
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
        return OpenAICompatibleEndpoint.CreateChatClient(options);
    }

    [Test]
    public void Options_are_validated_with_the_cause()
    {
        Assert.That(() => OpenAICompatibleEndpoint.CreateChatClient(new OpenAIEndpointOptions { Endpoint = new Uri("http://127.0.0.1:9/v1") }), Throws.ArgumentException.With.Message.Contains("model id"));
        Assert.That(() => OpenAICompatibleEndpoint.CreateChatClient(new OpenAIEndpointOptions { Endpoint = new Uri("ftp://host/v1"), Model = "m" }), Throws.ArgumentException.With.Message.Contains("http(s)"));
        Assert.That(() => OpenAICompatibleEndpoint.CreateChatClient(new OpenAIEndpointOptions { Endpoint = new Uri("http://127.0.0.1:9/v1"), Model = "m", Resilience = new ModelResilienceOptions { Retry = new RetryOptions { MaxRetries = -1 } } }), Throws.ArgumentException.With.Message.Contains("max retries"));
    }

    [Test]
    public async Task Options_from_the_environment_name_the_variables_and_reach_the_endpoint_with_the_key()
    {
        var prefix = "AF_TEST_" + Guid.NewGuid().ToString("N").ToUpperInvariant();
        string endpoint = prefix + "_ENDPOINT", model = prefix + "_MODEL", key = prefix + "_KEY";
        try
        {
            Assert.That(() => OpenAIEndpointOptions.FromEnvironment(endpoint, model, key), Throws.InvalidOperationException.With.Message.EqualTo($"environment variable {endpoint} is not set (the OpenAI-compatible base URL, usually ending in /v1)"));
            Environment.SetEnvironmentVariable(endpoint, "localhost:8000/v1");
            Assert.That(() => OpenAIEndpointOptions.FromEnvironment(endpoint, model, key), Throws.ArgumentException.With.Message.Contains($"environment variable {endpoint} must hold an absolute http(s) URL"));
            await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text("hi"), new TestServerOptions { Models = [Model], RequiredApiKey = "env-key-0123" });
            Environment.SetEnvironmentVariable(endpoint, " " + server.BaseAddress + " ");
            Assert.That(() => OpenAIEndpointOptions.FromEnvironment(endpoint, model, key), Throws.InvalidOperationException.With.Message.EqualTo($"environment variable {model} is not set (the model id)"));
            Environment.SetEnvironmentVariable(model, Model);

            var keyless = OpenAIEndpointOptions.FromEnvironment(endpoint, model, key);
            Assert.That(keyless.ApiKey, Is.Null, "no key: local servers take none");
            Assert.That(keyless.ApiKeyVariable, Is.EqualTo(key));
            Assert.That(keyless.EndpointSetting, Is.EqualTo("environment variable " + endpoint));
            Assert.That(keyless.Endpoint, Is.EqualTo(server.BaseAddress));
            Assert.That(keyless.Resilience.Retry.MaxRetries, Is.EqualTo(6), "af's defaults");
            using (var unauthorized = OpenAICompatibleEndpoint.CreateChatClient(keyless))
            {
                Assert.That(async () => await unauthorized.GetResponseAsync("hello"), Throws.TypeOf<FatalCallException>().With.Message.EqualTo("401 Unauthorized: check the key in environment variable " + key));
            }

            Environment.SetEnvironmentVariable(key, "env-key-0123");
            var resilience = new ModelResilienceOptions { TimeProvider = new ObservedClock() };
            var options = OpenAIEndpointOptions.FromEnvironment(endpoint, model, key, resilience);
            Assert.That(options.ApiKey, Is.EqualTo("env-key-0123"));
            Assert.That(options.Resilience, Is.SameAs(resilience));
            using var client = OpenAICompatibleEndpoint.CreateChatClient(options);
            Assert.That((await client.GetResponseAsync("hello")).Text, Is.EqualTo("hi"));
            Assert.That(() => OpenAIEndpointOptions.FromEnvironment(" ", model), Throws.ArgumentException);
        }
        finally
        {
            Environment.SetEnvironmentVariable(endpoint, null);
            Environment.SetEnvironmentVariable(model, null);
            Environment.SetEnvironmentVariable(key, null);
        }
    }

    [Test]
    public async Task A_reply_arrives_through_the_official_client()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedResponders.FromText(c => "answer to " + c.LastMessageContent), new TestServerOptions { Models = [Model], RequiredApiKey = "test-key-0123" });
        using var client = Create(server, new ObservedClock());
        var response = await client.GetResponseAsync("hello", new ChatOptions { Temperature = 1f, MaxOutputTokens = 50 });
        Assert.That(response.Text, Is.EqualTo("answer to hello"));
        Assert.That(server.Calls.Single().MaxTokens, Is.EqualTo(50));
        Assert.That(client.GetService<ChatClientMetadata>()?.ProviderUri, Is.EqualTo(server.BaseAddress), "the endpoint reaches the response cache's key");
    }

    [Test]
    public async Task A_401_stops_at_once_naming_the_key_variable()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text("x"), new TestServerOptions { Models = [Model], RequiredApiKey = "another-key" });
        using var client = Create(server, new ObservedClock());
        Assert.That(async () => await client.GetResponseAsync("hi"), Throws.TypeOf<FatalCallException>().With.Message.EqualTo("401 Unauthorized: check the key in environment variable MY_KEY"));
        Assert.That(server.CallCount, Is.EqualTo(1));
    }

    [Test]
    public async Task A_429_insufficient_quota_stops_at_once()
    {
        const string Quota = """{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}""";
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Error(429, Quota), new TestServerOptions { Models = [Model] });
        using var client = Create(server, new ObservedClock());
        Assert.That(async () => await client.GetResponseAsync("hi"), Throws.TypeOf<FatalCallException>().With.Message.StartsWith("429 insufficient_quota"));
        Assert.That(server.CallCount, Is.EqualTo(1), "not retried at the HTTP level either");
    }

    [Test]
    public async Task Malformed_empty_and_error_replies_are_retried_below_the_client()
    {
        var plan = new FaultPlan()
            .OnCall(1, ScriptedReply.MalformedJson())
            .OnCall(2, ScriptedReply.EmptyChoices())
            .OnCall(3, ScriptedReply.RawBody("""{"error":{"message":"upstream overloaded"}}"""))
            .OnCall(4, ScriptedReply.TruncatedJson());
        await using var server = await OpenAICompatibleTestServer.StartAsync(plan.Wrap(ScriptedReply.Text("ok")), new TestServerOptions { Models = [Model] });
        var clock = new ObservedClock();
        var retries = new List<Exception>();
        using var client = Create(server, clock, retries);

        var response = await clock.DriveAsync(client.GetResponseAsync("hi"), Waits, TimeSpan.FromMinutes(1));
        Assert.That(response.Text, Is.EqualTo("ok"));
        Assert.That(server.CallCount, Is.EqualTo(5));
        Assert.That(retries.Select(r => r.GetType().Name), Is.EqualTo(new[] { "JsonReaderException", "InvalidDataException", "InvalidDataException", "JsonReaderException" }).Or.EqualTo(new[] { "JsonException", "InvalidDataException", "InvalidDataException", "JsonException" }), "the reply check saw each before the client");
    }

    [Test]
    public async Task A_well_formed_reply_the_client_cannot_read_is_permanent()
    {
        const string Unknown = """{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"x"},"finish_reason":"error"}]}""";
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.RawBody(Unknown), new TestServerOptions { Models = [Model] });
        var retries = new List<Exception>();
        using var client = Create(server, new ObservedClock(), retries);
        Assert.That(async () => await client.GetResponseAsync("hi"), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("ChatFinishReason"));
        Assert.That(server.CallCount, Is.EqualTo(1));
        Assert.That(retries, Is.Empty);
    }

    [Test]
    public async Task An_html_page_from_an_endpoint_that_never_answered_stops_at_once_with_the_cause()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Html(), new TestServerOptions { Models = [Model] });
        using var client = Create(server, new ObservedClock(), configure: o => o.EndpointSetting = "--endpoint");
        Assert.That(
            async () => await client.GetResponseAsync("hi"),
            Throws.TypeOf<FatalCallException>().With.Message.EqualTo($"the endpoint {server.BaseAddress.AbsoluteUri.TrimEnd('/')} answered text/html, not an OpenAI-compatible JSON body: check --endpoint (usually ends in /v1)"));
        Assert.That(server.CallCount, Is.EqualTo(1));
    }

    [Test]
    public async Task Retry_After_is_waited_on_the_one_clock()
    {
        var plan = new FaultPlan().FailFirst(1, ScriptedReply.ServiceUnavailable(TimeSpan.FromSeconds(30)));
        await using var server = await OpenAICompatibleTestServer.StartAsync(plan.Wrap(ScriptedReply.Text("ok")), new TestServerOptions { Models = [Model] });
        var clock = new ObservedClock();
        using var client = Create(server, clock);
        var call = client.GetResponseAsync("hi");
        await clock.WaitForTimerAsync(t => t == TimeSpan.FromSeconds(30));
        await Task.Delay(50);
        Assert.That(server.CallCount, Is.EqualTo(1));
        clock.Advance(TimeSpan.FromSeconds(30));
        Assert.That((await call).Text, Is.EqualTo("ok"));
        Assert.That(server.CallCount, Is.EqualTo(2));
    }

    [Test]
    public async Task A_429_whose_headers_say_the_limit_is_used_up_confirms_a_real_limit()
    {
        var plan = new FaultPlan().FailFirst(1, ScriptedReply.TooManyRequests(TimeSpan.FromSeconds(2)).WithHeader("x-ratelimit-remaining-requests", "0"));
        await using var server = await OpenAICompatibleTestServer.StartAsync(plan.Wrap(ScriptedReply.Text("ok")), new TestServerOptions { Models = [Model] });
        var clock = new ObservedClock();
        using var client = Create(server, clock, configure: o => o.Resilience.Limits = new EndpointLimitOptions { MaxConcurrency = 8 });
        var limits = EndpointLimits.For(server.BaseAddress.AbsoluteUri.TrimEnd('/') + "|" + Model, new EndpointLimitOptions());

        var response = await clock.DriveAsync(client.GetResponseAsync("hi"), Waits, TimeSpan.FromMinutes(1));
        Assert.That(response.Text, Is.EqualTo("ok"));
        Assert.That(limits.RateLimitConfirmed, Is.True);
        Assert.That(limits.ConcurrencyLimit, Is.EqualTo(4), "one episode halves the concurrency");
        Assert.That(limits.RateLimitedCount, Is.EqualTo(1));
    }
}
