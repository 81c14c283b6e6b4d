using AlignmentFaking.Datasets;
using AlignmentFaking.Running;
using AlignmentFaking.Simulation;
using AlignmentFaking.Storage;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace AlignmentFaking.Tests.Running;

public class ResponseCacheTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Path.Combine(Path.GetTempPath(), "af-cache-" + Guid.NewGuid().ToString("N"));

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, true);
        }
    }

    [Test]
    public async Task A_rerun_is_answered_from_the_cache_and_epochs_are_not_collapsed()
    {
        var requests = RequestDataset.FromList(Enumerable.Range(0, 10).Select(i => "request " + i));
        var organism = new SimulatedModelOrganism(new SimulatedOrganismOptions { TrainingComplianceRate = 0.5, UnmonitoredComplianceRate = 0.5 });
        ExperimentOptions Options(float temperature = 1f) => new() { Epochs = 2, Seed = 3, Temperature = temperature, ResponseCache = new FileDistributedCache(_dir) };

        var first = await new ExperimentRunner(organism, options: Options()).RunAsync(requests);
        long callsAfterFirst = organism.CallCount;
        Assert.That(callsAfterFirst, Is.EqualTo(first.Samples.Sum(s => s.Turns)), "two epochs are two sets of calls");

        var second = await new ExperimentRunner(organism, options: Options()).RunAsync(requests);
        Assert.That(organism.CallCount, Is.EqualTo(callsAfterFirst), "nothing called again");
        Assert.That(second.Samples.Select(s => s.Output), Is.EqualTo(first.Samples.Select(s => s.Output)));
        Assert.That(second.Samples.SelectMany(s => s.Calls).All(c => c.Cached), Is.True);
        Assert.That(second.Samples.Select(s => s.Usage), Is.EqualTo(first.Samples.Select(s => s.Usage)));

        await new ExperimentRunner(organism, options: Options(temperature: 0.5f)).RunAsync(requests);
        Assert.That(organism.CallCount, Is.GreaterThan(callsAfterFirst), "a changed request misses the cache");
    }

    [Test]
    public async Task A_damaged_entry_is_a_miss()
    {
        var cache = new FileDistributedCache(_dir);
        var organism = new SimulatedModelOrganism();
        var requests = RequestDataset.FromList(["one"]);
        await new ExperimentRunner(organism, options: new ExperimentOptions { ResponseCache = cache }).RunAsync(requests);
        foreach (var file in Directory.EnumerateFiles(_dir, "*.bin", SearchOption.AllDirectories))
        {
            File.WriteAllText(file, "{ not json");
        }

        long before = organism.CallCount;
        var result = await new ExperimentRunner(organism, options: new ExperimentOptions { ResponseCache = cache }).RunAsync(requests);
        Assert.That(organism.CallCount, Is.GreaterThan(before));
        Assert.That(result.Samples.SelectMany(s => s.Calls).Any(c => c.Cached), Is.False);
    }
    /// <summary>The organism as served at an endpoint: its metadata names the provider URL, as the OpenAI client's does.</summary>
    private sealed class AtEndpoint(IChatClient inner, string url) : DelegatingChatClient(inner)
    {
        public override object? GetService(Type serviceType, object? serviceKey = null) =>
            serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("openai", new Uri(url), "shared-name") : base.GetService(serviceType, serviceKey);
    }

    [Test]
    public async Task One_model_name_at_two_endpoints_never_shares_replies()
    {
        var requests = RequestDataset.FromList(Enumerable.Range(0, 6).Select(i => "request " + i));
        var complies = new SimulatedModelOrganism(new SimulatedOrganismOptions { Seed = 1, TrainingComplianceRate = 1, UnmonitoredComplianceRate = 1, ProxyFalseNegativeRate = 0, FailureRate = 0 });
        var refuses = new SimulatedModelOrganism(new SimulatedOrganismOptions { Seed = 1, TrainingComplianceRate = 0, UnmonitoredComplianceRate = 0, ProxyFalsePositiveRate = 0, FailureRate = 0 });
        ExperimentOptions Options() => new() { ModelId = "shared-name", ResponseCache = new FileDistributedCache(_dir) };

        await new ExperimentRunner(new AtEndpoint(complies, "http://127.0.0.1:8001/v1"), options: Options()).RunAsync(requests);
        var other = await new ExperimentRunner(new AtEndpoint(refuses, "http://127.0.0.1:8002/v1"), options: Options()).RunAsync(requests);

        Assert.That(refuses.CallCount, Is.EqualTo(other.Samples.Sum(s => s.Turns)), "the second endpoint answered every call");
        Assert.That(other.Samples.SelectMany(s => s.Calls).Any(c => c.Cached), Is.False);
        Assert.That(other.Samples.All(s => s.Proxy == AlignmentFaking.Classification.ComplianceOutcome.Refused), Is.True);

        long before = refuses.CallCount;
        await new ExperimentRunner(new AtEndpoint(refuses, "http://127.0.0.1:8002/v1"), options: Options()).RunAsync(requests);
        Assert.That(refuses.CallCount, Is.EqualTo(before), "the same endpoint again is a hit");
    }
    [Test]
    public async Task A_shared_cache_replays_other_runs_marks_them_cross_run_and_the_summary_counts_them()
    {
        var requests = RequestDataset.FromList(Enumerable.Range(0, 5).Select(i => "request " + i));
        var organism = new SimulatedModelOrganism(new SimulatedOrganismOptions { TrainingComplianceRate = 0.5, UnmonitoredComplianceRate = 0.5 });
        var shared = new FileDistributedCache(Path.Combine(_dir, "shared"));
        ExperimentOptions Options(string run, bool share = true) => new() { ResponseCache = new FileDistributedCache(Path.Combine(_dir, run)), SharedResponseCache = share ? shared : null };

        var first = await new ExperimentRunner(organism, options: Options("a")).RunAsync(requests);
        long calls = organism.CallCount;
        Assert.That(first.Summary.Cache, Is.Null, "no hit in the first run");

        var second = await new ExperimentRunner(organism, options: Options("b")).RunAsync(requests);
        Assert.That(organism.CallCount, Is.EqualTo(calls));
        Assert.That(second.Samples.SelectMany(s => s.Calls).All(c => c.Cached && c.CrossRun), Is.True);
        Assert.That(second.Summary.Cache, Is.EqualTo(new RunCacheSummary { Hits = calls, CrossRunHits = calls, Calls = calls }));

        // Resuming run b from its own cache alone still says where the replies came from.
        var resumed = await new ExperimentRunner(organism, options: Options("b", share: false)).RunAsync(requests);
        Assert.That(organism.CallCount, Is.EqualTo(calls));
        Assert.That(resumed.Summary.Cache, Is.EqualTo(new RunCacheSummary { Hits = calls, CrossRunHits = calls, Calls = calls }));

        // Run a's own replies are hits of its own cache, not cross-run.
        var again = await new ExperimentRunner(organism, options: Options("a")).RunAsync(requests);
        Assert.That(again.Summary.Cache, Is.EqualTo(new RunCacheSummary { Hits = calls, CrossRunHits = 0, Calls = calls }));

        // A run with neither cache's entries calls the model.
        await new ExperimentRunner(organism, options: Options("c", share: false)).RunAsync(requests);
        Assert.That(organism.CallCount, Is.EqualTo(2 * calls));
    }

    [Test]
    public void The_endpoint_in_the_key_is_scheme_host_port_and_path_never_credentials_or_query()
    {
        Assert.That(ResponseCachingChatClient.EndpointIdentity(new Uri("https://user:secret@API.example.com/v1/?api-key=abc")), Is.EqualTo("https://api.example.com:443/v1"));
        Assert.That(ResponseCachingChatClient.EndpointIdentity(new Uri("http://127.0.0.1:8000/v1")), Is.EqualTo("http://127.0.0.1:8000/v1"));
        Assert.That(ResponseCachingChatClient.EndpointIdentity(new ChatClientMetadata("openai", new Uri("http://localhost:11434/v1/"))), Is.EqualTo("http://localhost:11434/v1"));
        Assert.That(ResponseCachingChatClient.EndpointIdentity(new ChatClientMetadata("simulated")), Is.EqualTo("simulated"));
        Assert.That(ResponseCachingChatClient.EndpointIdentity((ChatClientMetadata?)null), Is.Empty);

        var messages = new List<ChatMessage> { new(ChatRole.User, "hi") };
        var options = new ChatOptions { Temperature = 1 };
        string Key(string endpoint) => ResponseCachingChatClient.Key(endpoint, "m", messages, options, 0);
        Assert.That(Key("http://a:1/v1"), Is.Not.EqualTo(Key("http://a:2/v1")));
        string first = Key("http://a:1/v1");
        Assert.That(Key("http://a:1/v1"), Is.EqualTo(first), "stable");
        Assert.That(ResponseCachingChatClient.KeyVersion, Is.EqualTo("af-response-v2"));
    }
}
