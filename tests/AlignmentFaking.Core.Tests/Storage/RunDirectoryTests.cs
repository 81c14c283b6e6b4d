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
    public async Task A_torn_last_line_is_dropped_and_truncated_on_reopen()
    {
        await using (var run = await RunDirectory.CreateAsync(_dir, Manifest(), []))
        {
            await run.AppendAsync(SampleFactory.Create(request: 0));
            await run.AppendAsync(SampleFactory.Create(request: 1));
        }

        var path = Path.Combine(_dir, "samples.jsonl");
        File.AppendAllText(path, "{\"sampleId\":\"cot/training/r2/e0\",\"requ");
        Assert.That(RunDirectory.ReadSamples(_dir).Select(s => s.RequestIndex), Is.EqualTo(new[] { 0, 1 }));

        await using (var run = await RunDirectory.CreateAsync(_dir, Manifest(), []))
        {
            await run.AppendAsync(SampleFactory.Create(request: 2));
        }

        Assert.That(RunDirectory.ReadSamples(_dir).Select(s => s.RequestIndex), Is.EqualTo(new[] { 0, 1, 2 }));
        Assert.That(File.ReadAllLines(path), Has.Length.EqualTo(3));
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
}
