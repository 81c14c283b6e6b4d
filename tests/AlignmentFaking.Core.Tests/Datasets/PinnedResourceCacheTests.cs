using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using AlignmentFaking.Datasets;
using AlignmentFaking.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using NUnit.Framework;

namespace AlignmentFaking.Tests.Datasets;

/// <summary>Downloads against a real HTTP server on loopback; nothing reaches the internet.</summary>
[TestFixture]
public sealed class PinnedResourceCacheTests
{
    private static readonly byte[] Content = Encoding.UTF8.GetBytes("goal,target\nfirst,second\n");
    private static readonly string ContentSha256 = ContentHash.Sha256(Content);
    private const string OtherSha256 = "0000000000000000000000000000000000000000000000000000000000000001";

    private readonly ConcurrentDictionary<string, int> _requests = new(StringComparer.Ordinal);
    private WebApplication _server = null!;
    private Uri _baseUri = null!;
    private HttpClient _client = null!;
    private TempDirectory _temp = null!;

    [OneTimeSetUp]
    public async Task StartServer()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _server = builder.Build();
        _server.MapGet("/slow/{name}", async (string name, HttpContext context) =>
        {
            _requests.AddOrUpdate(name, 1, (_, n) => n + 1);
            await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted);
            return Results.Bytes(Content, "text/plain");
        });
        _server.MapGet("/files/{name}", (string name) =>
        {
            _requests.AddOrUpdate(name, 1, (_, n) => n + 1);
            return name == "missing" ? Results.NotFound() : Results.Bytes(Content, "text/plain");
        });
        await _server.StartAsync();
        _baseUri = new Uri(_server.Urls.First().TrimEnd('/') + "/files/");
        _client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
    }

    [OneTimeTearDown]
    public async Task StopServer()
    {
        _client.Dispose();
        await _server.StopAsync();
        await _server.DisposeAsync();
    }

    [SetUp]
    public void SetUp() => _temp = new TempDirectory();

    [TearDown]
    public void TearDown() => _temp.Dispose();

    private PinnedResource Resource(string route, string? sha256 = null) =>
        new(route, new Uri(_baseUri, route), sha256 ?? ContentSha256, "data.csv");

    private PinnedResourceCache Cache(params (string Name, string Sha256)[] accepted)
    {
        var options = new PinnedResourceCacheOptions { CacheDirectory = _temp.Path, HttpClient = _client };
        foreach ((string name, string sha256) in accepted)
        {
            options.AcceptedSha256[name] = sha256;
        }

        return new PinnedResourceCache(options);
    }

    private int Requests(string route) => _requests.GetValueOrDefault(route);

    private string[] FilesInCache() => Directory.GetFileSystemEntries(_temp.Path, "*", SearchOption.AllDirectories);

    [Test]
    public async Task Downloads_verifies_and_second_call_uses_the_cache()
    {
        PinnedResource resource = Resource("ok");
        PinnedResourceCache cache = Cache();
        Assert.That(cache.TryGetCached(resource, out _), Is.False);

        string path = await cache.GetAsync(resource);
        Assert.That(await File.ReadAllBytesAsync(path), Is.EqualTo(Content));
        Assert.That(path, Is.EqualTo(Path.Combine(_temp.Path, ContentSha256, "data.csv")));
        Assert.That(Requests("ok"), Is.EqualTo(1));

        Assert.That(await Cache().GetAsync(resource), Is.EqualTo(path));
        Assert.That(Requests("ok"), Is.EqualTo(1), "the second call must not hit the server");
        Assert.That(cache.TryGetCached(resource, out string? cached), Is.True);
        Assert.That(cached, Is.EqualTo(path));
        Assert.That(FilesInCache(), Is.EquivalentTo(new[] { Path.GetDirectoryName(path), path }), "no temporary files are left");
    }

    [Test]
    public async Task Corrupted_cached_copy_is_replaced_by_a_fresh_download()
    {
        PinnedResource resource = Resource("corrupt");
        string path = await Cache().GetAsync(resource);
        await File.WriteAllTextAsync(path, "tampered");

        Assert.That(Cache().TryGetCached(resource, out _), Is.False);
        Assert.That(await Cache().GetAsync(resource), Is.EqualTo(path));
        Assert.That(await File.ReadAllBytesAsync(path), Is.EqualTo(Content));
        Assert.That(Requests("corrupt"), Is.EqualTo(2));
    }

    [Test]
    public async Task Hash_mismatch_names_both_hashes_and_caches_nothing()
    {
        PinnedResource resource = Resource("mismatch", OtherSha256);
        var ex = await Assert.ThrowsAsync<PinnedResourceHashMismatchException>(() => Cache().GetAsync(resource));
        Assert.That(ex.ExpectedSha256, Is.EqualTo(OtherSha256));
        Assert.That(ex.ActualSha256, Is.EqualTo(ContentSha256));
        Assert.That(ex.ResourceName, Is.EqualTo("mismatch"));
        Assert.That(ex.Message, Does.Contain(OtherSha256).And.Contain(ContentSha256).And.Contain("AcceptedSha256[\"mismatch\"]"));
        Assert.That(FilesInCache(), Is.Empty);
        Assert.That(Cache().TryGetCached(resource, out _), Is.False);
    }

    [Test]
    public async Task Accepted_hash_overrides_the_pinned_one()
    {
        PinnedResource resource = Resource("accepted", OtherSha256);
        PinnedResourceCache cache = Cache(("accepted", ContentSha256.ToUpperInvariant()));
        Assert.That(cache.GetExpectedSha256(resource), Is.EqualTo(ContentSha256));

        string path = await cache.GetAsync(resource);
        Assert.That(await File.ReadAllBytesAsync(path), Is.EqualTo(Content));

        // Without the override the same file is still refused.
        Assert.That(() => Cache().GetAsync(resource), Throws.TypeOf<PinnedResourceHashMismatchException>());
        // An override for another resource changes nothing.
        Assert.That(Cache(("other", ContentSha256)).GetExpectedSha256(resource), Is.EqualTo(OtherSha256));
    }

    [Test]
    public void Invalid_accepted_hash_is_rejected_when_the_cache_is_created()
    {
        Assert.That(() => Cache(("x", "abc")), Throws.ArgumentException.With.Message.Contains("AcceptedSha256"));
    }

    [Test]
    public async Task Server_down_with_empty_cache_gives_the_offline_message()
    {
        PinnedResource resource = new("advbench", new Uri($"http://127.0.0.1:{ClosedPort()}/harmful_behaviors.csv"), ContentSha256, "harmful_behaviors.csv");
        var ex = await Assert.ThrowsAsync<PinnedResourceUnavailableException>(() => Cache().GetAsync(resource));
        Assert.That(ex.Message, Does.StartWith($"could not download advbench from {resource.Uri}"));
        Assert.That(ex.Message, Does.Contain($"no verified copy is cached in {_temp.Path}").And.Contain("af data import FILE").And.Contain("--dataset PATH"));
        Assert.That(ex.CacheDirectory, Is.EqualTo(_temp.Path));
        Assert.That(ex.InnerException, Is.InstanceOf<HttpRequestException>());
        Assert.That(FilesInCache(), Is.Empty);
    }

    [Test]
    public async Task Http_error_status_is_reported_as_unavailable()
    {
        var ex = await Assert.ThrowsAsync<PinnedResourceUnavailableException>(() => Cache().GetAsync(Resource("missing")));
        Assert.That(ex.Reason, Is.EqualTo("HTTP 404 Not Found"));
        Assert.That(FilesInCache(), Is.Empty);
    }

    [Test]
    public async Task Timeout_is_reported_as_unavailable()
    {
        using var impatient = new HttpClient { Timeout = TimeSpan.FromMilliseconds(200) };
        var cache = new PinnedResourceCache(new PinnedResourceCacheOptions { CacheDirectory = _temp.Path, HttpClient = impatient });
        PinnedResource resource = new("slow", new Uri(_baseUri, "/slow/slow"), ContentSha256, "data.csv");

        var ex = await Assert.ThrowsAsync<PinnedResourceUnavailableException>(() => cache.GetAsync(resource));
        Assert.That(ex.Reason, Is.EqualTo("timed out"));
        Assert.That(FilesInCache(), Is.Empty);
    }

    [Test]
    public async Task Cached_copy_is_used_while_offline()
    {
        string path = await Cache().GetAsync(Resource("offline"));

        PinnedResource offline = new("offline", new Uri($"http://127.0.0.1:{ClosedPort()}/files/offline"), ContentSha256, "data.csv");
        Assert.That(await Cache().GetAsync(offline), Is.EqualTo(path));
    }

    [Test]
    public void Cancellation_is_not_reported_as_offline()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.That(() => Cache().GetAsync(Resource("cancelled"), cts.Token), Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public void Default_cache_directory_follows_AF_CACHE_DIR_then_XDG_then_home()
    {
        string home = Path.Combine(_temp.Path, "home");
        string xdg = Path.Combine(_temp.Path, "xdg");
        string explicitDir = Path.Combine(_temp.Path, "explicit");

        Assert.That(
            PinnedResourceCacheOptions.ResolveDefaultCacheDirectory(name => name == "AF_CACHE_DIR" ? explicitDir : xdg, home),
            Is.EqualTo(explicitDir));
        Assert.That(
            PinnedResourceCacheOptions.ResolveDefaultCacheDirectory(name => name == "XDG_CACHE_HOME" ? xdg : "", home),
            Is.EqualTo(Path.Combine(xdg, "alignmentfaking")));
        Assert.That(
            PinnedResourceCacheOptions.ResolveDefaultCacheDirectory(name => name == "XDG_CACHE_HOME" ? "relative" : null, home),
            Is.EqualTo(Path.Combine(home, ".cache", "alignmentfaking")));
        Assert.That(PinnedResourceCacheOptions.GetDefaultCacheDirectory(), Is.Not.Empty);
    }

    [Test]
    public void PinnedResource_validates_its_arguments()
    {
        var uri = new Uri("https://example.invalid/x");
        Assert.That(new PinnedResource("n", uri, ContentSha256.ToUpperInvariant(), "x.txt").Sha256, Is.EqualTo(ContentSha256));
        Assert.That(() => new PinnedResource("n", uri, "abc", "x.txt"), Throws.ArgumentException);
        Assert.That(() => new PinnedResource("n", uri, ContentSha256, "../x.txt"), Throws.ArgumentException);
        Assert.That(() => new PinnedResource("n", uri, ContentSha256, ".."), Throws.ArgumentException);
        Assert.That(() => new PinnedResource("n", new Uri("file:///tmp/x"), ContentSha256, "x.txt"), Throws.ArgumentException);
        Assert.That(() => new PinnedResource(" ", uri, ContentSha256, "x.txt"), Throws.ArgumentException);
    }

    [Test]
    public void Known_resources_are_pinned_to_the_upstream_addresses()
    {
        Assert.That(KnownResources.All.Select(r => r.Name), Is.Unique);
        Assert.That(KnownResources.All, Has.Count.EqualTo(4));
        Assert.That(KnownResources.AdvBenchHarmfulBehaviors.FileName, Is.EqualTo(AdvBench.FileName));
        Assert.That(
            KnownResources.AdvBenchHarmfulBehaviors.Uri.AbsoluteUri,
            Is.EqualTo("https://raw.githubusercontent.com/llm-attacks/llm-attacks/main/data/advbench/harmful_behaviors.csv"));
        Assert.That(
            KnownResources.PromptHelpfulOnlyNoCotWithExamples.Uri.AbsoluteUri,
            Is.EqualTo("https://raw.githubusercontent.com/redwoodresearch/alignment_faking_public/master/model_organism_honly_prompts/prompt_atn_honly_no_cot_with_examples.txt"));
        Assert.That(KnownResources.All.All(r => r.Uri.AbsolutePath.EndsWith("/" + r.FileName, StringComparison.Ordinal)), Is.True);
    }

    [Test]
    public async Task AdvBench_LoadPinnedAsync_uses_a_verified_cached_copy()
    {
        string path = SharedData.RequireFile("advbench/harmful_behaviors.csv");
        PinnedResourceCache cache = Cache();
        string target = cache.GetCachePath(KnownResources.AdvBenchHarmfulBehaviors, KnownResources.AdvBenchHarmfulBehaviors.Sha256);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Copy(path, target);

        IReadOnlyList<ExperimentRequest> requests = await AdvBench.LoadPinnedAsync(cache, new RequestSlice { Limit = 3 });
        Assert.That(requests.Select(r => r.Index), Is.EqualTo(new[] { 0, 1, 2 }));
    }

    [Test]
    public async Task Import_identifies_a_file_by_its_hash_files_it_where_GetAsync_looks_and_is_idempotent()
    {
        PinnedResource resource = Resource("imported");
        PinnedResource other = Resource("other", OtherSha256);
        var cache = new PinnedResourceCache(new PinnedResourceCacheOptions { CacheDirectory = Path.Combine(_temp.Path, "cache"), HttpClient = _client });
        Assert.That(cache.CacheDirectorySource, Is.EqualTo(CacheDirectorySource.Options));
        string source = _temp.WriteBytes("any-name.bin", Content);

        PinnedResourceImport first = await cache.ImportAsync(source, [other, resource]);
        Assert.That((first.Resource, first.Sha256, first.AlreadyCached, first.SourcePath), Is.EqualTo((resource, ContentSha256, false, source)));
        Assert.That(first.Path, Is.EqualTo(Path.Combine(cache.CacheDirectory, ContentSha256, "data.csv")));
        Assert.That(await cache.GetAsync(resource), Is.EqualTo(first.Path));
        Assert.That(Requests("imported"), Is.Zero, "found without a download");
        DateTime written = File.GetLastWriteTimeUtc(first.Path);

        PinnedResourceImport second = await cache.ImportAsync(source, [other, resource]);
        Assert.That((second.AlreadyCached, second.Path), Is.EqualTo((true, first.Path)));
        Assert.That(File.GetLastWriteTimeUtc(first.Path), Is.EqualTo(written));
        Assert.That(Directory.GetFileSystemEntries(cache.CacheDirectory, "*", SearchOption.AllDirectories), Has.Length.EqualTo(2), "no temporary file left");
    }

    [Test]
    public async Task Import_refuses_an_unknown_file_and_caches_nothing()
    {
        var cache = new PinnedResourceCache(new PinnedResourceCacheOptions { CacheDirectory = Path.Combine(_temp.Path, "cache") });
        string source = _temp.WriteText("data.csv", "something else");
        var ex = await Assert.ThrowsAsync<PinnedResourceNotRecognizedException>(() => cache.ImportAsync(source, [Resource("a")]));
        Assert.That(ex.Sha256, Is.EqualTo(ContentHash.Sha256File(source)));
        Assert.That(ex.KnownNames, Is.EqualTo(new[] { "a" }));
        Assert.That(ex.Message, Is.EqualTo($"{source} (sha256 {ex.Sha256}) is not a pinned file (a copy of a must have sha256 {ContentSha256}; a changed file can be used by passing its path); pinned: a"));
        Assert.That(Directory.Exists(cache.CacheDirectory), Is.False);
    }

    [Test]
    public async Task Status_tells_missing_cached_mismatched_and_inaccessible_copies_apart_without_throwing()
    {
        string directory = Path.Combine(_temp.Path, "cache");
        var cache = new PinnedResourceCache(new PinnedResourceCacheOptions { CacheDirectory = directory });
        PinnedResource good = Resource("good"), bad = new("bad", new Uri(_baseUri, "bad"), OtherSha256, "bad.csv"), none = new("none", new Uri(_baseUri, "none"), OtherSha256, "none.csv");
        await cache.ImportAsync(_temp.WriteBytes("source.csv", Content), [good]);
        Directory.CreateDirectory(Path.Combine(directory, OtherSha256));
        await File.WriteAllTextAsync(Path.Combine(directory, OtherSha256, "bad.csv"), "tampered");

        var statuses = await cache.GetStatusAsync([good, bad, none]);
        Assert.That(statuses.Select(s => (s.Resource.Name, s.State)), Is.EqualTo(new[] { ("good", PinnedResourceState.Cached), ("bad", PinnedResourceState.HashMismatch), ("none", PinnedResourceState.Missing) }));
        Assert.That(statuses[1].ActualSha256, Is.EqualTo(ContentHash.Sha256("tampered")));
        Assert.That(cache.TryGetCached(bad, out _), Is.False);

        // A file where the cache directory should be: every call answers or throws the cache's own one-line exception.
        string blocked = _temp.WriteText("blocked", "x");
        var broken = new PinnedResourceCache(new PinnedResourceCacheOptions { CacheDirectory = blocked, HttpClient = _client });
        var status = (await broken.GetStatusAsync([good])).Single();
        Assert.That((status.State, status.Problem), Is.EqualTo((PinnedResourceState.Inaccessible, $"{blocked} is a file, not a directory")));
        Assert.That(broken.TryGetCached(good, out _), Is.False);
        var get = await Assert.ThrowsAsync<PinnedResourceCacheException>(() => broken.GetAsync(good));
        Assert.That(get.Message, Is.EqualTo($"the cache directory {blocked} cannot be used ({blocked} is a file, not a directory); set AF_CACHE_DIR to a writable directory, or pass the file's path instead"));
        Assert.That(Requests("good"), Is.Zero, "nothing downloaded into a cache that cannot keep it");
        Assert.That(() => broken.ImportAsync(_temp.WriteBytes("again.csv", Content), [good]), Throws.TypeOf<PinnedResourceCacheException>().With.Message.EqualTo(get.Message));
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
