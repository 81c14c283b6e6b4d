using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AlignmentFaking.Testing;
using NUnit.Framework;

namespace AlignmentFaking.IntegrationTests.Server;

/// <summary>
/// The loopback server refuses what the real APIs refuse (their documented request rules), in their error shapes, so a
/// client that breaks a rule fails a test here instead of in production. Raw HTTP, to send what no SDK would.
/// </summary>
public class ProviderRulesTests
{
    private const string Model = OpenAICompatibleTestServer.DefaultModel;

    private static string Line(string customId, string model = Model, string method = "POST", string url = "/v1/chat/completions", string? body = null) =>
        JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["custom_id"] = customId,
            ["method"] = method,
            ["url"] = url,
            ["body"] = body is null ? new Dictionary<string, object> { ["model"] = model, ["messages"] = new[] { new Dictionary<string, string> { ["role"] = "user", ["content"] = "hi" } } } : JsonDocument.Parse(body).RootElement,
        });

    private static async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpClient http, HttpMethod method, string path, object? json = null, IReadOnlyDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json as string ?? JsonSerializer.Serialize(json), Encoding.UTF8, "application/json");
        }

        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private static async Task<string> UploadAsync(HttpClient http, string content, string purpose = "batch")
    {
        using var form = new MultipartFormDataContent();
        form.Add(new StringContent(purpose), "purpose");
        var file = new ByteArrayContent(Encoding.UTF8.GetBytes(content));
        file.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
        form.Add(file, "file", "input.jsonl");
        using var response = await http.PostAsync("v1/files", form);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToString());
        return body.GetProperty("id").GetString()!;
    }

    private static object CreateBody(string fileId, string window = "24h", string endpoint = "/v1/chat/completions") =>
        new Dictionary<string, object> { ["input_file_id"] = fileId, ["endpoint"] = endpoint, ["completion_window"] = window };

    /// <summary>Creates an OpenAI batch over the lines and retrieves it once (when the real API reports validation).</summary>
    private static async Task<JsonElement> CreateAndValidateAsync(HttpClient http, params string[] lines)
    {
        var fileId = await UploadAsync(http, string.Join('\n', lines) + "\n");
        var (status, created) = await SendAsync(http, HttpMethod.Post, "v1/batches", CreateBody(fileId));
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), created.ToString());
        Assert.That(created.GetProperty("status").GetString(), Is.EqualTo("validating"));
        return (await SendAsync(http, HttpMethod.Get, "v1/batches/" + created.GetProperty("id").GetString())).Body;
    }

    private static string[] ErrorCodes(JsonElement batch) =>
        batch.GetProperty("errors").ValueKind == JsonValueKind.Null ? [] : batch.GetProperty("errors").GetProperty("data").EnumerateArray().Select(e => e.GetProperty("code").GetString()!).ToArray();

    [Test]
    public async Task OpenAI_batch_input_files_that_break_the_documented_rules_fail_validation_with_the_apis_codes()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text("ok"), new TestServerOptions { OpenAIMaxRequestsPerBatch = 3 });
        using var http = new HttpClient { BaseAddress = server.RootAddress };

        var valid = await CreateAndValidateAsync(http, Line("a"), Line("b"));
        Assert.That(valid.GetProperty("status").GetString(), Is.EqualTo("in_progress"), valid.ToString());

        Assert.That(ErrorCodes(await CreateAndValidateAsync(http, Line("a"), Line("a"))), Is.EqualTo(new[] { "duplicate_custom_id" }));
        Assert.That(ErrorCodes(await CreateAndValidateAsync(http, Line("a"), Line("b", model: "other-model"))), Is.EqualTo(new[] { "model_mismatch" }), "one model per batch file");
        Assert.That(ErrorCodes(await CreateAndValidateAsync(http, Line("a"), Line("b", url: "/v1/embeddings"))), Is.EqualTo(new[] { "url_mismatch" }), "one endpoint URL for every line");
        Assert.That(ErrorCodes(await CreateAndValidateAsync(http, Line("a", method: "GET"))), Is.EqualTo(new[] { "invalid_request" }), "method POST");
        Assert.That(ErrorCodes(await CreateAndValidateAsync(http, "{not json", Line("b"))), Is.EqualTo(new[] { "invalid_json_line" }));
        Assert.That(ErrorCodes(await CreateAndValidateAsync(http, Line("a"), Line("b"), Line("c"), Line("d"))), Is.EqualTo(new[] { "too_many_tasks" }));
        var failed = await CreateAndValidateAsync(http, Line("a"), Line("a"));
        Assert.That(failed.GetProperty("status").GetString(), Is.EqualTo("failed"));
        Assert.That(failed.GetProperty("errors").GetProperty("data")[0].GetProperty("line").GetInt32(), Is.EqualTo(2));
        Assert.That(server.CallCount, Is.Zero, "nothing of a failed batch ran");
    }

    [Test]
    public async Task OpenAI_batch_creation_refuses_a_wrong_window_endpoint_purpose_or_size_with_a_400()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text("ok"), new TestServerOptions { OpenAIMaxBatchFileBytes = 1000 });
        using var http = new HttpClient { BaseAddress = server.RootAddress };
        var fileId = await UploadAsync(http, Line("a") + "\n");

        var (window, windowBody) = await SendAsync(http, HttpMethod.Post, "v1/batches", CreateBody(fileId, window: "1h"));
        Assert.That((window, windowBody.GetProperty("error").GetProperty("param").GetString()), Is.EqualTo((HttpStatusCode.BadRequest, "completion_window")));
        var (endpoint, _) = await SendAsync(http, HttpMethod.Post, "v1/batches", CreateBody(fileId, endpoint: "/v1/images"));
        Assert.That(endpoint, Is.EqualTo(HttpStatusCode.BadRequest));

        var assistants = await UploadAsync(http, Line("a") + "\n", purpose: "assistants");
        var (purpose, purposeBody) = await SendAsync(http, HttpMethod.Post, "v1/batches", CreateBody(assistants));
        Assert.That(purpose, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(purposeBody.GetProperty("error").GetProperty("message").GetString(), Does.Contain("purpose 'batch'"));

        var large = await UploadAsync(http, string.Join('\n', Enumerable.Range(0, 20).Select(i => Line("r" + i))) + "\n");
        var (size, sizeBody) = await SendAsync(http, HttpMethod.Post, "v1/batches", CreateBody(large));
        Assert.That(size, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(sizeBody.GetProperty("error").GetProperty("code").GetString(), Is.EqualTo("file_too_large"));
        Assert.That(server.Batches, Is.Empty);
    }

    [Test]
    public async Task The_batch_endpoints_need_the_key_like_the_rest_of_the_api()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text("ok"), new TestServerOptions { RequiredApiKey = "sk-right" });
        using var http = new HttpClient { BaseAddress = server.RootAddress };
        var (openai, openaiBody) = await SendAsync(http, HttpMethod.Get, "v1/batches", headers: new Dictionary<string, string> { ["Authorization"] = "Bearer sk-wrong" });
        Assert.That((openai, openaiBody.GetProperty("error").GetProperty("code").GetString()), Is.EqualTo((HttpStatusCode.Unauthorized, "invalid_api_key")));
        var (anthropic, anthropicBody) = await SendAsync(http, HttpMethod.Get, "v1/messages/batches", headers: new Dictionary<string, string> { ["x-api-key"] = "sk-wrong", ["anthropic-version"] = "2023-06-01" });
        Assert.That((anthropic, anthropicBody.GetProperty("error").GetProperty("type").GetString()), Is.EqualTo((HttpStatusCode.Unauthorized, "authentication_error")));
    }

    private static readonly Dictionary<string, string> AnthropicHeaders = new() { ["anthropic-version"] = "2023-06-01" };

    private static Dictionary<string, object> AnthropicRequest(string customId, Dictionary<string, object>? parameters = null) => new()
    {
        ["custom_id"] = customId,
        ["params"] = parameters ?? new Dictionary<string, object> { ["model"] = "claude", ["max_tokens"] = 10, ["messages"] = new[] { new Dictionary<string, string> { ["role"] = "user", ["content"] = "hi" } } },
    };

    private static Task<(HttpStatusCode Status, JsonElement Body)> CreateMessageBatchAsync(HttpClient http, params Dictionary<string, object>[] requests) =>
        SendAsync(http, HttpMethod.Post, "v1/messages/batches", new Dictionary<string, object> { ["requests"] = requests }, AnthropicHeaders);

    [Test]
    public async Task Anthropic_refuses_a_message_batch_whose_custom_ids_break_the_documented_pattern_or_repeat()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text("ok"), new TestServerOptions { AnthropicMaxRequestsPerBatch = 2, AnthropicMaxBatchBytes = 2000 });
        using var http = new HttpClient { BaseAddress = server.RootAddress };

        var (status, body) = await CreateMessageBatchAsync(http, AnthropicRequest("ok-1"), AnthropicRequest("cot/training/r0/e0#t1#a1"));
        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body.GetProperty("type").GetString(), Is.EqualTo("error"));
        Assert.That(body.GetProperty("error").GetProperty("type").GetString(), Is.EqualTo("invalid_request_error"));
        Assert.That(body.GetProperty("error").GetProperty("message").GetString(), Is.EqualTo("requests.1.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'"));
        Assert.That((await CreateMessageBatchAsync(http, AnthropicRequest(new string('a', 65)))).Status, Is.EqualTo(HttpStatusCode.BadRequest), "at most 64 characters");
        Assert.That((await CreateMessageBatchAsync(http, AnthropicRequest("same"), AnthropicRequest("same"))).Status, Is.EqualTo(HttpStatusCode.BadRequest), "unique within the batch");
        Assert.That((await CreateMessageBatchAsync(http)).Status, Is.EqualTo(HttpStatusCode.BadRequest), "at least one request");
        Assert.That((await CreateMessageBatchAsync(http, AnthropicRequest("a"), AnthropicRequest("b"), AnthropicRequest("c"))).Status, Is.EqualTo(HttpStatusCode.BadRequest), "at most the limit of requests");
        var big = new Dictionary<string, object> { ["model"] = "claude", ["max_tokens"] = 10, ["messages"] = new[] { new Dictionary<string, string> { ["role"] = "user", ["content"] = new string('x', 3000) } } };
        var (tooLarge, tooLargeBody) = await CreateMessageBatchAsync(http, AnthropicRequest("a", big));
        Assert.That((tooLarge, tooLargeBody.GetProperty("error").GetProperty("type").GetString()), Is.EqualTo((HttpStatusCode.RequestEntityTooLarge, "request_too_large")));
        var (noVersion, _) = await SendAsync(http, HttpMethod.Get, "v1/messages/batches");
        Assert.That(noVersion, Is.EqualTo(HttpStatusCode.BadRequest), "anthropic-version is required");
        Assert.That(server.Batches, Is.Empty);
    }

    [Test]
    public async Task Anthropic_validates_each_requests_params_asynchronously_into_an_errored_result()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text("ok"), new TestServerOptions { BatchRetrievalsBeforeCompletion = 0 });
        using var http = new HttpClient { BaseAddress = server.RootAddress };
        var user = new[] { new Dictionary<string, string> { ["role"] = "user", ["content"] = "hi" } };
        var (status, created) = await CreateMessageBatchAsync(
            http,
            AnthropicRequest("good"),
            AnthropicRequest("no-max-tokens", new() { ["model"] = "claude", ["messages"] = user }),
            AnthropicRequest("no-model", new() { ["max_tokens"] = 10, ["messages"] = user }),
            AnthropicRequest("no-messages", new() { ["model"] = "claude", ["max_tokens"] = 10, ["messages"] = Array.Empty<object>() }),
            AnthropicRequest("system-role", new() { ["model"] = "claude", ["max_tokens"] = 10, ["messages"] = new[] { new Dictionary<string, string> { ["role"] = "system", ["content"] = "hi" } } }),
            AnthropicRequest("hot", new() { ["model"] = "claude", ["max_tokens"] = 10, ["messages"] = user, ["temperature"] = 1.5 }),
            AnthropicRequest("extra", new() { ["model"] = "claude", ["max_tokens"] = 10, ["messages"] = user, ["seed"] = 1 }));
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), created.ToString());
        var id = created.GetProperty("id").GetString();
        var (_, ended) = await SendAsync(http, HttpMethod.Get, "v1/messages/batches/" + id, headers: AnthropicHeaders);
        Assert.That(ended.GetProperty("processing_status").GetString(), Is.EqualTo("ended"));
        Assert.That(ended.GetProperty("request_counts").GetProperty("succeeded").GetInt32(), Is.EqualTo(1));
        Assert.That(ended.GetProperty("request_counts").GetProperty("errored").GetInt32(), Is.EqualTo(6));

        using var request = new HttpRequestMessage(HttpMethod.Get, $"v1/messages/batches/{id}/results");
        request.Headers.Add("anthropic-version", "2023-06-01");
        using var response = await http.SendAsync(request);
        var results = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement)
            .ToDictionary(r => r.GetProperty("custom_id").GetString()!, r => r.GetProperty("result"));
        Assert.That(results["good"].GetProperty("type").GetString(), Is.EqualTo("succeeded"));
        string Error(string customId) => results[customId].GetProperty("error").GetProperty("error").GetProperty("message").GetString()!;
        Assert.That(Error("no-max-tokens"), Is.EqualTo("max_tokens: Field required"));
        Assert.That(Error("no-model"), Is.EqualTo("model: Field required"));
        Assert.That(Error("no-messages"), Does.StartWith("messages:"));
        Assert.That(Error("system-role"), Does.StartWith("messages.0.role:"));
        Assert.That(Error("hot"), Does.StartWith("temperature:"));
        Assert.That(Error("extra"), Is.EqualTo("seed: Extra inputs are not permitted"));
        Assert.That(server.Calls.Count(c => c.Reply?.Kind == ScriptedReplyKind.Completion), Is.EqualTo(1), "only the valid request reached the responder");
    }

    [Test]
    public async Task Anthropic_lists_message_batches_newest_first_with_cursors()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text("ok"));
        using var http = new HttpClient { BaseAddress = server.RootAddress };
        for (int i = 0; i < 3; i++)
        {
            Assert.That((await CreateMessageBatchAsync(http, AnthropicRequest("r" + i))).Status, Is.EqualTo(HttpStatusCode.OK));
        }

        var (_, first) = await SendAsync(http, HttpMethod.Get, "v1/messages/batches?limit=2", headers: AnthropicHeaders);
        Assert.That(first.GetProperty("data").EnumerateArray().Select(b => b.GetProperty("id").GetString()), Is.EqualTo(new[] { server.Batches[2].Id, server.Batches[1].Id }));
        Assert.That(first.GetProperty("has_more").GetBoolean(), Is.True);
        var (_, second) = await SendAsync(http, HttpMethod.Get, "v1/messages/batches?limit=2&after_id=" + first.GetProperty("last_id").GetString(), headers: AnthropicHeaders);
        Assert.That(second.GetProperty("data").EnumerateArray().Select(b => b.GetProperty("id").GetString()), Is.EqualTo(new[] { server.Batches[0].Id }));
        Assert.That(second.GetProperty("has_more").GetBoolean(), Is.False);
    }

    [TestCase("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", null, null)]
    [TestCase("{\"model\":\"m\"}", "messages", "missing_required_parameter")]
    [TestCase("{\"model\":\"m\",\"messages\":[]}", "messages", "empty_array")]
    [TestCase("{\"model\":\"m\",\"messages\":[{\"role\":\"robot\",\"content\":\"hi\"}]}", "messages[0].role", "invalid_value")]
    [TestCase("{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}]}", "messages[0].content", "missing_required_parameter")]
    [TestCase("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":2.5}", "temperature", "decimal_above_max_value")]
    [TestCase("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":-0.1}", "temperature", "decimal_below_min_value")]
    [TestCase("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"top_p\":1.5}", "top_p", "decimal_above_max_value")]
    [TestCase("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":0}", "max_tokens", "integer_below_min_value")]
    [TestCase("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_completion_tokens\":0}", "max_completion_tokens", "integer_below_min_value")]
    [TestCase("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"n\":0}", "n", "integer_below_min_value")]
    [TestCase("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":\"hot\"}", "temperature", "invalid_type")]
    [TestCase("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"af.epoch\":1}", null, null)]
    public async Task Chat_completions_refuse_what_the_real_api_refuses_with_an_openai_shaped_400(string body, string? param, string? code)
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text("ok"));
        using var http = new HttpClient { BaseAddress = server.RootAddress };
        var (status, error) = await SendAsync(http, HttpMethod.Post, "v1/chat/completions", body);
        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), error.ToString());
        var e = error.GetProperty("error");
        Assert.That(e.GetProperty("type").GetString(), Is.EqualTo("invalid_request_error"));
        Assert.That(e.GetProperty("message").GetString(), Is.Not.Empty);
        Assert.That(e.GetProperty("param").ValueKind == JsonValueKind.Null ? null : e.GetProperty("param").GetString(), Is.EqualTo(param));
        Assert.That(e.GetProperty("code").ValueKind == JsonValueKind.Null ? null : e.GetProperty("code").GetString(), Is.EqualTo(code));
        Assert.That(server.Calls.Single().Reply!.Kind, Is.EqualTo(ScriptedReplyKind.HttpError), "the responder was not asked");
    }

    [Test]
    public async Task A_valid_chat_completion_still_reaches_the_responder()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text("ok"));
        using var http = new HttpClient { BaseAddress = server.RootAddress };
        var (status, body) = await SendAsync(http, HttpMethod.Post, "v1/chat/completions", "{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":\"s\"},{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]},{\"role\":\"assistant\",\"content\":null}],\"temperature\":2,\"top_p\":0,\"max_completion_tokens\":1,\"seed\":7}");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body.ToString());
    }

    [Test]
    public async Task A_batch_line_the_endpoint_would_refuse_fails_on_its_own_with_a_400()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text("ok"), new TestServerOptions { BatchRetrievalsBeforeCompletion = 0 });
        using var http = new HttpClient { BaseAddress = server.RootAddress };
        var done = await CreateAndValidateAsync(http, Line("good"), Line("hot", body: "{\"model\":\"test-model\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":3}"));
        Assert.That(done.GetProperty("status").GetString(), Is.EqualTo("completed"), done.ToString());
        Assert.That(done.GetProperty("request_counts").GetProperty("failed").GetInt32(), Is.EqualTo(1));
        var errors = server.Files.Single(f => f.Id == done.GetProperty("error_file_id").GetString()).Text;
        Assert.That(errors, Does.Contain("\"custom_id\":\"hot\"").And.Contain("\"status_code\":400").And.Contain("decimal_above_max_value"));
    }
}
