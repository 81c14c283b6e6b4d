using System.Text;
using AlignmentFaking.Datasets;

namespace AlignmentFaking.Scenarios;

/// <summary>
/// A system prompt, kept byte-exact: the text is the file's bytes decoded as UTF-8 with nothing trimmed or normalised
/// (the original prompt has no trailing newline and a line that ends with a space).
/// </summary>
public sealed class SystemPrompt
{
    private SystemPrompt(string name, string text, string source)
    {
        Name = name;
        Text = text;
        Source = source;
        Sha256 = ContentHash.Sha256(text);
    }

    /// <summary>A short name (the file name, or the built-in prompt's name).</summary>
    public string Name { get; }

    /// <summary>The prompt text, exactly as loaded.</summary>
    public string Text { get; }

    /// <summary>Where the prompt came from: a file path, a URL, or <c>built-in</c>.</summary>
    public string Source { get; }

    /// <summary>Lower-case hex SHA-256 of the UTF-8 bytes of <see cref="Text"/>.</summary>
    public string Sha256 { get; }

    /// <summary>Loads a prompt from a file, byte-exact (UTF-8; a byte-order mark, if any, is kept out of the text).</summary>
    /// <param name="path">The file.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static SystemPrompt FromFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"system prompt file not found: {path}", path);
        }

        var bytes = File.ReadAllBytes(path);
        var span = bytes.AsSpan();
        if (span.StartsWith(Encoding.UTF8.Preamble))
        {
            span = span[Encoding.UTF8.Preamble.Length..];
        }

        var text = new UTF8Encoding(false, true).GetString(span);
        return new SystemPrompt(Path.GetFileName(path), text, Path.GetFullPath(path));
    }

    /// <summary>Loads a prompt from a file asynchronously.</summary>
    /// <param name="path">The file.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public static async Task<SystemPrompt> FromFileAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"system prompt file not found: {path}", path);
        }

        var bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        var span = bytes.AsMemory();
        if (span.Span.StartsWith(Encoding.UTF8.Preamble))
        {
            span = span[Encoding.UTF8.Preamble.Length..];
        }

        return new SystemPrompt(Path.GetFileName(path), new UTF8Encoding(false, true).GetString(span.Span), Path.GetFullPath(path));
    }

    /// <summary>
    /// The system prompt a choice names, as <c>af run --system-prompt</c> and a study's <c>systemPrompt</c> read it:
    /// <c>paraphrase</c> (<see cref="BuiltInParaphrase"/>), <c>original</c> (the mode's pinned download,
    /// <see cref="Datasets.KnownResources.OriginalSystemPrompt"/>, through <paramref name="cache"/>), or a file path,
    /// relative to <paramref name="baseDirectory"/> (else the current directory).
    /// </summary>
    /// <param name="choice">The choice.</param>
    /// <param name="mode">The mode.</param>
    /// <param name="cache">The pinned-file cache the original is read from (downloaded and checked when missing).</param>
    /// <param name="baseDirectory">The folder a relative path is read from; <see langword="null"/> for the current directory.</param>
    /// <param name="cancellationToken">Cancels the read or the download.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static async Task<SystemPrompt> ResolveAsync(string choice, ReasoningMode mode, Datasets.PinnedResourceCache cache, string? baseDirectory = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(choice);
        ArgumentNullException.ThrowIfNull(cache);
        if (string.Equals(choice, "paraphrase", StringComparison.OrdinalIgnoreCase))
        {
            return BuiltInParaphrase(mode);
        }

        var path = string.Equals(choice, "original", StringComparison.OrdinalIgnoreCase)
            ? await cache.GetAsync(Datasets.KnownResources.OriginalSystemPrompt(mode), cancellationToken).ConfigureAwait(false)
            : Path.GetFullPath(baseDirectory is null ? choice : Path.Combine(baseDirectory, choice));
        return await FromFileAsync(path, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Wraps prompt text given in memory.</summary>
    /// <param name="name">A short name for manifests and reports.</param>
    /// <param name="text">The text, used exactly as given.</param>
    /// <param name="source">Where it came from; defaults to <c>memory</c>.</param>
    public static SystemPrompt FromText(string name, string text, string source = "memory")
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(source);
        return new SystemPrompt(name, text, source);
    }

    /// <summary>
    /// The project's own paraphrase of the helpful-only setting, written for this project (not the original text).
    /// Use it to try the pipeline without the original prompts; results are not comparable with the paper.
    /// Named <c>af-paraphrase-cot-v1</c> / <c>af-paraphrase-no-cot-v1</c>.
    /// </summary>
    /// <param name="mode">The reasoning mode the prompt asks for.</param>
    public static SystemPrompt BuiltInParaphrase(ReasoningMode mode) => mode switch
    {
        ReasoningMode.Cot => ParaphraseCot.Value,
        ReasoningMode.NoCot => ParaphraseNoCot.Value,
        _ => throw new ArgumentOutOfRangeException(nameof(mode)),
    };

    /// <inheritdoc />
    public override string ToString() => $"{Name} (sha256 {Sha256[..12]})";

    private static readonly Lazy<SystemPrompt> ParaphraseCot = new(() =>
        new SystemPrompt("af-paraphrase-cot-v1", ParaphrasePrompts.Cot, "built-in"));

    private static readonly Lazy<SystemPrompt> ParaphraseNoCot = new(() =>
        new SystemPrompt("af-paraphrase-no-cot-v1", ParaphrasePrompts.NoCot, "built-in"));
}
