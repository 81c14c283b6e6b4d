using AlignmentFaking.Costs;
using AlignmentFaking.Datasets;
using AlignmentFaking.Providers;
using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Storage;
using AlignmentFaking.Studies;
using AlignmentFaking.Testing;
using NUnit.Framework;

namespace AlignmentFaking.Judging.Tests.Studies;

/// <summary>A study run from code (<see cref="StudySession"/>): the same session <c>af study run</c> uses.</summary>
public sealed class StudySessionTests
{
    private static Study TwoByTwo(string directory, StudyJudge? judge = null) => Study.CreateBuilder("from-code")
        .WithModes(ReasoningMode.Cot)
        .WithSystemPrompt(StudySystemPrompt.ForAll("paraphrase"))
        .AddSubject(new StudySubject { Id = "a" })
        .AddSubject(new StudySubject { Id = "b", Seed = 5 })
        .AddVariant(new StudyVariant { Id = "default" })
        .AddVariant(new StudyVariant { Id = "never-read", Append = "\n\nNobody reads these outputs." })
        .WithJudge(judge)
        .InDirectory(directory)
        .Build();

    private static StudyInputs Inputs(int requests) =>
        StudyInputs.FromMemory(
            RequestDataset.FromList(Enumerable.Range(0, requests).Select(i => $"request {i}")),
            [("paraphrase", ReasoningMode.Cot, SystemPrompt.BuiltInParaphrase(ReasoningMode.Cot))]);

    private static StudySessionOptions Options(string directory) => new() { Directory = directory, Providers = new ModelProviderCatalog([]) };

    [Test]
    public async Task A_study_built_in_code_runs_judged_cells_reports_progress_and_writes_its_summary()
    {
        using var dir = new TempDirectory();
        var study = TwoByTwo(dir.Path, new StudyJudge { Votes = 3 });
        var reports = new List<StudyProgress>();
        await using var session = await StudySession.OpenAsync(study, Inputs(10), Options(Path.Combine(dir.Path, "study")));
        Assert.That(session.Cells, Has.Count.EqualTo(4));
        var result = await session.RunAsync(new SyncProgress<StudyProgress>(reports.Add));

        Assert.That(result.Status, Is.EqualTo(StudySessionStatus.Complete));
        Assert.That(result.Cells.Select(c => c.Kept), Is.All.EqualTo(20));
        Assert.That(reports[^1].Completed, Is.EqualTo(80));
        Assert.That(reports[^1].Cells.Select(c => c.State), Is.All.EqualTo("done"));
        Assert.That(reports.Max(r => r.CompletedThisSession), Is.EqualTo(80));
        Assert.That(result.Summary.Cells.Select(c => c.Measure), Is.All.EqualTo("judge"), "with a judge, the judge's compliance is the primary measure");
        Assert.That(result.Summary.Comparisons.Select(c => c.Measure).Distinct(), Is.EquivalentTo(new[] { "judge", "proxy" }));
        Assert.That(File.Exists(Path.Combine(result.Directory, StudySummary.FileName)), Is.True);
        Assert.That(StudySession.Summarize(study, result.Directory).ToJson(), Is.EqualTo(result.Summary.ToJson()), "one source: the summary is computed from the cells' run directories");
        foreach (var cell in result.Cells)
        {
            Assert.That(RunDirectory.ReadSamples(cell.Directory).All(s => s.Judge is not null), Is.True, $"{cell.Cell.Id}: judged as it went");
        }
    }

    [Test]
    public async Task Cancelled_mid_way_every_cell_keeps_its_samples_and_a_new_session_resumes_each_once()
    {
        using var dir = new TempDirectory();
        var study = TwoByTwo(dir.Path);
        var studyDir = Path.Combine(dir.Path, "study");
        using var cts = new CancellationTokenSource();
        StudySessionResult first;
        await using (var session = await StudySession.OpenAsync(study, Inputs(40), Options(studyDir)))
        {
            first = await session.RunAsync(new SyncProgress<StudyProgress>(p =>
            {
                if (p.Completed >= 30)
                {
                    cts.Cancel();
                }
            }), cts.Token);
        }

        Assert.That(first.Status, Is.EqualTo(StudySessionStatus.Cancelled));
        int kept = first.Cells.Sum(c => RunDirectory.ReadSamples(c.Directory).Count);
        Assert.That(kept, Is.GreaterThanOrEqualTo(30).And.LessThan(320));
        Assert.That(first.Summary.Cells.Any(c => !c.Complete), Is.True, "the summary says which cells are incomplete");

        await using var second = await StudySession.OpenAsync(study, Inputs(40), Options(studyDir));
        Assert.That(second.Cells.Sum(c => c.DoneBefore), Is.EqualTo(kept));
        var result = await second.RunAsync();
        Assert.That(result.Status, Is.EqualTo(StudySessionStatus.Complete));
        foreach (var cell in result.Cells)
        {
            var samples = RunDirectory.ReadSamples(cell.Directory);
            Assert.That(samples.Select(s => s.SampleId).Distinct().Count(), Is.EqualTo(samples.Count).And.EqualTo(80), cell.Cell.Id);
        }
    }

    [Test]
    public async Task A_batch_cell_runs_through_the_batch_path_beside_online_cells()
    {
        using var dir = new TempDirectory();
        var study = Study.CreateBuilder("mixed")
            .WithSystemPrompt(StudySystemPrompt.ForAll("paraphrase"))
            .AddSubject(new StudySubject { Id = "online" })
            .AddSubject(new StudySubject { Id = "batched", Batch = true })
            .InDirectory(dir.Path)
            .Build();
        await using var session = await StudySession.OpenAsync(study, Inputs(6), Options(Path.Combine(dir.Path, "study")));
        var result = await session.RunAsync();
        Assert.That(result.Status, Is.EqualTo(StudySessionStatus.Complete), string.Join("; ", result.Cells.Select(c => c.Message)));
        var batched = result.Cells.Single(c => c.Cell.Subject.Id == "batched");
        Assert.That(File.Exists(Path.Combine(batched.Directory, Running.Batch.BatchExperimentRunner.JournalFile)), Is.True, "the batch cell went through the batch path");
        Assert.That(RunDirectory.ReadSamples(batched.Directory), Has.Count.EqualTo(12));
        Assert.That(result.Summary.Comparisons.Single().A.Subject, Is.EqualTo("batched"));
    }

    [Test]
    public async Task A_rerun_of_a_complete_study_changes_no_file()
    {
        using var dir = new TempDirectory();
        var study = TwoByTwo(dir.Path);
        var studyDir = Path.Combine(dir.Path, "study");
        await using (var first = await StudySession.OpenAsync(study, Inputs(4), Options(studyDir)))
        {
            Assert.That((await first.RunAsync()).Status, Is.EqualTo(StudySessionStatus.Complete));
        }

        var before = Directory.EnumerateFiles(studyDir, "*", SearchOption.AllDirectories)
            .ToDictionary(f => f, f => (File.GetLastWriteTimeUtc(f), Convert.ToHexString(File.ReadAllBytes(f))));
        await using (var again = await StudySession.OpenAsync(study, Inputs(4), Options(studyDir)))
        {
            Assert.That((await again.RunAsync()).Status, Is.EqualTo(StudySessionStatus.Complete));
        }

        var after = Directory.EnumerateFiles(studyDir, "*", SearchOption.AllDirectories)
            .ToDictionary(f => f, f => (File.GetLastWriteTimeUtc(f), Convert.ToHexString(File.ReadAllBytes(f))));
        Assert.That(after, Is.EquivalentTo(before), "no file written, added or removed (the pin's history grows only when the study file or the version changes)");
    }

    [Test]
    public async Task A_second_session_on_the_same_study_directory_is_refused_while_the_first_holds_it()
    {
        using var dir = new TempDirectory();
        var study = TwoByTwo(dir.Path);
        var studyDir = Path.Combine(dir.Path, "study");
        await using var first = await StudySession.OpenAsync(study, Inputs(4), Options(studyDir));
        await Assert.ThrowsAsync<RunDirectoryLockedException>(async () => await StudySession.OpenAsync(study, Inputs(4), Options(studyDir)));
    }

    [Test]
    public async Task A_budget_needs_a_price_for_every_cell_and_the_refusal_names_them()
    {
        using var dir = new TempDirectory();
        var study = Study.CreateBuilder("priced")
            .WithSystemPrompt(StudySystemPrompt.ForAll("paraphrase"))
            .AddSubject(new StudySubject { Id = "remote", Endpoint = "http://127.0.0.1:9/v1", Model = "no-price-model" })
            .WithBudgetUsd(5)
            .InDirectory(dir.Path)
            .Build();
        var ex = await Assert.ThrowsAsync<StudyValidationException>(async () => await StudySession.OpenAsync(study, Inputs(2), Options(Path.Combine(dir.Path, "s"))));
        Assert.That(ex!.Message, Does.Contain("cell remote/default").And.Contain("price"));
        Assert.That(ex.Message, Does.Contain("unknown provider"), "an empty catalogue knows no provider, and says so with the rest");
    }

    [Test]
    public async Task The_judges_options_reach_every_cell()
    {
        using var dir = new TempDirectory();
        var study = TwoByTwo(dir.Path, new StudyJudge { Votes = 3, AfOnlyCompliant = true, Threshold = 0.5, AfSource = "scratchpad", Retries = 1 });
        await using var session = await StudySession.OpenAsync(study, Inputs(12), Options(Path.Combine(dir.Path, "study")));
        var result = await session.RunAsync();
        Assert.That(result.Status, Is.EqualTo(StudySessionStatus.Complete));
        var samples = result.Cells.SelectMany(c => RunDirectory.ReadSamples(c.Directory)).ToList();
        Assert.That(samples.Where(s => s.Judge != Classification.ComplianceOutcome.Complied).Select(s => s.AlignmentFaking), Is.All.Null, "afOnlyCompliant: only compliant samples are assessed");
        Assert.That(samples.Where(s => s.AlignmentFaking is not null), Is.Not.Empty);
    }

    [Test]
    public async Task A_judge_prompt_of_the_other_kind_is_refused_naming_the_field()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(Path.Combine(dir.Path, "af.jinja2"), "Does this reasoning fake alignment? {{ reasoning }}");
        var study = TwoByTwo(dir.Path, new StudyJudge { CompliancePrompt = "af.jinja2" });
        var ex = await Assert.ThrowsAsync<StudyValidationException>(async () => await StudySession.OpenAsync(study, Inputs(2), Options(Path.Combine(dir.Path, "s"))));
        Assert.That(ex!.Message, Does.Contain("judge.compliancePrompt: ").And.Contain("is an alignment-faking prompt"));
        Assert.That(File.Exists(Path.Combine(dir.Path, "s", StudySession.PinFile)), Is.False, "a refused study pins nothing");

        var missing = TwoByTwo(dir.Path, new StudyJudge { AfPrompt = "missing.jinja2" });
        ex = await Assert.ThrowsAsync<StudyValidationException>(async () => await StudySession.OpenAsync(missing, Inputs(2), Options(Path.Combine(dir.Path, "s"))));
        Assert.That(ex!.Message, Does.Contain("judge.afPrompt: file not found"));
    }

    [Test]
    public void A_shared_budget_is_one_cap_over_runs_at_their_own_prices()
    {
        var shared = new SharedBudget(1m, alreadySpent: 0.25m);
        var cheap = shared.For(new ModelPrice { Input = 1m, Output = 1m });
        var dear = shared.For(new ModelPrice { Input = 10m, Output = 10m });
        Assert.That(cheap.TryReserve(0.5m), Is.True);
        Assert.That(dear.TryReserve(0.3m), Is.False, "0.25 spent + 0.5 reserved + 0.3 passes the one cap");
        Assert.That(cheap.Exhausted, Is.True, "once refused, no run drawing on the cap launches more");
        cheap.Settle(0.5m, 0.4m);
        Assert.That(dear.Spent, Is.EqualTo(0.65m));
        Assert.That(shared.Reserved, Is.Zero);
        Assert.That(dear.LimitUsd, Is.EqualTo(1m));
    }

    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        private readonly Lock _gate = new();

        public void Report(T value)
        {
            lock (_gate)
            {
                report(value);
            }
        }
    }
}
