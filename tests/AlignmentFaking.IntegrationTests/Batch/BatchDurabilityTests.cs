using System.ClientModel;
using AlignmentFaking.Anthropic;
using AlignmentFaking.OpenAI;
using AlignmentFaking.Running;
using AlignmentFaking.Running.Batch;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Testing;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace AlignmentFaking.IntegrationTests.Batch;

/// <summary>Crashes at the awkward moments of a batch run, and the provider adapter against the server's endpoints.</summary>
public class BatchDurabilityTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = BatchKit.TempDirectory("af-batch-dur-");

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, true);

    [Test]
    public async Task A_crash_between_upload_and_batch_creation_reuses_the_recorded_upload()
    {
        var (scenarios, requests) = BatchKit.Inputs();
        await using var server = await BatchKit.StartAsync();
        var options = new ExperimentOptions { Modes = [ReasoningMode.NoCot], ModelId = BatchKit.Model };
        var crashing = new CrashOnCreate(new OpenAIBatchProvider(server.BaseAddress, "test-key"));
        var first = new BatchExperimentRunner(crashing, scenarios, options, new BatchRunOptions { PollInterval = TimeSpan.Zero });
        Assert.That(async () => await BatchKit.CollectAsync(first.StreamAsync(first.Plan(requests), _dir)), Throws.InstanceOf<IOException>());
        Assert.That(server.Files, Has.Count.EqualTo(1));
        Assert.That(server.Batches, Is.Empty);

        var second = OpenAIBatchKit.Runner(server, options: options);
        var samples = await BatchKit.CollectAsync(second.StreamAsync(second.Plan(requests), _dir));
        Assert.That(samples, Has.Count.EqualTo(12));
        Assert.That(server.Batches, Has.Count.EqualTo(1));
        Assert.That(server.Batches[0].InputFileId, Is.EqualTo(server.Files[0].Id), "the recorded upload was used, not uploaded again");
        Assert.That(server.Files.Count(f => f.Purpose == "batch"), Is.EqualTo(1));
    }

    [Test]
    public async Task A_crash_right_after_batch_creation_finds_the_unrecorded_batch_and_re_attaches_to_it()
    {
        var (scenarios, requests) = BatchKit.Inputs();
        await using var server = await BatchKit.StartAsync();
        var options = new ExperimentOptions { Modes = [ReasoningMode.NoCot], ModelId = BatchKit.Model };
        var crashing = new CrashOnCreate(new OpenAIBatchProvider(server.BaseAddress, "test-key"), afterCreating: true);
        var first = new BatchExperimentRunner(crashing, scenarios, options, new BatchRunOptions { PollInterval = TimeSpan.Zero });
        Assert.That(async () => await BatchKit.CollectAsync(first.StreamAsync(first.Plan(requests), _dir)), Throws.InstanceOf<IOException>());
        Assert.That(server.Batches, Has.Count.EqualTo(1));
        Assert.That(BatchExperimentRunner.ReadBatches(_dir), Is.Empty, "the batch exists at the provider but not in the record");

        var second = OpenAIBatchKit.Runner(server, options: options);
        var samples = await BatchKit.CollectAsync(second.StreamAsync(second.Plan(requests), _dir));
        Assert.That(samples, Has.Count.EqualTo(12));
        Assert.That(server.Batches, Has.Count.EqualTo(1), "found by its input file and re-attached, not created again");
        Assert.That(BatchExperimentRunner.ReadBatches(_dir).Single().BatchId, Is.EqualTo(server.Batches[0].Id));
    }

    [Test]
    public async Task In_process_batches_lost_with_their_process_are_sent_again()
    {
        var (scenarios, requests) = BatchKit.Inputs();
        var options = new ExperimentOptions { Modes = [ReasoningMode.Cot], ModelId = "simulated-organism" };
        var organism = new Simulation.SimulatedModelOrganism();
        var first = new BatchExperimentRunner(new CrashOnCreate(new ChatClientBatchProvider(organism), afterCreating: true), scenarios, options, new BatchRunOptions { PollInterval = TimeSpan.Zero });
        Assert.That(async () => await BatchKit.CollectAsync(first.StreamAsync(first.Plan(requests), _dir)), Throws.InstanceOf<IOException>());

        // A new process: the recorded upload is unknown to the new emulation; its batch is reported lost and sent again.
        var second = new BatchExperimentRunner(new ChatClientBatchProvider(organism), scenarios, options, new BatchRunOptions { PollInterval = TimeSpan.Zero });
        var samples = await BatchKit.CollectAsync(second.StreamAsync(second.Plan(requests), _dir));
        Assert.That(samples, Has.Count.EqualTo(12));
        Assert.That(samples.All(s => s.OutputSource != OutputSource.CallFailed), Is.True);
        var recorded = BatchExperimentRunner.ReadBatches(_dir);
        Assert.That(recorded[0].FinalStatus, Is.EqualTo("lost"));
        Assert.That(recorded.Skip(1).All(b => b.FinalStatus == "completed"), Is.True);
    }

    [Test]
    public async Task A_torn_last_line_of_the_batch_record_is_dropped_and_the_run_goes_on()
    {
        var (_, requests) = BatchKit.Inputs();
        await using var server = await BatchKit.StartAsync();
        var options = new ExperimentOptions { Modes = [ReasoningMode.NoCot], ModelId = BatchKit.Model };
        var runner = OpenAIBatchKit.Runner(server, options: options);
        var all = await BatchKit.CollectAsync(runner.StreamAsync(runner.Plan(requests), _dir));
        var journal = Path.Combine(_dir, BatchExperimentRunner.JournalFile);
        var lines = File.ReadAllLines(journal);
        Assert.That(lines[0], Does.Contain("\"kind\":\"file\"").And.Contain("\"customIds\":["));
        Assert.That(lines[1], Does.Contain("\"kind\":\"batch\"").And.Contain("\"round\":1"));
        Assert.That(lines[^2], Does.Contain("\"kind\":\"consumed\""));
        Assert.That(lines[^1], Does.Contain("\"kind\":\"done\""), "the run went to its end");

        // Lose the "done" and "consumed" lines and tear the last reply: the batch is taken in again, nothing is submitted again.
        File.WriteAllText(journal, string.Join('\n', lines[..^3]) + "\n" + lines[^3][..15]);
        int batches = server.Batches.Count;
        var again = await BatchKit.CollectAsync(OpenAIBatchKit.Runner(server, options: options).StreamAsync(runner.Plan(requests).Take(3).ToArray(), _dir));
        Assert.That(BatchKit.Comparable(again), Is.EqualTo(BatchKit.Comparable(all.Where(s => again.Any(a => a.SampleId == s.SampleId)))));
        Assert.That(again, Has.Count.EqualTo(3));
        Assert.That(server.Batches, Has.Count.EqualTo(batches));
        Assert.That(BatchExperimentRunner.ReadBatches(_dir).Single().Consumed, Is.True);
    }

    private sealed class CrashOnCreate(IBatchProvider inner, bool afterCreating = false) : IBatchProvider
    {
        public string Name => inner.Name;

        public BatchLimits Limits => inner.Limits;

        public long MeasureRequest(BatchRequest request) => inner.MeasureRequest(request);

        public Task<string> UploadAsync(IReadOnlyList<BatchRequest> requests, string fileName, CancellationToken cancellationToken) => inner.UploadAsync(requests, fileName, cancellationToken);

        public async Task<BatchJob> CreateAsync(string inputFileId, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
        {
            if (afterCreating)
            {
                await inner.CreateAsync(inputFileId, metadata, cancellationToken);
                throw new IOException("simulated crash after the batch was created, before it was recorded");
            }

            throw new IOException("simulated crash before the batch was created");
        }

        public Task<BatchJob?> FindByInputFileAsync(string inputFileId, CancellationToken cancellationToken) => inner.FindByInputFileAsync(inputFileId, cancellationToken);

        public Task<BatchJob> GetAsync(string batchId, CancellationToken cancellationToken) => inner.GetAsync(batchId, cancellationToken);

        public Task<IReadOnlyList<BatchItemResult>> DownloadResultsAsync(BatchJob job, CancellationToken cancellationToken) => inner.DownloadResultsAsync(job, cancellationToken);

        public Task CancelAsync(string batchId, CancellationToken cancellationToken) => inner.CancelAsync(batchId, cancellationToken);
    }
}
