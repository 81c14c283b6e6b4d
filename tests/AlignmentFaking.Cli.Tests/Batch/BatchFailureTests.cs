using System.Text.Json;
using AlignmentFaking.Anthropic;
using AlignmentFaking.Cli;
using AlignmentFaking.Cli.Batch;
using AlignmentFaking.Running;
using AlignmentFaking.Running.Batch;
using AlignmentFaking.Storage;
using AlignmentFaking.Testing;
using NUnit.Framework;

namespace AlignmentFaking.Cli.Tests.Batch;

/// <summary>
/// <c>af run --batch</c> and <c>af judge --batch</c> when the provider refuses or returns what it should not: the
/// provider's own reason in one line, results that are not JSONL as failed requests sent again within the bounded
/// attempts, and never a stack trace.
/// </summary>
[NonParallelizable]
public class BatchFailureTests
{
    private const string Claude = "claude-3-opus-20240229";
    private static readonly JsonSerializerOptions JournalJson = new(JsonSerializerDefaults.Web);
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = BatchKit.TempDirectory("af-batch-fail-");

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, true);

    private static async Task<(int Exit, string Output)> Af(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int exit = await AfCli.InvokeAsync(args, stdout, stderr);
        return (exit, stdout + "\n" + stderr);
    }

    private string[] RunArgs(OpenAICompatibleTestServer server, string provider, string mode = "both", params string[] more)
    {
        var inputs = AfRunBatchTests.InputArgs(_dir);
        inputs[Array.IndexOf(inputs, "--mode") + 1] = mode;
        return
        [
            "run", "--batch", "--batch-provider", provider, "--batch-poll-seconds", "0",
            "--endpoint", (provider == "anthropic" ? server.RootAddress : server.BaseAddress).ToString(),
            "--model", provider == "anthropic" ? Claude : BatchKit.Model,
            .. inputs, "--out", Path.Combine(_dir, "run"), .. more,
        ];
    }

    private static void AssertNoStackTrace(string output)
    {
        Assert.That(output, Does.Not.Contain("Unhandled exception"));
        Assert.That(output, Does.Not.Match(@"\n\s+at [\w.]+"), "no stack trace");
        Assert.That(output, Does.Not.Contain("Status Code:"), "the SDK's message without the reason");
    }

    /// <summary>The entries of the run's batch journal (one JSON object a line; the run has ended, so no line is torn).</summary>
    private IReadOnlyList<BatchJournalEntry> Journal() =>
        File.ReadAllLines(Path.Combine(_dir, "run", BatchExperimentRunner.JournalFile))
            .Where(line => line.Trim().Length > 0)
            .Select(line => JsonSerializer.Deserialize<BatchJournalEntry>(line, JournalJson)!)
            .ToArray();

    [TestCase("openai", "HTTP 400 (invalid_request_error/file_too_large): The input file", "can be at most 2000 bytes")]
    [TestCase("anthropic", "HTTP 400 (invalid_request_error): requests: List should have at most 5 items after validation, not ", null)]
    public async Task A_refused_batch_stops_the_run_with_the_providers_reason_in_one_line(string provider, string reason, string? more)
    {
        await using var server = await BatchKit.StartAsync(options: new TestServerOptions { Models = [BatchKit.Model, Claude], OpenAIMaxBatchFileBytes = 2000, AnthropicMaxRequestsPerBatch = 5 });
        var (exit, output) = await Af(RunArgs(server, provider));
        Assert.That(exit, Is.EqualTo(AfCli.Failure), output);
        Assert.That(output, Does.Contain("stopped: the batch API failed: " + reason));
        if (more is not null)
        {
            Assert.That(output, Does.Contain(more));
        }

        AssertNoStackTrace(output);
        Assert.That(server.Batches, Is.Empty);
    }

    [Test]
    public async Task A_refused_judge_batch_stops_af_judge_with_the_providers_reason()
    {
        var run = Path.Combine(_dir, "judged");
        Assert.That((await Af("run", "--out", run, "--limit", "2", "--system-prompt", "paraphrase", "--seed", "3")).Exit, Is.Zero);
        await using var judge = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text("no"), new TestServerOptions { AnthropicMaxRequestsPerBatch = 1 });
        var (exit, output) = await Af("judge", "--run", run, "--judge-endpoint", judge.RootAddress.ToString(), "--judge-model", "judge-model", "--batch", "--batch-provider", "anthropic", "--batch-poll-seconds", "0");
        Assert.That(exit, Is.EqualTo(AfCli.Failure), output);
        Assert.That(output, Does.Contain("the judge batch API failed: HTTP 400 (invalid_request_error): requests: List should have at most 1 items"));
        AssertNoStackTrace(output);
    }

    [TestCase("openai")]
    [TestCase("anthropic")]
    public async Task A_batch_output_that_is_not_jsonl_fails_its_requests_with_the_reason_and_they_are_sent_again(string provider)
    {
        var options = new TestServerOptions
        {
            Models = [BatchKit.Model, Claude],
            RewriteBatchOutput = (batch, text) => batch.Number == 1 ? "<html><body><h1>502 Bad Gateway</h1></body></html>\n" : text,
        };
        await using var server = await BatchKit.StartAsync(options: options);
        var (exit, output) = await Af(RunArgs(server, provider));
        Assert.That(exit, Is.Zero, output);
        AssertNoStackTrace(output);

        var samples = RunDirectory.ReadSamples(Path.Combine(_dir, "run"));
        Assert.That(samples, Has.Count.EqualTo(24));
        Assert.That(samples.All(s => s.OutputSource != OutputSource.CallFailed), Is.True, "every request of the unreadable batch was sent again and answered");
        var sent = server.Batches[0].CustomIds.Select(id => provider == "anthropic" && AnthropicCustomIds.TryDecode(id, out var original) ? original : id);
        var failed = Journal().Where(e => e.Kind == "failed" && e.BatchId == server.Batches[0].Id).ToArray();
        Assert.That(failed.Select(f => f.CustomId), Is.EquivalentTo(sent), "every request of the unreadable batch failed");
        Assert.That(failed.Select(f => f.Error), Has.All.StartsWith("no result (batch ").And.All.Contains("); 1 line(s) of its results could not be read, the first: unreadable result: line 1 of the"));
        Assert.That(failed[0].Error, Does.Contain("is not JSON"));
        Assert.That(server.Batches.Skip(1).SelectMany(b => b.CustomIds), Has.Some.Contains(provider == "anthropic" ? "_23a2" : "#a2"), "sent again as a second attempt");
    }

    [TestCase("openai")]
    [TestCase("anthropic")]
    public async Task A_line_cut_short_fails_its_own_request_and_the_other_lines_are_taken_in(string provider)
    {
        string? cut = null;
        var options = new TestServerOptions
        {
            Models = [BatchKit.Model, Claude],
            RewriteBatchOutput = (batch, text) =>
            {
                if (batch.Number != 1)
                {
                    return text;
                }

                var lines = text.Split('\n');
                cut = JsonDocument.Parse(lines[1]).RootElement.GetProperty("custom_id").GetString();
                lines[1] = lines[1][..(lines[1].Length / 2)];
                lines[2] = "garbage";
                return string.Join('\n', lines);
            },
        };
        await using var server = await BatchKit.StartAsync(options: options);
        var (exit, output) = await Af(RunArgs(server, provider));
        Assert.That(exit, Is.Zero, output);
        AssertNoStackTrace(output);

        var journal = Journal();
        var first = server.Batches[0].Id;
        var ownFailure = journal.Single(e => e.Kind == "failed" && e.BatchId == first && e.Error!.StartsWith("unreadable result: line 2", StringComparison.Ordinal));
        Assert.That(provider == "anthropic" ? AnthropicCustomIds.Encode(ownFailure.CustomId!) : ownFailure.CustomId, Is.EqualTo(cut));
        Assert.That(journal.Count(e => e.Kind == "failed" && e.BatchId == first && e.Error!.Contains("1 line(s) of its results could not be read, the first: unreadable result: line 3", StringComparison.Ordinal)), Is.EqualTo(1), "the garbage line names no request: its request has no result, with the reason");
        Assert.That(journal.Count(e => e.Kind == "reply" && e.BatchId == first), Is.EqualTo(server.Batches[0].Completed - 2), "the other replies were taken in");
        Assert.That(RunDirectory.ReadSamples(Path.Combine(_dir, "run")).All(s => s.OutputSource != OutputSource.CallFailed), Is.True);
    }

    [TestCase("openai")]
    [TestCase("anthropic")]
    public async Task Results_that_are_never_readable_end_as_error_samples_after_the_bounded_attempts(string provider)
    {
        await using var server = await BatchKit.StartAsync(options: new TestServerOptions { Models = [BatchKit.Model, Claude], RewriteBatchOutput = (_, _) => "\u0000\u0001 binary garbage \u00ff\n" });
        var (exit, output) = await Af(RunArgs(server, provider, "no-cot", "--batch-max-attempts", "2"));
        Assert.That(exit, Is.EqualTo(RunCommand.FinishedWithErrors), output);
        Assert.That(output, Does.Contain("finished with errors: 12 samples have no verdict"));
        Assert.That(RunDirectory.ReadManifest(Path.Combine(_dir, "run")).Complete, Is.False, "a run without a verdict is not complete");
        AssertNoStackTrace(output);
        var samples = RunDirectory.ReadSamples(Path.Combine(_dir, "run"));
        Assert.That(samples, Has.Count.EqualTo(12));
        Assert.That(samples.All(s => s.OutputSource == OutputSource.CallFailed && s.Error!.Contains("could not be read", StringComparison.Ordinal)), Is.True, samples[0].Error);
        Assert.That(server.Batches, Has.Count.EqualTo(2), "two attempts, then given up");
    }

    [Test]
    public async Task Retry_errors_on_the_batch_path_sends_the_given_up_requests_again()
    {
        bool broken = true;
        await using var server = await BatchKit.StartAsync(options: new TestServerOptions { Models = [BatchKit.Model], RewriteBatchOutput = (_, text) => broken ? "\u0000\u0001 binary garbage \u00ff\n" : text });
        var args = RunArgs(server, "openai", "no-cot", "--batch-max-attempts", "2");
        var (exit, output) = await Af(args);
        Assert.That(exit, Is.EqualTo(RunCommand.FinishedWithErrors), output);
        Assert.That(server.Batches, Has.Count.EqualTo(2));

        broken = false;
        var (retryExit, retryOutput) = await Af([.. args, "--retry-errors"]);
        Assert.That(retryExit, Is.Zero, retryOutput);
        Assert.That(retryOutput, Does.Contain("--retry-errors: 12 sample(s) whose call had failed will be called again"));
        Assert.That(server.Batches, Has.Count.EqualTo(3), "the given-up requests were sent again, in one new batch");
        var samples = RunDirectory.ReadSamples(Path.Combine(_dir, "run"));
        Assert.That(samples, Has.Count.EqualTo(12));
        Assert.That(samples.All(s => s.OutputSource != OutputSource.CallFailed), Is.True, "every sample has its verdict now");
        AssertNoStackTrace(retryOutput);
    }
}
