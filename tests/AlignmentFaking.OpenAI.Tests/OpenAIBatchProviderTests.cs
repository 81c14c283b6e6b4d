using System.ClientModel;
using AlignmentFaking.Running.Batch;
using AlignmentFaking.Testing;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace AlignmentFaking.OpenAI.Tests;

/// <summary>
/// The OpenAI batch provider against the loopback server's Batch API, and the result lines and batch objects it reads
/// back: a line that is not a result is its own failed item, never an exception.
/// </summary>
public class OpenAIBatchProviderTests
{
    [Test]
    public async Task The_provider_adapter_speaks_the_batch_api_of_the_server()
    {
        await using var server = await BatchKit.StartAsync(options: new TestServerOptions { Models = [BatchKit.Model], BatchRetrievalsBeforeCompletion = 2 });
        var provider = new OpenAIBatchProvider(server.BaseAddress, "test-key");
        BatchRequest[] requests =
        [
            new("a#t1#a1", [new ChatMessage(ChatRole.System, "s"), new ChatMessage(ChatRole.User, "<is_free_tier_user>True</is_free_tier_user> hello")], new ChatOptions { ModelId = BatchKit.Model, Temperature = 0.5f, Seed = 7, MaxOutputTokens = 100 }),
            new("b#t1#a1", [new ChatMessage(ChatRole.User, "second")], new ChatOptions { ModelId = BatchKit.Model }),
        ];
        Assert.That(provider.MeasureRequest(requests[0]), Is.EqualTo(OpenAIBatchProvider.Encode(requests[0]).Length + 1));
        var fileId = await provider.UploadAsync(requests, "in.jsonl", CancellationToken.None);
        Assert.That(server.Files.Single().Purpose, Is.EqualTo("batch"));
        Assert.That(server.Files.Single().Text.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(2));

        var created = await provider.CreateAsync(fileId, new Dictionary<string, string> { ["af_round"] = "1" }, CancellationToken.None);
        Assert.That(created.Status, Is.EqualTo(BatchJobStatus.InProgress));
        Assert.That(created.ProviderStatus, Is.EqualTo("validating"));
        Assert.That(server.Batches.Single().Metadata["af_round"], Is.EqualTo("1"));
        Assert.That((await provider.GetAsync(created.Id, CancellationToken.None)).ProviderStatus, Is.EqualTo("in_progress"));
        Assert.That((await provider.GetAsync(created.Id, CancellationToken.None)).ProviderStatus, Is.EqualTo("in_progress"));
        var done = await provider.GetAsync(created.Id, CancellationToken.None);
        Assert.That(done.Status, Is.EqualTo(BatchJobStatus.Completed));
        Assert.That(done.Total, Is.EqualTo(2));
        Assert.That(done.Completed, Is.EqualTo(2));

        var results = await provider.DownloadResultsAsync(done, CancellationToken.None);
        Assert.That(results.Select(r => r.CustomId), Is.EqualTo(new[] { "a#t1#a1", "b#t1#a1" }));
        Assert.That(results.All(r => r.Response is not null && r.Error is null), Is.True);
        Assert.That(results[0].Response!.Usage!.InputTokenCount, Is.GreaterThan(0));

        // The request bodies arrived as the online client sends them.
        var call = server.Calls.Single(c => c.Headers["x-test-custom-id"] == "a#t1#a1");
        Assert.That(call.Model, Is.EqualTo(BatchKit.Model));
        Assert.That(call.Temperature, Is.EqualTo(0.5).Within(1e-6));
        Assert.That(call.Seed, Is.EqualTo(7L));
        Assert.That(call.MaxTokens, Is.EqualTo(100));
        Assert.That(call.Messages.Select(m => m.Role), Is.EqualTo(new[] { "system", "user" }));

        Assert.That(async () => await provider.GetAsync("batch_missing", CancellationToken.None), Throws.InstanceOf<ClientResultException>().With.Property(nameof(ClientResultException.Status)).EqualTo(404));
    }

    [Test]
    public async Task A_results_file_larger_than_the_limit_fails_with_ReplyTooLarge_and_one_within_it_is_read()
    {
        // A hostile endpoint pads the output file; the limit stops the read (the SDK buffers downloads in memory).
        await using var server = await BatchKit.StartAsync(options: new TestServerOptions
        {
            Models = [BatchKit.Model],
            BatchRetrievalsBeforeCompletion = 0,
            RewriteBatchOutput = (_, text) => text + new string(' ', 300_000) + "\n",
        });
        BatchRequest[] requests = [new("a#t1#a1", [new ChatMessage(ChatRole.User, "hello")], new ChatOptions { ModelId = BatchKit.Model })];
        async Task<BatchJob> RunAsync(OpenAIBatchProvider provider)
        {
            var job = await provider.CreateAsync(await provider.UploadAsync(requests, "in.jsonl", CancellationToken.None), new Dictionary<string, string>(), CancellationToken.None);
            return await provider.GetAsync(job.Id, CancellationToken.None);
        }

        var bounded = new OpenAIBatchProvider(server.BaseAddress, "test-key", BatchLimits.OpenAI with { MaxResultBytes = 64 * 1024 });
        var done = await RunAsync(bounded);
        var ex = await Assert.ThrowsAsync<Running.ReplyTooLargeException>(async () => await bounded.DownloadResultsAsync(done, CancellationToken.None));
        Assert.That(ex!.LimitBytes, Is.EqualTo(64 * 1024));

        var roomy = new OpenAIBatchProvider(server.BaseAddress, "test-key", BatchLimits.OpenAI with { MaxResultBytes = 1024 * 1024 });
        var results = await roomy.DownloadResultsAsync(await RunAsync(roomy), CancellationToken.None);
        Assert.That(results.Select(r => r.CustomId), Is.EqualTo(new[] { "a#t1#a1" }));
        Assert.That(BatchLimits.OpenAI.MaxResultBytes, Is.EqualTo(BatchLimits.DefaultMaxResultBytes));
    }

    [Test]
    public void Error_lines_become_failed_items_with_the_reason()
    {
        var expired = OpenAIBatchProvider.ParseResult("{\"id\":\"r\",\"custom_id\":\"x#t1#a1\",\"response\":null,\"error\":{\"code\":\"batch_expired\",\"message\":\"too late\"}}");
        Assert.That(expired.Response, Is.Null);
        Assert.That(expired.Error, Is.EqualTo("batch_expired: too late"));
        var failed = OpenAIBatchProvider.ParseResult("{\"id\":\"r\",\"custom_id\":\"y#t2#a1\",\"response\":{\"status_code\":429,\"body\":{\"error\":{\"message\":\"slow down\"}}},\"error\":null}");
        Assert.That(failed.Error, Is.EqualTo("HTTP 429: slow down"));
        var empty = OpenAIBatchProvider.ParseResult("{\"id\":\"r\",\"custom_id\":\"z#t1#a1\",\"response\":{\"status_code\":200,\"body\":{\"id\":\"c\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\",\"choices\":[]}},\"error\":null}");
        Assert.That(empty.Response, Is.Null, "an empty choice list is a failure, as online");
        Assert.That(empty.Error, Does.StartWith("unreadable reply"));
        var invalid = OpenAIBatchProvider.ParseJob(BinaryData.FromString("{\"id\":\"batch_1\",\"status\":\"failed\",\"errors\":{\"object\":\"list\",\"data\":[{\"code\":\"invalid_json_line\",\"message\":\"line 3 is not JSON\"}]},\"request_counts\":{\"total\":0,\"completed\":0,\"failed\":0}}"));
        Assert.That((invalid.Status, invalid.Error), Is.EqualTo((BatchJobStatus.Failed, "line 3 is not JSON")));

        // A batch status that is not a batch object is an unreadable reply, not an InvalidOperationException.
        const string key = "sk-ant-test-0123456789abcdefghij";
        var notABatch = Assert.Throws<InvalidDataException>(() => OpenAIBatchProvider.ParseJob(BinaryData.FromString("[\"" + key + "\"]")));
        Assert.That(notABatch!.Message, Is.EqualTo("the Batch API answered something that is not a batch object: [\"" + key + "\"]"));
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
}
