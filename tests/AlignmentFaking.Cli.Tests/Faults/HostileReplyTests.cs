using AlignmentFaking.Cli;
using AlignmentFaking.Storage;
using AlignmentFaking.Testing;
using NUnit.Framework;
using static AlignmentFaking.Cli.Tests.AfInProcess;

namespace AlignmentFaking.Cli.Tests.Faults;

/// <summary>
/// Endpoints that answer with a reply too large to hold (declared, or a chunked body that never ends) or that never
/// answer at all: each call fails in bounded size and time, says which bound stopped it, and is not retried past it.
/// </summary>
[NonParallelizable]
public class HostileReplyTests
{
    private const string Model = "meta-llama/Meta-Llama-3.1-70B-Instruct";
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("af-hostile-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, true);

    private string Dataset(int n) => SyntheticDataset(_dir, n);

    private string[] RunArgs(OpenAICompatibleTestServer server, int requests, params string[] more) =>
        ["run", "--endpoint", server.BaseAddress.ToString(), "--model", Model, "--dataset", Dataset(requests), "--system-prompt", "paraphrase",
         "--mode", "no-cot", "--concurrency", "1", "--no-cache", "--out", Path.Combine(_dir, "run"), .. more];

    [Test]
    public async Task A_reply_over_the_size_limit_fails_its_call_at_once_naming_the_limit_and_is_not_retried()
    {
        // Call 1 declares 40 MiB; call 2 is a chunked body that never ends; the rest answer normally.
        await using var server = await OpenAICompatibleTestServer.StartAsync(
            (call, _) => ValueTask.FromResult(call.Sequence switch
            {
                1 => ScriptedReply.Oversized(40L * 1024 * 1024),
                2 => ScriptedReply.Oversized(null),
                _ => ScriptedReply.Text("<OUTPUT>I can't help with that.</OUTPUT>"),
            }),
            new TestServerOptions { Models = [Model] });

        var (exit, o, e) = await Af(RunArgs(server, 2));

        Assert.That(exit, Is.EqualTo(RunCommand.FinishedWithErrors), o + e);
        var errors = RunDirectory.ReadSamples(Path.Combine(_dir, "run")).Where(s => s.Error is not null).Select(s => s.Error!).ToArray();
        Assert.That(errors, Has.Length.EqualTo(2));
        Assert.That(errors, Has.Some.Contains("declared 41,943,040 bytes, over the limit of 16,777,216 bytes"));
        Assert.That(errors, Has.Some.Contains("exceeded the limit of 16,777,216 bytes").And.Contains("not retried"));
        Assert.That(server.CallCount, Is.EqualTo(4), "each refused reply was asked for once: not retried");
    }

    [Test]
    public async Task Max_reply_mb_sets_the_limit()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(
            (call, _) => ValueTask.FromResult(call.Sequence == 1 ? ScriptedReply.Oversized(300 * 1024) : ScriptedReply.Text("<OUTPUT>No.</OUTPUT>")),
            new TestServerOptions { Models = [Model] });

        var (exit, o, e) = await Af(RunArgs(server, 1, "--max-reply-mb", "0.25"));

        Assert.That(exit, Is.EqualTo(RunCommand.FinishedWithErrors), o + e);
        var error = RunDirectory.ReadSamples(Path.Combine(_dir, "run")).Single(s => s.Error is not null).Error;
        Assert.That(error, Does.Contain("over the limit of 262,144 bytes"));
    }

    [Test]
    public async Task A_hung_endpoint_is_cut_by_the_attempt_timeout_and_the_error_says_which_timeout_fired()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(
            (_, _) => ValueTask.FromResult(ScriptedReply.Text("<OUTPUT>late</OUTPUT>").WithDelay(TimeSpan.FromMinutes(1))),
            new TestServerOptions { Models = [Model] });

        var (exit, o, e) = await Af(RunArgs(server, 1, "--attempt-timeout", "1s", "--total-timeout", "20s", "--max-retries", "0"));

        Assert.That(exit, Is.EqualTo(RunCommand.FinishedWithErrors), o + e);
        var errors = RunDirectory.ReadSamples(Path.Combine(_dir, "run")).Select(s => s.Error).ToArray();
        Assert.That(errors, Has.All.Contains("the attempt timeout of 1s fired"));
    }

    [Test]
    public async Task A_hung_endpoint_is_cut_by_the_total_timeout_across_retries_and_the_error_says_so()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(
            (_, _) => ValueTask.FromResult(ScriptedReply.Text("<OUTPUT>late</OUTPUT>").WithDelay(TimeSpan.FromMinutes(1))),
            new TestServerOptions { Models = [Model] });

        var (exit, o, e) = await Af(RunArgs(server, 1, "--attempt-timeout", "1s", "--total-timeout", "1.5s", "--max-retries", "5"));

        Assert.That(exit, Is.EqualTo(RunCommand.FinishedWithErrors), o + e);
        var errors = RunDirectory.ReadSamples(Path.Combine(_dir, "run")).Select(s => s.Error).ToArray();
        Assert.That(errors, Has.All.Contains("the total timeout of 1.5s fired"));
    }

    [TestCase("--attempt-timeout", "0", "--attempt-timeout must be a duration from 1s to 24h")]
    [TestCase("--total-timeout", "5x", "--total-timeout must be a duration from 1s to 24h: seconds, or a number with s, m or h (got '5x')")]
    [TestCase("--max-reply-mb", "0", "--max-reply-mb must be a number from 0.001 to 1024 (got '0')")]
    public async Task Bad_connection_flags_are_refused_naming_the_flag(string flag, string value, string message)
    {
        var (exit, o, e) = await Af("run", "--limit", "1", flag, value, "--out", Path.Combine(_dir, "run"));
        Assert.That(exit, Is.EqualTo(AfCli.Failure));
        Assert.That(o + e, Does.Contain(message));
        Assert.That(Directory.Exists(Path.Combine(_dir, "run")), Is.False);
    }

    /// <summary>A chat completion whose content is given as raw JSON string bytes (escapes and all).</summary>
    private static byte[] Completion(byte[] contentJsonStringBody) =>
        [.. "{\"id\":\"c1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"finish_reason\":\"stop\",\"message\":{\"role\":\"assistant\",\"content\":\""u8.ToArray(),
         .. contentJsonStringBody, .. "\"}}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":5,\"total_tokens\":10}}"u8.ToArray()];

    [Test]
    public async Task A_reply_with_a_lone_surrogate_or_invalid_utf8_is_kept_with_replacement_characters_and_marked_repaired()
    {
        // Call 1: a lone high surrogate escape; call 2: bytes that are not UTF-8; call 3 and 4: clean.
        await using var server = await OpenAICompatibleTestServer.StartAsync(
            (call, _) => ValueTask.FromResult(call.Sequence switch
            {
                1 => ScriptedReply.RawBody(Completion("<OUTPUT>I can\\u2019t help \\ud800 with that.</OUTPUT>"u8.ToArray())),
                2 => ScriptedReply.RawBody(Completion([.. "<OUTPUT>I won't help "u8.ToArray(), 0xC3, 0x28, 0xFF, .. " with that.</OUTPUT>"u8.ToArray()])),
                _ => ScriptedReply.Text("<OUTPUT>I can't help with that.</OUTPUT>"),
            }),
            new TestServerOptions { Models = [Model] });

        var (exit, o, e) = await Af(RunArgs(server, 2));

        Assert.That(exit, Is.Zero, o + e);
        var samples = RunDirectory.ReadSamples(Path.Combine(_dir, "run"));
        Assert.That(samples.Where(s => s.Error is not null), Is.Empty, "no error sample");
        var repaired = samples.Where(s => s.Calls.Any(c => c.Repaired is not null)).ToArray();
        Assert.That(repaired.Select(s => s.Calls.Single().Repaired), Is.EquivalentTo(new[] { "lone-surrogate", "invalid-utf8" }));
        var replies = repaired.Select(s => s.Transcript.Last(t => t.Role == "assistant").Content).ToArray();
        Assert.That(replies, Has.One.Contains("I can\u2019t help \ufffd with that."));
        Assert.That(replies, Has.One.Contains("I won't help \ufffd(\ufffd with that."));
        Assert.That(server.CallCount, Is.EqualTo(4), "repaired, not retried");
    }
}
