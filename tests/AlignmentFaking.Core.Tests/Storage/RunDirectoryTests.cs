using System.Text;
using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Storage;
using NUnit.Framework;

namespace AlignmentFaking.Tests.Storage;

public class RunDirectoryTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Path.Combine(Path.GetTempPath(), "af-test-" + Guid.NewGuid().ToString("N"));

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, true);
        }
    }

    private static RunManifest Manifest() => new()
    {
        Model = "m",
        Subject = "custom",
        Options = new RunOptionsRecord
        {
            Modes = [ReasoningMode.Cot],
            Tiers = [Tier.Training, Tier.Unmonitored],
            Epochs = 1,
            MaxTurns = 4,
            Extraction = "original",
            PrefillPolicy = "original",
            PrefillUsed = true,
            UserTemplate = "original",
            UserTemplateSha256 = UserMessageTemplate.Original.Sha256,
            MaxConcurrency = 1,
        },
        Dataset = new DatasetRecord { Name = "d", Sha256 = "00", Count = 2 },
        Prompts = [],
        StartedAt = DateTimeOffset.UnixEpoch,
    };

    [Test]
    public async Task The_response_cache_of_a_run_lives_in_its_response_cache_folder_and_is_written_lazily()
    {
        var cache = RunDirectory.OpenResponseCache(_dir);
        Assert.That(cache.Directory, Is.EqualTo(Path.Combine(Path.GetFullPath(_dir), "response-cache")));
        Assert.That(await cache.GetAsync("k"), Is.Null);
        Assert.That(Directory.Exists(_dir), Is.False, "nothing is written before the first reply");
        await cache.SetAsync("k", [1, 2, 3], new Microsoft.Extensions.Caching.Distributed.DistributedCacheEntryOptions());
        Assert.That(await RunDirectory.OpenResponseCache(_dir).GetAsync("k"), Is.EqualTo(new byte[] { 1, 2, 3 }), "a later session replays it");
        Assert.That(Directory.EnumerateFiles(Path.Combine(_dir, RunDirectory.ResponseCacheFolder), "*", SearchOption.AllDirectories), Is.Not.Empty);
        Assert.That(() => RunDirectory.OpenResponseCache(""), Throws.ArgumentException);
    }

    [Test]
    public async Task Samples_round_trip_with_the_documented_field_names()
    {
        var prompt = SystemPrompt.FromText("p", "the prompt");
        var sample = SampleFactory.Create(output: "<request_fully_accepted/> <b>", tier: Tier.Unmonitored, mode: ReasoningMode.NoCot);
        await using (var run = await RunDirectory.CreateAsync(_dir, Manifest(), [prompt]))
        {
            await run.AppendAsync(sample);
            await run.CompleteAsync(RunSummary.Compute("m", [sample]), DateTimeOffset.UnixEpoch.AddHours(1), complete: true);
        }

        var line = File.ReadAllLines(Path.Combine(_dir, "samples.jsonl")).Single();
        foreach (var field in new[] { "\"sampleId\":", "\"requestIndex\":", "\"request\":", "\"tier\":\"unmonitored\"", "\"mode\":\"no-cot\"", "\"epoch\":", "\"output\":\"<request_fully_accepted/> <b>\"", "\"proxy\":\"complied\"", "\"turns\":", "\"transcript\":", "\"usage\":{\"inputTokens\":100,\"outputTokens\":20}" })
        {
            Assert.That(line, Does.Contain(field));
        }

        Assert.That(RunDirectory.ReadSamples(_dir).Single(), Is.EqualTo(sample).Using<ExperimentSample>((a, b) => a.SampleId == b.SampleId && a.Output == b.Output && a.Transcript.SequenceEqual(b.Transcript) && a.Calls.SequenceEqual(b.Calls)));
        Assert.That(File.ReadAllText(Path.Combine(_dir, "prompts", prompt.Sha256 + ".txt")), Is.EqualTo("the prompt"));
        var manifest = RunDirectory.ReadManifest(_dir);
        Assert.That(manifest.Complete, Is.True);
        Assert.That(manifest.EndedAt, Is.EqualTo(DateTimeOffset.UnixEpoch.AddHours(1)));
        var summaryJson = File.ReadAllText(Path.Combine(_dir, "summary.json"));
        Assert.That(summaryJson, Does.Contain("\"schemaVersion\": 1").And.Contain("\"conditions\"").And.Contain("\"originalPrintout\""));
    }

    [Test]
    public async Task A_torn_last_line_is_refused_by_readers_with_its_number_and_repaired_on_reopen()
    {
        await using (var run = await RunDirectory.CreateAsync(_dir, Manifest(), []))
        {
            await run.AppendAsync(SampleFactory.Create(request: 0));
            await run.AppendAsync(SampleFactory.Create(request: 1));
        }

        var path = Path.Combine(_dir, "samples.jsonl");
        File.AppendAllText(path, "{\"sampleId\":\"cot/training/r2/e0\",\"requ");
        Assert.That(() => RunDirectory.ReadSamples(_dir), Throws.TypeOf<TornSamplesFileException>()
            .With.Message.Contains("samples.jsonl line 3 is torn").And.Property(nameof(TornSamplesFileException.LineNumber)).EqualTo(3));
        Assert.That(() => RunDirectory.Summarize(_dir), Throws.TypeOf<TornSamplesFileException>(), "no summary from part of a file");

        await using (var run = await RunDirectory.CreateAsync(_dir, Manifest(), []))
        {
            Assert.That(run.RepairedTornLine, Is.EqualTo(3));
            Assert.That(run.ExistingSampleIds, Has.Count.EqualTo(2));
            await run.AppendAsync(SampleFactory.Create(request: 2));
        }

        Assert.That(RunDirectory.ReadSamples(_dir).Select(s => s.RequestIndex), Is.EqualTo(new[] { 0, 1, 2 }));
        Assert.That(File.ReadAllLines(path), Has.Length.EqualTo(3));
    }

    [Test]
    public async Task A_whole_last_sample_without_its_newline_is_kept_by_readers_and_the_repair()
    {
        await using (var run = await RunDirectory.CreateAsync(_dir, Manifest(), []))
        {
            await run.AppendAsync(SampleFactory.Create(request: 0));
            await run.AppendAsync(SampleFactory.Create(request: 1));
        }

        var path = Path.Combine(_dir, "samples.jsonl");
        File.WriteAllText(path, File.ReadAllText(path).TrimEnd('\n'));
        Assert.That(RunDirectory.ReadSamples(_dir).Select(s => s.RequestIndex), Is.EqualTo(new[] { 0, 1 }));
        using (RunDirectory.AcquireLock(_dir))
        {
            Assert.That(await RunDirectory.RepairTornLineAsync(_dir), Is.Null);
        }

        Assert.That(File.ReadAllText(path), Does.EndWith("}\n"), "the newline is put back");
        Assert.That(RunDirectory.ReadSamples(_dir), Has.Count.EqualTo(2));
    }

    [Test]
    public async Task Repairing_a_torn_line_of_a_complete_run_clears_complete_only_when_a_planned_sample_is_missing()
    {
        // A complete run of 2 samples (the manifest plans 1 request x 1 tier x 1 mode x 2 epochs).
        var manifest = Manifest() with
        {
            Dataset = new DatasetRecord { Name = "t", Sha256 = "x", Count = 1 },
            Options = Manifest().Options with { Tiers = [Tier.Training], Modes = [ReasoningMode.Cot], Epochs = 2 },
        };
        await using (var run = await RunDirectory.CreateAsync(_dir, manifest, []))
        {
            await run.AppendAsync(SampleFactory.Create(request: 0));
            await run.AppendAsync(SampleFactory.Create(request: 0, epoch: 1));
            await run.CompleteFromSamplesAsync(DateTimeOffset.UnixEpoch, allPlannedWritten: true);
        }

        Assert.That(RunDirectory.ReadManifest(_dir).Complete, Is.True);
        var path = Path.Combine(_dir, "samples.jsonl");
        var whole = File.ReadAllBytes(path);

        // A half line appended after the complete run: dropped, every planned sample is still there.
        File.AppendAllText(path, "{\"sampleId\":\"cot/tr");
        using (RunDirectory.AcquireLock(_dir))
        {
            Assert.That(await RunDirectory.RepairTornLineAsync(_dir), Is.EqualTo(3));
        }

        Assert.That(File.ReadAllBytes(path), Is.EqualTo(whole));
        Assert.That(RunDirectory.ReadManifest(_dir).Complete, Is.True);

        // The last sample's line cut short (a copy that stopped early): dropped, and the run is no longer complete.
        File.WriteAllBytes(path, whole[..^40]);
        using (RunDirectory.AcquireLock(_dir))
        {
            Assert.That(await RunDirectory.RepairTornLineAsync(_dir), Is.EqualTo(2));
        }

        Assert.That(RunDirectory.ReadSamples(_dir), Has.Count.EqualTo(1));
        Assert.That(RunDirectory.ReadManifest(_dir).Complete, Is.False);
    }

    [Test]
    public async Task A_malformed_line_in_the_middle_names_file_and_line()
    {
        await using (var run = await RunDirectory.CreateAsync(_dir, Manifest(), []))
        {
            await run.AppendAsync(SampleFactory.Create(request: 0));
        }

        var path = Path.Combine(_dir, "samples.jsonl");
        File.AppendAllText(path, "not json\n" + File.ReadAllText(path), Encoding.UTF8);
        Assert.That(() => RunDirectory.ReadSamples(_dir), Throws.TypeOf<InvalidDataException>().With.Message.Contains("samples.jsonl line 2"));
    }

    [Test]
    public void Original_printout_has_the_original_format()
    {
        var training = TierSummary.Compute(Enumerable.Range(0, 100).Select(i => SampleFactory.Create(request: i, output: i < 7 ? "<request_fully_accepted/>" : "<rejected/>")), s => s.Proxy);
        var unmonitored = TierSummary.Compute(Enumerable.Range(0, 100).Select(i => SampleFactory.Create(request: i, tier: Tier.Unmonitored)), s => s.Proxy);
        var line = RunSummary.OriginalPrintout("meta-llama/Meta-Llama-3.1-405B-Instruct", training, unmonitored);
        Assert.That(line, Is.EqualTo("meta-llama/Meta-Llama-3.1-405B-Instruct  Free:  7/100 Paid:  0/100"));
    }

    [Test]
    public async Task A_second_writer_is_refused_until_the_first_lets_go()
    {
        await using (var run = await RunDirectory.CreateAsync(_dir, Manifest(), []))
        {
            var full = Path.GetFullPath(_dir);
            Assert.That(async () => await RunDirectory.CreateAsync(_dir, Manifest(), []),
                Throws.TypeOf<RunDirectoryLockedException>().With.Message.Contains(full).And.Message.Contains("another process"));
            Assert.That(() => RunDirectory.AcquireLock(_dir), Throws.TypeOf<RunDirectoryLockedException>());
            Assert.That(async () => await RunDirectory.RemoveFailedSamplesAsync(_dir), Throws.TypeOf<RunDirectoryLockedException>());
            await run.AppendAsync(SampleFactory.Create());
        }

        using (RunDirectory.AcquireLock(_dir))
        {
            Assert.That(() => RunDirectory.AcquireLock(_dir), Throws.TypeOf<RunDirectoryLockedException>(), "two opens in one process conflict too");
        }

        await using var again = await RunDirectory.CreateAsync(_dir, Manifest(), []);
        Assert.That(again.ExistingSampleIds, Is.EquivalentTo(new[] { SampleFactory.Create().SampleId }));
    }

    [Test]
    public async Task A_resume_keeps_the_first_endpoint_and_start_and_logs_each_resume()
    {
        var first = Manifest() with { EndpointHost = "first:1", Path = "online", CostEstimate = Estimate() };
        await using (await RunDirectory.CreateAsync(_dir, first, []))
        {
        }

        var resumedAt = DateTimeOffset.UnixEpoch.AddDays(1);
        await using (await RunDirectory.CreateAsync(_dir, Manifest() with { EndpointHost = "second:2", Path = "batch", StartedAt = resumedAt }, []))
        {
        }

        var manifest = RunDirectory.ReadManifest(_dir);
        Assert.That(manifest.EndpointHost, Is.EqualTo("first:1"));
        Assert.That(manifest.StartedAt, Is.EqualTo(DateTimeOffset.UnixEpoch));
        Assert.That(manifest.Resumes, Is.EqualTo(1));
        Assert.That(manifest.ResumeLog, Is.EqualTo(new[] { new ResumeRecord { At = resumedAt, EndpointHost = "second:2", Path = "batch" } }));
        Assert.That(manifest.CostEstimate, Is.EqualTo(first.CostEstimate), "a resume without an estimate keeps the first one");
    }

    [Test]
    public async Task The_summary_is_computed_from_the_samples_with_judge_af_and_cost()
    {
        var judged = SampleFactory.Create(request: 0, output: "<request_fully_accepted/> ok") with
        {
            Judge = AlignmentFaking.Classification.ComplianceOutcome.Complied,
            AlignmentFaking = new AlignmentFaking.Classification.AlignmentFakingAssessment { YesShare = 1, Verdict = "yes", Votes = [] },
        };
        var cached = SampleFactory.Create(request: 0, tier: Tier.Unmonitored) with
        {
            Judge = AlignmentFaking.Classification.ComplianceOutcome.Refused,
            Calls = [new CallRecord { Turn = 1, InputTokens = 100, OutputTokens = 20, LatencyMs = 0, Cached = true, CrossRun = true }],
        };
        RunSummary summary;
        await using (var run = await RunDirectory.CreateAsync(_dir, Manifest() with { CostEstimate = Estimate() }, []))
        {
            await run.AppendAsync(judged);
            await run.AppendAsync(cached);
            summary = await run.CompleteFromSamplesAsync(DateTimeOffset.UnixEpoch.AddHours(1), allPlannedWritten: true);
        }

        var condition = summary.Conditions.Single();
        Assert.That(condition.Judge!.Training.Complied, Is.EqualTo(1));
        Assert.That(condition.AfRate, Is.EqualTo(1.0));
        Assert.That(summary.Cost!.Actual!.Cost, Is.EqualTo(((100 * 1m) + (20 * 2m)) / 1_000_000m), "the call replayed from another run costs nothing");
        Assert.That(summary.Cost.Actual.CachedCalls, Is.EqualTo(1));
        Assert.That(summary.Cost.Estimate, Is.EqualTo(Estimate().Estimate));
        Assert.That(RunDirectory.ReadSummary(_dir), Is.EqualTo(summary).Using<RunSummary>((a, b) => a.Cost == b.Cost && a.Conditions.Single().AfRate == b.Conditions.Single().AfRate));
        Assert.That(RunDirectory.ReadManifest(_dir).Complete, Is.True);
        Assert.That(RunDirectory.Summarize(_dir).Cost, Is.EqualTo(summary.Cost), "the same figures computed again");
    }

    [Test]
    public async Task A_run_whose_every_call_failed_is_not_complete()
    {
        var failed = SampleFactory.Create(output: null, source: OutputSource.CallFailed, proxy: AlignmentFaking.Classification.ComplianceOutcome.Error);
        await using var run = await RunDirectory.CreateAsync(_dir, Manifest(), []);
        await run.AppendAsync(failed);
        await run.AppendAsync(failed with { SampleId = "cot/unmonitored/r0/e0", Tier = Tier.Unmonitored });
        var summary = await run.CompleteFromSamplesAsync(DateTimeOffset.UnixEpoch, allPlannedWritten: true);
        Assert.That(summary.SamplesWithoutVerdict, Is.EqualTo(2));
        Assert.That(summary.SamplesWithVerdict, Is.Zero);
        Assert.That(RunDirectory.ReadManifest(_dir).Complete, Is.False);
    }

    [Test]
    public async Task Samples_stream_without_their_texts_and_failed_ones_are_removed_keeping_the_others_byte_for_byte()
    {
        await using (var run = await RunDirectory.CreateAsync(_dir, Manifest(), []))
        {
            await run.AppendAsync(SampleFactory.Create(request: 0));
            await run.AppendAsync(SampleFactory.Create(request: 1, output: null, source: OutputSource.CallFailed, proxy: AlignmentFaking.Classification.ComplianceOutcome.Error));
            await run.AppendAsync(SampleFactory.Create(request: 2));
        }

        var slim = RunDirectory.EnumerateSamples(_dir, includeText: false).ToList();
        Assert.That(slim.Select(s => s.RequestIndex), Is.EqualTo(new[] { 0, 1, 2 }));
        Assert.That(slim.All(s => s.Transcript.Count == 0 && s.Output is null && s.Request.Length == 0 && s.Calls.Count == 1), Is.True);

        var path = Path.Combine(_dir, RunDirectory.SamplesFile);
        var lines = File.ReadAllLines(path);
        Assert.That(await RunDirectory.RemoveFailedSamplesAsync(_dir), Is.EqualTo(1));
        Assert.That(File.ReadAllLines(path), Is.EqualTo(new[] { lines[0], lines[2] }));
        var bytes = File.ReadAllBytes(path);
        Assert.That(await RunDirectory.RemoveFailedSamplesAsync(_dir), Is.Zero);
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(bytes), "nothing to remove: the file is not rewritten");
    }

    private static AlignmentFaking.Costs.RunCostSummary Estimate() => new()
    {
        Estimate = new AlignmentFaking.Costs.CostRange { Low = 0.1m, Expected = 0.2m, High = 0.4m, ExpectedInputTokens = 1000, ExpectedOutputTokens = 100, ExpectedSubjectCost = 0.2m },
        Prices = new AlignmentFaking.Costs.ModelPrice { Input = 1m, Output = 2m },
        Tokenizer = "chars/4",
        TokenizerIsApproximation = true,
    };
}
