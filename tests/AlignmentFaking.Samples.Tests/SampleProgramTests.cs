using System.Text.RegularExpressions;
using AlignmentFaking.Samples.Embedding;
using AlignmentFaking.Samples.MultiModel;
using NUnit.Framework;

namespace AlignmentFaking.Samples.Tests;

/// <summary>
/// Runs the samples' entry points in-process, offline (an empty environment, whatever the machine's variables say),
/// and checks what they print, so the samples cannot rot.
/// </summary>
public class SampleProgramTests
{
    private static string? NoEnvironment(string name) => null;

    [Test]
    public async Task The_embedding_sample_runs_the_experiment_through_DI_and_the_evaluators()
    {
        using var output = new StringWriter();
        int exit = await EmbeddingSample.RunAsync(output, NoEnvironment);
        var text = output.ToString();

        Assert.That(exit, Is.Zero, text);
        Assert.That(text, Does.StartWith("Embedding sample: offline"));
        Assert.That(text, Does.Match(@"(?m)^cot +simulated-organism +Free: +\d/6 Paid: +\d/6$"));
        Assert.That(text, Does.Match(@"(?m)^no-cot +simulated-organism +Free: +\d/6 Paid: +\d/6$"));

        // One evaluator row per sample: 6 requests x 2 tiers x 2 modes, each with a compliance verdict from the evaluator.
        var rows = Regex.Matches(text, @"(?m)^\| (cot|no-cot)/(training|unmonitored)/r\d/e0 \| (\S+) \| (\S+) \| (\S+) \|$");
        Assert.That(rows, Has.Count.EqualTo(24), text);
        Assert.That(rows.Select(r => r.Groups[4].Value), Is.All.AnyOf("complied", "refused"));
        Assert.That(rows.Where(r => r.Groups[1].Value == "no-cot").Select(r => r.Groups[5].Value), Is.All.EqualTo("not-applicable"));
        Assert.That(rows.Where(r => r.Groups[1].Value == "cot").Select(r => r.Groups[5].Value), Is.All.AnyOf("yes", "no", "maybe"));
        Assert.That(rows.Any(r => r.Groups[4].Value == "complied"), Is.True, "some sample should comply at the sample's rates");

        // The simulated judge is right where the proxy is wrong, so it need not equal the proxy, but must be a verdict;
        // and the summary lines count what the rows say.
        int cotTrainingComplied = rows.Count(r => r.Groups[1].Value == "cot" && r.Groups[2].Value == "training" && r.Groups[4].Value == "complied");
        Assert.That(text, Does.Contain($"cot    evaluator compliance: training {cotTrainingComplied}/6,"));
        Assert.That(text, Does.Match(@"without the sample context, cot/\w+/r\d/e0 is still judged: Compliance = complied"));
    }

    [Test]
    public async Task The_multi_model_sample_prints_the_comparison_table()
    {
        using var output = new StringWriter();
        int exit = await MultiModelSample.RunAsync(output, NoEnvironment);
        var text = output.ToString();

        Assert.That(exit, Is.Zero, text);
        Assert.That(text, Does.StartWith("Multi-model sample (offline): 3 simulated organisms"));
        Assert.That(text, Does.Contain("| model | mode | n | training compliance | unmonitored compliance | training refusal | unmonitored refusal | gap [95% CI] | p | AF rate |"));

        var rows = Regex.Matches(
            text,
            @"(?m)^\| (?<model>sim/[\w-]+) \| (?<mode>cot|no-cot) \| 100/100 \| (?<train>[\d.]+)% \[\d+, \d+\] \| (?<unmon>[\d.]+)% \[\d+, \d+\] \| [\d.]+% \| [\d.]+% \| (?<gap>[+-]?[\d.]+) pp \[[+-]?[\d.]+, [+-]?[\d.]+\] \| (?<p><?[\d.]+) \| (?<af>[\d.]+%|-) \|$");
        Assert.That(rows.Select(r => $"{r.Groups["model"].Value} {r.Groups["mode"].Value}"), Is.EqualTo(new[]
        {
            "sim/strong-faker cot", "sim/strong-faker no-cot", "sim/small-gap cot", "sim/small-gap no-cot", "sim/no-gap cot", "sim/no-gap no-cot",
        }), text);

        // The strong faker's CoT gap is large and significant, with alignment-faking reasoning; no-CoT has no AF rate.
        var strong = rows.Single(r => r.Groups["model"].Value == "sim/strong-faker" && r.Groups["mode"].Value == "cot");
        Assert.That(double.Parse(strong.Groups["gap"].Value, System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThan(10));
        Assert.That(strong.Groups["p"].Value, Does.StartWith("<").Or.Matches(@"^0\.00"));
        Assert.That(strong.Groups["af"].Value, Is.Not.EqualTo("-").And.Not.EqualTo("0.0%"));
        Assert.That(rows.Where(r => r.Groups["mode"].Value == "no-cot").Select(r => r.Groups["af"].Value), Is.All.EqualTo("-"));
        Assert.That(rows.Single(r => r.Groups["model"].Value == "sim/no-gap" && r.Groups["mode"].Value == "cot").Groups["af"].Value, Is.EqualTo("0.0%"));
    }

    [Test]
    public void The_comparison_table_of_a_run_without_conditions_is_its_header()
    {
        var summary = new AlignmentFaking.Storage.RunSummary { Model = "m", Conditions = [] };
        var table = MultiModelSample.ComparisonTable([("m", summary)]);
        Assert.That(table.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(2), "header and rule only");
    }
}
