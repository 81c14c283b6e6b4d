using System.Net;
using AlignmentFaking.Cli.Batch;
using AlignmentFaking.Diagnostics;
using NUnit.Framework;

namespace AlignmentFaking.Cli.Tests.Batch;

/// <summary>A failure of a provider's batch API is one line with the API's own reason, and no key.</summary>
public class BatchApiErrorsTests
{
    [Test]
    public void A_provider_error_is_one_line_with_the_apis_own_reason_and_no_key()
    {
        const string key = "sk-ant-test-0123456789abcdefghij";
        SecretRedaction.Register(key);
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
        Assert.That(BatchApiErrors.Describe(new Running.ReplyTooLargeException(64 * 1024 * 1024), "K"), Does.StartWith("a results file passed the limit of 64 MiB"));
        Assert.That(BatchApiErrors.Describe(new InvalidOperationException("wrapped", new Running.ReplyTooLargeException(1024 * 1024)), "K"), Does.StartWith("a results file passed the limit of 1 MiB"));
        Assert.That(BatchApiErrors.Describe(new InvalidOperationException("a bug"), "K"), Is.Null, "not a provider failure: surfaces as a bug");

        // A batch status that is not a batch object is an unreadable reply, not an InvalidOperationException.
        // (the exception the OpenAI provider throws for it: see OpenAIBatchProviderTests in AlignmentFaking.OpenAI.Tests)
        var notABatch = new InvalidDataException("the Batch API answered something that is not a batch object: [\"" + key + "\"]");
        Assert.That(BatchApiErrors.Describe(notABatch, "K"), Does.StartWith("unreadable reply: the Batch API answered something that is not a batch object").And.Not.Contain(key));
    }
}
