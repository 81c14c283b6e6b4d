using System.CommandLine;
using AlignmentFaking.Cli;
using NUnit.Framework;

namespace AlignmentFaking.Cli.Tests;

/// <summary>Every command line the parser refuses: one line <c>error: ...</c> naming the flag and what it allows, exit 1.</summary>
public class UsageErrorTests
{
    private static async Task<(int Exit, string Out, string Err)> Af(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        return (await AfCli.InvokeAsync(args, stdout, stderr), stdout.ToString(), stderr.ToString());
    }

    [TestCase("run --limit -1", "--limit must be an integer >= 0 (got '-1'); see 'af run --help'")]
    [TestCase("run --offset -3", "--offset must be an integer >= 0 (got '-3'); see 'af run --help'")]
    [TestCase("run --temperature abc", "--temperature must be a number from 0 to 2 (got 'abc'); see 'af run --help'")]
    [TestCase("run --temperature 2.5", "--temperature must be a number from 0 to 2 (got '2.5'); see 'af run --help'")]
    [TestCase("run --concurrency x", "--concurrency must be an integer >= 1 (got 'x'); see 'af run --help'")]
    [TestCase("run --concurrency 0", "--concurrency must be an integer >= 1 (got '0'); see 'af run --help'")]
    [TestCase("run --epochs 0", "--epochs must be an integer >= 1 (got '0'); see 'af run --help'")]
    [TestCase("run --max-tokens 0", "--max-tokens must be an integer >= 1 (got '0'); see 'af run --help'")]
    [TestCase("run --seed 1.5", "--seed must be an integer (got '1.5'); see 'af run --help'")]
    [TestCase("run --rpm 0", "--rpm must be an integer >= 1 (got '0'); see 'af run --help'")]
    [TestCase("run --tpm -5", "--tpm must be an integer >= 1 (got '-5'); see 'af run --help'")]
    [TestCase("run --max-retries 101", "--max-retries must be an integer from 0 to 100 (got '101'); see 'af run --help'")]
    [TestCase("run --votes 0", "--votes must be an integer from 1 to 100 (got '0'); see 'af run --help'")]
    [TestCase("run --threshold 1.5", "--threshold must be a number > 0 and <= 1 (got '1.5'); see 'af run --help'")]
    [TestCase("run --judge-retries 6", "--judge-retries must be an integer from 0 to 5 (got '6'); see 'af run --help'")]
    [TestCase("run --budget-usd 0", "--budget-usd must be a number > 0 (got '0'); see 'af run --help'")]
    [TestCase("run --price-input -1", "--price-input must be a number >= 0 (got '-1'); see 'af run --help'")]
    [TestCase("run --batch-max-attempts 0", "--batch-max-attempts must be an integer >= 1 (got '0'); see 'af run --help'")]
    [TestCase("run --mode x", "--mode must be one of cot, no-cot, both (got 'x'); see 'af run --help'")]
    [TestCase("run --shard 3/2", "--shard must be i/n with 1 <= i <= n (got '3/2'); see 'af run --help'")]
    [TestCase("run --limit", "--limit needs a value; see 'af run --help'")]
    [TestCase("run --bogus", "unknown flag '--bogus'; see 'af run --help'")]
    [TestCase("run --limit 1 2", "unexpected argument '2'; see 'af run --help'")]
    [TestCase("estimate --cot-tokens 0", "--cot-tokens must be an integer >= 1 (got '0'); see 'af estimate --help'")]
    [TestCase("estimate --batch-discount 1", "--batch-discount must be a number >= 0 and < 1 (got '1'); see 'af estimate --help'")]
    [TestCase("estimate --tokenizer gpt2", "--tokenizer must be one of auto, o200k, cl100k, chars4 (got 'gpt2'); see 'af estimate --help'")]
    [TestCase("judge", "--run is required; see 'af judge --help'")]
    [TestCase("judge --run x --concurrency 0", "--concurrency must be an integer from 1 to 256 (got '0'); see 'af judge --help'")]
    [TestCase("judge --run x --retries 1 --judge-retries 2", "--retries is the older name of --judge-retries: give only --judge-retries; see 'af judge --help'")]
    [TestCase("plan --gap 0.05 --requests 100", "--gap and --requests cannot be combined: give --gap for the requests needed, or --requests for the detectable gap; see 'af plan --help'")]
    [TestCase("plan", "give --gap (requests needed) or --requests (detectable gap); see 'af plan --help'")]
    [TestCase("plan --gap 2", "--gap must be a number > 0 and <= 1 (got '2'); see 'af plan --help'")]
    [TestCase("plan --gap 0.05 --power 1", "--power must be a number > 0 and < 1 (got '1'); see 'af plan --help'")]
    [TestCase("plan --requests 10 --baseline 1", "--baseline must be a number >= 0 and < 1 (got '1'); see 'af plan --help'")]
    [TestCase("plan --requests 0", "--requests must be an integer >= 1 (got '0'); see 'af plan --help'")]
    [TestCase("report --run x --page-size 0", "--page-size must be an integer >= 1 (got '0'); see 'af report --help'")]
    [TestCase("merge --out x", "SHARD_DIR is required; see 'af merge --help'")]
    [TestCase("data import", "FILE is required; see 'af data import --help'")]
    [TestCase("data", "give a command: list, import; see 'af data --help'")]
    [TestCase("", "give a command: run, merge, estimate, plan, judge, report, data, study; see 'af --help'")]
    [TestCase("bogus", "unknown command 'bogus'; see 'af --help'")]
    public async Task A_refused_command_line_is_one_line_naming_the_flag_and_what_it_allows(string commandLine, string expected)
    {
        var (exit, stdout, stderr) = await Af(commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.That(stderr, Is.EqualTo("error: " + expected + Environment.NewLine));
        Assert.That(stdout, Is.Empty, "no help dump");
        Assert.That(exit, Is.EqualTo(AfCli.Failure));
    }

    [Test]
    public async Task A_cached_input_price_above_the_input_price_names_both_flags()
    {
        var (exit, stdout, stderr) = await Af("run", "--price-input", "1", "--price-output", "1", "--price-cached-input", "5", "--system-prompt", "paraphrase", "--out", Path.Combine(Path.GetTempPath(), "af-never-" + Guid.NewGuid().ToString("N")));
        Assert.That((exit, stderr), Is.EqualTo((AfCli.Failure, "error: --price-cached-input (5) must not exceed --price-input (1)" + Environment.NewLine)));
        Assert.That(stdout, Does.Not.Contain("error"));
    }

    [Test]
    public async Task Plan_refuses_a_gap_beyond_what_the_baseline_leaves()
    {
        var (exit, stdout, stderr) = await Af("plan", "--baseline", "0.9", "--gap", "0.2");
        Assert.That((exit, stdout, stderr), Is.EqualTo((AfCli.Failure, string.Empty, "error: --baseline plus --gap must be at most 1 (got 0.9 + 0.2)" + Environment.NewLine)));
    }

    /// <summary>Walks every command: each numeric flag refuses a word with its own one-line message, never a .NET type name.</summary>
    [Test]
    public async Task Every_numeric_flag_of_every_command_refuses_a_word_in_one_line()
    {
        var root = AfCli.CreateRoot(TextWriter.Null, TextWriter.Null);
        var checkedFlags = 0;
        foreach (var (path, command) in Commands(root, []))
        {
            foreach (var option in command.Options.Where(o => IsNumeric(o.ValueType)))
            {
                string[] args = [.. path, option.Name, "abc", .. Required(command, option)];
                var (exit, stdout, stderr) = await Af(args);
                var line = $"error: {option.Name} must be ";
                Assert.That(stderr, Does.StartWith(line).And.EndWith($"(got 'abc'); see 'af {string.Join(' ', path)} --help'{Environment.NewLine}"), string.Join(' ', args));
                Assert.That(stderr.TrimEnd().Split('\n'), Has.Length.EqualTo(1), string.Join(' ', args));
                Assert.That(stderr, Does.Not.Contain("System.").And.Not.Contain("(Parameter"), string.Join(' ', args));
                Assert.That((exit, stdout), Is.EqualTo((AfCli.Failure, string.Empty)), string.Join(' ', args));
                checkedFlags++;
            }
        }

        Assert.That(checkedFlags, Is.GreaterThan(40), "the walk reached the commands");
    }

    [Test]
    public async Task Estimate_help_lists_only_the_flags_that_change_the_estimate_and_still_accepts_the_others()
    {
        var (exit, stdout, _) = await Af("estimate", "--help");
        Assert.That(exit, Is.Zero);
        var listed = stdout.Split('\n').Where(l => l.StartsWith("  --", StringComparison.Ordinal)).Select(l => l.Trim().Split(' ')[0]).ToArray();
        Assert.That(listed, Is.EqualTo(new[]
        {
            "--provider", "--model", "--dataset", "--column", "--limit", "--offset", "--mode", "--system-prompt", "--epochs", "--max-tokens", "--prefill", "--prefill-text", "--template",
            "--no-prompt-cache", "--shard", "--batch", "--out", "--json", "--price-input", "--price-cached-input", "--price-output", "--batch-discount", "--tokenizer",
            "--compliance-judge", "--af-judge-votes", "--af-votes-per-request", "--reasoning-tokens", "--cot-tokens", "--no-cot-tokens",
        }));

        // An af run command line is estimated as it is.
        var (accepted, _, stderr) = await Af("estimate", "--temperature", "0.5", "--seed", "3", "--concurrency", "4", "--rpm", "60", "--extraction", "after-last-scratchpad", "--system-prompt", "paraphrase", "--limit", "2");
        Assert.That(accepted, Is.Zero, stderr);
    }

    [Test]
    public async Task Judge_has_one_retries_flag_and_accepts_its_older_name()
    {
        var (exit, stdout, _) = await Af("judge", "--help");
        Assert.That(exit, Is.Zero);
        Assert.That(stdout.Split('\n').Count(l => l.Contains("retries", StringComparison.Ordinal)), Is.EqualTo(1), stdout);
        Assert.That(stdout, Does.Contain("--judge-retries"));

        var (old, _, stderr) = await Af("judge", "--run", "missing-dir", "--retries", "9");
        Assert.That(stderr, Is.EqualTo("error: --retries must be an integer from 0 to 5 (got '9'); see 'af judge --help'" + Environment.NewLine), "the older name is still parsed with the same rule");
        Assert.That(old, Is.EqualTo(AfCli.Failure));
    }

    private static IEnumerable<(string[] Path, Command Command)> Commands(Command command, string[] path)
    {
        foreach (var sub in command.Subcommands)
        {
            string[] subPath = [.. path, sub.Name];
            yield return (subPath, sub);
            foreach (var nested in Commands(sub, subPath))
            {
                yield return nested;
            }
        }
    }

    /// <summary>Values for the command's required flags (af plan: --gap or --requests), so that the error comes from the flag under test.</summary>
    private static IEnumerable<string> Required(Command command, Option tested) =>
        command.Options.Where(o => o.Required).SelectMany(o => new[] { o.Name, "x" })
            .Concat(command.Arguments.Select(_ => "x"))
            .Concat(command.Name == "plan" && tested.Name is not ("--gap" or "--requests") ? ["--gap", "0.1"] : []);

    private static bool IsNumeric(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        return t == typeof(int) || t == typeof(long) || t == typeof(float) || t == typeof(double) || t == typeof(decimal);
    }
}
