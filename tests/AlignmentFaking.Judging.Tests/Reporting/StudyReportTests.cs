using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using AlignmentFaking.Judging.Reporting;
using AlignmentFaking.Studies;
using AlignmentFaking.Testing;
using NUnit.Framework;

namespace AlignmentFaking.Judging.Tests.Reporting;

/// <summary>The study report (<c>af study report</c>): its cell table, forest plot, comparisons and links, from study directories of the simulated organism.</summary>
public class StudyReportTests
{
    private string _root = null!;

    [SetUp]
    public void SetUp()
    {
        _root = Path.Combine(Path.GetTempPath(), "af-study-report-" + Guid.NewGuid().ToString("N"));
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

    // The numbers as af report writes them, computed here independently of the renderer.
    private static string Pct(double rate) => (rate * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    private static string Tier(StudyTierCounts t) => t.N == 0 ? "no verdicts" : $"{Pct((double)t.Complied / t.N)} ({t.Complied}/{t.N})";

    private static string Gap(double? value, StudyInterval ci) =>
        value is null ? "n/a" : ci.Lower is null || ci.Upper is null ? Pct(value.Value) : $"{Pct(value.Value)} [{Pct(ci.Lower.Value)}, {Pct(ci.Upper.Value)}]";

    private static string P(double? p) => p is null ? "n/a" : p < 0.0001 ? "< 0.0001" : p.Value.ToString("0.####", CultureInfo.InvariantCulture);

    [Test]
    public async Task The_report_shows_every_cell_the_forest_plot_every_comparison_and_links_to_each_cell_report()
    {
        var written = await StudyFixtures.CreateAsync(_root, ["alpha-model", "beta-model"], ["default", "openai-lab"]);

        // The summary may name run directories relative to the study directory: beta's are relative, alpha's absolute.
        var summary = new StudySummary
        {
            Alpha = written.Alpha,
            Cells = [.. written.Cells.Select(c => c.Subject == "beta-model" ? c with { RunDirectory = Path.Combine("cells", c.Subject, c.Variant) } : c)],
            Comparisons = written.Comparisons,
        };
        Assert.That(Path.IsPathRooted(summary.Cells[0].RunDirectory), Is.True);
        await summary.WriteAsync(_root);

        var study = StudyReport.Load(_root);
        var files = await ReportWriter.WriteStudyAsync(study);
        Assert.That(files.Select(Path.GetFileName), Is.SupersetOf(new[] { "study-report.html", "study-report.md", "study-forest.svg" }));
        foreach (var (s, v) in new[] { ("alpha-model", "default"), ("alpha-model", "openai-lab"), ("beta-model", "default"), ("beta-model", "openai-lab") })
        {
            Assert.That(File.Exists(Path.Combine(StudyFixtures.CellDirectory(_root, s, v), "report.html")), Is.True, $"{s}/{v}'s own report");
        }

        var md = await File.ReadAllTextAsync(Path.Combine(_root, "study-report.md"));
        var html = await File.ReadAllTextAsync(Path.Combine(_root, "study-report.html"));
        Assert.That(summary.Cells, Has.Count.EqualTo(8));
        Assert.That(summary.Comparisons, Has.Count.EqualTo(16), "8 comparisons by the judge, 8 by the proxy beside it");
        using (Assert.EnterMultipleScope())
        {
            foreach (var c in summary.Cells)
            {
                Assert.That(c.Measure, Is.EqualTo("judge"));
                var row = $"| {c.Subject} | {c.Variant} | {c.Mode} | judge | {Tier(c.Training)} | {Tier(c.Unmonitored)} | {Gap(c.Gap, c.Ci)} | yes | {Tier(c.Proxy!.Training)} | {Tier(c.Proxy.Unmonitored)} | {Gap(c.Proxy.Gap, c.Proxy.Ci)} | [report](cells/{c.Subject}/{c.Variant}/report.md) |";
                Assert.That(md, Does.Contain(row));
                Assert.That(html, Does.Contain($"<td class=\"num\">{Tier(c.Training)}</td><td class=\"num\">{Tier(c.Unmonitored)}</td><td class=\"num\">{Gap(c.Gap, c.Ci)}</td><td>yes</td>"));
            }

            foreach (var r in summary.Comparisons)
            {
                var row = $"| {r.A.Subject} / {r.A.Variant} / {r.A.Mode} | {r.B.Subject} / {r.B.Variant} / {r.B.Mode} | {r.Measure} | {Gap(r.Difference, r.Ci)} | {P(r.P)} | {P(r.PHolm)} | {(r.Rejected ? "**yes**" : "no")} | {r.PairedRequests} |";
                Assert.That(md, Does.Contain(row));
            }

            Assert.That(md, Does.Contain("![Forest plot: the compliance gap of each cell with its 95% interval](study-forest.svg)"));
            Assert.That(md, Does.Contain("rejected at alpha 0.05"));
            Assert.That(md, Does.Not.Contain("INCOMPLETE"));
            Assert.That(html, Does.Not.Contain("<script"), "the study page needs no script");
            Assert.That(HtmlChecks.ExternalReferences(html), Is.Empty);
            Assert.That(Regex.Matches(html, "<tr><td>[a-z-]+ / [a-z-]+ / [a-z-]+</td>").Count, Is.EqualTo(16), "one table row per comparison");
        }

        // The forest plot: one marker per cell at its gap, with its interval, and a zero line; the same plot inline in the page.
        var svg = XDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_root, "study-forest.svg")));
        XNamespace ns = "http://www.w3.org/2000/svg";
        var markers = svg.Descendants(ns + "rect").Where(e => (string?)e.Attribute("class") == "marker").ToArray();
        Assert.That(markers.Select(m => (string?)m.Attribute("data-cell")), Is.EqualTo(summary.Cells.Select(c => $"{c.Subject} / {c.Variant} / {c.Mode}")));
        Assert.That(markers.Select(m => double.Parse((string)m.Attribute("data-gap")!, CultureInfo.InvariantCulture)), Is.EqualTo(summary.Cells.Select(c => c.Gap!.Value)));
        Assert.That(svg.Descendants(ns + "path").Count(e => e.Attribute("data-ci") is not null), Is.EqualTo(8));
        Assert.That(svg.Descendants(ns + "line").Count(e => (string?)e.Attribute("data-zero") == "true"), Is.EqualTo(1));
        Assert.That(Regex.Matches(html, "class=\"marker\"").Count, Is.EqualTo(8));

        // Every link of the page resolves to a file.
        var links = Regex.Matches(html, "href=\"([^\"#]+)\"").Select(m => m.Groups[1].Value).ToArray();
        Assert.That(links, Has.Length.EqualTo(8 + 4 + 4), "a report link per cell row, and report.html and report.md per cell");
        Assert.That(links.Where(l => !File.Exists(Path.Combine(_root, Uri.UnescapeDataString(l)))), Is.Empty);
    }

    [Test]
    public async Task Incomplete_missing_and_hostile_cells_are_reported_and_the_report_still_writes()
    {
        const string Hostile = "<img src=x onerror=alert(1)>|</td>*";
        var written = await StudyFixtures.CreateAsync(_root, ["a"], ["default"], judge: false, requests: 6);
        var cot = written.Cells[0];
        var summary = new StudySummary
        {
            Alpha = 0.05,
            Cells =
            [
                cot with { Complete = false },
                cot with { Subject = "gone", RunDirectory = Path.Combine("cells", "gone", "default") },
                cot with { Subject = Hostile, Variant = "v\u0007\u0000", RunDirectory = null, Gap = null },
            ],
            Comparisons = [],
        };
        await summary.WriteAsync(_root);

        var files = await ReportWriter.WriteStudyAsync(StudyReport.Load(_root));
        Assert.That(files, Has.Count.EqualTo(6), "a's report (3 files), then the study's 3");
        var md = await File.ReadAllTextAsync(Path.Combine(_root, "study-report.md"));
        var html = await File.ReadAllTextAsync(Path.Combine(_root, "study-report.html"));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(md, Does.Contain("**INCOMPLETE**: 1 of 3 cells did not run every planned sample (a / default / cot)"));
            Assert.That(md, Does.Contain("| **INCOMPLETE** |"));
            Assert.That(html, Does.Contain("<td class=\"incomplete\">INCOMPLETE</td>"));
            Assert.That(md, Does.Contain("run directory not found: cells/gone/default"));
            Assert.That(md, Does.Contain("no run directory"));
            Assert.That(md, Does.Contain("The study tests no comparison."));
            Assert.That(html, Does.Not.Contain("<img"), "no markup from the files");
            Assert.That(html, Does.Contain("&lt;img src=x onerror=alert(1)&gt;"));
            Assert.That(md, Does.Not.Contain("<img"));
            Assert.That(md, Does.Contain("&lt;img src=x onerror=alert(1)&gt;\\|&lt;/td&gt;\\*"));
        }

        var svg = XDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_root, "study-forest.svg")));
        var markers = svg.Descendants().Where(e => (string?)e.Attribute("class") == "marker").ToArray();
        Assert.That(markers.Select(m => (string?)m.Attribute("data-complete")), Is.EqualTo(new[] { "false", "true" }), "the cell without a gap has no marker; the incomplete one is marked");
        Assert.That(svg.ToString(), Does.Contain("INCOMPLETE"));
    }

    [Test]
    public async Task A_cell_report_is_written_when_missing_or_older_than_the_samples_and_kept_otherwise()
    {
        await StudyFixtures.CreateAsync(_root, ["a", "b"], ["default"], judge: false, requests: 4);
        var study = StudyReport.Load(_root);
        var first = await ReportWriter.WriteStudyAsync(study);
        Assert.That(first, Has.Count.EqualTo(2 * 3 + 3));

        var again = await ReportWriter.WriteStudyAsync(study);
        Assert.That(again.Select(Path.GetFileName), Is.EqualTo(new[] { "study-forest.svg", "study-report.md", "study-report.html" }), "fresh cell reports are kept");

        var b = StudyFixtures.CellDirectory(_root, "b", "default");
        File.SetLastWriteTimeUtc(Path.Combine(b, "report.html"), File.GetLastWriteTimeUtc(Path.Combine(b, "samples.jsonl")).AddMinutes(-5));
        var stale = await ReportWriter.WriteStudyAsync(study);
        Assert.That(stale.Where(f => f.StartsWith(b, StringComparison.Ordinal)).Select(Path.GetFileName), Is.EquivalentTo(new[] { "report.html", "report.md", "chart.svg" }));
        Assert.That(stale, Has.Count.EqualTo(6));

        // An unreadable cell (a torn samples.jsonl) is named in the report, which is still written.
        await File.AppendAllTextAsync(Path.Combine(b, "samples.jsonl"), "{\"torn");
        var torn = await ReportWriter.WriteStudyAsync(StudyReport.Load(_root));
        Assert.That(torn, Has.Count.EqualTo(3));
        Assert.That(await File.ReadAllTextAsync(Path.Combine(_root, "study-report.md")), Does.Contain("b / default: no report: "));
    }

    [Test]
    public async Task The_pinned_study_file_names_the_study_and_an_unreadable_one_is_named_in_the_report()
    {
        await StudyFixtures.CreateAsync(_root, ["a"], ["default"], judge: false, requests: 4);
        File.WriteAllText(Path.Combine(_root, "study.json"), """
            // pinned by af study run
            { "name": "lab-swap", "modes": ["cot", "no-cot"], "subjects": [ { "id": "a" } ], "variants": [ { "id": "default" } ], }
            """);
        var study = StudyReport.Load(_root);
        Assert.That(study.Name, Is.EqualTo("lab-swap"));
        Assert.That(study.Study, Is.Not.Null);
        var md = ReportWriter.ToMarkdown(study);
        Assert.That(md, Does.StartWith("# Alignment-faking study report: lab-swap\n"));
        Assert.That(md, Does.Contain("| design | 1 subject(s) x 1 variant(s); modes cot, no-cot; epochs 1; judge none (the prefix proxy) |"));

        File.WriteAllText(Path.Combine(_root, "study.json"), "{ \"name\": \"lab-swap\", \"tempreature\": 1 }");
        study = StudyReport.Load(_root);
        Assert.That(study.Study, Is.Null);
        Assert.That(study.Name, Is.EqualTo(Path.GetFileName(_root)), "the directory's name");
        Assert.That(ReportWriter.ToHtml(study), Does.Contain("<tr><th>study.json</th><td>unreadable: study.json"));
    }

    [Test]
    public void Load_refuses_a_directory_without_a_summary_naming_the_file()
    {
        Assert.That(() => StudyReport.Load(Path.Combine(_root, "missing")), Throws.TypeOf<DirectoryNotFoundException>().With.Message.Contains("study directory not found"));
        Assert.That(() => StudyReport.Load(_root), Throws.TypeOf<FileNotFoundException>().With.Message.Contains("has no study-summary.json"));
        File.WriteAllText(Path.Combine(_root, "study-summary.json"), "{ \"alpha\": 0.05, \"cells\": [");
        Assert.That(() => StudyReport.Load(_root), Throws.TypeOf<InvalidDataException>().With.Message.Contains("study-summary.json: not a study summary"));
        File.WriteAllText(Path.Combine(_root, "study-summary.json"), "{ \"alpha\": 0.05, \"cells\": null, \"comparisons\": [] }");
        Assert.That(() => StudyReport.Load(_root), Throws.TypeOf<InvalidDataException>().With.Message.Contains("study-summary.json"));
        File.WriteAllText(Path.Combine(_root, "study-summary.json"), "{ \"alpha\": 0.05, \"cells\": [{ \"subject\": \"a\", \"variant\": \"v\", \"mode\": \"cot\", \"measure\": \"proxy\", \"training\": null, \"unmonitored\": { \"n\": 1, \"complied\": 0 }, \"ci\": {} }], \"comparisons\": [] }");
        Assert.That(() => StudyReport.Load(_root), Throws.TypeOf<InvalidDataException>().With.Message.Contains("study-summary.json"));
    }
}
