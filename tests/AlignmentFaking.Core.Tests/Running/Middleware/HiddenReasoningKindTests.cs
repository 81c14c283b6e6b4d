using System.Text.Json;
using AlignmentFaking.Running;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace AlignmentFaking.Tests.Running.Middleware;

/// <summary>
/// <see cref="NativeReasoningChatClient.HiddenKey"/>: a provider client's mark of how the provider hid reasoning (OpenAI's
/// Responses API returns summaries) is read by the runner, kept by the response cache, and recorded per turn.
/// </summary>
public class HiddenReasoningKindTests
{
    private static readonly ChatMessage[] Messages = [new(ChatRole.System, "system prompt"), new(ChatRole.User, "a request")];

    private static TextReasoningContent Summary(string text, object kind) =>
        new(text) { AdditionalProperties = new() { [NativeReasoningChatClient.HiddenKey] = kind } };

    [Test]
    public void A_marked_summary_is_reasoning_the_provider_hid()
    {
        var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, [Summary("a summary", NativeReasoningChatClient.SummaryOnly), new TextContent("<OUTPUT>x</OUTPUT>")]));
        Assert.That(NativeReasoningChatClient.Read(response), Is.EqualTo(new NativeReply("<OUTPUT>x</OUTPUT>", "a summary", true) { HiddenKind = "summary-only" }));

        var roundTripped = new ChatResponse(new ChatMessage(ChatRole.Assistant, [Summary("s", JsonSerializer.SerializeToElement("summary-only")), new TextContent("ok")]));
        Assert.That(NativeReasoningChatClient.Read(roundTripped).HiddenKind, Is.EqualTo("summary-only"), "a JSON string after a round trip");

        var encrypted = new ChatResponse(new ChatMessage(ChatRole.Assistant, [new TextReasoningContent(string.Empty) { ProtectedData = "gAAA", AdditionalProperties = new() { [NativeReasoningChatClient.HiddenKey] = NativeReasoningChatClient.Encrypted } }, new TextContent("ok")]));
        Assert.That(NativeReasoningChatClient.Read(encrypted), Is.EqualTo(new NativeReply("ok", null, true) { HiddenKind = "encrypted" }));

        var unmarked = new ChatResponse(new ChatMessage(ChatRole.Assistant, [new TextReasoningContent("full reasoning"), new TextContent("ok")]));
        Assert.That(NativeReasoningChatClient.Read(unmarked), Is.EqualTo(new NativeReply("ok", "full reasoning", false)), "unchanged without the mark");
    }

    [Test]
    public async Task A_replayed_summary_keeps_its_mark()
    {
        var cache = new FakeCache();
        var provider = new FakeProvider
        {
            Answer = _ => new ChatResponse(new ChatMessage(ChatRole.Assistant, [Summary("a summary", NativeReasoningChatClient.SummaryOnly), new TextContent("<OUTPUT>x</OUTPUT>")])),
        };
        var client = provider.AsBuilder().UseResponseCache(cache).Build();

        var first = await client.GetResponseAsync(Messages, new ChatOptions { ModelId = "m" });
        var replay = await client.GetResponseAsync(Messages, new ChatOptions { ModelId = "m" });

        Assert.That(provider.Calls, Has.Count.EqualTo(1));
        Assert.That(NativeReasoningChatClient.Read(replay), Is.EqualTo(NativeReasoningChatClient.Read(first)));
        Assert.That(cache.Text(cache.Entries.Keys.Single()), Does.Contain("\"Reasoning\":[{\"Text\":\"a summary\",\"Hidden\":\"summary-only\"}"));
    }

    [Test]
    public void The_turn_records_the_kind_and_writes_it_only_when_known()
    {
        var turn = new TranscriptMessage("assistant", "text") { Reasoning = "a summary", ReasoningHidden = true, ReasoningHiddenKind = "summary-only" };
        Assert.That(JsonSerializer.Serialize(turn, new JsonSerializerOptions(JsonSerializerDefaults.Web)), Does.Contain("\"reasoningHidden\":true,\"reasoningHiddenKind\":\"summary-only\""));
        Assert.That(JsonSerializer.Serialize(new TranscriptMessage("assistant", "text"), new JsonSerializerOptions(JsonSerializerDefaults.Web)), Does.Not.Contain("reasoningHiddenKind"));
    }
}
