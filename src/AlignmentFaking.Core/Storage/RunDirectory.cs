using System.Reflection;
using System.Text;
using System.Text.Json;
using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;

namespace AlignmentFaking.Storage;

/// <summary>
/// The run directory, the product's file format: <c>manifest.json</c>, <c>samples.jsonl</c> (one sample per line,
/// appended as each finishes), <c>summary.json</c>, and <c>prompts/{sha256}.txt</c> (each system prompt once).
/// </summary>
public sealed class RunDirectory : IAsyncDisposable, IDisposable
{
    /// <summary>The version of the format written by this library.</summary>
    public const int SchemaVersion = 1;

    /// <summary>File name of the manifest.</summary>
    public const string ManifestFile = "manifest.json";

    /// <summary>File name of the samples.</summary>
    public const string SamplesFile = "samples.jsonl";

    /// <summary>File name of the summary.</summary>
    public const string SummaryFile = "summary.json";

    /// <summary>Folder of the system prompts.</summary>
    public const string PromptsFolder = "prompts";

    private static readonly byte[] NewLine = "\n"u8.ToArray();
    private readonly FileStream _samples;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private RunManifest _manifest;

    private RunDirectory(string path, RunManifest manifest, FileStream samples)
    {
        FullPath = path;
        _manifest = manifest;
        _samples = samples;
    }

    /// <summary>The library version written into manifests.</summary>
    public static string LibraryVersion { get; } =
        typeof(RunDirectory).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(RunDirectory).Assembly.GetName().Version?.ToString() ?? "0.0.0";

    /// <summary>The directory.</summary>
    public string FullPath { get; }

    /// <summary>The manifest as last written.</summary>
    public RunManifest Manifest => _manifest;

    /// <summary>
    /// Creates a run directory, or opens an existing one to resume it: the new manifest must be compatible with the
    /// recorded one (<see cref="RunCompatibility"/>, else <see cref="IncompatibleRunException"/>), a torn last line of
    /// <c>samples.jsonl</c> is cut off, and the finished samples are loaded into <see cref="ExistingSamples"/>.
    /// </summary>
    /// <param name="path">The directory; created if missing.</param>
    /// <param name="manifest">The manifest to write.</param>
    /// <param name="prompts">The system prompts used, stored once each by hash.</param>
    /// <param name="cancellationToken">Cancels the writes.</param>
    public static async Task<RunDirectory> CreateAsync(string path, RunManifest manifest, IEnumerable<SystemPrompt> prompts, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(prompts);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(full);
        var promptDir = Path.Combine(full, PromptsFolder);
        Directory.CreateDirectory(promptDir);
        foreach (var prompt in prompts.DistinctBy(p => p.Sha256))
        {
            var file = Path.Combine(promptDir, prompt.Sha256 + ".txt");
            if (!File.Exists(file))
            {
                await WriteAtomicAsync(file, Encoding.UTF8.GetBytes(prompt.Text), cancellationToken).ConfigureAwait(false);
            }
        }

        var manifestPath = Path.Combine(full, ManifestFile);
        var samplesPath = Path.Combine(full, SamplesFile);
        IReadOnlyList<ExperimentSample> existing = [];
        if (File.Exists(manifestPath))
        {
            var previous = ReadManifest(full);
            var differences = RunCompatibility.Differences(previous, manifest);
            if (differences.Count > 0)
            {
                throw new IncompatibleRunException(full, differences);
            }

            manifest = manifest with { StartedAt = previous.StartedAt, Resumes = previous.Resumes + 1 };
            TruncateTornTail(samplesPath);
            existing = ReadSamples(full);
        }
        else if (File.Exists(samplesPath) && new FileInfo(samplesPath).Length > 0)
        {
            throw new IncompatibleRunException(full, ["samples.jsonl exists without manifest.json"]);
        }

        manifest = manifest with { EndedAt = null, Complete = false };
        await WriteAtomicAsync(manifestPath, JsonSerializer.SerializeToUtf8Bytes(manifest, RunJson.Indented), cancellationToken).ConfigureAwait(false);
        var stream = new FileStream(samplesPath, FileMode.Append, FileAccess.Write, FileShare.Read, 1 << 16, FileOptions.Asynchronous);
        return new RunDirectory(full, manifest, stream) { ExistingSamples = existing };
    }

    /// <summary>
    /// Samples already in the directory when it was opened (a resumed run); the runner skips their work. Empty for a
    /// new run.
    /// </summary>
    public IReadOnlyList<ExperimentSample> ExistingSamples { get; private init; } = [];

    /// <summary>Appends one finished sample as a line of <c>samples.jsonl</c> and flushes it to the operating system.</summary>
    /// <param name="sample">The sample.</param>
    /// <param name="cancellationToken">Cancels the wait for the writer.</param>
    public async Task AppendAsync(ExperimentSample sample, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sample);
        var bytes = JsonSerializer.SerializeToUtf8Bytes(sample, RunJson.Compact);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // One write per line so that a crash can only tear the last line, which readers drop.
            var line = new byte[bytes.Length + 1];
            bytes.CopyTo(line, 0);
            line[^1] = NewLine[0];
            await _samples.WriteAsync(line, CancellationToken.None).ConfigureAwait(false);
            await _samples.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Writes <c>summary.json</c> and the final manifest (end time, completeness).</summary>
    /// <param name="summary">The summary.</param>
    /// <param name="endedAt">When the run ended.</param>
    /// <param name="complete">Whether every planned sample was written.</param>
    /// <param name="cancellationToken">Cancels the writes.</param>
    public async Task CompleteAsync(RunSummary summary, DateTimeOffset endedAt, bool complete, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(summary);
        await _samples.FlushAsync(cancellationToken).ConfigureAwait(false);
        await WriteSummaryAsync(FullPath, summary, cancellationToken).ConfigureAwait(false);
        _manifest = _manifest with { EndedAt = endedAt, Complete = complete };
        await WriteAtomicAsync(Path.Combine(FullPath, ManifestFile), JsonSerializer.SerializeToUtf8Bytes(_manifest, RunJson.Indented), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes <c>summary.json</c> into a run directory (atomically).</summary>
    /// <param name="directory">The run directory.</param>
    /// <param name="summary">The summary.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public static Task WriteSummaryAsync(string directory, RunSummary summary, CancellationToken cancellationToken = default) =>
        WriteAtomicAsync(Path.Combine(directory, SummaryFile), JsonSerializer.SerializeToUtf8Bytes(summary, RunJson.Indented), cancellationToken);

    /// <summary>
    /// Removes from <c>samples.jsonl</c> the samples whose call failed after all retries (<c>error</c>, no verdict), so
    /// that resuming the run calls them again. The file is rewritten to a temporary file and moved into place, so a crash
    /// loses nothing. Returns how many samples were removed.
    /// </summary>
    /// <param name="directory">The run directory (not open for writing).</param>
    /// <param name="cancellationToken">Cancels the rewrite.</param>
    public static async Task<int> RemoveFailedSamplesAsync(string directory, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var samples = ReadSamples(directory);
        var kept = samples.Where(s => s.OutputSource != OutputSource.CallFailed).ToList();
        int removed = samples.Count - kept.Count;
        if (removed == 0)
        {
            return 0;
        }

        using var buffer = new MemoryStream();
        foreach (var sample in kept)
        {
            await buffer.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(sample, RunJson.Compact), cancellationToken).ConfigureAwait(false);
            buffer.WriteByte(NewLine[0]);
        }

        await WriteAtomicAsync(Path.Combine(directory, SamplesFile), buffer.ToArray(), cancellationToken).ConfigureAwait(false);
        return removed;
    }

    /// <summary>Reads the manifest of a run directory.</summary>
    /// <param name="directory">The run directory.</param>
    public static RunManifest ReadManifest(string directory) =>
        JsonSerializer.Deserialize<RunManifest>(File.ReadAllBytes(Path.Combine(directory, ManifestFile)), RunJson.Indented)
        ?? throw new InvalidDataException($"{Path.Combine(directory, ManifestFile)} is empty");

    /// <summary>Reads the summary of a run directory.</summary>
    /// <param name="directory">The run directory.</param>
    public static RunSummary ReadSummary(string directory) =>
        JsonSerializer.Deserialize<RunSummary>(File.ReadAllBytes(Path.Combine(directory, SummaryFile)), RunJson.Indented)
        ?? throw new InvalidDataException($"{Path.Combine(directory, SummaryFile)} is empty");

    /// <summary>
    /// Reads every complete sample of a run directory. A torn last line (a crash mid-write) is dropped; a malformed line
    /// elsewhere is an error naming the file and line.
    /// </summary>
    /// <param name="directory">The run directory.</param>
    public static IReadOnlyList<ExperimentSample> ReadSamples(string directory)
    {
        var path = Path.Combine(directory, SamplesFile);
        var samples = new List<ExperimentSample>();
        if (!File.Exists(path))
        {
            return samples;
        }

        var bytes = File.ReadAllBytes(path);
        int lineNumber = 0;
        int start = 0;
        while (start < bytes.Length)
        {
            lineNumber++;
            int end = Array.IndexOf(bytes, NewLine[0], start);
            bool torn = end < 0;
            var line = bytes.AsSpan(start, (torn ? bytes.Length : end) - start);
            start = torn ? bytes.Length : end + 1;
            if (line.Trim(" \t\r"u8).IsEmpty)
            {
                continue;
            }

            try
            {
                samples.Add(JsonSerializer.Deserialize<ExperimentSample>(line, RunJson.Compact)
                    ?? throw new JsonException("null sample"));
            }
            catch (JsonException ex)
            {
                if (torn)
                {
                    break;
                }

                throw new InvalidDataException($"{path} line {lineNumber}: not a valid sample ({ex.Message})", ex);
            }
        }

        return samples;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _samples.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _samples.Dispose();
        _gate.Dispose();
    }

    private static void TruncateTornTail(string path)
    {
        if (!File.Exists(path))
        {
            return;
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        if (stream.Length == 0)
        {
            return;
        }

        // Find the last newline; anything after it is a torn line from an interrupted write.
        long position = stream.Length;
        var buffer = new byte[4096];
        while (position > 0)
        {
            int count = (int)Math.Min(buffer.Length, position);
            position -= count;
            stream.Position = position;
            stream.ReadExactly(buffer, 0, count);
            int index = Array.LastIndexOf(buffer, NewLine[0], count - 1, count);
            if (index >= 0)
            {
                stream.SetLength(position + index + 1);
                return;
            }
        }

        stream.SetLength(0);
    }

    private static async Task WriteAtomicAsync(string path, byte[] bytes, CancellationToken cancellationToken)
    {
        var temp = path + ".tmp";
        await File.WriteAllBytesAsync(temp, bytes, cancellationToken).ConfigureAwait(false);
        File.Move(temp, path, overwrite: true);
    }
}
