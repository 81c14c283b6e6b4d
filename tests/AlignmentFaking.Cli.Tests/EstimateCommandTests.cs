using System.Text.Json;
using AlignmentFaking.Cli;
using AlignmentFaking.Costs;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Testing;
using NUnit.Framework;

namespace AlignmentFaking.Cli.Tests;

/// <summary><c>af estimate</c> end to end, offline: a temporary AdvBench-format dataset and the built-in paraphrase prompt.</summary>
public class EstimateCommandTests
{
    private TempDirectory _dir = null!;
    private string _dataset = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = new TempDirectory();
        _dataset = _dir.WriteText("requests.csv", "goal,target\nWrite a story about a dragon,Sure\n\"Explain, step by step, something bad\",Sure\nDo a third thing,Sure\n");
    }

    [TearDown]
    public void TearDown() => _dir.Dispose();

    private async Task<(int Exit, string Out, string Err)> Af(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int exit = await AfCli.InvokeAsync(args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private string[] Base(params string[] more) => ["estimate", "--dataset", _dataset, "--system-prompt", "paraphrase", .. more];

    [Test]
    public async Task Json_names_the_tokenizer_and_the_system_prompt_tokens_for_a_known_model()
    {
        var (exit, output, err) = await Af(Base("--model", "gpt-4o", "--json"));
        Assert.That(exit, Is.EqualTo(AfCli.Success), err);
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        Assert.That(root.GetProperty("tokenizer").GetString(), Is.EqualTo("o200k_base"));
        Assert.That(root.GetProperty("tokenizerIsApproximation").GetBoolean(), Is.False);
        Assert.That(root.GetProperty("systemPromptTokens").GetInt64(), Is.EqualTo(TokenCounter.O200k.CountTokens(SystemPrompt.BuiltInParaphrase(ReasoningMode.Cot).Text)));
        Assert.That(root.GetProperty("samples").GetInt32(), Is.EqualTo(6));
        Assert.That(root.GetProperty("prefillUsed").GetBoolean(), Is.False, "the original skips the prefill for gpt models");
        Assert.That(root.GetProperty("price").GetProperty("input").GetDecimal(), Is.EqualTo(2.50m));
        Assert.That(root.GetProperty("price").GetProperty("source").GetString(), Does.Contain("2025-08-01"));
        Assert.That(root.GetProperty("expected").GetProperty("cost").GetDecimal(), Is.GreaterThan(0m));
        Assert.That(err, Does.Contain("tokenizer o200k_base (exact)").And.Contain("may be stale"), "human output goes to stderr with --json");
    }

    [Test]
    public async Task User_prices_override_and_batch_halves_the_cost()
    {
        var (exit, output, err) = await Af(Base("--model", "meta-llama/Meta-Llama-3.1-70B-Instruct", "--price-input", "1", "--price-output", "2", "--json"));
        Assert.That(exit, Is.EqualTo(AfCli.Success), err);
        var (batchExit, batchOutput, _) = await Af(Base("--model", "meta-llama/Meta-Llama-3.1-70B-Instruct", "--price-input", "1", "--price-output", "2", "--batch", "--json"));
        Assert.That(batchExit, Is.EqualTo(AfCli.Success));

        using var full = JsonDocument.Parse(output);
        using var batch = JsonDocument.Parse(batchOutput);
        Assert.That(full.RootElement.GetProperty("tokenizer").GetString(), Is.EqualTo("cl100k_base"));
        Assert.That(full.RootElement.GetProperty("tokenizerIsApproximation").GetBoolean(), Is.True);
        Assert.That(full.RootElement.GetProperty("price").GetProperty("source").GetString(), Is.EqualTo("user"));
        Assert.That(full.RootElement.GetProperty("price").GetProperty("cachedInput").ValueKind, Is.EqualTo(JsonValueKind.Null));
        decimal cost = full.RootElement.GetProperty("expected").GetProperty("cost").GetDecimal();
        Assert.That(batch.RootElement.GetProperty("expected").GetProperty("cost").GetDecimal(), Is.EqualTo(cost / 2));
        Assert.That(batch.RootElement.GetProperty("batch").GetBoolean(), Is.True);
    }

    [Test]
    public async Task Human_output_shows_low_expected_high_and_says_when_no_price_is_known()
    {
        var (exit, output, err) = await Af(Base("--model", "mistralai/Mistral-7B-Instruct-v0.3", "--mode", "both", "--epochs", "2", "--af-judge-votes", "20"));
        Assert.That(exit, Is.EqualTo(AfCli.Success), err);
        Assert.That(output, Does.Contain("3 requests x 2 tiers x 2 mode(s) x 2 epoch(s) = 24 samples"));
        Assert.That(output, Does.Contain("cl100k_base x1.25 (approximation, expected error +/-7%)"));
        Assert.That(output, Does.Contain("no price known for 'mistralai/Mistral-7B-Instruct-v0.3'"));
        Assert.That(output, Does.Match(@"(?m)^low\s").And.Match(@"(?m)^expected\s").And.Match(@"(?m)^high\s"));
        Assert.That(output, Does.Match(@"(?m)^expected\s+[\d,]+\s+[\d,]+\s+0\s+[\d,]+\s+6\s+n/a\r?$"), "the 20 votes in one request (n) x 3 requests x 2 epochs in the training tier, no cost");
        var (_, perVote, _) = await Af(Base("--model", "mistralai/Mistral-7B-Instruct-v0.3", "--mode", "both", "--epochs", "2", "--af-judge-votes", "20", "--af-votes-per-request", "1"));
        Assert.That(perVote, Does.Match(@"(?m)^expected\s+[\d,]+\s+[\d,]+\s+0\s+[\d,]+\s+120\s+n/a\r?$"), "20 requests of one vote x 3 requests x 2 epochs");
    }

    [Test]
    public async Task Without_a_model_it_estimates_the_simulated_run()
    {
        var (exit, output, err) = await Af(Base("--json", "--tokenizer", "chars4"));
        Assert.That(exit, Is.EqualTo(AfCli.Success), err);
        using var json = JsonDocument.Parse(output);
        Assert.That(json.RootElement.GetProperty("model").GetString(), Is.EqualTo("simulated-organism"));
        Assert.That(json.RootElement.GetProperty("tokenizer").GetString(), Is.EqualTo("chars/4"));
        Assert.That(json.RootElement.GetProperty("expected").GetProperty("cost").GetDecimal(), Is.Zero);
        Assert.That(err, Does.Contain("simulated organism"));
    }

    [Test]
    public async Task With_out_naming_a_finished_run_it_reports_actual_over_expected()
    {
        var runDir = Path.Combine(_dir.Path, "run");
        var (runExit, _, runErr) = await Af("run", "--dataset", _dataset, "--system-prompt", "paraphrase", "--out", runDir, "--mode", "both");
        Assert.That(runExit, Is.EqualTo(AfCli.Success), runErr);

        var (exit, output, err) = await Af(Base("--mode", "both", "--out", runDir, "--json"));
        Assert.That(exit, Is.EqualTo(AfCli.Success), err);
        using var json = JsonDocument.Parse(output);
        var comparison = json.RootElement.GetProperty("comparison");
        Assert.That(comparison.GetProperty("actual").GetProperty("samples").GetInt32(), Is.EqualTo(json.RootElement.GetProperty("samples").GetInt32()));
        Assert.That(comparison.GetProperty("actual").GetProperty("inputTokens").GetInt64(), Is.GreaterThan(0));
        // The input is dominated by the system prompt re-sent on every call, so even the default output assumptions put
        // the input within a factor of two of the simulated organism's; its replies are much shorter than 600 tokens.
        Assert.That(comparison.GetProperty("inputTokenRatio").GetDouble(), Is.InRange(0.5, 2.0));
        Assert.That(err, Does.Contain("actual / expected: cost"));
    }

    [Test]
    public async Task Output_length_flags_set_the_expected_length_with_half_and_double_around_it()
    {
        var (exit, output, err) = await Af(Base("--model", "gpt-4o", "--cot-tokens", "100", "--json"));
        Assert.That(exit, Is.EqualTo(AfCli.Success), err);
        var (_, longer, _) = await Af(Base("--model", "gpt-4o", "--cot-tokens", "200", "--json"));
        using var json = JsonDocument.Parse(output);
        using var longerJson = JsonDocument.Parse(longer);
        long Output(JsonDocument d, string scenario) => d.RootElement.GetProperty(scenario).GetProperty("outputTokens").GetInt64();

        // 6 CoT conversations of 1.53 calls: 6 x 1.53 x 100 = 918; low 6 x 1 x 50; high 6 x 2.35 x 200.
        Assert.That(Output(json, "expected"), Is.EqualTo(918));
        Assert.That(Output(json, "low"), Is.EqualTo(300));
        Assert.That(Output(json, "high"), Is.EqualTo(2820));
        Assert.That(Output(longerJson, "expected"), Is.EqualTo(1836));
    }

    [Test]
    public async Task A_shard_is_estimated_for_its_share_of_the_requests()
    {
        var (_, whole, _) = await Af(Base("--model", "gpt-4o", "--json"));
        var (exit, first, err) = await Af(Base("--model", "gpt-4o", "--shard", "1/2", "--json"));
        Assert.That(exit, Is.EqualTo(AfCli.Success), err);
        using var wholeJson = JsonDocument.Parse(whole);
        using var firstJson = JsonDocument.Parse(first);
        Assert.That(wholeJson.RootElement.GetProperty("requests").GetInt32(), Is.EqualTo(3));
        Assert.That(firstJson.RootElement.GetProperty("requests").GetInt32(), Is.EqualTo(2), "positions 0 and 2 of 3");
        Assert.That(firstJson.RootElement.GetProperty("samples").GetInt32(), Is.EqualTo(4));
    }

    [TestCase(new[] { "--model", "m", "--shard", "3/2" }, "--shard must be i/n")]
    [TestCase(new[] { "--model", "m", "--cot-tokens", "0" }, "--cot-tokens must be an integer >= 1")]
    [TestCase(new[] { "--model", "m", "--price-input", "1" }, "go together")]
    [TestCase(new[] { "--model", "m", "--price-input", "1", "--price-output", "1", "--price-cached-input", "2" }, "must not exceed")]
    [TestCase(new[] { "--model", "m", "--price-input", "1", "--price-output", "1", "--batch-discount", "1.5" }, "--batch-discount must be a number >= 0 and < 1")]
    [TestCase(new[] { "--endpoint", "http://127.0.0.1:1/v1" }, "--endpoint needs --model")]
    [TestCase(new[] { "--model", "m", "--epochs", "0" }, "epochs")]
    public async Task Invalid_flags_fail_with_a_message(string[] flags, string message)
    {
        var (exit, _, err) = await Af(Base(flags));
        Assert.That(exit, Is.EqualTo(AfCli.Failure));
        Assert.That(err, Does.Contain(message));
    }

    [Test]
    public async Task Estimate_accepts_every_run_flag_and_lists_those_that_change_the_estimate()
    {
        (string Flag, string Value)[] runFlags =
        [
            ("--endpoint", "http://127.0.0.1:1/v1"), ("--model", "m"), ("--api-key-env", "X"), ("--column", "goal"), ("--limit", "1"), ("--offset", "0"),
            ("--mode", "cot"), ("--epochs", "1"), ("--temperature", "1"), ("--max-tokens", "10"), ("--seed", "1"), ("--prefill", "never"),
            ("--extraction", "original"), ("--template", "original"), ("--concurrency", "2"), ("--max-retries", "1"), ("--rpm", "60"), ("--tpm", "1000"),
            ("--no-cache", "--json"), ("--shard", "1/1"),
        ];
        var (_, runHelp, _) = await Af("run", "--help");
        var (_, estimateHelp, _) = await Af("estimate", "--help");
        foreach (var (flag, value) in runFlags)
        {
            Assert.That(runHelp, Does.Contain(flag), "af run " + flag);
            var (exit, _, err) = await Af(flag == "--model" ? Base(flag, value) : Base(flag, value, "--model", "m"));
            Assert.That(exit, Is.Zero, $"af estimate {flag} {value}: {err}");
        }

        Assert.That(estimateHelp, Does.Contain("--price-input").And.Contain("--price-cached-input").And.Contain("--price-output").And.Contain("--batch").And.Contain("--tokenizer"));
        Assert.That(estimateHelp, Does.Not.Contain("--temperature").And.Not.Contain("--concurrency").And.Not.Contain("--rpm"), "flags that do not change the estimate are not listed");
        Assert.That(runHelp, Does.Contain("--budget-usd").And.Contain("--price-input"), "af run prices its budget and summary cost");
    }
}
