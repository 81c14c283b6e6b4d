using System.Net;
using System.Text.RegularExpressions;
using AlignmentFaking.Anthropic;
using AlignmentFaking.Internal;
using AlignmentFaking.OpenAI;
using AlignmentFaking.Running.Batch;
using NUnit.Framework;

namespace AlignmentFaking.IntegrationTests.Batch;

/// <summary>
/// What the batch providers put on the wire and read back: custom ids in Anthropic's alphabet, result lines that are not
/// what they should be (each its own failed item, never an exception), and the providers' error messages.
/// </summary>
public partial class BatchWireFormatTests
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

    [TestCase("<html><body>502 Bad Gateway</body></html>", "", "is not JSON")]
    [TestCase("[1, 2, 3]", "", "is not a JSON object")]
    [TestCase("{\"custom_id\": 5, \"response\": null}", "", "has no custom_id")]
    [TestCase("{\"id\":\"r\",\"custom_id\":\"x#t1#a1\",\"response\":{\"status_code\":200,\"body\":{\"id\":\"c\",\"obj", "x#t1#a1", "is not JSON")]
    [TestCase("\"just a string\"", "", "is not a JSON object")]
    public void An_openai_output_line_that_is_not_a_result_is_a_failed_item_with_the_reason(string line, string customId, string why)
    {
        var result = OpenAIBatchProvider.ParseResult(line, "output", 3);
        Assert.That(result.Response, Is.Null);
        Assert.That(result.CustomId, Is.EqualTo(customId));
        Assert.That(result.Error, Does.StartWith("unreadable result: line 3 of the output file").And.Contains(why));
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

    [Test]
    public void A_request_without_a_result_gets_the_reason_the_results_could_not_be_read()
    {
        var job = new BatchJob("b", BatchJobStatus.Completed, "completed", "f", null, 2, 2, 0);
        Assert.That(BatchRecovery.MissingReason(job, []), Is.EqualTo("no result (batch completed)"));
        var reason = BatchRecovery.MissingReason(job, [OpenAIBatchProvider.ParseResult("<html>", "output", 1), OpenAIBatchProvider.ParseResult("garbage", "output", 2)]);
        Assert.That(reason, Does.StartWith("no result (batch completed); 2 line(s) of its results could not be read, the first: unreadable result: line 1 of the output file is not JSON"));
    }

    [Test]
    public void A_provider_error_is_one_line_with_the_apis_own_reason_and_no_key()
    {
        const string key = "sk-ant-test-0123456789abcdefghij";
        SecretRedactor.Register(key);
        var badRequest = new global::Anthropic.Exceptions.AnthropicBadRequestException
        {
            StatusCode = HttpStatusCode.BadRequest,
            ResponseBody = "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"requests.0.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'\"}}",
        };
        Assert.That(badRequest.Message, Does.StartWith("Status Code: BadRequest"), "what the SDK says");
        Assert.That(BatchApiErrors.Describe(badRequest, "ANTHROPIC_API_KEY"), Is.EqualTo("HTTP 400 (invalid_request_error): requests.0.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'"));

        var unauthorized = new global::Anthropic.Exceptions.AnthropicUnauthorizedException
        {
            StatusCode = HttpStatusCode.Unauthorized,
            ResponseBody = "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"invalid x-api-key " + key + "\"}}",
        };
        var described = BatchApiErrors.Describe(unauthorized, "ANTHROPIC_API_KEY");
        Assert.That(described, Does.Not.Contain(key));
        Assert.That(described, Does.StartWith("HTTP 401 (authentication_error): invalid x-api-key").And.EndWith("(check the key in environment variable ANTHROPIC_API_KEY)"));

        var html = new global::Anthropic.Exceptions.Anthropic4xxException { StatusCode = (HttpStatusCode)418, ResponseBody = "<html>\n<body>teapot " + key + "</body>" };
        Assert.That(BatchApiErrors.Describe(html, "K"), Is.EqualTo("HTTP 418: <html>"));
        Assert.That(BatchApiErrors.Describe(new System.Text.Json.JsonException("'<' is an invalid start of a value."), "K"), Does.StartWith("unreadable reply"));
        Assert.That(BatchApiErrors.Describe(new InvalidOperationException("a bug"), "K"), Is.Null, "not a provider failure: surfaces as a bug");

        // A batch status that is not a batch object is an unreadable reply, not an InvalidOperationException.
        var notABatch = Assert.Throws<InvalidDataException>(() => OpenAIBatchProvider.ParseJob(BinaryData.FromString("[\"" + key + "\"]")));
        Assert.That(BatchApiErrors.Describe(notABatch!, "K"), Does.StartWith("unreadable reply: the Batch API answered something that is not a batch object").And.Not.Contain(key));
    }
}
