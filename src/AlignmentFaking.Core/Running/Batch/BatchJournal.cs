using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AlignmentFaking.Running.Batch;

/// <summary>
/// A batch journal in the run directory (<c>batches.jsonl</c> of the subject, <c>judge-batches.jsonl</c> of the judge):
/// the append-only record of a batch run (<see cref="BatchJournalEntry"/> per line). Each line is written and flushed
/// before the runner goes on, so a restarted process knows every file uploaded, every batch created (with its round,
/// part and the custom ids it carries), every reply taken in and every batch fully consumed.
/// </summary>
internal sealed class BatchJournal : IAsyncDisposable
{
    public const string FileName = "batches.jsonl";

    private static readonly JsonSerializerOptions Json = CreateOptions();
    private readonly FileStream _stream;
    private readonly SemaphoreSlim _gate = new(1, 1);

    private BatchJournal(FileStream stream, IReadOnlyList<BatchJournalEntry> entries)
    {
        _stream = stream;
        Entries = entries;
    }

    /// <summary>The entries present when the journal was opened.</summary>
    public IReadOnlyList<BatchJournalEntry> Entries { get; }

    public static BatchJournal Open(string directory, string fileName = FileName)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, fileName);
        var entries = Read(path, truncateTornTail: true);
        var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, 1 << 16, FileOptions.Asynchronous);
        return new BatchJournal(stream, entries);
    }

    /// <summary>The batches a journal records and whether each was fully taken in (subject and judge journals alike).</summary>
    public static IReadOnlyList<BatchRecord> ReadRecords(string path)
    {
        var entries = Read(path);
        var files = entries.Where(e => e.Kind == "file" && e.FileId is not null).GroupBy(e => e.FileId!).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
        var consumed = entries.Where(e => e.Kind == "consumed" && e.BatchId is not null).GroupBy(e => e.BatchId!).ToDictionary(g => g.Key, g => g.Last().Status, StringComparer.Ordinal);
        return entries.Where(e => e.Kind == "batch" && e.BatchId is not null && e.FileId is not null)
            .Select(e => new BatchRecord(
                e.BatchId!,
                e.FileId!,
                e.Round ?? 0,
                e.Part ?? 0,
                files.TryGetValue(e.FileId!, out var f) ? f.CustomIds?.Count ?? 0 : 0,
                e.Provider ?? string.Empty,
                consumed.ContainsKey(e.BatchId!),
                consumed.GetValueOrDefault(e.BatchId!)))
            .ToArray();
    }

    /// <summary>Reads the entries of a journal file; a torn last line (a crash mid-write) is dropped.</summary>
    public static IReadOnlyList<BatchJournalEntry> Read(string path, bool truncateTornTail = false)
    {
        var entries = new List<BatchJournalEntry>();
        if (!File.Exists(path))
        {
            return entries;
        }

        var bytes = File.ReadAllBytes(path);
        int start = 0;
        long good = 0;
        while (start < bytes.Length)
        {
            int end = Array.IndexOf(bytes, (byte)'\n', start);
            if (end < 0)
            {
                break; // torn tail
            }

            var line = bytes.AsSpan(start, end - start);
            if (!line.Trim(" \t\r"u8).IsEmpty)
            {
                entries.Add(JsonSerializer.Deserialize<BatchJournalEntry>(line, Json) ?? throw new InvalidDataException($"{path}: null entry"));
            }

            start = end + 1;
            good = start;
        }

        if (truncateTornTail && good < bytes.Length)
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.None);
            stream.SetLength(good);
        }

        return entries;
    }

    public async Task AppendAsync(BatchJournalEntry entry, CancellationToken cancellationToken = default)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(entry, Json);
        var line = new byte[bytes.Length + 1];
        bytes.CopyTo(line, 0);
        line[^1] = (byte)'\n';
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _stream.WriteAsync(line, CancellationToken.None).ConfigureAwait(false);
            await _stream.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            TypeInfoResolver = BatchJsonContext.Default,
            Converters = { new AlignmentFaking.Internal.RedactingStringConverter() }, // no registered API key is ever written
        };
        options.MakeReadOnly();
        return options;
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BatchJournalEntry))]
internal sealed partial class BatchJsonContext : JsonSerializerContext;
