using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using AlignmentFaking.Datasets;
using Microsoft.Extensions.AI;

namespace AlignmentFaking.Judging.Caching;

/// <summary>
/// A cache of judge replies keyed by the SHA-256 of (judge model, sampling settings, the full rendered prompt, vote
/// index): re-running a judgement costs nothing, and a changed prompt template or transcript misses. With a directory,
/// replies live on disk only (one small JSON file per reply, written atomically): they survive restarts and memory does
/// not grow with the run. Without one, they are held in memory. Thread-safe; share one instance between classifiers and
/// runs.
/// </summary>
public sealed class JudgeCache
{
    private readonly ConcurrentDictionary<string, CachedJudgeReply> _memory = new(StringComparer.Ordinal);
    private long _hits;
    private long _misses;

    /// <summary>Creates a cache.</summary>
    /// <param name="directory">Where replies are also stored on disk; memory only when <see langword="null"/>.</param>
    public JudgeCache(string? directory = null)
    {
        Directory = directory is null ? null : Path.GetFullPath(directory);
    }

    /// <summary>
    /// The judge cache of a run directory, <c>{runDirectory}/judge-cache/</c> (<see cref="Storage.RunDirectory.JudgeCacheFolder"/>),
    /// the one <c>af judge</c> and <c>af run --judge-endpoint</c> use: share it between the classifiers of a
    /// <see cref="Runs.RunJudge"/> so that judging again, or resuming a judged run, asks the judge nothing it answered before.
    /// </summary>
    /// <param name="runDirectory">The run directory (it need not exist yet).</param>
    /// <returns>A cache stored on disk in the run directory.</returns>
    public static JudgeCache ForRun(string runDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(runDirectory);
        return new JudgeCache(Path.Combine(runDirectory, Storage.RunDirectory.JudgeCacheFolder));
    }

    /// <summary>The on-disk directory, or <see langword="null"/> for a memory-only cache.</summary>
    public string? Directory { get; }

    /// <summary>Lookups answered from the cache.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Lookups that missed.</summary>
    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>Computes the cache key of one judge completion.</summary>
    /// <param name="modelId">The judge model id, if known.</param>
    /// <param name="options">The sampling options that change the reply (temperature, max tokens).</param>
    /// <param name="messages">The rendered prompt.</param>
    /// <param name="voteIndex">The vote (or retry attempt) index.</param>
    internal static string ComputeKey(string? modelId, ChatOptions? options, IEnumerable<ChatMessage> messages, int voteIndex)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var text = new StringBuilder();
        text.Append("af-judge-cache/v1\n").Append(modelId ?? options?.ModelId ?? string.Empty).Append('\n')
            .Append(options?.Temperature?.ToString("R", System.Globalization.CultureInfo.InvariantCulture) ?? "-").Append('\n')
            .Append(options?.MaxOutputTokens?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-").Append('\n')
            .Append(voteIndex.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
        foreach (var m in messages)
        {
            text.Append(m.Role.Value).Append('\u0000').Append(m.Text).Append('\u0001');
        }

        return ContentHash.Sha256(text.ToString());
    }

    /// <summary>Looks a reply up.</summary>
    /// <param name="key">The key (see <see cref="ComputeKey"/>).</param>
    /// <param name="cancellationToken">Cancels the disk read.</param>
    internal async ValueTask<CachedJudgeReply?> TryGetAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (_memory.TryGetValue(key, out var hit))
        {
            Interlocked.Increment(ref _hits);
            return hit;
        }

        if (Directory is not null)
        {
            var path = PathOf(key);
            if (File.Exists(path))
            {
                try
                {
                    await using var stream = File.OpenRead(path);
                    var stored = await JsonSerializer.DeserializeAsync<CachedJudgeReply>(stream, JsonOptions, cancellationToken).ConfigureAwait(false);
                    if (stored is not null)
                    {
                        Interlocked.Increment(ref _hits);
                        return stored;
                    }
                }
                catch (JsonException)
                {
                    // A damaged entry is a miss; it is overwritten by the next store.
                }
            }
        }

        Interlocked.Increment(ref _misses);
        return null;
    }

    /// <summary>Stores a reply.</summary>
    /// <param name="key">The key (see <see cref="ComputeKey"/>).</param>
    /// <param name="reply">The reply.</param>
    /// <param name="cancellationToken">Cancels the disk write.</param>
    internal async ValueTask SetAsync(string key, CachedJudgeReply reply, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(reply);
        if (Directory is null)
        {
            _memory[key] = reply;
            return;
        }

        var path = PathOf(key);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        await File.WriteAllBytesAsync(temp, JsonSerializer.SerializeToUtf8Bytes(reply, JsonOptions), cancellationToken).ConfigureAwait(false);
        File.Move(temp, path, overwrite: true);
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        Converters = { new AlignmentFaking.Internal.RedactingStringConverter() }, // no registered API key is ever written
    };

    private string PathOf(string key) => Path.Combine(Directory!, key[..2], key + ".json");
}

/// <summary>A cached judge completion.</summary>
/// <param name="Text">The reply text.</param>
/// <param name="FinishReason">The finish reason, if reported.</param>
internal sealed record CachedJudgeReply(string Text, string? FinishReason);
