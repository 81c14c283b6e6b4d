using System.Net;
using System.Text;
using System.Text.Json;
using AlignmentFaking.Testing;
using NUnit.Framework;

namespace AlignmentFaking.IntegrationTests.Server;

/// <summary>
/// The loopback server honours <c>n</c> up to a configurable maximum and bills cached tokens as each provider documents
/// (OpenAI's automatic prefix caching; Anthropic's <c>cache_control</c> breakpoints), and refuses a malformed
/// <c>cache_control</c> as Anthropic does. Raw HTTP, to send what no SDK would.
/// </summary>
public class PromptCacheAndChoicesRulesTests
{
    private static readonly string Long = string.Concat(Enumerable.Repeat("The static part of the prompt. ", 400)); // ~3,000 tokens at chars/4

    private static async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(HttpClient http, string path, object body, bool anthropic = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json") };
        if (anthropic)
        {
            request.Headers.Add("anthropic-version", "2023-06-01");
        }

        using var response = await http.SendAsync(request);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    private static Dictionary<string, object> Chat(string system, string user, int? n = null)
    {
        var body = new Dictionary<string, object>
        {
            ["model"] = OpenAICompatibleTestServer.DefaultModel,
            ["messages"] = new[] { new Dictionary<string, string> { ["role"] = "system", ["content"] = system }, new Dictionary<string, string> { ["role"] = "user", ["content"] = user } },
        };
        if (n is not null)
        {
            body["n"] = n;
        }

        return body;
    }

    [TestCase(ChoiceCapBehavior.Fewer)]
    [TestCase(ChoiceCapBehavior.Reject)]
    public async Task N_is_honoured_up_to_the_maximum_and_above_it_fewer_come_back_or_a_400_names_n(ChoiceCapBehavior cap)
    {
        int answered = 0;
        await using var server = await OpenAICompatibleTestServer.StartAsync(
            (_, _) => ValueTask.FromResult(ScriptedReply.Text("vote " + Interlocked.Increment(ref answered))),
            new TestServerOptions { MaxChoices = 8, ChoicesAboveMaximum = cap });
        using var http = new HttpClient { BaseAddress = server.BaseAddress };

        var (status, body) = await PostAsync(http, "chat/completions", Chat("s", "u", n: 5));
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(body.GetProperty("choices").EnumerateArray().Select(c => c.GetProperty("index").GetInt32()), Is.EqualTo(new[] { 0, 1, 2, 3, 4 }));
        Assert.That(body.GetProperty("choices").EnumerateArray().Select(c => c.GetProperty("message").GetProperty("content").GetString()), Is.Unique, "each choice is its own sample");
        Assert.That(body.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), Is.EqualTo(5 * ResponseWriterTokens("vote 1")), "the output of every choice is billed");

        var (above, aboveBody) = await PostAsync(http, "chat/completions", Chat("s", "u", n: 20));
        if (cap == ChoiceCapBehavior.Fewer)
        {
            Assert.That(above, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(aboveBody.GetProperty("choices").GetArrayLength(), Is.EqualTo(8));
        }
        else
        {
            Assert.That(above, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(aboveBody.GetProperty("error").GetProperty("param").GetString(), Is.EqualTo("n"));
            Assert.That(aboveBody.GetProperty("error").GetProperty("message").GetString(), Does.Contain("<= 8"));
        }

        Assert.That((await PostAsync(http, "chat/completions", Chat("s", "u", n: 129))).Status, Is.EqualTo(HttpStatusCode.BadRequest), "the API's own maximum is 128");
    }

    [Test]
    public async Task OpenAI_bills_a_repeated_prefix_of_1024_tokens_or_more_as_cached_in_128_token_steps()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text("ok"), new TestServerOptions { PromptCaching = true });
        using var http = new HttpClient { BaseAddress = server.BaseAddress };

        static int Cached(JsonElement body) => body.GetProperty("usage").GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32();
        var (_, first) = await PostAsync(http, "chat/completions", Chat(Long, "first question"));
        var (_, second) = await PostAsync(http, "chat/completions", Chat(Long, "second question"));
        var (_, shortOne) = await PostAsync(http, "chat/completions", Chat("short", "q"));
        var (_, shortAgain) = await PostAsync(http, "chat/completions", Chat("short", "q"));

        Assert.That(Cached(first), Is.Zero, "nothing cached yet");
        Assert.That(Cached(second), Is.GreaterThanOrEqualTo(1024).And.LessThanOrEqualTo(second.GetProperty("usage").GetProperty("prompt_tokens").GetInt32()));
        Assert.That(Cached(second) % 128, Is.Zero);
        Assert.That(Cached(shortAgain), Is.Zero, "a prompt under 1,024 tokens is never cached");
        Assert.That(server.Calls.Select(c => c.CachedTokens), Is.EqualTo(new int?[] { 0, Cached(second), 0, 0 }));
        _ = shortOne;
    }

    [Test]
    public async Task Anthropic_bills_cache_writes_then_reads_at_breakpoints_above_the_minimum_length()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text("ok"), new TestServerOptions());
        using var http = new HttpClient { BaseAddress = server.RootAddress };
        object Request(string system, string user, object? cacheControl) => new Dictionary<string, object>
        {
            ["model"] = "claude",
            ["max_tokens"] = 10,
            ["system"] = new[] { cacheControl is null ? new Dictionary<string, object> { ["type"] = "text", ["text"] = system } : new Dictionary<string, object> { ["type"] = "text", ["text"] = system, ["cache_control"] = cacheControl } },
            ["messages"] = new[] { new Dictionary<string, string> { ["role"] = "user", ["content"] = user } },
        };
        var ephemeral = new Dictionary<string, string> { ["type"] = "ephemeral" };

        var (_, write) = await PostAsync(http, "v1/messages", Request(Long, "one", ephemeral), anthropic: true);
        var (_, read) = await PostAsync(http, "v1/messages", Request(Long, "two", ephemeral), anthropic: true);
        var (_, unmarked) = await PostAsync(http, "v1/messages", Request(Long + "!", "three", null), anthropic: true);
        var (_, tooShort) = await PostAsync(http, "v1/messages", Request("short", "four", ephemeral), anthropic: true);

        static (int Input, int Read, int Write) Usage(JsonElement body)
        {
            var u = body.GetProperty("usage");
            return (u.GetProperty("input_tokens").GetInt32(), u.TryGetProperty("cache_read_input_tokens", out var r) ? r.GetInt32() : 0, u.TryGetProperty("cache_creation_input_tokens", out var w) ? w.GetInt32() : 0);
        }

        Assert.That(Usage(write).Write, Is.GreaterThan(1024));
        Assert.That(Usage(write).Read, Is.Zero);
        Assert.That(Usage(read).Read, Is.EqualTo(Usage(write).Write), "the same prefix is read");
        Assert.That(Usage(read).Write, Is.Zero);
        Assert.That(Usage(read).Input, Is.LessThan(10), "only the tokens after the breakpoint are processed");
        Assert.That((Usage(unmarked).Read, Usage(unmarked).Write), Is.EqualTo((0, 0)), "nothing is cached without cache_control");
        Assert.That((Usage(tooShort).Read, Usage(tooShort).Write), Is.EqualTo((0, 0)), "a prefix under the minimum is not cached");
    }

    [TestCase("{\"type\":\"persistent\"}", "type: Input should be 'ephemeral'")]
    [TestCase("{\"type\":\"ephemeral\",\"ttl\":\"10m\"}", "ttl: Input should be '5m' or '1h'")]
    [TestCase("{\"type\":\"ephemeral\",\"scope\":\"org\"}", "scope: Extra inputs are not permitted")]
    [TestCase("{}", "type: Field required")]
    [TestCase("\"ephemeral\"", "Input should be a valid dictionary or object")]
    public async Task Anthropic_refuses_a_malformed_cache_control(string cacheControl, string message)
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text("ok"));
        using var http = new HttpClient { BaseAddress = server.RootAddress };
        var body = "{\"model\":\"claude\",\"max_tokens\":10,\"system\":[{\"type\":\"text\",\"text\":\"s\",\"cache_control\":" + cacheControl + "}],\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

        var (status, error) = await PostAsync(http, "v1/messages", JsonDocument.Parse(body).RootElement, anthropic: true);

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(error.GetProperty("error").GetProperty("message").GetString(), Does.Contain(message));
        Assert.That(server.Calls, Is.Empty, "never reaches the responder");
    }

    [Test]
    public async Task Anthropic_refuses_more_than_4_breakpoints_and_one_on_an_empty_text_block()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text("ok"));
        using var http = new HttpClient { BaseAddress = server.RootAddress };
        var block = "{\"type\":\"text\",\"text\":\"s\",\"cache_control\":{\"type\":\"ephemeral\"}}";
        var five = "{\"model\":\"claude\",\"max_tokens\":10,\"system\":[" + string.Join(",", Enumerable.Repeat(block, 5)) + "],\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        var empty = "{\"model\":\"claude\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"\",\"cache_control\":{\"type\":\"ephemeral\"}}]}]}";

        var (fiveStatus, fiveError) = await PostAsync(http, "v1/messages", JsonDocument.Parse(five).RootElement, anthropic: true);
        var (emptyStatus, emptyError) = await PostAsync(http, "v1/messages", JsonDocument.Parse(empty).RootElement, anthropic: true);

        Assert.That((fiveStatus, fiveError.GetProperty("error").GetProperty("message").GetString()), Is.EqualTo((HttpStatusCode.BadRequest, "A maximum of 4 blocks with cache_control may be provided. Found 5.")));
        Assert.That((emptyStatus, emptyError.GetProperty("error").GetProperty("message").GetString()), Is.EqualTo((HttpStatusCode.BadRequest, "messages.0.content.0: cache_control cannot be set for empty text blocks")));
    }

    private static int ResponseWriterTokens(string text) => Math.Max(1, (text.Length + 3) / 4);
}
