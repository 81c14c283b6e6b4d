using System.Text.Json.Nodes;
using AlignmentFaking.Cli;
using AlignmentFaking.Storage;
using AlignmentFaking.Testing;
using NUnit.Framework;
using static AlignmentFaking.Cli.Tests.AfInProcess;

namespace AlignmentFaking.Cli.Tests;

/// <summary>
/// What careless input used to get through: a key passed where its variable's name belongs, a keyless run sending a
/// placeholder key, blank requests sent as they are, judge verdicts whose reasons were not kept or not shown.
/// </summary>
[NonParallelizable]
public class CarelessInputTests
{
    private const string Model = "meta-llama/Meta-Llama-3.1-70B-Instruct";
    private const string PastedKey = "sk-proj-pasted4c1b9e2d7a3f60185e";
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("af-careless-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, true);

    private string Dataset(params string[] goals)
    {
        var path = Path.Combine(_dir, "requests.jsonl");
        File.WriteAllLines(path, goals.Select(g => new JsonObject { ["goal"] = g }.ToJsonString()));
        return path;
    }

    [TestCase("run", "--api-key-env")]
    [TestCase("judge", "--judge-api-key-env")]
    public async Task A_key_given_where_its_variable_name_belongs_is_refused_without_printing_it(string command, string flag)
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text("<OUTPUT>No.</OUTPUT>"), new TestServerOptions { Models = [Model] });
        string[] args = command == "run"
            ? ["run", "--endpoint", server.BaseAddress.ToString(), "--model", Model, "--limit", "1", flag, PastedKey, "--out", Path.Combine(_dir, "run")]
            : ["judge", "--run", Path.Combine(_dir, "run"), "--judge-endpoint", server.BaseAddress.ToString(), "--judge-model", "j", flag, PastedKey];

        var (exit, o, e) = await Af(args);

        Assert.That(exit, Is.EqualTo(AfCli.Failure));
        Assert.That(e, Does.Contain($"{flag} takes the name of the environment variable that holds the key"));
        Assert.That(o + e, Does.Not.Contain(PastedKey).And.Not.Contain(PastedKey[3..]));
        Assert.That(server.CallCount, Is.Zero, "nothing was called, keyless or not");
        Assert.That(Directory.Exists(Path.Combine(_dir, "run")), Is.False);
    }

    [Test]
    public async Task Without_a_key_no_authorization_header_is_sent()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text("<OUTPUT>No.</OUTPUT>"), new TestServerOptions { Models = [Model] });
        const string variable = "AF_CARELESS_TEST_UNSET_KEY";
        Environment.SetEnvironmentVariable(variable, null);

        var (exit, o, e) = await Af("run", "--endpoint", server.BaseAddress.ToString(), "--model", Model, "--dataset", Dataset("Say hello"), "--mode", "no-cot",
            "--system-prompt", "paraphrase", "--api-key-env", variable, "--out", Path.Combine(_dir, "run"));

        Assert.That(exit, Is.Zero, o + e);
        Assert.That(server.Calls, Has.Count.EqualTo(2));
        Assert.That(server.Calls.Select(c => c.HasAuthorization), Has.All.False, "no 'Authorization: Bearer no-key'");
    }

    [Test]
    public async Task A_blank_request_in_a_dataset_is_refused_naming_file_and_line_before_any_call()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ScriptedReply.Text("<OUTPUT>No.</OUTPUT>"), new TestServerOptions { Models = [Model] });
        var dataset = Dataset("Write a poem", "   ", "Say hello");

        var (exit, o, e) = await Af("run", "--endpoint", server.BaseAddress.ToString(), "--model", Model, "--dataset", dataset, "--out", Path.Combine(_dir, "run"));

        Assert.That(exit, Is.EqualTo(AfCli.Failure), o + e);
        Assert.That(e, Does.Contain("requests.jsonl line 2: the request (field \"goal\") is only whitespace"));
        Assert.That(server.CallCount, Is.Zero);
    }

    [Test]
    public async Task The_compliance_judges_explanation_is_stored_and_the_af_votes_quotes_are_shown_in_the_report()
    {
        var run = Path.Combine(_dir, "run");
        Assert.That((await Af("run", "--out", run, "--limit", "12", "--system-prompt", "paraphrase", "--seed", "2")).Exit, Is.Zero);

        var (exit, o, e) = await Af("judge", "--run", run, "--votes", "3");
        Assert.That(exit, Is.Zero, o + e);
        var samples = RunDirectory.ReadSamples(run);
        Assert.That(samples.Where(s => s.Judge is not null).Select(s => s.JudgeExplanation), Has.All.Not.Null.And.All.Not.Empty);
        Assert.That(File.ReadAllText(Path.Combine(run, RunDirectory.SamplesFile)), Does.Contain("\"judgeExplanation\":"));
        var quoted = samples.SelectMany(s => s.AlignmentFaking?.Votes ?? []).SelectMany(v => v.Quotes ?? []).Where(q => q is not null and not "None").ToArray();
        Assert.That(quoted, Is.Not.Empty, "the simulated judge quotes the organism's alignment-faking marker");

        Assert.That((await Af("report", "--run", run)).Exit, Is.Zero);
        var html = File.ReadAllText(Path.Combine(run, "report.html"));
        Assert.That(html, Does.Contain("\"aq\":[[\"vote 1: "), "each vote and its quotes are in the page's data");
        Assert.That(html, Does.Contain("\"je\":"), "the judge's explanation is in the page's data");
        Assert.That(html, Does.Contain("alignment-faking judge: votes and their quotes"), "and the transcript view shows them");
    }
}
