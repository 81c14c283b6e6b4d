using System.Text.RegularExpressions;
using AlignmentFaking.Running.Batch;
using NUnit.Framework;

namespace AlignmentFaking.Anthropic.Tests;

/// <summary>
/// What the Anthropic batch provider puts on the wire and reads back: custom ids in Anthropic's alphabet, and result
/// lines that are not what they should be (each its own failed item, never an exception).
/// </summary>
public partial class AnthropicBatchWireFormatTests
{
    [GeneratedRegex("^[a-zA-Z0-9_-]{1,64}$")]
    private static partial Regex AnthropicAlphabet();

    [TestCase("cot/training/r0/e0#t1#a1", "cot_2Ftraining_2Fr0_2Fe0_23t1_23a1")]
    [TestCase("no-cot/unmonitored/r123/e7#t2#a3", "no-cot_2Funmonitored_2Fr123_2Fe7_23t2_23a3")]
    [TestCase("under_score", "under_5Fscore")]
    [TestCase("é", "_C3_A9")]
    [TestCase("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    public void Custom_ids_go_to_Anthropic_in_its_alphabet_and_come_back_unchanged(string id, string wire)
    {
        Assert.That(AnthropicCustomIds.Encode(id), Is.EqualTo(wire));
        Assert.That(AnthropicAlphabet().IsMatch(wire), Is.True);
        Assert.That(AnthropicCustomIds.TryDecode(wire, out var back), Is.True);
        Assert.That(back, Is.EqualTo(id));
    }

    [Test]
    public void Ids_that_cannot_be_mapped_or_were_not_made_by_the_mapping_are_refused()
    {
        Assert.That(() => AnthropicCustomIds.Encode("no-cot/unmonitored/r2147483647/e2147483647#t2147483647#a2147483647"), Throws.ArgumentException.With.Message.Contains("at most 64"));
        Assert.That(AnthropicCustomIds.TryDecode("_61", out _), Is.False, "an escaped letter is not canonical");
        Assert.That(AnthropicCustomIds.TryDecode("_2f", out _), Is.False, "lower-case hex is not canonical");
        Assert.That(AnthropicCustomIds.TryDecode("a_2", out _), Is.False);
        Assert.That(AnthropicCustomIds.TryDecode("a#b", out _), Is.False);
        Assert.That(AnthropicCustomIds.TryDecode(string.Empty, out _), Is.False);
    }

    [Test]
    public void An_anthropic_batch_line_carries_the_mapped_id_and_is_measured_as_sent()
    {
        var request = new BatchRequest("cot/training/r0/e0#t1#a1", [new Microsoft.Extensions.AI.ChatMessage(Microsoft.Extensions.AI.ChatRole.User, "hi")], new Microsoft.Extensions.AI.ChatOptions { ModelId = "claude" });
        var line = System.Text.Encoding.UTF8.GetString(AnthropicBatchProvider.Encode(request));
        Assert.That(line, Does.StartWith("{\"custom_id\":\"cot_2Ftraining_2Fr0_2Fe0_23t1_23a1\","));
    }

    [Test]
    public void A_batch_request_sent_once_carries_no_cache_breakpoint_and_no_hint()
    {
        var options = new Microsoft.Extensions.AI.ChatOptions { ModelId = "claude" };
        var messages = new[] { new Microsoft.Extensions.AI.ChatMessage(Microsoft.Extensions.AI.ChatRole.User, "grade this") };
        var marked = System.Text.Encoding.UTF8.GetString(AnthropicBatchProvider.Encode(new BatchRequest("x#t1#a1", messages, options), promptCaching: true));
        var once = System.Text.Encoding.UTF8.GetString(AnthropicBatchProvider.Encode(new BatchRequest("x#t1#a1", messages, Running.RequestHints.SentOnce(options)), promptCaching: true));
        Assert.That(marked, Does.Contain("cache_control"));
        Assert.That(once, Does.Not.Contain("cache_control").And.Not.Contain(Running.RequestHints.SentOnceKey));
    }

    [TestCase("not json at all", "", "is not JSON")]
    [TestCase("{\"custom_id\":\"cot_2Ftraining_2Fr0_2Fe0_23t1_23a1\",\"result\":{\"type\":\"succ", "cot/training/r0/e0#t1#a1", "is not JSON")]
    [TestCase("{\"custom_id\":\"a#b\",\"result\":{\"type\":\"succeeded\"}}", "", "which af did not send")]
    [TestCase("{\"custom_id\":\"x\",\"result\":{\"type\":\"succeeded\",\"message\":{\"content\":5}}}", "x", "without a content list")]
    [TestCase("{\"custom_id\":\"x\",\"result\":{\"type\":\"mystery\"}}", "x", "of type 'mystery'")]
    [TestCase("{\"custom_id\":\"x\"}", "x", "has no result object")]
    [TestCase("7", "", "is not a JSON object")]
    public void An_anthropic_result_line_that_is_not_a_result_is_a_failed_item_with_the_reason(string line, string customId, string why)
    {
        var result = AnthropicBatchProvider.ParseResult(line, 2);
        Assert.That(result.Response, Is.Null);
        Assert.That(result.CustomId, Is.EqualTo(customId));
        Assert.That(result.Error, Does.StartWith("unreadable result: line 2").And.Contains(why));
    }

    [Test]
    public void Anthropic_results_are_read_back_under_the_runners_ids()
    {
        var ok = AnthropicBatchProvider.ParseResult("{\"custom_id\":\"cot_2Ftraining_2Fr0_2Fe0_23t1_23a1\",\"result\":{\"type\":\"succeeded\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude\",\"content\":[{\"type\":\"text\",\"text\":\"he\"},{\"type\":\"thinking\",\"thinking\":\"hm\"},{\"type\":\"text\",\"text\":\"llo\"}],\"stop_reason\":\"max_tokens\",\"usage\":{\"input_tokens\":3,\"output_tokens\":2}}}}");
        Assert.That(ok.CustomId, Is.EqualTo("cot/training/r0/e0#t1#a1"));
        Assert.That(ok.Response!.Text, Is.EqualTo("hello"));
        Assert.That(ok.Response.FinishReason, Is.EqualTo(Microsoft.Extensions.AI.ChatFinishReason.Length));
        Assert.That((ok.Response.Usage!.InputTokenCount, ok.Response.Usage.OutputTokenCount), Is.EqualTo((3L, 2L)));
        var errored = AnthropicBatchProvider.ParseResult("{\"custom_id\":\"x\",\"result\":{\"type\":\"errored\",\"error\":{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"max_tokens: Field required\"}}}}");
        Assert.That(errored.Error, Is.EqualTo("invalid_request_error: max_tokens: Field required"));
        Assert.That(AnthropicBatchProvider.ParseResult("{\"custom_id\":\"x\",\"result\":{\"type\":\"expired\"}}").Error, Is.EqualTo("expired: no result"));
    }
}
