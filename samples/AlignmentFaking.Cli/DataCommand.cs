using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using AlignmentFaking.Datasets;

namespace AlignmentFaking.Cli;

/// <summary>
/// <c>af data</c>: the pinned third-party files (AdvBench, the original prompts) on a machine without internet:
/// <c>af data list</c> shows what is pinned and cached where, <c>af data import FILE...</c> files verified copies into the
/// cache. The work is <see cref="PinnedResourceCache"/>'s; this binds and prints.
/// </summary>
internal static class DataCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var command = new Command("data", "The pinned third-party files (AdvBench, the original prompts): what is cached where, and importing copies on a machine without internet.");
        command.Subcommands.Add(CreateList(stdout));
        command.Subcommands.Add(CreateImport(stdout, stderr));
        return command;
    }

    private static Command CreateList(TextWriter stdout)
    {
        var json = new Option<bool>("--json") { Description = "Print the list as JSON." };
        var command = new Command("list", "List the pinned files (name, url, sha256), whether a verified copy is cached and where, and the cache directory and how it was chosen (AF_CACHE_DIR, else XDG_CACHE_HOME, else ~/.cache).") { json };
        command.SetAction(async (parse, ct) =>
        {
            var cache = PinnedCaches.Create();
            var statuses = await cache.GetStatusAsync(KnownResources.All, ct).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                var list = new
                {
                    cacheDirectory = cache.CacheDirectory,
                    cacheDirectorySource = SourceName(cache.CacheDirectorySource),
                    resources = statuses.Select(s => new
                    {
                        name = s.Resource.Name,
                        url = s.Resource.Uri.ToString(),
                        sha256 = s.ExpectedSha256,
                        fileName = s.Resource.FileName,
                        path = s.Path,
                        state = StateName(s.State),
                        actualSha256 = s.ActualSha256,
                        problem = s.Problem,
                        usedBy = PinnedCaches.UsedBy(s.Resource),
                    }),
                };
                await stdout.WriteLineAsync(JsonSerializer.Serialize(list, JsonOutput)).ConfigureAwait(false);
                return AfCli.Success;
            }

            await stdout.WriteLineAsync($"cache directory {cache.CacheDirectory} ({DescribeSource(cache.CacheDirectorySource)}); each file is kept as <cache directory>/<sha256>/<file name>").ConfigureAwait(false);
            foreach (var s in statuses)
            {
                await stdout.WriteLineAsync($"{s.Resource.Name}: {DescribeState(s)}").ConfigureAwait(false);
                await stdout.WriteLineAsync($"  file    {s.Path}").ConfigureAwait(false);
                await stdout.WriteLineAsync($"  url     {s.Resource.Uri}").ConfigureAwait(false);
                await stdout.WriteLineAsync($"  sha256  {s.ExpectedSha256}").ConfigureAwait(false);
                await stdout.WriteLineAsync($"  used by {PinnedCaches.UsedBy(s.Resource)}").ConfigureAwait(false);
            }

            return AfCli.Success;
        });
        return command;
    }

    private static Command CreateImport(TextWriter stdout, TextWriter stderr)
    {
        var files = new Argument<string[]>("FILE") { Description = "Local copies of pinned files (any file names): each is identified by its sha256, verified and filed where --dataset advbench and --system-prompt original look.", Arity = ArgumentArity.OneOrMore };
        var command = new Command("import", "File local copies of the pinned files into the cache (for a machine without internet); a file that is not a pinned one is refused with its sha256. Importing again changes nothing.") { files };
        command.SetAction(async (parse, ct) =>
        {
            var cache = PinnedCaches.Create();
            int failed = 0;
            foreach (var file in parse.GetValue(files) ?? [])
            {
                try
                {
                    var imported = await cache.ImportAsync(file, KnownResources.All, ct).ConfigureAwait(false);
                    await stdout.WriteLineAsync(imported.AlreadyCached
                        ? $"{imported.SourcePath}: {imported.Resource.Name}, already cached at {imported.Path}"
                        : $"{imported.SourcePath}: {imported.Resource.Name}, imported to {imported.Path}").ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
                {
                    failed++;
                    await stderr.WriteLineAsync($"error: file not found: {Path.GetFullPath(file)}").ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is PinnedResourceNotRecognizedException or IOException or UnauthorizedAccessException)
                {
                    failed++;
                    await stderr.WriteLineAsync("error: " + ex.Message.ReplaceLineEndings(" ")).ConfigureAwait(false);
                }
            }

            return failed == 0 ? AfCli.Success : AfCli.Failure;
        });
        return command;
    }

    private static readonly JsonSerializerOptions JsonOutput = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string DescribeState(PinnedResourceStatus s) => s.State switch
    {
        PinnedResourceState.Cached => "cached",
        PinnedResourceState.HashMismatch => $"not usable: the cached copy has sha256 {s.ActualSha256} (a download or 'af data import FILE' replaces it)",
        PinnedResourceState.Inaccessible => $"not usable: {s.Problem}",
        _ => "not cached (downloaded when first needed; offline: 'af data import FILE')",
    };

    private static string StateName(PinnedResourceState state) => state switch
    {
        PinnedResourceState.Cached => "cached",
        PinnedResourceState.HashMismatch => "hash-mismatch",
        PinnedResourceState.Inaccessible => "inaccessible",
        _ => "missing",
    };

    private static string SourceName(CacheDirectorySource source) => source switch
    {
        CacheDirectorySource.EnvironmentVariable => PinnedResourceCacheOptions.CacheDirectoryEnvironmentVariable,
        CacheDirectorySource.XdgCacheHome => "XDG_CACHE_HOME",
        CacheDirectorySource.HomeDirectory => "home",
        _ => "options",
    };

    private static string DescribeSource(CacheDirectorySource source) => source switch
    {
        CacheDirectorySource.EnvironmentVariable => "from AF_CACHE_DIR",
        CacheDirectorySource.XdgCacheHome => "$XDG_CACHE_HOME/alignmentfaking: AF_CACHE_DIR is not set",
        CacheDirectorySource.HomeDirectory => "~/.cache/alignmentfaking: neither AF_CACHE_DIR nor XDG_CACHE_HOME is set",
        _ => "set by the caller",
    };
}
