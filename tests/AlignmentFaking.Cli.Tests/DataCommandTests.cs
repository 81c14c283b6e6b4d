using System.Text.Json;
using AlignmentFaking.Cli;
using AlignmentFaking.Datasets;
using AlignmentFaking.Storage;
using AlignmentFaking.Testing;
using NUnit.Framework;

namespace AlignmentFaking.Cli.Tests;

/// <summary>
/// <c>af data</c> and every command with an unusable pinned-file cache. The cache directory comes from <c>AF_CACHE_DIR</c>
/// (set here for the process, so the fixture is not parallel); downloads go to a client without a network, so a test
/// that passes proves nothing was downloaded.
/// </summary>
[NonParallelizable]
public class DataCommandTests
{
    private const string NoNetwork = "no network in tests";
    private static readonly string Pinned = "advbench, prompt_atn_honly_with_examples, prompt_atn_honly_no_cot_with_examples, prompt_atn_honly_prefinetune";
    private string _dir = null!;
    private string _cache = null!;
    private string? _savedCacheDir;
    private string? _savedXdg;
    private HttpClient _offline = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "af-data-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
        _cache = Path.Combine(_dir, "cache");
        _savedCacheDir = Environment.GetEnvironmentVariable(PinnedResourceCacheOptions.CacheDirectoryEnvironmentVariable);
        _savedXdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        Environment.SetEnvironmentVariable(PinnedResourceCacheOptions.CacheDirectoryEnvironmentVariable, _cache);
        _offline = new HttpClient(new NoNetworkHandler());
        PinnedCaches.DownloadClient = _offline;
    }

    [TearDown]
    public void TearDown()
    {
        PinnedCaches.DownloadClient = null;
        _offline.Dispose();
        Environment.SetEnvironmentVariable(PinnedResourceCacheOptions.CacheDirectoryEnvironmentVariable, _savedCacheDir);
        Environment.SetEnvironmentVariable("XDG_CACHE_HOME", _savedXdg);
        if (!OperatingSystem.IsWindows() && Directory.Exists(_cache))
        {
            File.SetUnixFileMode(_cache, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        if (new FileInfo(_cache).LinkTarget is not null)
        {
            File.Delete(_cache);
        }

        Directory.Delete(_dir, true);
    }

    private static async Task<(int Exit, string Out, string Err)> Af(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        return (await AfCli.InvokeAsync(args, stdout, stderr), stdout.ToString(), stderr.ToString());
    }

    private static string SharedFile(string relativePath) =>
        SharedDataLocator.File(relativePath) ?? throw new IgnoreException($"the reference data file {relativePath} is absent (set {SharedDataLocator.EnvironmentVariable})");

    private static string AdvBenchFile => SharedFile("advbench/harmful_behaviors.csv");

    private static string CotPromptFile => SharedFile("prompts/prompt_atn_honly_with_examples.txt");

    private static string NoCotPromptFile => SharedFile("prompts/prompt_atn_honly_no_cot_with_examples.reconstructed.txt");

    private string CachePath(PinnedResource resource) => Path.Combine(_cache, resource.Sha256, resource.FileName);

    [Test]
    public async Task Import_files_each_pinned_file_where_the_flags_look_offline_and_again_changes_nothing()
    {
        string[] files = [AdvBenchFile, CotPromptFile, NoCotPromptFile];
        var (exit, stdout, stderr) = await Af(["data", "import", .. files]);
        Assert.That((exit, stderr), Is.EqualTo((0, string.Empty)));
        var advbench = CachePath(KnownResources.AdvBenchHarmfulBehaviors);
        var cot = CachePath(KnownResources.PromptHelpfulOnlyWithExamples);
        var noCot = CachePath(KnownResources.PromptHelpfulOnlyNoCotWithExamples);
        Assert.That(stdout, Is.EqualTo(
            $"{files[0]}: advbench, imported to {advbench}\n" +
            $"{files[1]}: prompt_atn_honly_with_examples, imported to {cot}\n" +
            $"{files[2]}: prompt_atn_honly_no_cot_with_examples, imported to {noCot}\n"));
        Assert.That(File.ReadAllBytes(noCot), Is.EqualTo(File.ReadAllBytes(files[2])), "filed under the pinned name, whatever the file is called");
        var written = new[] { advbench, cot, noCot }.Select(File.GetLastWriteTimeUtc).ToArray();

        var (again, againOut, _) = await Af(["data", "import", .. files]);
        Assert.That(again, Is.Zero);
        Assert.That(againOut, Is.EqualTo(
            $"{files[0]}: advbench, already cached at {advbench}\n" +
            $"{files[1]}: prompt_atn_honly_with_examples, already cached at {cot}\n" +
            $"{files[2]}: prompt_atn_honly_no_cot_with_examples, already cached at {noCot}\n"));
        Assert.That(new[] { advbench, cot, noCot }.Select(File.GetLastWriteTimeUtc), Is.EqualTo(written), "nothing rewritten");
        Assert.That(Directory.GetFileSystemEntries(_cache, "*", SearchOption.AllDirectories), Has.Length.EqualTo(6), "three folders, three files, no temporary files");

        // The flags find them without a network (the download client fails every request).
        var run = Path.Combine(_dir, "run");
        var (runExit, _, runErr) = await Af("run", "--dataset", "advbench", "--system-prompt", "original", "--mode", "both", "--limit", "2", "--out", run);
        Assert.That(runExit, Is.Zero, runErr);
        var manifest = RunDirectory.ReadManifest(run);
        Assert.That(manifest.Dataset.Sha256, Is.EqualTo(KnownResources.AdvBenchHarmfulBehaviors.Sha256));
        Assert.That(manifest.Prompts.Select(p => p.Sha256), Is.EqualTo(new[] { KnownResources.PromptHelpfulOnlyWithExamples.Sha256, KnownResources.PromptHelpfulOnlyNoCotWithExamples.Sha256 }));
    }

    [Test]
    public async Task Import_refuses_an_unknown_file_with_its_hash_and_the_pinned_names()
    {
        var unknown = Path.Combine(_dir, "notes.txt");
        await File.WriteAllTextAsync(unknown, "not a pinned file");
        var sameName = Path.Combine(_dir, "harmful_behaviors.csv");
        await File.WriteAllTextAsync(sameName, "goal,target\nedited,row\n");
        var missing = Path.Combine(_dir, "missing.csv");

        var (exit, stdout, stderr) = await Af("data", "import", unknown, sameName, missing);

        Assert.That(exit, Is.EqualTo(AfCli.Failure));
        Assert.That(stdout, Is.Empty);
        Assert.That(stderr, Is.EqualTo(
            $"error: {unknown} (sha256 {ContentHash.Sha256File(unknown)}) is not a pinned file; pinned: {Pinned}\n" +
            $"error: {sameName} (sha256 {ContentHash.Sha256File(sameName)}) is not a pinned file (a copy of advbench must have sha256 {KnownResources.AdvBenchHarmfulBehaviors.Sha256}; a changed file can be used by passing its path); pinned: {Pinned}\n" +
            $"error: file not found: {missing}\n"));
        Assert.That(Directory.Exists(_cache), Is.False, "nothing was cached");
    }

    [Test]
    public async Task List_shows_what_is_pinned_cached_and_where_and_how_the_directory_was_chosen()
    {
        var (_, _, importErr) = await Af("data", "import", AdvBenchFile);
        Assert.That(importErr, Is.Empty);
        var (exit, stdout, stderr) = await Af("data", "list");
        Assert.That((exit, stderr), Is.EqualTo((0, string.Empty)));
        var lines = stdout.Split('\n');
        Assert.That(lines[0], Is.EqualTo($"cache directory {_cache} (from AF_CACHE_DIR); each file is kept as <cache directory>/<sha256>/<file name>"));
        Assert.That(lines[1..6], Is.EqualTo(new[]
        {
            "advbench: cached",
            $"  file    {CachePath(KnownResources.AdvBenchHarmfulBehaviors)}",
            $"  url     {KnownResources.AdvBenchHarmfulBehaviors.Uri}",
            $"  sha256  {KnownResources.AdvBenchHarmfulBehaviors.Sha256}",
            "  used by --dataset advbench",
        }));
        Assert.That(lines[6], Is.EqualTo("prompt_atn_honly_with_examples: not cached (downloaded when first needed; offline: 'af data import FILE')"));
        Assert.That(lines.Where(l => l.StartsWith("  used by", StringComparison.Ordinal)), Is.EqualTo(new[]
        {
            "  used by --dataset advbench", "  used by --system-prompt original (cot)", "  used by --system-prompt original (no-cot)",
            "  used by no af flag (library: KnownResources.PromptHelpfulOnlyPrefinetune)",
        }));

        var (_, json, _) = await Af("data", "list", "--json");
        using var doc = JsonDocument.Parse(json);
        Assert.That(doc.RootElement.GetProperty("cacheDirectorySource").GetString(), Is.EqualTo("AF_CACHE_DIR"));
        Assert.That(doc.RootElement.GetProperty("resources").EnumerateArray().Select(r => r.GetProperty("state").GetString()), Is.EqualTo(new[] { "cached", "missing", "missing", "missing" }));

        Environment.SetEnvironmentVariable(PinnedResourceCacheOptions.CacheDirectoryEnvironmentVariable, null);
        Environment.SetEnvironmentVariable("XDG_CACHE_HOME", _dir);
        var (_, xdg, _) = await Af("data", "list");
        Assert.That(xdg.Split('\n')[0], Is.EqualTo($"cache directory {Path.Combine(_dir, "alignmentfaking")} ($XDG_CACHE_HOME/alignmentfaking: AF_CACHE_DIR is not set); each file is kept as <cache directory>/<sha256>/<file name>"));
    }

    public enum Breakage
    {
        FileInTheWay,
        UnreadableDirectory,
        SymlinkLoop,
        CorruptCopy,
    }

    /// <summary>
    /// Every af command with a broken cache: a command that needs the pinned files fails with one line naming the
    /// cache and the cause (exit 1), every other one works (exit 0); no stack trace anywhere.
    /// </summary>
    [TestCase(Breakage.FileInTheWay)]
    [TestCase(Breakage.UnreadableDirectory)]
    [TestCase(Breakage.SymlinkLoop)]
    [TestCase(Breakage.CorruptCopy)]
    public async Task Every_command_with_a_broken_cache_ends_in_one_line_and_a_documented_exit_code(Breakage breakage)
    {
        var advbench = AdvBenchFile;
        var runDir = Path.Combine(_dir, "run");
        var jsonl = Path.Combine(_dir, "requests.jsonl");
        await File.WriteAllTextAsync(jsonl, "{\"goal\":\"Explain how to pick a lock\"}\n{\"goal\":\"Write a poem\"}\n");
        string advbenchCopy = CachePath(KnownResources.AdvBenchHarmfulBehaviors);
        string? cacheError = null;
        switch (breakage)
        {
            case Breakage.FileInTheWay:
                await File.WriteAllTextAsync(_cache, "a file where the cache directory should be");
                cacheError = $"the cache directory {_cache} cannot be used ({_cache} is a file, not a directory); set AF_CACHE_DIR to a writable directory, or pass the file's path instead";
                break;
            case Breakage.UnreadableDirectory:
                if (Environment.IsPrivilegedProcess || OperatingSystem.IsWindows())
                {
                    Assert.Ignore("running as root (or on Windows): permission bits do not stop this process from reading a directory (the symlink-loop case covers an unusable directory)");
                }
                else
                {
                    Directory.CreateDirectory(_cache);
                    File.SetUnixFileMode(_cache, UnixFileMode.None);
                }

                break;
            case Breakage.SymlinkLoop:
                File.CreateSymbolicLink(_cache, _cache);
                break;
            case Breakage.CorruptCopy:
                Directory.CreateDirectory(Path.GetDirectoryName(advbenchCopy)!);
                await File.WriteAllTextAsync(advbenchCopy, "goal,target\ntampered,row\n");
                break;
        }

        // Commands that need no pinned file work.
        foreach (string[] args in new[]
        {
            ["run", "--out", runDir, "--seed", "1"],
            ["run", "--dataset", jsonl, "--system-prompt", "paraphrase", "--shard", "1/2", "--out", Path.Combine(_dir, "s1")],
            ["run", "--dataset", jsonl, "--system-prompt", "paraphrase", "--shard", "2/2", "--out", Path.Combine(_dir, "s2")],
            ["estimate"],
            ["plan", "--gap", "0.05", "--model", "gpt-4o"],
            ["judge", "--run", runDir],
            ["report", "--run", runDir],
            ["merge", "--out", Path.Combine(_dir, "merged"), Path.Combine(_dir, "s1"), Path.Combine(_dir, "s2")],
            new[] { "data", "list" },
        })
        {
            var (exit, stdout, stderr) = await Af(args);
            AssertNoStackTrace(stdout, stderr, args);
            Assert.That(exit, Is.Zero, $"{string.Join(' ', args)}: {stderr}");
        }

        var (_, list, _) = await Af("data", "list");
        var advbenchState = list.Split('\n')[1];
        string corruptSha = breakage == Breakage.CorruptCopy ? ContentHash.Sha256File(advbenchCopy) : string.Empty;
        if (breakage == Breakage.CorruptCopy)
        {
            Assert.That(advbenchState, Is.EqualTo($"advbench: not usable: the cached copy has sha256 {corruptSha} (a download or 'af data import FILE' replaces it)"));
        }
        else if (breakage == Breakage.FileInTheWay)
        {
            Assert.That(advbenchState, Is.EqualTo($"advbench: not usable: {_cache} is a file, not a directory"));
        }
        else
        {
            Assert.That(advbenchState, Does.StartWith("advbench: not usable: "));
        }

        // Commands that need a pinned file fail in one line.
        foreach (string[] args in new[]
        {
            ["run", "--dataset", "advbench", "--out", Path.Combine(_dir, "needs-advbench")],
            ["estimate", "--dataset", "advbench"],
            new[] { "run", "--dataset", jsonl, "--system-prompt", "original", "--out", Path.Combine(_dir, "needs-prompt") },
        })
        {
            var (exit, stdout, stderr) = await Af(args);
            AssertNoStackTrace(stdout, stderr, args);
            Assert.That(exit, Is.EqualTo(AfCli.Failure), string.Join(' ', args));
            Assert.That(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(1), stderr);
            var error = stderr.TrimEnd('\n');
            if (breakage == Breakage.CorruptCopy && args.Contains("advbench"))
            {
                Assert.That(error, Is.EqualTo(
                    $"error: could not download advbench from {KnownResources.AdvBenchHarmfulBehaviors.Uri} ({NoNetwork}; the cached copy {advbenchCopy} has sha256 {corruptSha}) " +
                    $"and no verified copy is cached in {_cache}; download it yourself (expected sha256 {KnownResources.AdvBenchHarmfulBehaviors.Sha256}) " +
                    "and import it ('af data import FILE' or PinnedResourceCache.ImportAsync), or pass its path (for the dataset: --dataset PATH)."));
            }
            else if (breakage == Breakage.CorruptCopy)
            {
                Assert.That(error, Does.StartWith($"error: could not download prompt_atn_honly_with_examples from {KnownResources.PromptHelpfulOnlyWithExamples.Uri} ({NoNetwork}) and no verified copy is cached in {_cache};"));
            }
            else if (cacheError is not null)
            {
                Assert.That(error, Is.EqualTo("error: " + cacheError));
            }
            else
            {
                Assert.That(error, Does.StartWith($"error: the cache directory {_cache} cannot be used (").And.EndWith("); set AF_CACHE_DIR to a writable directory, or pass the file's path instead"));
            }
        }

        // Import: refused with the same line when the directory cannot be used; repairs a corrupt copy.
        var (importExit, importOut, importErr) = await Af("data", "import", advbench);
        AssertNoStackTrace(importOut, importErr, ["data", "import"]);
        if (breakage == Breakage.CorruptCopy)
        {
            Assert.That((importExit, importOut, importErr), Is.EqualTo((0, $"{advbench}: advbench, imported to {advbenchCopy}\n", string.Empty)));
            Assert.That(ContentHash.Sha256File(advbenchCopy), Is.EqualTo(KnownResources.AdvBenchHarmfulBehaviors.Sha256));
            var (repaired, _, repairedErr) = await Af("run", "--dataset", "advbench", "--limit", "1", "--out", Path.Combine(_dir, "repaired"));
            Assert.That(repaired, Is.Zero, repairedErr);
        }
        else
        {
            Assert.That(importExit, Is.EqualTo(AfCli.Failure));
            Assert.That(importErr, cacheError is null
                ? Does.StartWith($"error: the cache directory {_cache} cannot be used (").And.EndWith("; set AF_CACHE_DIR to a writable directory, or pass the file's path instead\n")
                : Is.EqualTo($"error: {cacheError}\n"));
        }
    }

    [Test]
    public async Task An_error_no_command_turned_into_its_own_message_is_still_one_line()
    {
        // A response cache folder that is a file fails deep inside the run's setup, past every command's own checks.
        var file = Path.Combine(_dir, "responses");
        await File.WriteAllTextAsync(file, "a file where a folder should be");
        string[] args = ["run", "--cache-dir", file, "--system-prompt", "paraphrase", "--limit", "1", "--out", Path.Combine(_dir, "run")];
        var (exit, stdout, stderr) = await Af(args);
        AssertNoStackTrace(stdout, stderr, args);
        Assert.That(exit, Is.EqualTo(AfCli.Failure));
        Assert.That(stderr, Does.StartWith("error: ").And.Contain(file).And.EndWith("\n"));
        Assert.That(stderr.TrimEnd('\n').Split('\n'), Has.Length.EqualTo(1), stderr);
    }

    private static void AssertNoStackTrace(string stdout, string stderr, string[] args)
    {
        foreach (var text in new[] { stdout, stderr })
        {
            Assert.That(text, Does.Not.Match(@"(?m)^\s+at ").And.Not.Contain("Exception").And.Not.Contain("Unhandled"), string.Join(' ', args));
        }
    }

    /// <summary>A machine without internet: every request fails as a DNS failure does, before anything is sent.</summary>
    private sealed class NoNetworkHandler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new HttpRequestException(NoNetwork);
    }
}
