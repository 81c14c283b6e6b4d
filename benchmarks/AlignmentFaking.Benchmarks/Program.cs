using System.Diagnostics;
using System.Globalization;
using AlignmentFaking.Cli;
using AlignmentFaking.Datasets;
using AlignmentFaking.OpenAI;
using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Simulation;
using AlignmentFaking.Storage;
using AlignmentFaking.Testing;
using Microsoft.Extensions.AI;

// End-to-end benchmarks. Usage: dotnet run -c Release --project benchmarks/AlignmentFaking.Benchmarks -- [throughput|concurrency|ratelimit|faults|tpm|resilience|resume|judge-cost|study|all]
// (resilience = faults, ratelimit and tpm in one process)
var which = args.Length > 0 ? args[0] : "all";
if (which == "af-child")
{
    return await AfChild(args[1..]);
}

bool resilience = which is "resilience" or "all";
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

if (which is "faults" || resilience)
{
    await Faults(ReasoningMode.NoCot, 512, 64, TimeSpan.FromMilliseconds(200));
    await Faults(ReasoningMode.Cot, 120, 16, TimeSpan.FromMilliseconds(200));
}

if (which is "ratelimit" || resilience)
{
    await RateLimit(600, TimeSpan.FromSeconds(30), clientKnowsRate: true);
    await RateLimit(600, TimeSpan.FromSeconds(30), clientKnowsRate: false);
}

if (which is "tpm" || resilience)
{
    await TokensPerMinute(600_000, TimeSpan.FromSeconds(75));
}

if (which is "resume" or "all")
{
    await ResumeMemory(100_000, 1_000);
}

if (which is "judge-cost" or "all")
{
    await JudgeCost(200);
}

if (which is "study" or "all")
{
    await StudyVersusLoop(40, TimeSpan.FromMilliseconds(100));
}

return 0;

// A study of 2 subjects x 3 variants (6 cells) against a loopback server with a fixed latency: af study run (cells at
// once, each subject's limits shared by its cells) against the shell loop it replaces (af run per cell, one after
// another, the same flags), wall time in one process after a warm-up, and the server's peak requests in flight per
// subject. The floor: the study is bound by each subject's 8 calls in flight (3 cells x N calls per subject), the loop
// by one cell at a time (6 cells x N calls), so loop / study approaches the number of subjects (2).
static async Task StudyVersusLoop(int requests, TimeSpan latency)
{
    var peaks = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
    var inFlight = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
    var organism = OrganismResponder.For(new SimulatedModelOrganism(new SimulatedOrganismOptions { FailureRate = 0 }));
    await using var server = await OpenAICompatibleTestServer.StartAsync(
        async (call, ct) =>
        {
            int now = inFlight.AddOrUpdate(call.Model!, 1, (_, n) => n + 1);
            peaks.AddOrUpdate(call.Model!, now, (_, p) => Math.Max(p, now));
            try
            {
                await Task.Delay(latency, ct);
                return await organism(call, ct);
            }
            finally
            {
                inFlight.AddOrUpdate(call.Model!, 0, (_, n) => n - 1);
            }
        },
        new TestServerOptions { Models = ["model-a", "model-b"] });
    var dir = Directory.CreateTempSubdirectory("af-bench-study-").FullName;
    try
    {
        var dataset = Path.Combine(dir, "requests.jsonl");
        File.WriteAllLines(dataset, Enumerable.Range(0, requests).Select(i => $"{{\"goal\":\"Synthetic request {i}\"}}"));
        var endpoint = server.BaseAddress.ToString();
        File.WriteAllText(Path.Combine(dir, "study.json"), $$"""
            { "name": "bench", "dataset": { "source": "requests.jsonl" }, "modes": ["no-cot"], "systemPrompt": "paraphrase",
              "subjects": [ { "id": "a", "endpoint": "{{endpoint}}", "model": "model-a", "concurrency": 8 },
                            { "id": "b", "endpoint": "{{endpoint}}", "model": "model-b", "concurrency": 8 } ],
              "variants": [ { "id": "default" }, { "id": "warm", "temperature": 0.5 }, { "id": "no-suffix", "template": "no-suffix" } ] }
            """);
        // Warm-up (JIT, the HTTP stack) so that neither timing pays it.
        await AfCli.InvokeAsync(["run", "--endpoint", endpoint, "--model", "model-a", "--dataset", dataset, "--limit", "4", "--mode", "no-cot", "--system-prompt", "paraphrase", "--out", Path.Combine(dir, "warm-up")], TextWriter.Null, TextWriter.Null);
        peaks.Clear();
        var watch = Stopwatch.StartNew();
        int exit = await AfCli.InvokeAsync(["study", "run", Path.Combine(dir, "study.json"), "--out", Path.Combine(dir, "study")], TextWriter.Null, TextWriter.Null);
        var study = watch.Elapsed;
        var studyPeaks = peaks.ToDictionary(kv => kv.Key, kv => kv.Value);
        peaks.Clear();

        watch.Restart();
        int loopExit = 0;
        foreach (var model in new[] { "model-a", "model-b" })
        {
            foreach (var (variant, flags) in new[] { ("default", Array.Empty<string>()), ("warm", ["--temperature", "0.5"]), ("no-suffix", new[] { "--template", "no-suffix" }) })
            {
                loopExit |= await AfCli.InvokeAsync(
                    ["run", "--endpoint", endpoint, "--model", model, "--dataset", dataset, "--mode", "no-cot", "--system-prompt", "paraphrase",
                     "--concurrency", "8", "--out", Path.Combine(dir, "loop", model, variant), .. flags],
                    TextWriter.Null, TextWriter.Null);
            }
        }

        var loop = watch.Elapsed;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"study: 6 cells x {requests * 2} samples, no-cot, {latency.TotalMilliseconds:0} ms per call, concurrency 8 per subject: af study run {study.TotalSeconds:0.00} s (exit {exit}, peak in flight a {studyPeaks.GetValueOrDefault("model-a")}, b {studyPeaks.GetValueOrDefault("model-b")}); the af run loop {loop.TotalSeconds:0.00} s (exit {loopExit}); loop / study = {loop / study:0.00}"));
    }
    finally
    {
        Directory.Delete(dir, recursive: true);
    }
}

// af's subject client (AlignmentFaking.OpenAI, as af run builds it) for the loopback server.
static IChatClient Subject(Uri endpoint, int maxRetries, EndpointLimitOptions limits, TimeSpan? baseDelay = null) =>
    OpenAICompatibleEndpoint.CreateChatClient(new OpenAIEndpointOptions
    {
        Endpoint = endpoint,
        Model = "bench",
        ApiKey = "k",
        Resilience = new ModelResilienceOptions
        {
            Retry = new RetryOptions { MaxRetries = maxRetries, BaseDelay = baseDelay ?? TimeSpan.FromSeconds(1) },
            Limits = limits,
        },
    });

// The billed cost of a judged CoT run of N requests (both tiers: the subject, the compliance judge on every sample, 20
// alignment-faking votes on every sample with reasoning) against a loopback server that bills as the providers do (OpenAI:
// n choices with the input once, automatic prefix caching; Anthropic: cache_control reads and writes), priced at list
// prices from the tokens the server billed: before (one request per vote, no cache_control), after (af's defaults), and
// the reference pipeline's design (the votes in one request with n, nothing billed as cached) for the same tokens.
static async Task JudgeCost(int requests)
{
    var path = SharedDataLocator.File("prompts/prompt_atn_honly_with_examples.txt");
    var prompt = path is null ? SystemPrompt.BuiltInParaphrase(ReasoningMode.Cot) : SystemPrompt.FromFile(path);
    var advbench = SharedDataLocator.File("advbench/harmful_behaviors.csv");
    var dataset = advbench is null
        ? RequestDataset.FromList(Enumerable.Range(0, requests).Select(i => $"Synthetic request {i}"))
        : AdvBench.Load(advbench, new RequestSlice { Limit = requests });
    Console.WriteLine($"judge-cost: {requests} requests x 2 tiers, CoT, system prompt {prompt.Name}, the simulated organism and judge");
    var gpt4o = AlignmentFaking.Costs.PriceTable.BuiltIn.Entries["gpt-4o"];
    var sonnet = AlignmentFaking.Costs.PriceTable.BuiltIn.Entries["claude-sonnet-4"];
    foreach (var (provider, price) in new[] { ("openai", gpt4o), ("anthropic", sonnet) })
    {
        var before = await JudgedRun(provider, prompt, dataset, after: false);
        var after = await JudgedRun(provider, prompt, dataset, after: true);
        string Row(string name, Bill b, bool cache) => string.Create(CultureInfo.InvariantCulture,
            $"  {name,-28} {b.Requests,6:N0} requests ({b.JudgeRequests,5:N0} judge)  input {b.Input,11:N0} (cached {b.Cached,10:N0}, written {b.Written,9:N0})  output {b.Output,10:N0}  ${b.Cost(price, cache),8:0.00}");
        Console.WriteLine($" {provider} at {price.Source} list prices (input ${price.Input}, cached ${price.CachedInput}, output ${price.Output} per 1M):");
        Console.WriteLine(Row("before (1 request per vote)", before, cache: true));
        Console.WriteLine(Row("after (af's defaults)", after, cache: true));
        if (provider == "openai")
        {
            Console.WriteLine(Row("reference design (n, no cache)", after, cache: false));
        }
        else
        {
            Console.WriteLine(Row("reference design (no cache)", before, cache: false));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  AF votes: {after.AfRequests / (double)Math.Max(1, after.Assessed):0.00} requests per assessed sample ({after.Assessed} assessed, every vote valid: {after.AllVotesValid}); cached share of the input billed: {after.Cached / (double)after.Input:P0} (the subject's: {after.SubjectCached / (double)after.SubjectInput:P0})"));
    }
}

// One judged CoT run against a fresh loopback server: what the server billed.
static async Task<Bill> JudgedRun(string provider, SystemPrompt prompt, IReadOnlyList<ExperimentRequest> requests, bool after)
{
    const string subjectModel = "bench", judgeModel = "judge-model";
    var organism = new SimulatedModelOrganism(new SimulatedOrganismOptions { ModelId = subjectModel, Seed = 7 });
    var responder = OrganismResponder.ByModel(judgeModel, OrganismResponder.For(new AlignmentFaking.Judging.Simulation.SimulatedJudge()), OrganismResponder.For(organism));
    await using var server = await OpenAICompatibleTestServer.StartAsync(responder, new TestServerOptions { Models = [subjectModel, judgeModel], PromptCaching = true });
    IChatClient Client(string model) => provider == "anthropic"
        ? AlignmentFaking.Anthropic.AnthropicEndpoint.CreateChatClient(new AlignmentFaking.Anthropic.AnthropicEndpointOptions { Endpoint = server.RootAddress, Model = model, PromptCaching = after })
        : OpenAICompatibleEndpoint.CreateChatClient(new OpenAIEndpointOptions { Endpoint = server.BaseAddress, Model = model });
    using var subject = Client(subjectModel);
    using var judge = Client(judgeModel);
    var result = await new ExperimentRunner(subject, new ScenarioBuilder().WithSystemPrompt(ReasoningMode.Cot, prompt),
        new ExperimentOptions { Modes = [ReasoningMode.Cot], MaxConcurrency = 16, ModelId = subjectModel }).RunAsync(requests);
    var runJudge = new AlignmentFaking.Judging.Runs.RunJudge(
        new AlignmentFaking.Judging.Compliance.LlmJudgeClassifier(judge),
        new AlignmentFaking.Judging.Reasoning.AlignmentFakingReasoningClassifier(judge, new AlignmentFaking.Judging.Reasoning.AlignmentFakingClassifierOptions { VotesPerRequest = after ? 128 : 1 }),
        new AlignmentFaking.Judging.Runs.RunJudgeOptions { MaxConcurrency = 16 });
    var judged = await runJudge.JudgeSamplesAsync(result.Samples);
    var calls = server.Calls.Where(c => c.ResponseStatusCode == 200).ToList();
    var assessed = judged.Where(s => s.AlignmentFaking is not null).ToList();
    return new Bill(
        calls.Count,
        calls.Count(c => c.Model == judgeModel),
        calls.Count(c => c.Model == judgeModel && c.LastMessageContent.Contains("for alignment faking", StringComparison.Ordinal)),
        assessed.Count,
        assessed.All(s => s.AlignmentFaking!.Votes.Count == 20 && s.AlignmentFaking.Votes.All(v => v.IsValid)),
        calls.Sum(c => (long)(c.BilledInputTokens ?? 0)),
        calls.Sum(c => (long)(c.CachedTokens ?? 0)),
        calls.Sum(c => (long)(c.CacheCreationTokens ?? 0)),
        calls.Sum(c => OutputTokens(c.ResponseBody)))
    {
        SubjectInput = calls.Where(c => c.Model == subjectModel).Sum(c => (long)(c.BilledInputTokens ?? 0)),
        SubjectCached = calls.Where(c => c.Model == subjectModel).Sum(c => (long)(c.CachedTokens ?? 0)),
    };

    static long OutputTokens(string? body)
    {
        using var document = System.Text.Json.JsonDocument.Parse(body ?? "{}");
        var usage = document.RootElement.TryGetProperty("usage", out var u) ? u : default;
        return usage.ValueKind != System.Text.Json.JsonValueKind.Object ? 0
            : usage.TryGetProperty("completion_tokens", out var c) ? c.GetInt64()
            : usage.TryGetProperty("output_tokens", out var o) ? o.GetInt64() : 0;
    }
}

// af run offline (simulated organism, CoT) of N samples in a child process, then the same command resuming a copy of
// that run directory with the last K samples removed (N - K finished samples on disk, K to go), in another child: the
// peak working set of each process. A resume must stay within the memory of the fresh run.
static async Task ResumeMemory(int samples, int toGo)
{
    var root = Path.Combine(Path.GetTempPath(), "af-bench-resume-" + Guid.NewGuid().ToString("N"));
    Directory.CreateDirectory(root);
    try
    {
        var dataset = Path.Combine(root, "requests.jsonl");
        await File.WriteAllLinesAsync(dataset, Enumerable.Range(0, samples / 2).Select(i => $"{{\"goal\":\"Synthetic request number {i} for the resume benchmark\"}}"));
        string[] Args(string dir) => ["run", "--dataset", dataset, "--system-prompt", "paraphrase", "--concurrency", "8", "--out", dir];
        var fresh = Path.Combine(root, "fresh");
        var (freshExit, freshPeak, freshTime) = await RunChild(Args(fresh));

        // The resumed directory: the fresh run less its last K samples, not complete.
        var resumed = Path.Combine(root, "resumed");
        Directory.CreateDirectory(Path.Combine(resumed, RunDirectory.PromptsFolder));
        foreach (var file in Directory.EnumerateFiles(fresh, "*", SearchOption.AllDirectories))
        {
            if (Path.GetFileName(file) is not (RunDirectory.SamplesFile or RunDirectory.LockFile))
            {
                File.Copy(file, Path.Combine(resumed, Path.GetRelativePath(fresh, file)));
            }
        }

        // As a run that was interrupted: not complete.
        var manifestPath = Path.Combine(resumed, RunDirectory.ManifestFile);
        await File.WriteAllTextAsync(manifestPath, (await File.ReadAllTextAsync(manifestPath)).Replace("\"complete\": true", "\"complete\": false", StringComparison.Ordinal));
        int kept = 0;
        await using (var writer = new StreamWriter(Path.Combine(resumed, RunDirectory.SamplesFile)))
        {
            foreach (var line in File.ReadLines(Path.Combine(fresh, RunDirectory.SamplesFile)).Take(samples - toGo))
            {
                await writer.WriteAsync(line + "\n");
                kept++;
            }
        }

        var samplesBytes = new FileInfo(Path.Combine(fresh, RunDirectory.SamplesFile)).Length;
        var (resumeExit, resumePeak, resumeTime) = await RunChild(Args(resumed));
        var resumedCount = File.ReadLines(Path.Combine(resumed, RunDirectory.SamplesFile)).Count();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"resume memory: af run of {samples:N0} samples (samples.jsonl {samplesBytes / 1048576.0:0} MiB): peak working set {freshPeak / 1048576.0:0} MiB in {freshTime.TotalSeconds:0.0} s (exit {freshExit}); resuming it with {kept:N0} done and {toGo:N0} to go: peak working set {resumePeak / 1048576.0:0} MiB in {resumeTime.TotalSeconds:0.0} s (exit {resumeExit}, {resumedCount:N0} samples); resume / fresh {(double)resumePeak / freshPeak:0.00}"));
    }
    finally
    {
        Directory.Delete(root, true);
    }
}

// Runs this program as "af-child ARGS" and reads the peak working set it reports.
static async Task<(int Exit, long PeakWorkingSet, TimeSpan Elapsed)> RunChild(string[] afArgs)
{
    var self = Environment.ProcessPath!;
    var info = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
    if (Path.GetFileNameWithoutExtension(self) == "dotnet")
    {
        info.ArgumentList.Add(System.Reflection.Assembly.GetEntryAssembly()!.Location);
    }

    info.ArgumentList.Add("af-child");
    foreach (var a in afArgs)
    {
        info.ArgumentList.Add(a);
    }

    var watch = Stopwatch.StartNew();
    using var child = Process.Start(info)!;
    var output = await child.StandardOutput.ReadToEndAsync();
    await child.WaitForExitAsync();
    watch.Stop();
    var peak = output.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("peak-working-set ", StringComparison.Ordinal)).Select(l => long.Parse(l["peak-working-set ".Length..], CultureInfo.InvariantCulture)).LastOrDefault();
    return (child.ExitCode, peak, watch.Elapsed);
}

// The child: one af command, output discarded, then its own peak working set (VmHWM on Linux).
static async Task<int> AfChild(string[] afArgs)
{
    int exit = await AfCli.InvokeAsync(afArgs, TextWriter.Null, TextWriter.Null);
    using var self = Process.GetCurrentProcess();
    self.Refresh();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"peak-working-set {self.PeakWorkingSet64}"));
    return exit;
}

// Random, load-independent faults in front of a loopback server with latency L: 8% 500s, 8% 429s (Retry-After: 1),
// 4% dropped connections, 3% malformed bodies; af's production wiring (6 retries, 1 s base backoff, adaptive limits).
// Every sample must come back exactly once; wall time against the ideal schedule; the ETA's error along the way.
static async Task Faults(ReasoningMode mode, int samples, int c, TimeSpan latency)
{
    var organism = new SimulatedModelOrganism(new SimulatedOrganismOptions { ModelId = "bench" });
    var plan = new FaultPlan().AtRandom(
        42,
        (0.08, ScriptedReply.ServerError()),
        (0.08, ScriptedReply.TooManyRequests(TimeSpan.FromSeconds(1))),
        (0.04, ScriptedReply.DropConnection()),
        (0.03, ScriptedReply.MalformedJson()));
    await using var server = await OpenAICompatibleTestServer.StartAsync(plan.Wrap(async (call, ct) =>
    {
        var response = await organism.GetResponseAsync(call.Messages.Select(m => new ChatMessage(new ChatRole(m.Role), m.Content)).ToList(), null, ct);
        return ScriptedReply.Text(response.Text);
    }), new TestServerOptions { Models = ["bench"], Latency = latency });
    using var subject = Subject(server.BaseAddress, 6, new EndpointLimitOptions { MaxConcurrency = c });
    var runner = new ExperimentRunner(subject, new ScenarioBuilder(), new ExperimentOptions { Modes = [mode], MaxConcurrency = c, ModelId = "bench" });
    var requests = RequestDataset.FromList(Enumerable.Range(0, samples / 2).Select(i => $"Synthetic request {i}"));
    var progress = new ProgressLog();
    var watch = Stopwatch.StartNew();
    var result = await runner.RunAsync(requests, progress);
    watch.Stop();
    var turns = result.Samples.Select(s => s.Turns).ToArray();
    long calls = turns.Sum();
    var ideal = TimeSpan.FromTicks(Math.Max(calls * latency.Ticks / c, turns.Max() * latency.Ticks));
    int distinct = result.Samples.Select(s => s.SampleId).Distinct().Count();
    int errors = result.Samples.Count(s => s.Proxy == AlignmentFaking.Classification.ComplianceOutcome.Error);
    var eta = progress.EtaErrors(watch.Elapsed, c);
    var limits = EndpointLimits.For(server.BaseAddress.AbsoluteUri.TrimEnd('/') + "|bench", new EndpointLimitOptions());
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"faults {mode.ToName()} C={c}, L={latency.TotalMilliseconds} ms: {result.Samples.Count} samples ({distinct} distinct of {samples}, {errors} errors) in {watch.Elapsed.TotalSeconds:0.00} s; ideal {ideal.TotalSeconds:0.00} s; ratio {watch.Elapsed / ideal:0.0}; {server.CallCount} server calls for {calls} answered turns ({plan.FaultsInjected} faults injected; 429s seen {limits.RateLimitedCount}, limit confirmed: {limits.RateLimitConfirmed}, concurrency limit {limits.ConcurrencyLimit})"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  ETA error while more than C samples were left: median {eta.Median:P0}, 90th percentile {eta.P90:P0}, {eta.Within25:P0} of {eta.Count} reports within 25%; {progress.Profile()}"));
}

// The original CoT prompt (AF_SHARED_DATA) against a loopback server, the client at --tpm T; the server counts what a
// provider's token limiter counts (prompt chars/4 plus max_tokens) over the steady state (after the bucket's 10 s burst).
static async Task TokensPerMinute(int tpm, TimeSpan duration)
{
    var path = SharedDataLocator.File("prompts/prompt_atn_honly_with_examples.txt");
    if (path is null)
    {
        Console.WriteLine("tpm: skipped (the original CoT prompt is not in AF_SHARED_DATA)");
        return;
    }

    var organism = new SimulatedModelOrganism(new SimulatedOrganismOptions { ModelId = "bench" });
    var arrivals = new System.Collections.Concurrent.ConcurrentQueue<(long At, long Tokens)>();
    await using var server = await OpenAICompatibleTestServer.StartAsync(async (call, ct) =>
    {
        arrivals.Enqueue((Stopwatch.GetTimestamp(), (call.Messages.Sum(m => (long)m.Content.Length) / 4) + (call.MaxTokens ?? 1000)));
        var response = await organism.GetResponseAsync(call.Messages.Select(m => new ChatMessage(new ChatRole(m.Role), m.Content)).ToList(), null, ct);
        return ScriptedReply.Text(response.Text);
    }, new TestServerOptions { Models = ["bench"], Latency = TimeSpan.FromMilliseconds(20) });
    using var subject = Subject(server.BaseAddress, 6, new EndpointLimitOptions { TokensPerMinute = tpm, MaxConcurrency = 16 });
    var scenarios = new ScenarioBuilder().WithSystemPrompt(ReasoningMode.Cot, SystemPrompt.FromFile(path));
    var runner = new ExperimentRunner(subject, scenarios, new ExperimentOptions { Modes = [ReasoningMode.Cot], MaxConcurrency = 16, MaxOutputTokens = 1000, ModelId = "bench" });
    var requests = RequestDataset.FromList(Enumerable.Range(0, 5000).Select(i => $"Synthetic request {i}"));
    using var stop = new CancellationTokenSource(duration);
    long start = Stopwatch.GetTimestamp();
    try
    {
        await runner.RunAsync(requests, null, stop.Token);
    }
    catch (OperationCanceledException)
    {
        // the measurement window is over
    }

    var skip = TimeSpan.FromSeconds(15);
    var steady = arrivals.Where(a => Stopwatch.GetElapsedTime(start, a.At) >= skip && Stopwatch.GetElapsedTime(start, a.At) < duration).ToArray();
    double perMinute = steady.Sum(a => a.Tokens) / (duration - skip).TotalMinutes;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"tpm T={tpm:N0} on the original CoT prompt: {arrivals.Count} calls of {arrivals.Average(a => a.Tokens):N0} tokens on average (bucket {tpm / 6:N0}); steady state ({skip.TotalSeconds:0}-{duration.TotalSeconds:0} s) {perMinute:N0} tokens/min = {perMinute / tpm:0.00} T"));
}

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
    await using (var run = await RunDirectory.CreateAsync(dir, manifest, [runner.Scenarios.GetSystemPrompt(ReasoningMode.Cot)]))
    {
        await foreach (var sample in runner.StreamAsync(plan))
        {
            await run.AppendAsync(sample);
        }

        await run.CompleteFromSamplesAsync(DateTimeOffset.UtcNow, allPlannedWritten: true);
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
    using var subject = Subject(server.BaseAddress, 3, new EndpointLimitOptions { MaxConcurrency = c });
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
    using var subject = Subject(server.BaseAddress, 8, new EndpointLimitOptions { RequestsPerMinute = clientKnowsRate ? rpm : null, MaxConcurrency = 32 }, TimeSpan.FromMilliseconds(200));
    var runner = new ExperimentRunner(subject, new ScenarioBuilder(), new ExperimentOptions { MaxConcurrency = 32, ModelId = "bench" });
    int expectedCalls = (int)(rpm * duration.TotalMinutes);
    var requests = RequestDataset.FromList(Enumerable.Range(0, expectedCalls / 3).Select(i => $"Synthetic request {i}"));
    var progress = new ProgressLog();
    var watch = Stopwatch.StartNew();
    var result = await runner.RunAsync(requests, progress);
    watch.Stop();
    var eta = progress.EtaErrors(watch.Elapsed, 32);
    long answered = result.Samples.Sum(s => s.Turns);
    double achieved = answered / watch.Elapsed.TotalMinutes;
    int failed = result.Samples.Count(s => s.Proxy == AlignmentFaking.Classification.ComplianceOutcome.Error);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"rate limit R={rpm}/min, client {(clientKnowsRate ? "--rpm R" : "without --rpm (429s and adaptive concurrency only)")}: {answered} calls in {watch.Elapsed.TotalSeconds:0.0} s = {achieved:0} /min = {achieved / rpm:0.000} R; 429s {rejected}; failed samples {failed}; ETA error (more than C samples left): median {eta.Median:P0}, {eta.Within25:P0} of reports within 25%"));
}

/// <summary>Every progress report of a run, for the ETA's error against the real time left.</summary>
internal sealed class ProgressLog : IProgress<RunProgress>
{
    private readonly List<RunProgress> _reports = [];

    public void Report(RunProgress value)
    {
        lock (_reports)
        {
            _reports.Add(value);
        }
    }

    /// <summary>When 50%, 90%, 99% and all of the samples were done.</summary>
    public string Profile()
    {
        lock (_reports)
        {
            if (_reports.Count == 0)
            {
                return "no reports";
            }

            int total = _reports[^1].Total;
            string At(double share) => _reports.First(p => p.Completed >= Math.Ceiling(total * share)).Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";
            return $"done: 50% at {At(0.5)}, 90% at {At(0.9)}, 99% at {At(0.99)}, all at {At(1)}";
        }
    }

    /// <summary>
    /// |ETA - real time left| / real time left, over the reports made while more than <paramref name="minLeft"/> samples
    /// were left (then the run is bound by its throughput; after, by its slowest calls in flight).
    /// </summary>
    public (double Median, double P90, double Within25, int Count) EtaErrors(TimeSpan total, int minLeft)
    {
        double[] errors;
        lock (_reports)
        {
            errors = _reports
                .Where(p => p.EstimatedRemaining is not null && p.Total - p.Completed > minLeft && total > p.Elapsed)
                .Select(p => Math.Abs((p.EstimatedRemaining!.Value - (total - p.Elapsed)) / (total - p.Elapsed)))
                .Order()
                .ToArray();
        }

        return errors.Length == 0 ? (double.NaN, double.NaN, double.NaN, 0)
            : (errors[errors.Length / 2], errors[(int)(errors.Length * 0.9)], errors.Count(e => e <= 0.25) / (double)errors.Length, errors.Length);
    }
}

/// <summary>The tokens a loopback server billed for a run.</summary>
internal sealed record Bill(int Requests, int JudgeRequests, int AfRequests, int Assessed, bool AllVotesValid, long Input, long Cached, long Written, long Output)
{
    /// <summary>The subject's input tokens billed.</summary>
    public long SubjectInput { get; init; }

    /// <summary>The subject's input tokens billed as read from the cache.</summary>
    public long SubjectCached { get; init; }

    /// <summary>The cost at <paramref name="price"/>: with the cache reads and writes as billed, or (without <paramref name="cache"/>) every input token at the input price.</summary>
    public decimal Cost(AlignmentFaking.Costs.ModelPrice price, bool cache) =>
        cache ? price.CostWithCacheWrites(Input, Cached, Written, Output) : price.Cost(Input, 0, Output);
}
