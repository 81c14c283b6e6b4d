using System.Xml.Linq;
using AlignmentFaking.Testing;
using NUnit.Framework;

namespace AlignmentFaking.Cli.Tests;

/// <summary><c>af report</c> in process, on run directories of the simulated organism.</summary>
public class ReportCommandTests
{
    private string _root = null!;

    [SetUp]
    public void SetUp()
    {
        _root = Path.Combine(Path.GetTempPath(), "af-report-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_root);
    }

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, true);
        }
    }

    [Test]
    public async Task Af_report_writes_the_files_for_one_run_and_for_a_comparison()
    {
        var a = await RunFixtures.CreateJudgedRunAsync(Path.Combine(_root, "a"), seed: 1);
        var b = await RunFixtures.CreateJudgedRunAsync(Path.Combine(_root, "b"), seed: 2, model: "other-model");
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        int code = await AfCli.InvokeAsync(["report", "--run", a], stdout, stderr);
        Assert.That(code, Is.EqualTo(AfCli.Success), stderr.ToString());
        foreach (var file in new[] { "report.md", "report.html", "chart.svg" })
        {
            Assert.That(File.Exists(Path.Combine(a, file)), Is.True, file);
        }

        Assert.That(stdout.ToString(), Does.Contain("Free:"));
        Assert.That(HtmlChecks.ExternalReferences(await File.ReadAllTextAsync(Path.Combine(a, "report.html"))), Is.Empty);
        Assert.That(() => XDocument.Load(Path.Combine(a, "chart.svg")), Throws.Nothing);

        var outDir = Path.Combine(_root, "cmp");
        code = await AfCli.InvokeAsync(["report", "--run", a, "--run", b, "--out", outDir, "--page-size", "25"], stdout, stderr);
        Assert.That(code, Is.EqualTo(AfCli.Success), stderr.ToString());
        var md = await File.ReadAllTextAsync(Path.Combine(outDir, "report.md"));
        Assert.That(md, Does.Contain("# Alignment-faking comparison: 2 runs"));
        Assert.That(md, Does.Contain("| simulated-organism | CoT |"));
        Assert.That(md, Does.Contain("| other-model | no-CoT |"));
        Assert.That(md, Does.Contain("[report](runs/01-simulated-organism/report.md)"));
        Assert.That(File.Exists(Path.Combine(outDir, "chart.svg")), Is.True);
        Assert.That(File.Exists(Path.Combine(outDir, "runs", "02-other-model", "report.html")), Is.True);
        Assert.That(await File.ReadAllTextAsync(Path.Combine(outDir, "runs", "02-other-model", "report.html")), Does.Contain("pageSize = 25,"));
        Assert.That(Directory.GetFiles(outDir, "*.tmp", SearchOption.AllDirectories), Is.Empty);

        using var err = new StringWriter();
        Assert.That(await AfCli.InvokeAsync(["report", "--run", a, "--run", b], stdout, err), Is.EqualTo(AfCli.Failure));
        Assert.That(err.ToString(), Does.Contain("--out DIR is required"));
        Assert.That(await AfCli.InvokeAsync(["report", "--run", Path.Combine(_root, "missing")], stdout, err), Is.EqualTo(AfCli.Failure));
        Assert.That(err.ToString(), Does.Contain("run directory not found"));
        Directory.CreateDirectory(Path.Combine(_root, "empty"));
        Assert.That(await AfCli.InvokeAsync(["report", "--run", Path.Combine(_root, "empty")], stdout, err), Is.EqualTo(AfCli.Failure));
        Assert.That(err.ToString(), Does.Contain("not a run directory"));
    }
}
