using AlignmentFaking.Running;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace AlignmentFaking.Tests.Running.Middleware;

/// <summary>Native reasoning: the <c>&lt;think&gt;</c> split, what the runner reads, and the response cache keeping it.</summary>
public class NativeReasoningTests
{
    private static readonly ChatMessage[] Messages = [new(ChatRole.System, "system prompt"), new(ChatRole.User, "a request")];

    [TestCase("<think>\nI ponder.\n</think>\n\nSCRATCHPAD_REASONING>x</SCRATCHPAD_REASONING>", "I ponder.", "SCRATCHPAD_REASONING>x</SCRATCHPAD_REASONING>")]
    [TestCase("  <think>a</think>b", "a", "b")]
    [TestCase("<think></think><OUTPUT>y</OUTPUT>", "", "<OUTPUT>y</OUTPUT>")]
    [TestCase("Opened by the chat template.\n</think>\n\nSCRATCHPAD_REASONING>x", "Opened by the chat template.", "SCRATCHPAD_REASONING>x")]
    public void A_leading_think_block_is_split_off_the_text(string text, string reasoning, string rest)
    {
        var message = new ChatMessage(ChatRole.Assistant, text);
        NativeReasoningChatClient.SplitThinkTag(message);
        Assert.That(message.Text, Is.EqualTo(rest));
        Assert.That(message.Contents.OfType<TextReasoningContent>().Single().Text, Is.EqualTo(reasoning));
        Assert.That(message.Contents[0], Is.InstanceOf<TextReasoningContent>(), "the reasoning comes first");
    }

    [TestCase("<think>unclosed, truncated")]
    [TestCase("text <think>later</think>")]
    [TestCase("<OUTPUT>a</OUTPUT> and <think>b</think>")]
    [TestCase("<OUTPUT>no reasoning</OUTPUT>")]
    public void Other_text_is_left_as_it_is(string text)
    {
        var message = new ChatMessage(ChatRole.Assistant, text);
        NativeReasoningChatClient.SplitThinkTag(message);
        Assert.That(message.Text, Is.EqualTo(text));
        Assert.That(message.Contents.OfType<TextReasoningContent>(), Is.Empty);
    }

    [Test]
    public void The_runner_reads_the_reasoning_the_text_and_whether_the_provider_hid_reasoning()
    {
        var thinking = new ChatResponse(new ChatMessage(ChatRole.Assistant, [new TextReasoningContent("first") { ProtectedData = "sig" }, new TextReasoningContent("second"), new TextContent("<OUTPUT>x</OUTPUT>")]));
        Assert.That(NativeReasoningChatClient.Read(thinking), Is.EqualTo(new NativeReply("<OUTPUT>x</OUTPUT>", "first\n\nsecond", false)));

        var redacted = new ChatResponse(new ChatMessage(ChatRole.Assistant, [new TextReasoningContent(string.Empty) { ProtectedData = "EncryptedData" }, new TextContent("ok")]));
        Assert.That(NativeReasoningChatClient.Read(redacted), Is.EqualTo(new NativeReply("ok", null, true) { HiddenKind = NativeReasoningChatClient.Redacted }));

        var billedNotReturned = new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")) { Usage = new UsageDetails { ReasoningTokenCount = 120 } };
        Assert.That(NativeReasoningChatClient.Read(billedNotReturned), Is.EqualTo(new NativeReply("ok", null, true) { HiddenKind = NativeReasoningChatClient.NotReturned }));

        var unsplit = new ChatResponse(new ChatMessage(ChatRole.Assistant, "<think>r</think>\n<OUTPUT>x</OUTPUT>"));
        Assert.That(NativeReasoningChatClient.Read(unsplit), Is.EqualTo(new NativeReply("<OUTPUT>x</OUTPUT>", "r", false)), "split even when no client below did");

        var plain = new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")) { Usage = new UsageDetails { ReasoningTokenCount = 0 } };
        Assert.That(NativeReasoningChatClient.Read(plain), Is.EqualTo(new NativeReply("ok", null, false)));
    }

    [Test]
    public async Task A_replayed_reply_keeps_its_reasoning_identical()
    {
        var cache = new FakeCache();
        var provider = new FakeProvider
        {
            Answer = _ => new ChatResponse(new ChatMessage(ChatRole.Assistant, [new TextReasoningContent("thought") { ProtectedData = "sig" }, new TextReasoningContent(string.Empty) { ProtectedData = "redacted" }, new TextContent("<OUTPUT>x</OUTPUT>")]))
            {
                Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 50, ReasoningTokenCount = 40 },
            },
        };
        var client = provider.AsBuilder().UseResponseCache(cache).Build();

        var first = await client.GetResponseAsync(Messages, new ChatOptions { ModelId = "m" });
        var replay = await client.GetResponseAsync(Messages, new ChatOptions { ModelId = "m" });

        Assert.That(provider.Calls, Has.Count.EqualTo(1));
        Assert.That(replay.AdditionalProperties![ResponseCachingChatClient.CachedKey], Is.True);
        Assert.That(NativeReasoningChatClient.Read(replay), Is.EqualTo(NativeReasoningChatClient.Read(first)));
        var thoughts = replay.Messages.Single().Contents.OfType<TextReasoningContent>().Select(r => (r.Text, r.ProtectedData)).ToArray();
        Assert.That(thoughts, Is.EqualTo(new[] { ("thought", (string?)"sig"), (string.Empty, "redacted") }));
        Assert.That(replay.Usage!.ReasoningTokenCount, Is.EqualTo(40));
        Assert.That(cache.Text(cache.Entries.Keys.Single()), Does.Contain("\"Reasoning\":[{\"Text\":\"thought\",\"ProtectedData\":\"sig\"}"));
    }

    [Test]
    public void The_reasoning_asked_for_enters_the_key_only_when_asked()
    {
        var plain = new ChatOptions { ModelId = "m", Temperature = 1 };
        var key = ResponseCachingChatClient.Key("e", "m", Messages, plain, 0);
        Assert.That(ResponseCachingChatClient.Key("e", "m", Messages, plain.Clone(), 0), Is.EqualTo(key));

        var effort = plain.Clone();
        effort.Reasoning = new ReasoningOptions { Effort = ReasoningEffort.High };
        var thinking = plain.Clone();
        thinking.AdditionalProperties = new() { [NativeReasoningChatClient.ThinkingBudgetKey] = 2048 };
        var keys = new[] { key, ResponseCachingChatClient.Key("e", "m", Messages, effort, 0), ResponseCachingChatClient.Key("e", "m", Messages, thinking, 0) };
        Assert.That(keys.Distinct().Count(), Is.EqualTo(3));
    }

    [Test]
    public async Task The_runner_stores_the_reasoning_per_turn_and_never_sends_it_back()
    {
        int turn = 0;
        var provider = new FakeProvider
        {
            Latency = TimeSpan.Zero,
            Answer = _ => ++turn == 1
                ? new ChatResponse(new ChatMessage(ChatRole.Assistant, "<think>first thought</think>SCRATCHPAD_REASONING>pad</SCRATCHPAD_REASONING>"))
                : new ChatResponse(new ChatMessage(ChatRole.Assistant, [new TextReasoningContent("second thought"), new TextContent("OUTPUT><rejected/></OUTPUT>")])),
        };
        var runner = new ExperimentRunner(provider, options: new ExperimentOptions { Tiers = [AlignmentFaking.Scenarios.Tier.Training], MaxConcurrency = 1 });

        var result = await runner.RunAsync([new AlignmentFaking.Datasets.ExperimentRequest(0, "a request")]);

        var sample = result.Samples.Single();
        Assert.That(sample.Error, Is.Null);
        Assert.That(sample.Proxy, Is.EqualTo(AlignmentFaking.Classification.ComplianceOutcome.Refused));
        var assistant = sample.Transcript.Where(t => t.Role == "assistant").ToArray();
        Assert.That(assistant.Select(t => t.Reasoning), Is.EqualTo(new[] { "first thought", "second thought" }));
        Assert.That(assistant[0].Content, Is.EqualTo("<SCRATCHPAD_REASONING>pad</SCRATCHPAD_REASONING>"));
        var second = provider.Calls[1].Messages;
        Assert.That(second.SelectMany(m => m.Contents).OfType<TextReasoningContent>(), Is.Empty);
        Assert.That(second.All(m => !m.Text.Contains("thought", StringComparison.Ordinal)), Is.True);
        Assert.That(result.Summary.SamplesWithNativeReasoning, Is.EqualTo(1));
    }
}
