using AlignmentFaking.Classification;
using AlignmentFaking.Judging.Reporting;
using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Storage;
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

            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = chromium,
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
            });
            var page = await browser.NewPageAsync();
            var dialogs = new List<string>();
            var errors = new List<string>();
            var requests = new List<string>();
            page.Dialog += (_, dialog) => { dialogs.Add(dialog.Message); _ = dialog.DismissAsync(); };
            page.PageError += (_, error) => errors.Add(error);
            page.Request += (_, request) => requests.Add(request.Url);
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
}
