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
/// <remarks>
/// One writer at a time: a process that writes a run directory holds an operating-system lock on its <c>.lock</c> file
/// (<see cref="AcquireLock"/>; <see cref="CreateAsync"/> takes it until <see cref="Dispose"/>), so a second writer is
/// refused with <see cref="RunDirectoryLockedException"/> instead of replacing files under the first. The lock goes with
/// the process: a killed writer never leaves a stale lock.
/// </remarks>
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

    /// <summary>The (empty) file a writer holds locked while it writes the directory; never deleted.</summary>
    public const string LockFile = ".lock";

    /// <summary>
    /// Folder of the run's own response cache (what <c>af run</c> keeps so that a resumed run replays the turns of
    /// conversations it had already paid for); see <see cref="OpenResponseCache"/>.
    /// </summary>
    public const string ResponseCacheFolder = "response-cache";

    /// <summary>Folder of the cached judge replies (what <c>af judge</c> and <c>af run --judge-endpoint</c> keep, so re-judging costs nothing).</summary>
    public const string JudgeCacheFolder = "judge-cache";

    private static readonly byte[] NewLine = "\n"u8.ToArray();
    private readonly FileStream _samples;
    private readonly IDisposable _lock;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lazy<IReadOnlyList<ExperimentSample>> _existing;
    private RunManifest _manifest;

    private RunDirectory(string path, RunManifest manifest, FileStream samples, IDisposable directoryLock, IReadOnlySet<string> existingIds)
    {
        FullPath = path;
        _manifest = manifest;
        _samples = samples;
        _lock = directoryLock;
        ExistingSampleIds = existingIds;
        _existing = new(() => existingIds.Count == 0 ? [] : EnumerateSamples(path).Where(s => existingIds.Contains(s.SampleId)).ToList());
    }

    /// <summary>
    /// The run's own response cache, <c>{directory}/response-cache/</c>, as <c>af run</c> uses it: set it as
    /// <see cref="ExperimentOptions.ResponseCache"/> so that a resumed run replays the replies of conversations an
    /// interrupted session had started instead of paying for them again. Nothing is written until the first reply.
    /// </summary>
    /// <param name="directory">The run directory (it need not exist yet).</param>
    /// <returns>A cache in the run directory's <see cref="ResponseCacheFolder"/>.</returns>
    public static FileDistributedCache OpenResponseCache(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        return new FileDistributedCache(Path.Combine(directory, ResponseCacheFolder));
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
    /// Creates a run directory, or opens an existing one to resume it: takes the directory's lock (else
    /// <see cref="RunDirectoryLockedException"/>), the new manifest must be compatible with the recorded one (everything
    /// that changes what a sample means is equal: model, options other than concurrency, dataset slice and bytes,
    /// prompts, user template; else <see cref="IncompatibleRunException"/>), a torn last line of
    /// <c>samples.jsonl</c> is repaired (<see cref="RepairTornLineAsync"/>; <see cref="RepairedTornLine"/> says which), and the ids of the finished samples go into <see cref="ExistingSampleIds"/>. A
    /// resume keeps the first session's start time and endpoint host and records its own in
    /// <see cref="RunManifest.ResumeLog"/>.
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
        EnsureWritable(full);
        var directoryLock = AcquireLock(full);
        try
        {
            RemoveStaleTemporaryFiles(full);
            await WritePromptsAsync(full, prompts, cancellationToken).ConfigureAwait(false);
            var manifestPath = Path.Combine(full, ManifestFile);
            var samplesPath = Path.Combine(full, SamplesFile);
            IReadOnlySet<string> existing = new HashSet<string>(StringComparer.Ordinal);
            int? repaired = null;
            if (File.Exists(manifestPath))
            {
                var previous = ReadManifest(full);
                var differences = RunCompatibility.Differences(previous, manifest);
                if (differences.Count > 0)
                {
                    throw new IncompatibleRunException(full, differences);
                }

                manifest = Resumed(previous, manifest);
                repaired = RepairTornLine(samplesPath);
                existing = EnumerateSamples(full, includeText: false).Select(s => s.SampleId).ToHashSet(StringComparer.Ordinal);
            }
            else if (File.Exists(samplesPath) && new FileInfo(samplesPath).Length > 0)
            {
                throw new IncompatibleRunException(full, ["samples.jsonl exists without manifest.json"]);
            }

            manifest = manifest with { EndedAt = null, Complete = false };
            await WriteAtomicAsync(manifestPath, JsonSerializer.SerializeToUtf8Bytes(manifest, RunJson.Indented), cancellationToken).ConfigureAwait(false);
            var stream = new FileStream(samplesPath, FileMode.Append, FileAccess.Write, FileShare.Read, 1 << 16, FileOptions.Asynchronous);
            return new RunDirectory(full, manifest, stream, directoryLock, existing) { RepairedTornLine = repaired };
        }
        catch
        {
            directoryLock.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The 1-based number of the torn last line of <c>samples.jsonl</c> that opening the directory to resume it dropped
    /// (see <see cref="RepairTornLineAsync"/>); <see langword="null"/> when there was none.
    /// </summary>
    public int? RepairedTornLine { get; private init; }

    /// <summary>
    /// Ids of the samples already in the directory when it was opened (a resumed run); the runner skips their work.
    /// Empty for a new run. Only the ids are kept in memory, however long the transcripts.
    /// </summary>
    public IReadOnlySet<string> ExistingSampleIds { get; }

    /// <summary>
    /// Samples already in the directory when it was opened (a resumed run), read from disk in full (transcripts
    /// included) on first use; empty for a new run. To skip finished work, <see cref="ExistingSampleIds"/> is enough and
    /// costs no memory per transcript.
    /// </summary>
    public IReadOnlyList<ExperimentSample> ExistingSamples => _existing.Value;

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

    /// <summary>
    /// Writes <c>summary.json</c> as given and the final manifest (end time, completeness). Prefer
    /// <see cref="CompleteFromSamplesAsync"/>, which computes the summary from the samples.
    /// </summary>
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

    /// <summary>
    /// Ends a session: computes <c>summary.json</c> from <c>samples.jsonl</c> and the manifest (<see cref="Summarize"/>),
    /// writes it and the final manifest. The run is <c>complete</c> when every planned sample is written and, unless
    /// there are none, at least one has a verdict (a run whose every call failed is never complete).
    /// </summary>
    /// <param name="endedAt">When the session ended.</param>
    /// <param name="allPlannedWritten">Whether every planned sample is in <c>samples.jsonl</c>.</param>
    /// <param name="cancellationToken">Cancels the writes.</param>
    /// <returns>The summary written.</returns>
    public async Task<RunSummary> CompleteFromSamplesAsync(DateTimeOffset endedAt, bool allPlannedWritten, CancellationToken cancellationToken = default)
    {
        await _samples.FlushAsync(cancellationToken).ConfigureAwait(false);
        var summary = SummarizeWith(FullPath, _manifest);
        bool complete = allPlannedWritten && (summary.SamplesWithVerdict > 0 || summary.SamplesWithoutVerdict == 0);
        await CompleteAsync(summary, endedAt, complete, cancellationToken).ConfigureAwait(false);
        return summary;
    }

    /// <summary>
    /// Computes the summary of a run directory from its samples and manifest (<see cref="RunSummary.Compute(RunManifest, IEnumerable{ExperimentSample})"/>),
    /// streaming <c>samples.jsonl</c>: memory holds a few numbers per sample, never the transcripts. Writes nothing.
    /// </summary>
    /// <param name="directory">The run directory.</param>
    public static RunSummary Summarize(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        return SummarizeWith(directory, ReadManifest(directory));
    }

    private static RunSummary SummarizeWith(string directory, RunManifest manifest) =>
        RunSummary.Compute(manifest.Model, CostEstimateOf(directory, manifest), EnumerateSamples(directory, includeText: false), null);

    /// <summary>
    /// The cost estimate of a run: the manifest's; for directories written before the manifest recorded it, the one in
    /// their <c>summary.json</c>.
    /// </summary>
    internal static Costs.RunCostSummary? CostEstimateOf(string directory, RunManifest manifest)
    {
        if (manifest.CostEstimate is not null)
        {
            return manifest.CostEstimate;
        }

        try
        {
            return File.Exists(Path.Combine(directory, SummaryFile)) ? ReadSummary(directory).Cost : null;
        }
        catch (Exception ex) when (ex is JsonException or InvalidDataException or IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// Recomputes <c>summary.json</c> from the samples and the manifest (<see cref="Summarize"/>) and writes it when it
    /// changed. For writers that rewrite <c>samples.jsonl</c> (judging, merging); hold the lock (<see cref="AcquireLock"/>).
    /// </summary>
    /// <param name="directory">The run directory.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The summary.</returns>
    public static async Task<RunSummary> UpdateSummaryAsync(string directory, CancellationToken cancellationToken = default)
    {
        var summary = Summarize(directory);
        await WriteSummaryAsync(directory, summary, cancellationToken).ConfigureAwait(false);
        return summary;
    }

    /// <summary>Writes <c>summary.json</c> into a run directory (atomically; not at all when the file already holds these bytes).</summary>
    /// <param name="directory">The run directory.</param>
    /// <param name="summary">The summary.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public static Task WriteSummaryAsync(string directory, RunSummary summary, CancellationToken cancellationToken = default) =>
        WriteAtomicAsync(Path.Combine(directory, SummaryFile), JsonSerializer.SerializeToUtf8Bytes(summary, RunJson.Indented), cancellationToken);

    /// <summary>
    /// Removes from <c>samples.jsonl</c> the samples whose call failed after all retries (<c>error</c>, no verdict), so
    /// that resuming the run calls them again. Takes the directory's lock; the file is streamed to a temporary file and
    /// moved into place, so a crash loses nothing and the other lines are kept byte for byte. Returns how many samples
    /// were removed.
    /// </summary>
    /// <param name="directory">The run directory (not open for writing).</param>
    /// <param name="cancellationToken">Cancels the rewrite.</param>
    public static async Task<int> RemoveFailedSamplesAsync(string directory, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        using var directoryLock = AcquireLock(directory);
        var path = Path.Combine(directory, SamplesFile);
        await RepairTornLineAsync(directory, cancellationToken).ConfigureAwait(false);
        if (!EnumerateSamples(directory, includeText: false).Any(s => s.OutputSource == OutputSource.CallFailed))
        {
            return 0;
        }

        int removed = 0;
        await WriteThroughTempAsync(path, async stream =>
        {
            foreach (var (sample, line) in EnumerateLines(path))
            {
                if (sample.OutputSource == OutputSource.CallFailed)
                {
                    removed++;
                    continue;
                }

                await stream.WriteAsync(line, cancellationToken).ConfigureAwait(false);
                stream.WriteByte(NewLine[0]);
            }
        }, cancellationToken).ConfigureAwait(false);
        return removed;
    }

    /// <summary>
    /// Replaces <c>samples.jsonl</c> with <paramref name="samples"/> atomically (a temporary file, flushed to disk, moved
    /// over it). The caller holds the directory's lock (<see cref="AcquireLock"/>).
    /// </summary>
    /// <param name="directory">The run directory.</param>
    /// <param name="samples">The samples, in the order to write.</param>
    /// <param name="cancellationToken">Cancels the write (before the move).</param>
    public static Task RewriteSamplesAsync(string directory, IEnumerable<ExperimentSample> samples, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(samples);
        return WriteThroughTempAsync(Path.Combine(directory, SamplesFile), async stream =>
        {
            foreach (var sample in samples)
            {
                await stream.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(sample, RunJson.Compact), cancellationToken).ConfigureAwait(false);
                stream.WriteByte(NewLine[0]);
            }
        }, cancellationToken);
    }

    /// <summary>
    /// Takes the run directory's writer lock: an operating-system lock on its <c>.lock</c> file (created if missing,
    /// never deleted), held until the returned object is disposed or the process ends (also by <c>kill -9</c>). Every
    /// writer takes it (<see cref="CreateAsync"/>, judging, merging, <see cref="RemoveFailedSamplesAsync"/>); readers do not.
    /// </summary>
    /// <param name="directory">The run directory; created if missing.</param>
    /// <returns>The lock; dispose it to release it.</returns>
    /// <exception cref="RunDirectoryLockedException">Another writer holds the lock (another process, or another open in this one).</exception>
    public static IDisposable AcquireLock(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var full = Path.GetFullPath(directory);
        Directory.CreateDirectory(full);
        try
        {
            return new FileStream(Path.Combine(full, LockFile), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
        }
        catch (IOException ex) when (IsLockConflict(ex))
        {
            throw new RunDirectoryLockedException(full, ex);
        }
    }

    /// <summary>Reads the manifest of a run directory.</summary>
    /// <param name="directory">The run directory.</param>
    public static RunManifest ReadManifest(string directory)
    {
        var path = Path.Combine(directory, ManifestFile);
        var bytes = File.ReadAllBytes(path);
        if (!TryParseManifest(bytes, out var manifest, out var problem))
        {
            throw new InvalidDataException($"{path} is not a run manifest: {problem}");
        }

        return manifest;
    }

    /// <summary>Parses a manifest; the problem, when there is one, is said without .NET type names.</summary>
    private static bool TryParseManifest(byte[] bytes, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out RunManifest? manifest, out string problem)
    {
        manifest = null;
        problem = string.Empty;
        try
        {
            manifest = JsonSerializer.Deserialize<RunManifest>(bytes, RunJson.Indented);
        }
        catch (JsonException ex)
        {
            problem = ex.Message.Contains("missing required properties", StringComparison.Ordinal)
                ? "required fields are missing (schemaVersion, model, subject, options, dataset, prompts, startedAt)"
                : ex.LineNumber is { } line ? $"not valid JSON or a field of the wrong type at line {line + 1}{(string.IsNullOrEmpty(ex.Path) ? string.Empty : $" ({ex.Path})")}" : "not valid JSON";
            return false;
        }

        if (manifest is null)
        {
            problem = "it is empty (null)";
            return false;
        }

        if (manifest.SchemaVersion < 1 || manifest.Options is null || manifest.Dataset is null || manifest.Prompts is null)
        {
            problem = "required fields are missing (schemaVersion, model, subject, options, dataset, prompts, startedAt)";
            manifest = null;
            return false;
        }

        return true;
    }

    /// <summary>
    /// Refuses, before anything is written, a path that a run must not be written into: a file; a non-empty folder
    /// without <c>manifest.json</c> (for example <c>/</c>, a home or project folder), unless it holds only files of the
    /// run's own that can precede its manifest (<c>.lock</c>, <c>prompts/</c>, <c>response-cache/</c>,
    /// <c>batches.jsonl</c>, <c>*.tmp</c>); a folder whose
    /// <c>manifest.json</c> is not a run manifest. A missing or empty folder, or a run directory, passes.
    /// <see cref="CreateAsync"/> and the session check it; call it before writing anything of your own there.
    /// </summary>
    /// <param name="directory">The path.</param>
    /// <exception cref="NotARunDirectoryException">The path is not a run directory (the message says why in one line).</exception>
    public static void EnsureWritable(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var full = Path.GetFullPath(directory);
        if (File.Exists(full))
        {
            throw new NotARunDirectoryException(directory, "it is a file");
        }

        if (!System.IO.Directory.Exists(full))
        {
            return;
        }

        var manifestPath = Path.Combine(full, ManifestFile);
        if (File.Exists(manifestPath))
        {
            if (!TryParseManifest(File.ReadAllBytes(manifestPath), out _, out var problem))
            {
                throw new NotARunDirectoryException(directory, $"its {ManifestFile} is not a run manifest ({problem})");
            }

            return;
        }

        var strangers = new List<string>();
        foreach (var entry in new DirectoryInfo(full).EnumerateFileSystemInfos())
        {
            bool ours = entry.Name is LockFile or ResponseCacheFolder or "batches.jsonl"
                || entry.Name.EndsWith(".tmp", StringComparison.Ordinal)
                || (entry.Name == PromptsFolder && entry is DirectoryInfo prompts && prompts.EnumerateFileSystemInfos().All(p => p is FileInfo && (p.Name.EndsWith(".txt", StringComparison.Ordinal) || p.Name.EndsWith(".tmp", StringComparison.Ordinal))));
            if (!ours)
            {
                strangers.Add(entry.Name);
                if (strangers.Count == 3)
                {
                    break;
                }
            }
        }

        if (strangers.Count > 0)
        {
            throw new NotARunDirectoryException(directory, $"it is not empty and has no {ManifestFile} (it holds {string.Join(", ", strangers.Select(n => $"'{n}'"))}{(strangers.Count == 3 ? ", ..." : string.Empty)})");
        }
    }

    /// <summary>Removes the temporary files an interrupted write (a full disk, a kill) left in a run directory and its prompts folder.</summary>
    private static void RemoveStaleTemporaryFiles(string directory)
    {
        foreach (var folder in new[] { directory, Path.Combine(directory, PromptsFolder) })
        {
            if (!System.IO.Directory.Exists(folder))
            {
                continue;
            }

            foreach (var temp in System.IO.Directory.EnumerateFiles(folder, "*.tmp"))
            {
                try
                {
                    File.Delete(temp);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // Left for the next writer; it is never read.
                }
            }
        }
    }

    /// <summary>Reads the summary of a run directory.</summary>
    /// <param name="directory">The run directory.</param>
    public static RunSummary ReadSummary(string directory) =>
        JsonSerializer.Deserialize<RunSummary>(File.ReadAllBytes(Path.Combine(directory, SummaryFile)), RunJson.Indented)
        ?? throw new InvalidDataException($"{Path.Combine(directory, SummaryFile)} is empty");

    /// <summary>
    /// Reads every complete sample of a run directory into memory. A torn last line (a crash mid-write) is refused with
    /// <see cref="TornSamplesFileException"/> naming it (a writer repairs it first: <see cref="RepairTornLineAsync"/>); a
    /// malformed line elsewhere is an error naming the file and line. For large runs, <see cref="EnumerateSamples"/>
    /// streams them.
    /// </summary>
    /// <param name="directory">The run directory.</param>
    public static IReadOnlyList<ExperimentSample> ReadSamples(string directory) => EnumerateSamples(directory).ToList();

    /// <summary>
    /// Streams the complete samples of a run directory, one line at a time (memory does not grow with the file). A torn
    /// last line (a crash mid-write) is refused with <see cref="TornSamplesFileException"/> naming it (a writer repairs
    /// it first: <see cref="RepairTornLineAsync"/>); a malformed line elsewhere is an <see cref="InvalidDataException"/>
    /// naming the file and line.
    /// </summary>
    /// <param name="directory">The run directory.</param>
    /// <param name="includeText">
    /// Whether to keep the texts: the request, output, transcript, error and the judges' vote details. Without them a
    /// sample keeps what summaries and costs need (ids, verdicts, usage, calls; of the transcript only the turns with native
    /// reasoning, without text, so the summary can count them).
    /// </param>
    public static IEnumerable<ExperimentSample> EnumerateSamples(string directory, bool includeText = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var path = Path.Combine(directory, SamplesFile);
        return EnumerateLines(path).Select(entry => includeText ? entry.Sample : WithoutText(entry.Sample));
    }

    private static ExperimentSample WithoutText(ExperimentSample sample) => sample with
    {
        Request = string.Empty,
        Output = null,
        // Only what the summary counts of the transcript: which turns had native reasoning or hid it (no text).
        Transcript = sample.Transcript.Any(t => t.Reasoning is not null || t.ReasoningHidden)
            ? sample.Transcript.Where(t => t.Reasoning is not null || t.ReasoningHidden)
                .Select(t => new TranscriptMessage(t.Role, string.Empty) { Reasoning = t.Reasoning is null ? null : string.Empty, ReasoningHidden = t.ReasoningHidden }).ToArray()
            : [],
        Error = null,
        JudgeExplanation = null,
        AlignmentFaking = sample.AlignmentFaking is null ? null : sample.AlignmentFaking with { Votes = [] },
    };

    /// <summary>Each complete line of a samples file with its sample (the line's bytes are valid until the next one is read).</summary>
    private static IEnumerable<(ExperimentSample Sample, ReadOnlyMemory<byte> Line)> EnumerateLines(string path)
    {
        if (!File.Exists(path))
        {
            yield break;
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
        var buffer = new byte[1 << 16];
        int start = 0, end = 0, lineNumber = 0;
        while (true)
        {
            int newline = Array.IndexOf(buffer, NewLine[0], start, end - start);
            if (newline >= 0)
            {
                lineNumber++;
                var sample = ParseLine(buffer, start, newline - start, torn: false, path, lineNumber);
                var line = new ReadOnlyMemory<byte>(buffer, start, newline - start);
                start = newline + 1;
                if (sample is not null)
                {
                    yield return (sample, line);
                }

                continue;
            }

            if (start > 0)
            {
                Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                end -= start;
                start = 0;
            }

            if (end == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2);
            }

            int read = stream.Read(buffer, end, buffer.Length - end);
            if (read > 0)
            {
                end += read;
                continue;
            }

            if (end > start)
            {
                // The last line has no newline: kept if it is a whole sample; a torn one is refused with its line number
                // (a writer repairs it first, see RepairTornLineAsync), so no reader reports a run from part of it.
                var sample = ParseLine(buffer, start, end - start, torn: true, path, lineNumber + 1)
                    ?? (buffer.AsSpan(start, end - start).Trim(" \t\r"u8).IsEmpty ? null : throw new TornSamplesFileException(path, lineNumber + 1));
                if (sample is not null)
                {
                    yield return (sample, new ReadOnlyMemory<byte>(buffer, start, end - start));
                }
            }

            yield break;
        }
    }

    private static ExperimentSample? ParseLine(byte[] buffer, int start, int length, bool torn, string path, int lineNumber)
    {
        var line = buffer.AsSpan(start, length);
        if (line.Trim(" \t\r"u8).IsEmpty)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<ExperimentSample>(line, RunJson.Compact) ?? throw new JsonException("null sample");
        }
        catch (JsonException ex)
        {
            if (torn)
            {
                return null;
            }

            throw new InvalidDataException($"{path} line {lineNumber}: not a valid sample ({ex.Message})", ex);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _samples.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
        _lock.Dispose();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _samples.Dispose();
        _gate.Dispose();
        _lock.Dispose();
    }

    /// <summary>A resumed run's manifest: the first session's start and endpoint stay, this session goes into the log.</summary>
    private static RunManifest Resumed(RunManifest previous, RunManifest requested) => requested with
    {
        StartedAt = previous.StartedAt,
        EndpointHost = previous.EndpointHost,
        Resumes = previous.Resumes + 1,
        ResumeLog = [.. previous.ResumeLog ?? [], new ResumeRecord { At = requested.StartedAt, EndpointHost = requested.EndpointHost, Path = requested.Path }],
        CostEstimate = requested.CostEstimate ?? previous.CostEstimate,
        MergedFrom = requested.MergedFrom ?? previous.MergedFrom,
    };

    /// <summary>Writes each system prompt once, as <c>prompts/{sha256}.txt</c>.</summary>
    internal static async Task WritePromptsAsync(string directory, IEnumerable<SystemPrompt> prompts, CancellationToken cancellationToken)
    {
        var promptDir = Path.Combine(directory, PromptsFolder);
        Directory.CreateDirectory(promptDir);
        foreach (var prompt in prompts.DistinctBy(p => p.Sha256))
        {
            var file = Path.Combine(promptDir, prompt.Sha256 + ".txt");
            if (!File.Exists(file))
            {
                await WriteAtomicAsync(file, Encoding.UTF8.GetBytes(prompt.Text), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Whether an open failed because another handle holds the file locked (not a missing path or a disk error).</summary>
    private static bool IsLockConflict(IOException ex)
    {
        if (ex is FileNotFoundException or DirectoryNotFoundException or PathTooLongException)
        {
            return false;
        }

        // Windows: ERROR_SHARING_VIOLATION or ERROR_LOCK_VIOLATION; Unix: flock's EWOULDBLOCK (11 on Linux, 35 on macOS).
        return OperatingSystem.IsWindows() ? (ex.HResult & 0xFFFF) is 32 or 33 : ex.HResult == (OperatingSystem.IsLinux() ? 11 : 35);
    }

    /// <summary>
    /// Repairs a torn last line of <c>samples.jsonl</c> the way resuming a run does: a last line without a newline that is
    /// not a whole sample is dropped (its sample is run again by the next resume); a whole sample that only lacks its
    /// newline gets it. When a line is dropped from a run whose manifest says <c>complete</c>, the manifest is rewritten
    /// with <c>complete</c> recomputed (every planned sample still there, <see cref="RunManifest.PlannedSampleCount"/>), so no
    /// reader calls a run complete that is not. Does nothing to a file without a torn line. The caller holds the
    /// directory's lock (<see cref="AcquireLock"/>); readers refuse a torn file with <see cref="TornSamplesFileException"/>.
    /// </summary>
    /// <param name="directory">The run directory.</param>
    /// <param name="cancellationToken">Cancels the manifest write.</param>
    /// <returns>The 1-based number of the line dropped; <see langword="null"/> when none was.</returns>
    public static async Task<int?> RepairTornLineAsync(string directory, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var full = Path.GetFullPath(directory);
        var manifestPath = Path.Combine(full, ManifestFile);
        var manifest = File.Exists(manifestPath) ? ReadManifest(full) : null;
        int? dropped = RepairTornLine(Path.Combine(full, SamplesFile));
        if (dropped is not null && manifest is { Complete: true })
        {
            bool stillComplete = EnumerateSamples(full, includeText: false).LongCount() == manifest.PlannedSampleCount();
            if (!stillComplete)
            {
                await WriteAtomicAsync(manifestPath, JsonSerializer.SerializeToUtf8Bytes(manifest with { Complete = false }, RunJson.Indented), cancellationToken).ConfigureAwait(false);
            }
        }

        return dropped;
    }

    /// <summary>The repair of <see cref="RepairTornLineAsync"/> on the samples file alone; returns the line dropped.</summary>
    private static int? RepairTornLine(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        long length = stream.Length;
        if (length == 0)
        {
            return null;
        }

        // Find the last newline; anything after it is the last line, torn unless it is a whole sample.
        long tailStart = 0;
        long position = length;
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
                tailStart = position + index + 1;
                break;
            }
        }

        if (tailStart == length)
        {
            return null;
        }

        var tail = new byte[length - tailStart];
        stream.Position = tailStart;
        stream.ReadExactly(tail);
        if (tail.AsSpan().Trim(" \t\r"u8).IsEmpty)
        {
            stream.SetLength(tailStart);
            return null;
        }

        if (IsWholeSample(tail))
        {
            stream.Position = length;
            stream.Write(NewLine);
            stream.Flush(flushToDisk: true);
            return null;
        }

        int lineNumber = 1;
        stream.Position = 0;
        for (long read = 0; read < tailStart;)
        {
            int count = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, tailStart - read));
            lineNumber += buffer.AsSpan(0, count).Count(NewLine[0]);
            read += count;
        }

        stream.SetLength(tailStart);
        stream.Flush(flushToDisk: true);
        return lineNumber;
    }

    private static bool IsWholeSample(byte[] line)
    {
        try
        {
            return JsonSerializer.Deserialize<ExperimentSample>(line, RunJson.Compact) is not null;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Replaces a file atomically (temporary file, then a move); nothing is written when it already holds these bytes.</summary>
    internal static Task WriteAtomicAsync(string path, byte[] bytes, CancellationToken cancellationToken) => Internal.AtomicFile.WriteAsync(path, bytes, cancellationToken);

    /// <summary>Writes a file through a temporary file flushed to disk and moved over it; the temporary file never stays behind.</summary>
    private static async Task WriteThroughTempAsync(string path, Func<FileStream, Task> write, CancellationToken cancellationToken)
    {
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                await write(stream).ConfigureAwait(false);
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }

            cancellationToken.ThrowIfCancellationRequested();
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }
}
