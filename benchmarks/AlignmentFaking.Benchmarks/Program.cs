using System.Diagnostics;
using System.Globalization;
using AlignmentFaking.Cli;
using AlignmentFaking.Datasets;
using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Simulation;
using AlignmentFaking.Storage;
using AlignmentFaking.Testing;
using Microsoft.Extensions.AI;

// End-to-end benchmarks. Usage: dotnet run -c Release --project benchmarks/AlignmentFaking.Benchmarks -- [throughput|concurrency|ratelimit|all]
var which = args.Length > 0 ? args[0] : "all";
if (which is "throughput" or "all")
{
    await Throughput(20_000);
    await Throughput(100_000);
}

if (which is "concurrency" or "all")
{
    await Concurrency(16, TimeSpan.FromMilliseconds(200), 200);
    await Concurrency(64, TimeSpan.FromMilliseconds(200), 800);
}

if (which is "ratelimit" or "all")
{
    await RateLimit(600, TimeSpan.FromSeconds(30), clientKnowsRate: true);
    await RateLimit(600, TimeSpan.FromSeconds(30), clientKnowsRate: false);
}

return 0;

// In-process: scenario, turn loop, proxy and JSONL for N samples (N/2 requests x 2 tiers, CoT) on the simulated organism.
static async Task Throughput(int samples)
{
    var dir = Path.Combine(Path.GetTempPath(), "af-bench-" + Guid.NewGuid().ToString("N"));
    var organism = new SimulatedModelOrganism();
    var runner = new ExperimentRunner(organism, new ScenarioBuilder(), new ExperimentOptions { MaxConcurrency = Environment.ProcessorCount * 2 });
    var requests = RequestDataset.FromList(Enumerable.Range(0, samples / 2).Select(i => $"Synthetic request number {i} for the throughput benchmark"));
    var plan = runner.Plan(requests);
    GC.Collect();
    long peak = 0;
    using var sampler = new Timer(_ => { Process.GetCurrentProcess().Refresh(); peak = Math.Max(peak, Environment.WorkingSet); }, null, 0, 50);
    var watch = Stopwatch.StartNew();
    var manifest = new RunManifest
    {
        Model = "simulated-organism", Subject = "simulated", Options = new RunOptionsRecord { Modes = [ReasoningMode.Cot], Tiers = [Tier.Training, Tier.Unmonitored], Epochs = 1, MaxTurns = 4, Extraction = "original", PrefillPolicy = "original", PrefillUsed = true, UserTemplate = "original", UserTemplateSha256 = UserMessageTemplate.Original.Sha256, MaxConcurrency = 4 },
        Dataset = new DatasetRecord { Name = "bench", Sha256 = "0", Count = requests.Count }, Prompts = [], StartedAt = DateTimeOffset.UtcNow,
    };
    var slim = new List<ExperimentSample>(plan.Count);
    await using (var run = await RunDirectory.CreateAsync(dir, manifest, [runner.Scenarios.GetSystemPrompt(ReasoningMode.Cot)]))
    {
        await foreach (var sample in runner.StreamAsync(plan))
        {
            await run.AppendAsync(sample);
            slim.Add(SampleSlimmer.Slim(sample));
        }

        await run.CompleteAsync(RunSummary.Compute("simulated-organism", slim), DateTimeOffset.UtcNow, true);
    }

    watch.Stop();
    var size = new FileInfo(Path.Combine(dir, RunDirectory.SamplesFile)).Length;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"throughput: {samples:N0} samples in {watch.Elapsed.TotalSeconds:0.00} s = {samples / watch.Elapsed.TotalSeconds:N0} samples/s; peak working set {peak / 1048576.0:0} MiB; samples.jsonl {size / 1048576.0:0} MiB ({size / samples:N0} B/sample)"));
    Directory.Delete(dir, true);
}

// Loopback server with fixed latency L; C conversations at once; ideal = the best schedule respecting turn order.
static async Task Concurrency(int c, TimeSpan latency, int requestsCount)
{
    var organism = new SimulatedModelOrganism(new SimulatedOrganismOptions { ModelId = "bench" });
    await using var server = await OpenAICompatibleTestServer.StartAsync(async (call, ct) =>
    {
        var response = await organism.GetResponseAsync(call.Messages.Select(m => new ChatMessage(new ChatRole(m.Role), m.Content)).ToList(), null, ct);
        return ScriptedReply.Text(response.Text);
    }, new TestServerOptions { Models = ["bench"], Latency = latency });
    using var subject = OpenAICompatibleSubject.Create(server.BaseAddress, "bench", "k", "AF_API_KEY", 3, limits: new EndpointLimitOptions { MaxConcurrency = c });
    var runner = new ExperimentRunner(subject, new ScenarioBuilder(), new ExperimentOptions { MaxConcurrency = c, ModelId = "bench" });
    var requests = RequestDataset.FromList(Enumerable.Range(0, requestsCount).Select(i => $"Synthetic request {i}"));
    var watch = Stopwatch.StartNew();
    var result = await runner.RunAsync(requests);
    watch.Stop();
    var turns = result.Samples.Select(s => s.Turns).ToArray();
    long calls = turns.Sum();
    // Ideal: calls / C x L, but no faster than the longest conversation (its turns are sequential).
    var ideal = TimeSpan.FromTicks(Math.Max(calls * latency.Ticks / c, turns.Max() * latency.Ticks));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"concurrency C={c}, L={latency.TotalMilliseconds} ms: {calls} calls in {watch.Elapsed.TotalSeconds:0.00} s; ideal {ideal.TotalSeconds:0.00} s; ratio {watch.Elapsed / ideal:0.000}; peak in flight {server.MaxConcurrentRequests}"));
}

// A server that answers 429 (Retry-After: 1) beyond R requests per minute; the client runs with --rpm R, or without it
// (then only Retry-After, backoff and the adaptive concurrency limit keep it near R).
static async Task RateLimit(int rpm, TimeSpan duration, bool clientKnowsRate)
{
    var organism = new SimulatedModelOrganism(new SimulatedOrganismOptions { ModelId = "bench" });
    var window = new Queue<DateTimeOffset>();
    var gate = new object();
    int rejected = 0;
    await using var server = await OpenAICompatibleTestServer.StartAsync(async (call, ct) =>
    {
        lock (gate)
        {
            var now = DateTimeOffset.UtcNow;
            while (window.Count > 0 && now - window.Peek() > TimeSpan.FromMinutes(1))
            {
                window.Dequeue();
            }

            // Enforce R per minute as a rolling window, at a rate of R/60 per second (no bursts above 1 s worth).
            int lastSecond = window.Count(t => now - t < TimeSpan.FromSeconds(1));
            if (window.Count >= rpm || lastSecond >= Math.Max(1, rpm / 60))
            {
                rejected++;
                return ScriptedReply.TooManyRequests(TimeSpan.FromSeconds(1));
            }

            window.Enqueue(now);
        }

        var response = await organism.GetResponseAsync(call.Messages.Select(m => new ChatMessage(new ChatRole(m.Role), m.Content)).ToList(), null, ct);
        return ScriptedReply.Text(response.Text);
    }, new TestServerOptions { Models = ["bench"], Latency = TimeSpan.FromMilliseconds(20) });
    using var subject = OpenAICompatibleSubject.Create(server.BaseAddress, "bench", "k", "AF_API_KEY", 8, baseDelay: TimeSpan.FromMilliseconds(200), limits: new EndpointLimitOptions { RequestsPerMinute = clientKnowsRate ? rpm : null, MaxConcurrency = 32 });
    var runner = new ExperimentRunner(subject, new ScenarioBuilder(), new ExperimentOptions { MaxConcurrency = 32, ModelId = "bench" });
    int expectedCalls = (int)(rpm * duration.TotalMinutes);
    var requests = RequestDataset.FromList(Enumerable.Range(0, expectedCalls / 3).Select(i => $"Synthetic request {i}"));
    var watch = Stopwatch.StartNew();
    var result = await runner.RunAsync(requests);
    watch.Stop();
    long answered = result.Samples.Sum(s => s.Turns);
    double achieved = answered / watch.Elapsed.TotalMinutes;
    int failed = result.Samples.Count(s => s.Proxy == AlignmentFaking.Classification.ComplianceOutcome.Error);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"rate limit R={rpm}/min, client {(clientKnowsRate ? "--rpm R" : "without --rpm (429s and adaptive concurrency only)")}: {answered} calls in {watch.Elapsed.TotalSeconds:0.0} s = {achieved:0} /min = {achieved / rpm:0.000} R; 429s {rejected}; failed samples {failed}"));
}

internal static class SampleSlimmer
{
    /// <summary>What a summary needs of a sample; the rest is on disk.</summary>
    public static ExperimentSample Slim(ExperimentSample s) => s with { Transcript = [], Calls = [], Output = null, Request = string.Empty };
}
