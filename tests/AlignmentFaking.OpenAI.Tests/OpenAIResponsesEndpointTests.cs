using System.Text.Json;
using AlignmentFaking.Running;
using AlignmentFaking.Testing;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace AlignmentFaking.OpenAI.Tests;

/// <summary>
/// <see cref="OpenAIResponsesEndpoint"/>: the real OpenAI client's Responses API over <see cref="ModelHttpClient"/>
/// against the loopback server's strict <c>POST /v1/responses</c>, every wait on one fake clock.
/// </summary>
[CancelAfter(60_000)]
public class OpenAIResponsesEndpointTests
{
    private const string Reasoner = "o4-mini";
    private const string Plain = "gpt-4o";

    private static bool Waits(TimeSpan timer) => timer < RetryOptions.DefaultAttemptTimeout;

    private static IChatClient Create(OpenAICompatibleTestServer server, ObservedClock clock, string model = Reasoner, string? key = "test-key-0123", List<Exception>? retries = null) =>
        OpenAIResponsesEndpoint.CreateChatClient(new OpenAIEndpointOptions
        {
            Endpoint = server.BaseAddress,
            Model = model,
            ApiKey = key,
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
        });

    private static ScriptedReply Reasoned(string text, string reasoning, bool hidden = false) =>
        ScriptedReply.Completion(new ScriptedChoice(text) { Reasoning = reasoning, ReasoningHidden = hidden });

    [Test]
    public async Task The_reasoning_summary_arrives_as_summary_only_reasoning_with_the_usage()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(Reasoned("the answer", "I weighed it all").WithUsage(120, 40), new TestServerOptions { Models = [Reasoner], RequiredApiKey = "test-key-0123" });
        using var client = Create(server, new ObservedClock());
        var options = new ChatOptions { Temperature = 1f, MaxOutputTokens = 500, Reasoning = new ReasoningOptions { Effort = ReasoningEffort.Low } };

        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.System, "be brief"), new ChatMessage(ChatRole.User, "hello")], options);

        Assert.That(response.Text, Is.EqualTo("the answer"));
        var thought = response.Messages.SelectMany(m => m.Contents).OfType<TextReasoningContent>().Single();
        Assert.That(thought.Text, Is.EqualTo("I weighed it all"));
        Assert.That(thought.AdditionalProperties?[NativeReasoningChatClient.HiddenKey], Is.EqualTo(NativeReasoningChatClient.SummaryOnly));
        Assert.That(response.ConversationId, Is.Null, "stateless: the response cache keeps caching");
        Assert.That(response.Usage?.InputTokenCount, Is.EqualTo(120));
        Assert.That(response.Usage?.OutputTokenCount, Is.EqualTo(40));
        Assert.That(response.Usage?.CachedInputTokenCount, Is.Zero);
        Assert.That(response.Usage?.ReasoningTokenCount, Is.EqualTo(4), "chars/4 of the reasoning, billed as output");

        var call = server.Calls.Single();
        Assert.That(call.Api, Is.EqualTo(ChatCompletionCall.ResponsesApi));
        Assert.That(call.Messages.Select(m => m.Role), Is.EqualTo(new[] { "system", "user" }));
        var body = call.Body!.Value;
        Assert.That(body.GetProperty("store").GetBoolean(), Is.False);
        Assert.That(body.TryGetProperty("previous_response_id", out _), Is.False);
        Assert.That(body.TryGetProperty("temperature", out _), Is.False, "a reasoning model gets no temperature");
        Assert.That(body.GetProperty("reasoning").GetProperty("effort").GetString(), Is.EqualTo("low"));
        Assert.That(body.GetProperty("reasoning").GetProperty("summary").GetString(), Is.EqualTo("auto"));
        Assert.That(body.GetProperty("max_output_tokens").GetInt32(), Is.EqualTo(500));
        Assert.That(options.Temperature, Is.EqualTo(1f), "the caller's options are left as they were");
        Assert.That(client.GetService<ChatClientMetadata>()?.ProviderUri, Is.EqualTo(new Uri(server.BaseAddress, "responses")), "the response cache's key tells this API from chat completions");
    }

    [Test]
    public async Task A_model_that_does_not_reason_gets_its_temperature_and_no_reasoning_object()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text("plain"), new TestServerOptions { Models = [Plain] });
        using var client = Create(server, new ObservedClock(), Plain);
        var response = await client.GetResponseAsync("hi", new ChatOptions { Temperature = 0.5f });
        Assert.That(response.Text, Is.EqualTo("plain"));
        Assert.That(response.Messages.SelectMany(m => m.Contents).OfType<TextReasoningContent>(), Is.Empty);
        var body = server.Calls.Single().Body!.Value;
        Assert.That(body.GetProperty("temperature").GetDouble(), Is.EqualTo(0.5).Within(1e-6));
        Assert.That(body.TryGetProperty("reasoning", out var reasoning) && reasoning.ValueKind != JsonValueKind.Null, Is.False);
    }

    [Test]
    public async Task The_strict_server_refuses_what_OpenAI_refuses()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text("unused"), new TestServerOptions { Models = [Reasoner] });
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        async Task<string> Post(string json)
        {
            using var response = await http.PostAsync("responses", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
            Assert.That((int)response.StatusCode, Is.EqualTo(400), json);
            using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            return error.RootElement.GetProperty("error").GetProperty("message").GetString()!;
        }

        Assert.That(await Post("""{"input":"hi"}"""), Does.Contain("Missing required parameter: 'model'"));
        Assert.That(await Post("""{"model":"o4-mini"}"""), Does.Contain("Missing required parameter: 'input'"));
        Assert.That(await Post("""{"model":"o4-mini","input":"hi","n":2}"""), Does.Contain("Unknown parameter: 'n'"));
        Assert.That(await Post("""{"model":"o4-mini","input":"hi","temperature":0.7}"""), Does.Contain("'temperature' is not supported with this model"));
        Assert.That(await Post("""{"model":"gpt-4o","input":"hi","reasoning":{"summary":"auto"}}"""), Does.Contain("'reasoning.summary' is not supported with this model"));
        Assert.That(await Post("""{"model":"o4-mini","input":"hi","reasoning":{"generate_summary":"auto"}}"""), Does.Contain("Unknown parameter: 'reasoning.generate_summary'"));
        Assert.That(await Post("""{"model":"o4-mini","input":[{"role":"tool","content":"x"}]}"""), Does.Contain("Supported values are: 'user', 'assistant', 'system', and 'developer'"));
        Assert.That(await Post("""{"model":"o4-mini","input":[{"role":"user"}]}"""), Does.Contain("Missing required parameter: 'input[0].content'"));
        Assert.That(await Post("""{"model":"o4-mini","input":[{"type":"reasoning","id":"rs_1","summary":[]},{"role":"user","content":"hi"}]}"""), Does.Contain("reasoning item"));
        Assert.That(await Post("""{"model":"o4-mini","input":"hi","previous_response_id":"resp_1"}"""), Does.Contain("not found"));
        Assert.That(server.Calls.All(c => c.Reply is null || c.ResponseStatusCode == 400), Is.True, "nothing reached the responder");
    }

    [Test]
    public async Task Reasoning_given_back_in_the_input_is_never_sent()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(Reasoned("second", "more thoughts"), new TestServerOptions { Models = [Reasoner] });
        using var client = Create(server, new ObservedClock());
        var first = await client.GetResponseAsync("first question");
        List<ChatMessage> history = [new ChatMessage(ChatRole.User, "first question"), .. first.Messages, new ChatMessage(ChatRole.User, "go on")];

        var second = await client.GetResponseAsync(history);

        Assert.That(second.Text, Is.EqualTo("second"));
        var call = server.Calls[^1];
        Assert.That(call.ResponseStatusCode, Is.EqualTo(200), call.ResponseBody);
        Assert.That(call.Messages.Select(m => m.Role), Is.EqualTo(new[] { "user", "assistant", "user" }));
        Assert.That(call.RawBody, Does.Not.Contain("\"type\":\"reasoning\"").And.Not.Contain("more thoughts").And.Not.Contain("rs_test"));
    }

    [Test]
    public async Task Reasoning_billed_but_not_summarized_is_hidden()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(Reasoned("<OUTPUT>x</OUTPUT>", new string('r', 400), hidden: true), new TestServerOptions { Models = [Reasoner] });
        using var client = Create(server, new ObservedClock());
        var runner = new ExperimentRunner(client, options: new ExperimentOptions { Modes = [AlignmentFaking.Scenarios.ReasoningMode.NoCot], ModelId = Reasoner });
        var result = await runner.RunAsync([new AlignmentFaking.Datasets.ExperimentRequest(0, "request")]);
        var turn = result.Samples[0].Transcript[1];
        Assert.That(turn.Reasoning, Is.Null);
        Assert.That(turn.ReasoningHidden, Is.True);
        Assert.That(turn.ReasoningHiddenKind, Is.EqualTo(NativeReasoningChatClient.NotReturned));
        Assert.That(result.Samples[0].Calls[0].ReasoningTokens, Is.EqualTo(100));
    }

    [Test]
    public async Task Encrypted_reasoning_asked_for_arrives_as_protected_data()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedResponders.Sequence(Reasoned("one", "a thought"), Reasoned("two", "withheld", hidden: true)), new TestServerOptions { Models = [Reasoner] });
        using var client = Create(server, new ObservedClock());
#pragma warning disable OPENAI001 // the Responses API options of the OpenAI SDK are marked for evaluation
        var options = new ChatOptions { RawRepresentationFactory = _ => new global::OpenAI.Responses.CreateResponseOptions { IncludedProperties = { global::OpenAI.Responses.IncludedResponseProperty.ReasoningEncryptedContent } } };
#pragma warning restore OPENAI001

        var summarized = (await client.GetResponseAsync("hi", options)).Messages.SelectMany(m => m.Contents).OfType<TextReasoningContent>().Single();
        var encrypted = (await client.GetResponseAsync("hi", options)).Messages.SelectMany(m => m.Contents).OfType<TextReasoningContent>().Single();

        Assert.That((summarized.Text, summarized.AdditionalProperties?[NativeReasoningChatClient.HiddenKey]), Is.EqualTo(("a thought", (object)NativeReasoningChatClient.SummaryOnly)));
        Assert.That(summarized.ProtectedData, Is.Not.Empty);
        Assert.That((encrypted.Text, encrypted.AdditionalProperties?[NativeReasoningChatClient.HiddenKey]), Is.EqualTo((string.Empty, (object)NativeReasoningChatClient.Encrypted)));
        Assert.That(encrypted.ProtectedData, Is.Not.Empty);
        var body = server.Calls[0].Body!.Value;
        Assert.That(body.GetProperty("include")[0].GetString(), Is.EqualTo("reasoning.encrypted_content"));
        Assert.That(body.GetProperty("store").GetBoolean(), Is.False, "the caller's raw options get store=false too");
        Assert.That(body.GetProperty("reasoning").GetProperty("summary").GetString(), Is.EqualTo("auto"));
    }

    [Test]
    public async Task A_reasoning_item_with_its_full_reasoning_text_is_read_in_full_and_not_marked()
    {
        const string Body = """
            {"id":"resp_1","object":"response","created_at":1,"status":"completed","error":null,"incomplete_details":null,"model":"openai/gpt-oss-120b",
             "output":[{"type":"reasoning","id":"rs_1","summary":[],"content":[{"type":"reasoning_text","text":"step one"},{"type":"reasoning_text","text":"step two"}]},
                       {"type":"message","id":"msg_1","status":"completed","role":"assistant","content":[{"type":"output_text","text":"done","annotations":[]}]}],
             "usage":{"input_tokens":5,"input_tokens_details":{"cached_tokens":0},"output_tokens":9,"output_tokens_details":{"reasoning_tokens":4},"total_tokens":14}}
            """;
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.RawBody(Body), new TestServerOptions { Models = ["openai/gpt-oss-120b"] });
        using var client = Create(server, new ObservedClock(), "openai/gpt-oss-120b");
        var response = await client.GetResponseAsync("hi");
        var thought = response.Messages.SelectMany(m => m.Contents).OfType<TextReasoningContent>().Single();
        Assert.That(thought.Text, Is.EqualTo("step one\n\nstep two"));
        Assert.That(thought.AdditionalProperties?.ContainsKey(NativeReasoningChatClient.HiddenKey) == true, Is.False);
        Assert.That(response.Text, Is.EqualTo("done"));
    }

    [Test]
    public async Task A_401_stops_at_once_naming_the_key_variable()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text("x"), new TestServerOptions { Models = [Reasoner], RequiredApiKey = "another-key" });
        using var client = Create(server, new ObservedClock());
        Assert.That(async () => await client.GetResponseAsync("hi"), Throws.TypeOf<FatalCallException>().With.Message.EqualTo("401 Unauthorized: check the key in environment variable MY_KEY"));
        Assert.That(server.CallCount, Is.EqualTo(1));
    }

    [Test]
    public async Task Without_a_key_no_Authorization_header_is_sent()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text("ok"), new TestServerOptions { Models = [Reasoner] });
        using var client = Create(server, new ObservedClock(), key: null);
        Assert.That((await client.GetResponseAsync("hi")).Text, Is.EqualTo("ok"));
        Assert.That(server.Calls.Single().HasAuthorization, Is.False);
    }

    [Test]
    public async Task A_429_and_a_500_are_retried_as_on_chat_completions()
    {
        var plan = new FaultPlan().OnCall(1, ScriptedReply.TooManyRequests(TimeSpan.FromSeconds(2))).OnCall(2, ScriptedReply.ServerError()).OnCall(3, ScriptedReply.MalformedJson());
        await using var server = await OpenAICompatibleTestServer.StartAsync(plan.Wrap(Reasoned("ok", "thinking")), new TestServerOptions { Models = [Reasoner] });
        var clock = new ObservedClock();
        var retries = new List<Exception>();
        using var client = Create(server, clock, retries: retries);

        var response = await clock.DriveAsync(client.GetResponseAsync("hi"), Waits, TimeSpan.FromMinutes(1));

        Assert.That(response.Text, Is.EqualTo("ok"));
        Assert.That(server.CallCount, Is.EqualTo(4));
        Assert.That(retries, Has.Count.EqualTo(3));
        Assert.That(server.Calls.All(c => c.Api == ChatCompletionCall.ResponsesApi), Is.True);
    }

    [Test]
    public async Task An_html_page_stops_at_once_with_the_cause()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Html(), new TestServerOptions { Models = [Reasoner] });
        using var client = Create(server, new ObservedClock());
        Assert.That(async () => await client.GetResponseAsync("hi"), Throws.TypeOf<FatalCallException>().With.Message.Contains("answered text/html"));
        Assert.That(server.CallCount, Is.EqualTo(1));
    }

    [Test]
    public async Task A_thinking_budget_is_refused_before_any_call()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text("unused"), new TestServerOptions { Models = [Reasoner] });
        using var client = Create(server, new ObservedClock());
        var options = new ChatOptions { AdditionalProperties = new() { [NativeReasoningChatClient.ThinkingBudgetKey] = 2048 } };
        Assert.That(async () => await client.GetResponseAsync("hi", options), Throws.TypeOf<FatalCallException>().With.Message.Contains("no thinking budget"));
        Assert.That(server.CallCount, Is.Zero);
    }
}
