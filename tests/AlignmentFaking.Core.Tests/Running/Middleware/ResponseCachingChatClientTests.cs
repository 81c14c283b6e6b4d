using System.Text;
using AlignmentFaking.Running;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Logging;
using NUnit.Framework;

namespace AlignmentFaking.Tests.Running.Middleware;

public class ResponseCachingChatClientTests
{
    /// <summary>A call, its key and its entry exactly as version 2 of the cache wrote them before the middleware existed.</summary>
    private const string GoldenKey = "9cca39876fdbecddce507833766fdf42932486c927bcbb79f05676a7698f4c7f";

    private const string GoldenEntry = """{"Text":"cached reply","FinishReason":"length","ModelId":"m-2024","ResponseId":"resp-1","InputTokens":12,"OutputTokens":34,"CachedInputTokens":5}""";

    private static readonly ChatMessage[] GoldenMessages = [new(ChatRole.System, "system prompt"), new(ChatRole.User, "a request"), new(ChatRole.Assistant, "<")];

    private static ChatOptions GoldenOptions(int? epoch = 1) => new()
    {
        Temperature = 0.7f,
        MaxOutputTokens = 100,
        Seed = 8,
        ModelId = "the-model",
        AdditionalProperties = epoch is { } e ? new() { [ResponseCachingChatClient.EpochKey] = e } : null,
    };

    private static ChatMessage[] Messages(string request) => [new(ChatRole.System, "system prompt"), new(ChatRole.User, request)];

    private static IChatClient Cached(IChatClient inner, IDistributedCache? run, IDistributedCache? shared = null, ILogger? logger = null) =>
        inner.AsBuilder().UseResponseCache(run, shared, logger).Build();

    [Test]
    public async Task An_entry_written_by_version_2_before_the_middleware_is_read_with_its_key_and_format()
    {
        var run = new FakeCache();
        await run.SetAsync(GoldenKey, Encoding.UTF8.GetBytes(GoldenEntry), new DistributedCacheEntryOptions());
        var provider = new FakeProvider("http://127.0.0.1:8000/v1/");

        var response = await Cached(provider, run).GetResponseAsync(GoldenMessages, GoldenOptions());

        Assert.That(provider.Calls, Is.Empty, "answered from the entry");
        Assert.That(response.Text, Is.EqualTo("cached reply"));
        Assert.That(response.FinishReason, Is.EqualTo(ChatFinishReason.Length));
        Assert.That((response.ModelId, response.ResponseId), Is.EqualTo(("m-2024", "resp-1")));
        Assert.That((response.Usage!.InputTokenCount, response.Usage.OutputTokenCount, response.Usage.CachedInputTokenCount), Is.EqualTo(((long?)12, (long?)34, (long?)5)));
        Assert.That(response.AdditionalProperties![ResponseCachingChatClient.CachedKey], Is.True);
        Assert.That(response.AdditionalProperties[ResponseCachingChatClient.CrossRunKey], Is.False);
        Assert.That(ResponseCachingChatClient.Key("http://127.0.0.1:8000/v1", "the-model", GoldenMessages, GoldenOptions(), 1), Is.EqualTo(GoldenKey));
    }

    [Test]
    public async Task A_replayed_reply_keeps_the_prompt_cache_writes_the_provider_reported()
    {
        var run = new FakeCache();
        var provider = new FakeProvider("http://127.0.0.1:8000/v1")
        {
            Answer = _ => new ChatResponse(new ChatMessage(ChatRole.Assistant, "reply"))
            {
                Usage = new UsageDetails { InputTokenCount = 120, OutputTokenCount = 3, CachedInputTokenCount = 50, AdditionalCounts = new() { ["CacheCreationInputTokens"] = 60 } },
            },
        };

        await Cached(provider, run).GetResponseAsync(GoldenMessages, GoldenOptions());
        var replayed = await Cached(provider, run).GetResponseAsync(GoldenMessages, GoldenOptions());

        Assert.That(provider.Calls, Has.Count.EqualTo(1));
        Assert.That(replayed.Usage!.CachedInputTokenCount, Is.EqualTo(50));
        Assert.That(replayed.Usage.AdditionalCounts!["CacheCreationInputTokens"], Is.EqualTo(60));
        Assert.That(run.Text(GoldenKey), Does.Contain("\"CacheWriteInputTokens\":60"), "in the entry format (PascalCase, as its other fields)");
    }

    [Test]
    public async Task A_miss_calls_the_model_and_stores_the_reply_in_both_caches_in_the_version_2_format()
    {
        var (run, shared) = (new FakeCache(), new FakeCache());
        var provider = new FakeProvider("http://127.0.0.1:8000/v1")
        {
            Answer = _ => new ChatResponse(new ChatMessage(ChatRole.Assistant, "cached reply"))
            {
                FinishReason = ChatFinishReason.Length,
                ModelId = "m-2024",
                ResponseId = "resp-1",
                Usage = new UsageDetails { InputTokenCount = 12, OutputTokenCount = 34, CachedInputTokenCount = 5 },
            },
        };

        var response = await Cached(provider, run, shared).GetResponseAsync(GoldenMessages, GoldenOptions());

        Assert.That(provider.Calls, Has.Count.EqualTo(1));
        Assert.That(response.AdditionalProperties?.ContainsKey(ResponseCachingChatClient.CachedKey) ?? false, Is.False, "a reply received now is not marked");
        Assert.That(run.Text(GoldenKey), Is.EqualTo(GoldenEntry));
        Assert.That(shared.Text(GoldenKey), Is.EqualTo(GoldenEntry));
    }

    [Test]
    public async Task Epochs_are_distinct_entries_and_the_epoch_never_reaches_the_model()
    {
        var run = new FakeCache();
        var provider = new FakeProvider();
        var client = Cached(provider, run);
        var epoch0 = GoldenOptions(epoch: 0);
        var epoch1 = GoldenOptions(epoch: 1);

        var first = await client.GetResponseAsync(Messages("x"), epoch0);
        var second = await client.GetResponseAsync(Messages("x"), epoch1);
        var again = await client.GetResponseAsync(Messages("x"), epoch1);

        Assert.That(provider.Calls, Has.Count.EqualTo(2), "epoch 1 is not epoch 0's reply");
        Assert.That((first.Text, second.Text, again.Text), Is.EqualTo(("reply 1", "reply 2", "reply 2")));
        Assert.That(provider.Calls.All(c => c.Options!.AdditionalProperties is null), Is.True, "the epoch was removed before the model");
        Assert.That(provider.Calls.Select(c => c.Options!.Seed), Is.All.EqualTo(8), "every other option goes through");
        Assert.That(epoch1.AdditionalProperties![ResponseCachingChatClient.EpochKey], Is.EqualTo(1), "the caller's options are untouched");
        Assert.That(ResponseCachingChatClient.Key("e", "m", Messages("x"), new ChatOptions(), 0), Is.EqualTo(ResponseCachingChatClient.Key("e", "m", Messages("x"), new ChatOptions { AdditionalProperties = new() { [ResponseCachingChatClient.EpochKey] = 0 } }, 0)));
    }

    [Test]
    public async Task Other_additional_properties_still_reach_the_model()
    {
        var provider = new FakeProvider();
        var options = GoldenOptions();
        options.AdditionalProperties!["strict"] = true;

        await Cached(provider, new FakeCache()).GetResponseAsync(Messages("x"), options);

        Assert.That(provider.Calls.Single().Options!.AdditionalProperties, Is.EqualTo(new AdditionalPropertiesDictionary { ["strict"] = true }));
    }

    [Test]
    public async Task An_epoch_that_is_not_an_integer_is_refused_naming_the_key()
    {
        var options = new ChatOptions { AdditionalProperties = new() { [ResponseCachingChatClient.EpochKey] = "first" } };
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => Cached(new FakeProvider(), new FakeCache()).GetResponseAsync(Messages("x"), options));
        Assert.That(ex!.Message, Does.Contain("af.epoch").And.Contain("first"));
    }

    [Test]
    public async Task One_cache_never_answers_for_another_endpoint_or_model()
    {
        var run = new FakeCache();
        var a = new FakeProvider("http://127.0.0.1:8001/v1", model: "shared-name");
        var b = new FakeProvider("http://127.0.0.1:8002/v1", model: "shared-name");
        var options = new ChatOptions();

        await Cached(a, run).GetResponseAsync(Messages("x"), options);
        await Cached(b, run).GetResponseAsync(Messages("x"), options);
        await Cached(b, run).GetResponseAsync(Messages("x"), new ChatOptions { ModelId = "other" });
        await Cached(b, run).GetResponseAsync(Messages("x"), options);

        Assert.That((a.Calls.Count, b.Calls.Count), Is.EqualTo((1, 2)), "the second endpoint and the other model are misses; the same endpoint again is a hit");
        Assert.That(b.Calls[0].Options?.ModelId, Is.Null, "the client's default model is part of the key without being sent");
    }

    [Test]
    public async Task A_reply_of_another_run_is_copied_into_the_runs_cache_and_stays_cross_run()
    {
        var shared = new FakeCache();
        var provider = new FakeProvider();
        await Cached(provider, new FakeCache(), shared).GetResponseAsync(Messages("x"), GoldenOptions()); // run A

        var runB = new FakeCache();
        var hit = await Cached(provider, runB, shared).GetResponseAsync(Messages("x"), GoldenOptions());
        Assert.That(provider.Calls, Has.Count.EqualTo(1));
        Assert.That((hit.AdditionalProperties![ResponseCachingChatClient.CachedKey], hit.AdditionalProperties[ResponseCachingChatClient.CrossRunKey]), Is.EqualTo((true, true)));
        Assert.That(runB.Entries.Values.Select(Encoding.UTF8.GetString).Single(), Does.EndWith(""","CrossRun":true}"""));

        // Resuming run B from its own cache alone still says where the reply came from.
        var resumed = await Cached(provider, runB).GetResponseAsync(Messages("x"), GoldenOptions());
        Assert.That(resumed.AdditionalProperties![ResponseCachingChatClient.CrossRunKey], Is.True);

        // Run A's own reply in a cache it wrote is not another run's.
        var own = new FakeCache();
        await Cached(provider, own).GetResponseAsync(Messages("y"), GoldenOptions());
        var ownHit = await Cached(provider, own).GetResponseAsync(Messages("y"), GoldenOptions());
        Assert.That(ownHit.AdditionalProperties![ResponseCachingChatClient.CrossRunKey], Is.False);
    }

    [Test]
    public async Task A_damaged_entry_is_a_miss_and_is_replaced()
    {
        var run = new FakeCache();
        await run.SetAsync(GoldenKey, Encoding.UTF8.GetBytes("{ not json"), new DistributedCacheEntryOptions());
        var provider = new FakeProvider("http://127.0.0.1:8000/v1");

        var response = await Cached(provider, run).GetResponseAsync(GoldenMessages, GoldenOptions());

        Assert.That(provider.Calls, Has.Count.EqualTo(1));
        Assert.That(response.Text, Is.EqualTo("reply 1"));
        Assert.That(run.Text(GoldenKey), Does.StartWith("""{"Text":"reply 1"""));
    }

    [Test]
    public async Task A_reply_is_stored_even_when_the_call_is_cancelled_as_it_returns()
    {
        var run = new FakeCache();
        using var cancel = new CancellationTokenSource();
        var provider = new FakeProvider { During = async _ => await cancel.CancelAsync() };

        var response = await Cached(provider, run).GetResponseAsync(Messages("x"), GoldenOptions(), cancel.Token);

        Assert.That(response.Text, Is.EqualTo("reply 1"));
        Assert.That(run.Entries, Has.Count.EqualTo(1), "paid for: a resume replays it");
    }

    [Test]
    public async Task A_write_that_fails_on_the_disk_is_logged_and_the_reply_still_returned()
    {
        var run = new FakeCache { FailWrites = new IOException("No space left on device") };
        var logger = new ListLogger();

        var response = await Cached(new FakeProvider(), run, logger: logger).GetResponseAsync(Messages("x"), GoldenOptions());

        Assert.That(response.Text, Is.EqualTo("reply 1"));
        Assert.That(logger.Messages, Is.EqualTo(new[] { "the response cache could not store a reply: No space left on device" }));
    }

    [Test]
    public async Task A_streamed_reply_is_stored_coalesced_under_the_same_key()
    {
        var run = new FakeCache();
        var provider = new FakeProvider();
        var client = Cached(provider, run);

        var streamed = await client.GetStreamingResponseAsync(Messages("x"), GoldenOptions()).ToChatResponseAsync();
        var replayed = await client.GetResponseAsync(Messages("x"), GoldenOptions());
        var replayedStreaming = await client.GetStreamingResponseAsync(Messages("x"), GoldenOptions()).ToChatResponseAsync();

        Assert.That(provider.Calls, Has.Count.EqualTo(1));
        Assert.That((streamed.Text, replayed.Text, replayedStreaming.Text), Is.EqualTo(("reply 1", "reply 1", "reply 1")));
        Assert.That(replayed.AdditionalProperties![ResponseCachingChatClient.CachedKey], Is.True);
    }

    [Test]
    public void Neither_cache_is_refused_and_the_builder_takes_the_services_cache()
    {
        Assert.Throws<ArgumentException>(() => _ = new ResponseCachingChatClient(new FakeProvider(), null, null));
        var ex = Assert.Throws<InvalidOperationException>(() => new FakeProvider().AsBuilder().UseResponseCache().Build());
        Assert.That(ex!.Message, Does.Contain("IDistributedCache"));
    }

    /// <summary>A hand-written logger that keeps the formatted messages.</summary>
    private sealed class ListLogger : ILogger
    {
        public List<string> Messages { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Messages.Add(formatter(state, exception));
    }
}
