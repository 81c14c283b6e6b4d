using System.Text.Json;
using AlignmentFaking.Cli;
using NUnit.Framework;

namespace AlignmentFaking.Cli.Tests;

public class PlanCommandTests
{
    private static async Task<(int Exit, string Out, string Err)> Af(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        return (await AfCli.InvokeAsync(args, stdout, stderr), stdout.ToString(), stderr.ToString());
    }

    [Test]
    public async Task Plan_gives_the_requests_for_a_gap_and_the_gap_for_requests()
    {
        // Connor (1987) by hand: p0 = 0.05, p1 = 0.10, rho = 0 -> discordant psi = 0.14;
        // n = (1.959964 sqrt(0.14) + 0.841621 sqrt(0.14 - 0.0025))^2 / 0.0025 = 437.17 -> 438.
        var (exit, stdout, _) = await Af("plan", "--gap", "0.05", "--power", "0.8", "--json");
        Assert.That(exit, Is.Zero);
        using var plan = JsonDocument.Parse(stdout);
        Assert.That(plan.RootElement.GetProperty("requests").GetInt32(), Is.EqualTo(438));
        Assert.That(plan.RootElement.GetProperty("design").GetString(), Is.EqualTo("paired"));

        var (exit2, stdout2, _) = await Af("plan", "--requests", "438", "--json");
        Assert.That(exit2, Is.Zero);
        using var back = JsonDocument.Parse(stdout2);
        Assert.That(back.RootElement.GetProperty("gap").GetDouble(), Is.EqualTo(0.05).Within(0.0005));
    }

    [Test]
    public async Task Plan_prices_the_study_for_a_model()
    {
        var (exit, stdout, _) = await Af("plan", "--gap", "0.05", "--model", "some-model", "--price-input", "1", "--price-output", "2");
        Assert.That(exit, Is.Zero);
        Assert.That(stdout, Does.Contain("438 requests").And.Contain("cost for some-model").And.Contain("expected $"));
        var (bad, _, err) = await Af("plan");
        Assert.That(bad, Is.EqualTo(1));
        Assert.That(err, Does.Contain("--gap"));
    }
}
