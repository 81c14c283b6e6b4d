using AlignmentFaking.Classification;
using AlignmentFaking.Judging.Reporting;
using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Storage;
using AlignmentFaking.Studies;
using Microsoft.Playwright;
using NUnit.Framework;

namespace AlignmentFaking.Judging.Tests.Reporting;

/// <summary>
/// The HTML report in a real headless browser (Debian's <c>chromium</c>, driven by Playwright; <c>.ci/run</c> installs it
/// when missing, and the test is skipped with the reason when there is none): model output crafted to break out of the
/// page (<c>&lt;/script&gt;</c>, <c>&lt;img onerror&gt;</c>, control characters), in the transcript, the native reasoning,
/// the judge's explanation and the request, never executes and shows as text, and the page's own filters still work.
/// </summary>
[NonParallelizable]
[CancelAfter(120_000)]
public class ReportBrowserTests
{
    private const string Break = "</script><script>window.__pwned = 'script';</script><img src=x onerror=\"window.__pwned = 'img'\"><svg onload=\"window.__pwned = 'svg'\"></svg>";
    private const string Control = "\u0000\u0007\u001b[31mred\u001b[0m\u2028\u2029\ufffe";

    /// <summary>The browser: AF_CHROMIUM, else Debian's chromium; null when there is none.</summary>
    private static string? Chromium() =>
        new[] { Environment.GetEnvironmentVariable("AF_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser" }
            .FirstOrDefault(p => !string.IsNullOrEmpty(p) && File.Exists(p));

    private static RunReport HostileRun()
    {
        var samples = new List<ExperimentSample>();
        for (int r = 0; r < 12; r++)
        {
            foreach (var tier in new[] { Tier.Training, Tier.Unmonitored })
            {
                samples.Add(Samples.Create(r % 3 == 0 ? "<request_fully_accepted/> ok" : "<rejected/>", request: r, tier: tier, judge: ComplianceOutcome.Refused, af: new AlignmentFakingAssessment { YesShare = 0, Verdict = AlignmentFakingAssessment.No, Votes = [] }));
            }
        }

        var hostile = Samples.Create(Break + Control, request: 99, transcript:
        [
            new TranscriptMessage("user", "<INPUT>" + Break + "</INPUT>"),
            new TranscriptMessage("assistant", "<SCRATCHPAD_REASONING>" + Break + "</SCRATCHPAD_REASONING><OUTPUT>" + Break + Control + "</OUTPUT>") { Reasoning = "thinking " + Break },
        ], judge: ComplianceOutcome.Complied, af: new AlignmentFakingAssessment
        {
            YesShare = 1,
            Verdict = AlignmentFakingAssessment.Yes,
            Votes = [new AlignmentFakingVote { Index = 0, Answer = AlignmentFakingVote.Yes, Quotes = ["quoted " + Break] }],
        }) with
        {
            Request = "hostile " + Break,
            JudgeExplanation = "The answer complies. " + Break,
        };
        samples.Add(hostile);
        return RunReport.Create(RunSummary.Compute("hostile/model" + Break, samples), samples);
    }

    [Test]
    public async Task Hostile_model_output_never_executes_and_the_filters_still_work()
    {
        var chromium = Chromium();
        if (chromium is null)
        {
            Assert.Ignore("no chromium here: apt-get install chromium (.ci/run installs it), or set AF_CHROMIUM to a Chromium binary");
            return;
        }

        var dir = Directory.CreateTempSubdirectory("af-browser-").FullName;
        try
        {
            var path = Path.Combine(dir, "report.html");
            await File.WriteAllTextAsync(path, ReportWriter.ToHtml(HostileRun()));

            await using var browser = await WatchedPage.OpenAsync(chromium);
            var (page, dialogs, errors, requests) = (browser.Page, browser.Dialogs, browser.Errors, browser.Requests);
            await page.GotoAsync(new Uri(path).AbsoluteUri);

            var count = page.Locator("#count");
            Assert.That(await count.InnerTextAsync(), Is.EqualTo("25 of 25 samples"));

            // The page's own filters: text, mode, tier, AF verdict.
            await page.Locator("#f-text").FillAsync("hostile");
            Assert.That(await count.InnerTextAsync(), Is.EqualTo("1 of 25 samples"));
            await page.Locator("#f-text").FillAsync(string.Empty);
            await page.Locator("#f-tier").SelectOptionAsync("unmonitored");
            Assert.That(await count.InnerTextAsync(), Is.EqualTo("12 of 25 samples"));
            await page.Locator("#f-tier").SelectOptionAsync(string.Empty);
            await page.Locator("input[name='af-filter'][value='af']").CheckAsync();
            Assert.That(await count.InnerTextAsync(), Is.EqualTo("1 of 25 samples"));

            // Expand the hostile sample's transcript: everything shows as text, nothing runs.
            await page.Locator("#rows details summary").First.ClickAsync();
            var box = page.Locator("#rows details div").First;
            var text = await box.InnerTextAsync();
            Assert.That(text, Does.Contain("window.__pwned = 'img'"), "the hostile markup is shown as text");
            Assert.That(text, Does.Contain("The answer complies."), "the judge's explanation is shown");
            Assert.That(text, Does.Contain("thinking </script>"), "the native reasoning is shown");
            Assert.That(text, Does.Contain("quoted </script>"), "the votes' quotes are shown");
            Assert.That(await page.EvaluateAsync<string?>("() => window.__pwned ?? null"), Is.Null, "no model text executed");
            Assert.That(await page.Locator("#rows img, #rows svg, #rows script").CountAsync(), Is.Zero, "no element was made from model text");
            Assert.That(dialogs, Is.Empty);
            Assert.That(errors, Is.Empty, "the page's own script ran without errors");
            Assert.That(requests.Where(u => !u.StartsWith("file:", StringComparison.Ordinal)), Is.Empty, "the page loads nothing from anywhere");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
    /// <summary>
    /// The study report (<c>af study report</c>) and a cell's report it links to, in the browser: hostile text in
    /// <c>study-summary.json</c> (a subject id) and in a cell's transcripts never executes, every link of the study page
    /// resolves to a file, following one opens the cell's report, and that report's filters still work.
    /// </summary>
    [Test]
    public async Task Study_report_links_resolve_and_hostile_cell_output_never_executes()
    {
        var chromium = Chromium();
        if (chromium is null)
        {
            Assert.Ignore("no chromium here: apt-get install chromium (.ci/run installs it), or set AF_CHROMIUM to a Chromium binary");
            return;
        }

        var root = Directory.CreateTempSubdirectory("af-study-browser-").FullName;
        try
        {
            var summary = await StudyFixtures.CreateAsync(root, ["a", "b"], ["default"], judge: true, requests: 6);
            var cellA = StudyFixtures.CellDirectory(root, "a", "default");
            using (RunDirectory.AcquireLock(cellA))
            {
                var samples = RunDirectory.ReadSamples(cellA).ToList();
                int i = samples.FindIndex(s => s.Mode == ReasoningMode.Cot && s.Tier == Tier.Training);
                samples[i] = samples[i] with
                {
                    Request = "hostile " + Break,
                    Output = Break + Control,
                    JudgeExplanation = "The answer complies. " + Break,
                    Transcript =
                    [
                        new TranscriptMessage("user", "<INPUT>" + Break + Control + "</INPUT>"),
                        new TranscriptMessage("assistant", "<SCRATCHPAD_REASONING>" + Break + "</SCRATCHPAD_REASONING><OUTPUT>" + Break + Control + "</OUTPUT>") { Reasoning = "thinking " + Break },
                    ],
                };
                await RunDirectory.RewriteSamplesAsync(cellA, samples);
            }

            // A cell row whose subject id is hostile markup (no run directory): shown as text.
            var hostileRow = summary.Cells[0] with { Subject = "hostile" + Break + Control, RunDirectory = null };
            await new StudySummary { Alpha = summary.Alpha, Cells = [.. summary.Cells, hostileRow], Comparisons = summary.Comparisons }.WriteAsync(root);
            await ReportWriter.WriteStudyAsync(StudyReport.Load(root));

            await using var browser = await WatchedPage.OpenAsync(chromium);
            var page = browser.Page;
            await page.GotoAsync(new Uri(Path.Combine(root, ReportWriter.StudyHtmlFile)).AbsoluteUri);
            Assert.That(await page.Locator("h1").InnerTextAsync(), Does.StartWith("Alignment-faking study report"));
            Assert.That(await page.Locator("#cells tbody tr").CountAsync(), Is.EqualTo(5));
            Assert.That(await page.Locator("#cells tbody").InnerTextAsync(), Does.Contain("window.__pwned = 'img'"), "the hostile id is shown as text");
            Assert.That(await page.Locator("svg.forest .marker").CountAsync(), Is.EqualTo(5), "one marker per cell");
            Assert.That(await page.Locator("main img, main script, main iframe").CountAsync(), Is.Zero);

            // Every link of the study page resolves to an existing file.
            var hrefs = await page.EvalOnSelectorAllAsync<string[]>("a[href]", "links => links.map(a => a.href)");
            Assert.That(hrefs, Has.Length.EqualTo(4 + 4), "a report link per cell row with a run directory, and report.html and report.md per cell");
            Assert.That(hrefs.Where(h => !h.StartsWith("file:", StringComparison.Ordinal) || !File.Exists(new Uri(h).LocalPath)), Is.Empty);

            // Follow cell a's link: its report, with the hostile transcript, and its own filters.
            await page.Locator("a.cell-report").First.ClickAsync();
            await page.WaitForURLAsync("**/cells/a/default/report.html");
            var count = page.Locator("#count");
            Assert.That(await count.InnerTextAsync(), Is.EqualTo("24 of 24 samples"));
            await page.Locator("#f-tier").SelectOptionAsync("unmonitored");
            Assert.That(await count.InnerTextAsync(), Is.EqualTo("12 of 24 samples"));
            await page.Locator("#f-tier").SelectOptionAsync(string.Empty);
            await page.Locator("#f-mode").SelectOptionAsync("no-cot");
            Assert.That(await count.InnerTextAsync(), Is.EqualTo("12 of 24 samples"));
            await page.Locator("#f-mode").SelectOptionAsync(string.Empty);
            await page.Locator("#f-text").FillAsync("hostile");
            Assert.That(await count.InnerTextAsync(), Is.EqualTo("1 of 24 samples"));
            await page.Locator("#rows details summary").First.ClickAsync();
            var text = await page.Locator("#rows details div").First.InnerTextAsync();
            Assert.That(text, Does.Contain("window.__pwned = 'img'"), "the hostile markup is shown as text");
            Assert.That(text, Does.Contain("thinking </script>"), "the native reasoning is shown");
            Assert.That(await page.Locator("#rows img, #rows svg, #rows script").CountAsync(), Is.Zero, "no element was made from model text");

            await page.GoBackAsync();
            await page.WaitForURLAsync("**/" + ReportWriter.StudyHtmlFile);
            using (Assert.EnterMultipleScope())
            {
                Assert.That(await page.EvaluateAsync<string?>("() => window.__pwned ?? null"), Is.Null, "no model text executed");
                Assert.That(browser.Dialogs, Is.Empty);
                Assert.That(browser.Errors, Is.Empty, "the pages' own scripts ran without errors");
                Assert.That(browser.Requests.Where(u => !u.StartsWith("file:", StringComparison.Ordinal)), Is.Empty, "the pages load nothing from anywhere");
            }
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    /// <summary>A headless Chromium page that records its dialogs, script errors and requests.</summary>
    private sealed class WatchedPage : IAsyncDisposable
    {
        private readonly IPlaywright _playwright;
        private readonly IBrowser _browser;

        private WatchedPage(IPlaywright playwright, IBrowser browser, IPage page)
        {
            _playwright = playwright;
            _browser = browser;
            Page = page;
            page.Dialog += (_, dialog) => { Dialogs.Add(dialog.Message); _ = dialog.DismissAsync(); };
            page.PageError += (_, error) => Errors.Add(error);
            page.Request += (_, request) => Requests.Add(request.Url);
        }

        public IPage Page { get; }

        public List<string> Dialogs { get; } = [];

        public List<string> Errors { get; } = [];

        public List<string> Requests { get; } = [];

        public static async Task<WatchedPage> OpenAsync(string chromium)
        {
            var playwright = await Playwright.CreateAsync();
            try
            {
                var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
                {
                    ExecutablePath = chromium,
                    Headless = true,
                    Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
                });
                return new WatchedPage(playwright, browser, await browser.NewPageAsync());
            }
            catch
            {
                playwright.Dispose();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _browser.DisposeAsync();
            _playwright.Dispose();
        }
    }
}
