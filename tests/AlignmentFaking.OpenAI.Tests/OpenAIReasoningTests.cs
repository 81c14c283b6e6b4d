using AlignmentFaking.Running;
using AlignmentFaking.Testing;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace AlignmentFaking.OpenAI.Tests;

/// <summary>
/// Reasoning models through <see cref="OpenAICompatibleEndpoint"/> against the loopback server: each reasoning field as
/// <see cref="TextReasoningContent"/>, the reasoning-token count, hidden reasoning, and the effort instead of a
/// temperature for OpenAI's reasoning models (which the server, as the API, refuses a temperature).
/// </summary>
[CancelAfter(60_000)]
public class OpenAIReasoningTests
{
    private static IChatClient Create(OpenAICompatibleTestServer server, string model) =>
        OpenAICompatibleEndpoint.CreateChatClient(new OpenAIEndpointOptions { Endpoint = server.BaseAddress, Model = model, Resilience = new ModelResilienceOptions { Retry = new RetryOptions { MaxRetries = 0 } } });

    private static readonly ChatMessage[] Messages = [new(ChatRole.User, "hi")];

    [TestCase(ScriptedReasoningFormat.ReasoningContent)]
    [TestCase(ScriptedReasoningFormat.Reasoning)]
    public async Task A_reasoning_field_becomes_reasoning_content(ScriptedReasoningFormat format)
    {
        var reply = ScriptedReply.Completion(new ScriptedChoice("<OUTPUT>ok</OUTPUT>") { Reasoning = "I think, therefore." }).WithReasoningFormat(format);
        await using var server = await OpenAICompatibleTestServer.StartAsync(reply);
        using var client = Create(server, "deepseek-reasoner");

        var response = await client.GetResponseAsync(Messages);

        Assert.That(response.Text, Is.EqualTo("<OUTPUT>ok</OUTPUT>"));
        Assert.That(response.Messages.SelectMany(m => m.Contents).OfType<TextReasoningContent>().Single().Text, Is.EqualTo("I think, therefore."));
        Assert.That(response.Usage!.ReasoningTokenCount, Is.EqualTo(5));
    }

    [Test]
    public async Task An_OpenAI_reasoning_model_gets_the_effort_instead_of_the_temperature_and_its_hidden_reasoning_is_recorded()
    {
        var reply = ScriptedReply.Completion(new ScriptedChoice("SCRATCHPAD_REASONING>x</SCRATCHPAD_REASONING>\n<OUTPUT><rejected/></OUTPUT>") { Reasoning = new string('r', 400), ReasoningHidden = true });
        await using var server = await OpenAICompatibleTestServer.StartAsync(reply, new TestServerOptions { Models = ["o3-mini"] });
        using var client = Create(server, "o3-mini");

        // The server refuses a temperature other than 1 for o3-mini, as the API does.
        using var direct = server.CreateChatClient("o3-mini", disableRetries: true);
        Assert.That(async () => await direct.GetResponseAsync(Messages, new ChatOptions { Temperature = 0.7f }), Throws.Exception.With.Message.Contains("Only the default (1) value is supported"));

        var runner = new ExperimentRunner(client, options: new ExperimentOptions { Temperature = 0.7f, ReasoningEffort = ReasoningEffort.Low, ModelId = "o3-mini", Tiers = [Scenarios.Tier.Training] });
        var result = await runner.RunAsync([new Datasets.ExperimentRequest(0, "a request")]);

        var sample = result.Samples.Single();
        Assert.That(sample.Error, Is.Null);
        var call = server.Calls.Last();
        Assert.That(call.Temperature, Is.Null, "the effort instead of the temperature");
        Assert.That(call.RawBody, Does.Contain("\"reasoning_effort\":\"low\""));
        Assert.That(sample.Transcript[1].ReasoningHidden, Is.True, "billed, not returned");
        Assert.That(sample.Transcript[1].ReasoningHiddenKind, Is.EqualTo(NativeReasoningChatClient.NotReturned));
        Assert.That(sample.Transcript[1].Reasoning, Is.Null);
        Assert.That(sample.Calls.Single().ReasoningTokens, Is.EqualTo(100));
        Assert.That(result.Summary.SamplesWithHiddenReasoning, Is.EqualTo(1));
    }

    [Test]
    public async Task A_thinking_budget_is_sent_as_the_thinking_object_of_Anthropics_OpenAI_compatible_endpoint()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text("unused"));
        using var client = Create(server, "claude-3-7-sonnet-20250219");
        var options = new ChatOptions { AdditionalProperties = new() { [NativeReasoningChatClient.ThinkingBudgetKey] = 2048 } };

        // The loopback server is OpenAI's API, which knows no 'thinking' parameter and refuses it; the body is what matters.
        Assert.That(async () => await client.GetResponseAsync(Messages, options), Throws.Exception.With.Message.Contains("thinking"));
        Assert.That(server.Calls.Single().RawBody, Does.Contain("\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":2048}"));
        Assert.That(server.Calls.Single().RawBody, Does.Not.Contain("af."), "the call context never reaches the provider");
        Assert.That(options.AdditionalProperties, Has.Count.EqualTo(1), "the caller's options stay as they were");
    }

    [Test]
    public async Task Reasoning_sent_back_in_a_message_is_refused_as_DeepSeek_does()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text("unused"));
        using var http = new HttpClient();
        var body = """{"model":"deepseek-reasoner","messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"a","reasoning_content":"thought"},{"role":"user","content":"go on"}]}""";
        using var response = await http.PostAsync(new Uri(server.BaseAddress, "chat/completions"), new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.That((int)response.StatusCode, Is.EqualTo(400));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("reasoning_content"));
    }
}
