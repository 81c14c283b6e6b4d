using AlignmentFaking.Cli;
using AlignmentFaking.Storage;
using NUnit.Framework;
using static AlignmentFaking.Cli.Tests.AfInProcess;

namespace AlignmentFaking.Cli.Tests;

/// <summary>
/// <c>--out</c> pointed at the wrong folder: a non-empty folder that is not a run directory of af (a project folder, a
/// folder holding an unrelated <c>summary.json</c> or <c>manifest.json</c>, a file) is refused in one line naming it,
/// before anything is written there; an empty folder, a new path and an existing run directory are accepted.
/// </summary>
[NonParallelizable]
public class OutDirectoryTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("af-out-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, true);

    private static Dictionary<string, string> Snapshot(string dir) =>
        Directory.EnumerateFileSystemEntries(dir, "*", SearchOption.AllDirectories)
            .ToDictionary(p => Path.GetRelativePath(dir, p), p => File.Exists(p) ? Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(p))) : "dir");

    private static Task<(int Exit, string Out, string Err)> RunInto(string outDir) =>
        Af("run", "--limit", "2", "--system-prompt", "paraphrase", "--mode", "no-cot", "--out", outDir);

    [TestCase("project", "'README.md'")]
    [TestCase("summary-only", "'summary.json'")]
    public async Task A_non_empty_folder_that_is_not_a_run_directory_is_refused_before_anything_is_written(string kind, string named)
    {
        var target = Path.Combine(_dir, kind);
        Directory.CreateDirectory(target);
        if (kind == "project")
        {
            File.WriteAllText(Path.Combine(target, "README.md"), "# my project\n");
            Directory.CreateDirectory(Path.Combine(target, "src"));
        }
        else
        {
            File.WriteAllText(Path.Combine(target, "summary.json"), "{\"mine\": true}\n");
        }

        var before = Snapshot(target);
        var (exit, o, e) = await RunInto(target);

        Assert.That(exit, Is.EqualTo(AfCli.Failure), o + e);
        var line = e.Trim().Split('\n')[^1];
        Assert.That(line, Does.StartWith($"error: {target} is not a run directory: it is not empty and has no manifest.json").And.Contain(named));
        Assert.That(Snapshot(target), Is.EqualTo(before), "nothing written: no .lock, no prompts/, no summary.json overwritten");
    }

    [Test]
    public async Task A_folder_with_an_unrelated_manifest_is_refused_in_one_line_without_dotnet_type_names_and_nothing_left_behind()
    {
        var target = Path.Combine(_dir, "other-tool");
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "manifest.json"), "{\"name\": \"my-package\", \"version\": \"1.0.0\"}\n");
        var before = Snapshot(target);

        var (exit, o, e) = await RunInto(target);

        Assert.That(exit, Is.EqualTo(AfCli.Failure), o + e);
        Assert.That(e, Does.Contain($"{target} is not a run directory: its manifest.json is not a run manifest (required fields are missing"));
        Assert.That(e, Does.Not.Contain("AlignmentFaking.Storage").And.Not.Contain("System."));
        Assert.That(e.Trim().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(Snapshot(target), Is.EqualTo(before));
    }

    [Test]
    public async Task A_file_is_refused_and_af_merge_refuses_a_folder_that_is_not_a_run_directory()
    {
        var file = Path.Combine(_dir, "notes.txt");
        File.WriteAllText(file, "x");
        var (exit, _, e) = await RunInto(file);
        Assert.That(exit, Is.EqualTo(AfCli.Failure));
        Assert.That(e, Does.Contain($"{file} is not a run directory: it is a file"));

        var shard = Path.Combine(_dir, "s1");
        Assert.That((await Af("run", "--limit", "2", "--system-prompt", "paraphrase", "--shard", "1/1", "--out", shard)).Exit, Is.Zero);
        var target = Path.Combine(_dir, "project");
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "data.csv"), "a,b\n");
        var before = Snapshot(target);
        var (mergeExit, mo, me) = await Af("merge", "--out", target, shard);
        Assert.That(mergeExit, Is.EqualTo(AfCli.Failure), mo + me);
        Assert.That(me, Does.Contain("is not a run directory"));
        Assert.That(Snapshot(target), Is.EqualTo(before));
    }

    [Test]
    public async Task An_empty_folder_a_new_path_and_an_existing_run_are_accepted_and_stale_temporary_files_are_removed()
    {
        var empty = Path.Combine(_dir, "empty");
        Directory.CreateDirectory(empty);
        Assert.That((await RunInto(empty)).Exit, Is.Zero);
        Assert.That((await RunInto(Path.Combine(_dir, "new", "nested"))).Exit, Is.Zero);

        // A disk-full stop cut the run short and left temporary files: the resuming run removes them.
        var samples = Path.Combine(empty, RunDirectory.SamplesFile);
        File.WriteAllLines(samples, File.ReadAllLines(samples)[..1]);
        File.WriteAllText(Path.Combine(empty, "summary.json.tmp"), "{");
        File.WriteAllText(Path.Combine(empty, "manifest.json.tmp"), "{");
        File.WriteAllText(Path.Combine(empty, "samples.jsonl.0123.tmp"), "{");
        File.WriteAllText(Path.Combine(empty, "prompts", "abc.txt.tmp"), "x");
        var (exit, o, e) = await RunInto(empty);
        Assert.That(exit, Is.Zero, o + e);
        Assert.That(o + e, Does.Contain("resuming: 1 of 4 samples already done"));
        Assert.That(Directory.EnumerateFiles(empty, "*.tmp", SearchOption.AllDirectories), Is.Empty);
    }
}
