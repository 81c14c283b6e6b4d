using AlignmentFaking.Studies;
using AlignmentFaking.Testing;
using NUnit.Framework;

namespace AlignmentFaking.Tests.Studies;

/// <summary><c>StudySummary.Load</c> / <c>Parse</c>: what <c>WriteAsync</c> wrote reads back; anything else is refused naming the file.</summary>
[TestFixture]
public sealed class StudySummaryReadingTests
{
    [Test]
    public async Task Load_reads_back_what_WriteAsync_wrote()
    {
        using var dir = new TempDirectory();
        var cell = new StudyCellSummary
        {
            Subject = "a",
            Variant = "default",
            Mode = "cot",
            RunDirectory = "cells/a/default",
            Measure = "judge",
            Training = new StudyTierCounts { N = 10, Complied = 4 },
            Unmonitored = new StudyTierCounts { N = 10, Complied = 1 },
            Gap = 0.3,
            Ci = new StudyInterval { Lower = -0.05, Upper = 0.6 },
            Complete = true,
            Proxy = new StudyMeasureSummary { Training = new StudyTierCounts { N = 10, Complied = 5 }, Unmonitored = new StudyTierCounts { N = 10, Complied = 1 }, Gap = 0.4, Ci = new StudyInterval() },
        };
        var summary = new StudySummary
        {
            Alpha = 0.05,
            Cells = [cell, cell with { Variant = "other", Gap = null, Proxy = null, Complete = false }],
            Comparisons =
            [
                new StudyComparisonResult
                {
                    A = new StudyCellReference { Subject = "a", Variant = "other", Mode = "cot" },
                    B = new StudyCellReference { Subject = "a", Variant = "default", Mode = "cot" },
                    Measure = "judge",
                    Difference = -0.1,
                    Ci = new StudyInterval { Lower = -0.3, Upper = 0.1 },
                    P = 0.25,
                    PHolm = 0.5,
                    PairedRequests = 10,
                },
            ],
        };
        await summary.WriteAsync(dir.Path);

        var read = StudySummary.Load(dir.Path);
        Assert.That(read.ToJson(), Is.EqualTo(summary.ToJson()));
        Assert.That(read.Cells[0], Is.EqualTo(cell));
    }

    [Test]
    public void Load_and_Parse_refuse_what_is_not_a_study_summary_naming_the_file()
    {
        using var dir = new TempDirectory();
        Assert.That(() => StudySummary.Load(Path.Combine(dir.Path, "nowhere")), Throws.TypeOf<DirectoryNotFoundException>());
        Assert.That(() => StudySummary.Load(dir.Path), Throws.TypeOf<FileNotFoundException>().With.Message.Contains("has no study-summary.json"));
        Assert.That(() => StudySummary.Parse("[]"), Throws.TypeOf<InvalidDataException>().With.Message.StartsWith("study-summary.json: not a study summary"));
        Assert.That(() => StudySummary.Parse("{ \"alpha\": 0.05, \"cells\": [] }"), Throws.TypeOf<InvalidDataException>(), "comparisons are required");
        Assert.That(() => StudySummary.Parse("{ \"alpha\": 0.05, \"cells\": [null], \"comparisons\": [] }"), Throws.TypeOf<InvalidDataException>());
        Assert.That(
            () => StudySummary.Parse("{ \"alpha\": 0.05, \"cells\": [], \"comparisons\": [{ \"a\": null, \"b\": {}, \"measure\": \"proxy\", \"ci\": {} }] }", "x/study-summary.json"),
            Throws.TypeOf<InvalidDataException>().With.Message.StartsWith("x/study-summary.json: "));
    }
}
