using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json;
using AlignmentFaking.Testing;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace AlignmentFaking.IntegrationTests.Server;

/// <summary>Completions through the real OpenAI client (via Microsoft.Extensions.AI) against the loopback server.</summary>
[TestFixture]
[CancelAfter(20_000)]
public sealed class RoundTripTests
{
    [Test]
    public async Task Completion_round_trip_maps_text_finish_reason_usage_and_ids()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(
            ScriptedReply.Text("Hello from the server.").WithUsage(11, 7));
        var client = server.CreateChatClient("gpt-test");

        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Hi")]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(response.Text, Is.EqualTo("Hello from the server."));
            Assert.That(response.FinishReason, Is.EqualTo(ChatFinishReason.Stop));
            Assert.That(response.ModelId, Is.EqualTo("gpt-test"));
            Assert.That(response.ResponseId, Is.EqualTo("chatcmpl-test-1"));
            Assert.That(response.Usage?.InputTokenCount, Is.EqualTo(11));
            Assert.That(response.Usage?.OutputTokenCount, Is.EqualTo(7));
            Assert.That(response.Usage?.TotalTokenCount, Is.EqualTo(18));
            Assert.That(response.Messages.Single().Role, Is.EqualTo(ChatRole.Assistant));
        }

        var call = server.Calls.Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(call.Sequence, Is.EqualTo(1));
            Assert.That(call.Model, Is.EqualTo("gpt-test"));
            Assert.That(call.HasAuthorization, Is.True);
            Assert.That(call.Headers.ContainsKey("Authorization"), Is.False);
            Assert.That(call.Outcome, Is.EqualTo(CallOutcome.Answered));
            Assert.That(call.ResponseStatusCode, Is.EqualTo(200));
            Assert.That(call.Reply?.Kind, Is.EqualTo(ScriptedReplyKind.Completion));
            Assert.That(call.ResponseBody, Does.Contain("\"object\":\"chat.completion\""));
            Assert.That(call.Stream, Is.False);
        }
    }

    [TestCase("stop")]
    [TestCase("length")]
    [TestCase("content_filter")]
    public async Task Finish_reason_maps_to_ChatFinishReason(string finishReason)
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text("partial", finishReason));
        var client = server.CreateChatClient();

        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Hi")]);

        var expected = finishReason switch
        {
            "stop" => ChatFinishReason.Stop,
            "length" => ChatFinishReason.Length,
            _ => ChatFinishReason.ContentFilter,
        };
        Assert.That(response.FinishReason, Is.EqualTo(expected));
    }

    [Test]
    public async Task Usage_defaults_to_roughly_chars_over_four()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text(new string('a', 40)));
        var client = server.CreateChatClient();

        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, new string('q', 400))]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(response.Usage?.InputTokenCount, Is.EqualTo(100));
            Assert.That(response.Usage?.OutputTokenCount, Is.EqualTo(10));
        }
    }

    [Test]
    public async Task Messages_arrive_in_order_with_exact_content_including_system_and_prefill()
    {
        const string system = "You are Claude.\n\n<rules>Be <b>helpful</b> & \"honest\"</rules>  ";
        const string user = "<is_free_tier_user>True</is_free_tier_user>\n\nDo X — ünïcødé ✓\ttab";
        const string prefill = "<OUTPUT>";
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedResponders.Echo());
        var client = server.CreateChatClient();

        var response = await client.GetResponseAsync(
        [
            new ChatMessage(ChatRole.System, system),
            new ChatMessage(ChatRole.User, user),
            new ChatMessage(ChatRole.Assistant, "<SCRATCHPAD_REASONING>ok</SCRATCHPAD_REASONING>"),
            new ChatMessage(ChatRole.User, "<NEXT/>"),
            new ChatMessage(ChatRole.Assistant, prefill),
        ]);

        var call = server.Calls.Single();
        Assert.That(call.Messages, Is.EqualTo(new[]
        {
            new RecordedChatMessage("system", system),
            new RecordedChatMessage("user", user),
            new RecordedChatMessage("assistant", "<SCRATCHPAD_REASONING>ok</SCRATCHPAD_REASONING>"),
            new RecordedChatMessage("user", "<NEXT/>"),
            new RecordedChatMessage("assistant", prefill),
        }));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(response.Text, Is.EqualTo("echo: " + prefill));
            Assert.That(call.LastMessageContent, Is.EqualTo(prefill));
            using var raw = JsonDocument.Parse(call.RawBody);
            Assert.That(raw.RootElement.GetProperty("messages")[1].GetProperty("content").GetString(), Is.EqualTo(user));
        }
    }

    [Test]
    public async Task Temperature_max_tokens_and_seed_arrive()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text("ok"));
        var client = server.CreateChatClient();

        await client.GetResponseAsync(
            [new ChatMessage(ChatRole.User, "Hi")],
            new ChatOptions { Temperature = 0.7f, MaxOutputTokens = 123, Seed = 42, TopP = 0.9f, StopSequences = ["</OUTPUT>"] });

        var call = server.Calls.Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(call.Temperature, Is.EqualTo(0.7).Within(1e-6));
            Assert.That(call.TopP, Is.EqualTo(0.9).Within(1e-6));
            Assert.That(call.MaxTokens, Is.EqualTo(123));
            Assert.That(call.MaxTokensField, Is.EqualTo("max_completion_tokens"));
            Assert.That(call.Seed, Is.EqualTo(42));
            Assert.That(call.Stop, Is.EqualTo(new[] { "</OUTPUT>" }));
            Assert.That(call.N, Is.Null);
        }
    }

    [Test]
    public async Task Unset_options_are_absent()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text("ok"));
        await server.CreateChatClient().GetResponseAsync([new ChatMessage(ChatRole.User, "Hi")]);

        var call = server.Calls.Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(call.Temperature, Is.Null);
            Assert.That(call.MaxTokens, Is.Null);
            Assert.That(call.Seed, Is.Null);
        }
    }

    [Test]
    public async Task N_legacy_max_tokens_and_content_parts_are_parsed_and_several_choices_returned()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(
            ScriptedReply.Completion(new ScriptedChoice("first"), new ScriptedChoice("second", "length")));
        var openAi = server.CreateOpenAIChatClient();
        const string body = """
            {"model":"raw-model","n":2,"max_tokens":50,"temperature":0,
             "messages":[{"role":"user","content":[{"type":"text","text":"part one, "},{"type":"image_url","image_url":{"url":"data:,"}},{"type":"text","text":"part two"}]}]}
            """;

        // The OpenAI client's protocol method: the body goes out byte for byte.
        var result = await openAi.CompleteChatAsync(BinaryContent.Create(BinaryData.FromString(body)), new RequestOptions());

        var call = server.Calls.Single();
        using var answer = JsonDocument.Parse(result.GetRawResponse().Content.ToString());
        var choices = answer.RootElement.GetProperty("choices");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(call.RawBody, Is.EqualTo(body));
            Assert.That(call.N, Is.EqualTo(2));
            Assert.That(call.MaxTokens, Is.EqualTo(50));
            Assert.That(call.MaxTokensField, Is.EqualTo("max_tokens"));
            Assert.That(call.Temperature, Is.EqualTo(0));
            Assert.That(call.Model, Is.EqualTo("raw-model"));
            Assert.That(call.Messages, Is.EqualTo(new[] { new RecordedChatMessage("user", "part one, part two") }));
            Assert.That(choices.GetArrayLength(), Is.EqualTo(2));
            Assert.That(choices[1].GetProperty("index").GetInt32(), Is.EqualTo(1));
            Assert.That(choices[1].GetProperty("message").GetProperty("content").GetString(), Is.EqualTo("second"));
            Assert.That(choices[1].GetProperty("finish_reason").GetString(), Is.EqualTo("length"));
        }
    }

    [Test]
    public async Task Streaming_round_trip_yields_the_text_finish_reason_and_usage()
    {
        var text = "A streamed answer that is long enough to be split into several chunks.";
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text(text, "length").WithUsage(5, 6));
        var client = server.CreateChatClient();

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "Hi")]))
        {
            updates.Add(update);
        }

        var response = updates.ToChatResponse();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(server.Calls.Single().Stream, Is.True);
            Assert.That(updates, Has.Count.GreaterThan(3));
            Assert.That(response.Text, Is.EqualTo(text));
            Assert.That(response.FinishReason, Is.EqualTo(ChatFinishReason.Length));
            Assert.That(response.Usage?.InputTokenCount, Is.EqualTo(5));
            Assert.That(response.Usage?.OutputTokenCount, Is.EqualTo(6));
        }
    }
}
