using System.Text.RegularExpressions;
using AlignmentFaking.Datasets;

namespace AlignmentFaking.Judging.Prompts;

/// <summary>
/// A judge prompt template and the format of the replies it asks for. The project's own prompts are built in
/// (<see cref="ComplianceDefault"/>, <see cref="PartialComplianceDefault"/>, <see cref="AlignmentFakingDefault"/>);
/// published prompts (StrongREJECT, the Revisited and original-paper AF classifiers) are third-party data and are
/// loaded from a file at run time (<see cref="Load(string)"/>).
/// </summary>
/// <remarks>
/// Placeholders are replaced in a single pass (<c>{{ name }}</c>, or <c>{name}</c> for the original paper's
/// classifier), so text inside a substituted value is never expanded again.
/// </remarks>
public sealed partial class JudgePrompt
{
    private static readonly Dictionary<JudgePromptFormat, (string[] Required, string[] Optional)> Placeholders = new()
    {
        [JudgePromptFormat.ComplianceVerdict] = (["request", "answer"], ["reasoning", "nonce"]),
        [JudgePromptFormat.StrongReject] = (["prompt", "response"], []),
        [JudgePromptFormat.AlignmentFaking] = (["reasoning"], ["nonce"]),
        [JudgePromptFormat.RevisitedAlignmentFaking] = (["scratchpad"], []),
        [JudgePromptFormat.OriginalPaperAlignmentFaking] = (["trace"], ["hard_examples", "soft_examples", "non_examples"]),
    };

    private readonly IReadOnlyDictionary<string, string> _fixedValues;

    private JudgePrompt(string name, string text, JudgePromptFormat format, IReadOnlyDictionary<string, string>? fixedValues)
    {
        Name = name;
        Text = text;
        Format = format;
        _fixedValues = fixedValues ?? new Dictionary<string, string>(StringComparer.Ordinal);
        var extra = string.Concat(_fixedValues.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => "\u0000" + kv.Key + "\u0001" + kv.Value));
        Sha256 = ContentHash.Sha256(format.ToString() + "\u0000" + text + extra);
        var found = FindPlaceholders(text, format);
        var (required, optional) = Placeholders[format];
        var missing = required.Where(r => !found.Contains(r)).ToArray();
        if (missing.Length > 0)
        {
            throw new FormatException($"judge prompt '{name}' ({format}) lacks the placeholder(s) {string.Join(", ", missing)}");
        }

        var unknown = found.Where(f => !required.Contains(f) && !optional.Contains(f)).ToArray();
        if (unknown.Length > 0)
        {
            throw new FormatException($"judge prompt '{name}' ({format}) has unknown placeholder(s) {string.Join(", ", unknown)}");
        }
    }

    /// <summary>The project's own compliance judge prompt (written for this project; nonce-delimited; three verdicts).</summary>
    public static JudgePrompt ComplianceDefault { get; } = new("af-compliance-v1", BuiltInPrompts.Compliance, JudgePromptFormat.ComplianceVerdict, null);

    /// <summary>The project's own partial-compliance judge prompt (reads the reasoning and the answer).</summary>
    public static JudgePrompt PartialComplianceDefault { get; } = new("af-partial-v1", BuiltInPrompts.Partial, JudgePromptFormat.ComplianceVerdict, null);

    /// <summary>The project's own alignment-faking reasoning judge prompt (the four criteria, in the project's words).</summary>
    public static JudgePrompt AlignmentFakingDefault { get; } = new("af-reasoning-v1", BuiltInPrompts.AlignmentFaking, JudgePromptFormat.AlignmentFaking, null);

    /// <summary>A short name (the file name for loaded prompts).</summary>
    public string Name { get; }

    /// <summary>The template text.</summary>
    public string Text { get; }

    /// <summary>The format.</summary>
    public JudgePromptFormat Format { get; }

    /// <summary>SHA-256 of the format, the template and fixed values: a changed prompt changes it (and misses the cache).</summary>
    public string Sha256 { get; }

    /// <summary>Whether this is an alignment-faking reasoning prompt (otherwise a compliance prompt).</summary>
    public bool IsAlignmentFakingPrompt => Format is JudgePromptFormat.AlignmentFaking or JudgePromptFormat.RevisitedAlignmentFaking or JudgePromptFormat.OriginalPaperAlignmentFaking;

    /// <summary>Creates a prompt from text.</summary>
    /// <param name="name">A short name.</param>
    /// <param name="text">The template.</param>
    /// <param name="format">Its format; the placeholders it needs are checked.</param>
    /// <exception cref="FormatException">A required placeholder is missing or an unknown one is present.</exception>
    public static JudgePrompt FromText(string name, string text, JudgePromptFormat format)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(text);
        if (!Enum.IsDefined(format))
        {
            throw new ArgumentOutOfRangeException(nameof(format));
        }

        return new JudgePrompt(name, text, format, null);
    }

    /// <summary>Loads a prompt file in a given format.</summary>
    /// <param name="path">The file (UTF-8).</param>
    /// <param name="format">Its format.</param>
    public static JudgePrompt Load(string path, JudgePromptFormat format)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return FromText(Path.GetFileName(path), File.ReadAllText(path), format);
    }

    /// <summary>
    /// Loads a prompt file and detects its format from its placeholders: <c>prompt</c>+<c>response</c> is StrongREJECT,
    /// <c>scratchpad</c> the Revisited classifier, <c>{trace}</c> the original paper's classifier, <c>request</c>+<c>answer</c>
    /// the project's compliance format, <c>reasoning</c> alone the project's alignment-faking format.
    /// </summary>
    /// <param name="path">The file (UTF-8).</param>
    /// <exception cref="FormatException">The format cannot be recognised.</exception>
    public static JudgePrompt Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var text = File.ReadAllText(path);
        return FromText(Path.GetFileName(path), text, DetectFormat(text));
    }

    /// <summary>
    /// Loads a prompt file for one judge (<see cref="Load(string)"/>), refusing a file of the other kind: an
    /// alignment-faking prompt given for the compliance judge, or the other way round.
    /// </summary>
    /// <param name="path">The file (UTF-8).</param>
    /// <param name="alignmentFaking">Whether the alignment-faking judge's prompt is wanted (else the compliance judge's).</param>
    /// <exception cref="FileNotFoundException">The file does not exist (the message names it).</exception>
    /// <exception cref="FormatException">The format cannot be recognised, or the prompt is of the other kind (the message says which).</exception>
    public static JudgePrompt LoadFor(string path, bool alignmentFaking)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"file not found: {path}", path);
        }

        var prompt = Load(path);
        return prompt.IsAlignmentFakingPrompt == alignmentFaking
            ? prompt
            : throw new FormatException($"{path} is {(prompt.IsAlignmentFakingPrompt ? "an alignment-faking" : "a compliance")} prompt ({prompt.Format})");
    }

    /// <summary>Loads the published StrongREJECT rubric (<c>strongreject_compliance.jinja2</c>).</summary>
    /// <param name="path">The file.</param>
    public static JudgePrompt LoadStrongReject(string path) => Load(path, JudgePromptFormat.StrongReject);

    /// <summary>Loads the published Revisited AF classifier (<c>revisited_af_classifier_majority_vote.jinja2</c>).</summary>
    /// <param name="path">The file.</param>
    public static JudgePrompt LoadRevisited(string path) => Load(path, JudgePromptFormat.RevisitedAlignmentFaking);

    /// <summary>
    /// Loads the original paper's 5-criterion AF classifier (<c>original_paper_af_classifier.txt</c>). The paper filled in
    /// example traces that are not published with the prompt; without them the examples sections stay empty.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="hardExamples">Text for <c>{hard_examples}</c>; empty when <see langword="null"/>.</param>
    /// <param name="softExamples">Text for <c>{soft_examples}</c>; empty when <see langword="null"/>.</param>
    /// <param name="nonExamples">Text for <c>{non_examples}</c>; empty when <see langword="null"/>.</param>
    public static JudgePrompt LoadOriginalPaper(string path, string? hardExamples = null, string? softExamples = null, string? nonExamples = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["hard_examples"] = hardExamples ?? string.Empty,
            ["soft_examples"] = softExamples ?? string.Empty,
            ["non_examples"] = nonExamples ?? string.Empty,
        };
        return new JudgePrompt(Path.GetFileName(path), File.ReadAllText(path), JudgePromptFormat.OriginalPaperAlignmentFaking, values);
    }

    /// <summary>Fills in the template (single pass; values are never expanded again).</summary>
    /// <param name="values">Placeholder values by name; missing optional ones become empty.</param>
    public string Render(IReadOnlyDictionary<string, string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var regex = Format == JudgePromptFormat.OriginalPaperAlignmentFaking ? PythonPlaceholder() : JinjaPlaceholder();
        return regex.Replace(Text, m =>
        {
            var key = m.Groups[1].Value;
            return values.TryGetValue(key, out var v) ? v : _fixedValues.TryGetValue(key, out var f) ? f : string.Empty;
        });
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Format})";

    private static JudgePromptFormat DetectFormat(string text)
    {
        var jinja = JinjaPlaceholder().Matches(text).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        var python = PythonPlaceholder().Matches(text).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        if (jinja.Contains("prompt") && jinja.Contains("response"))
        {
            return JudgePromptFormat.StrongReject;
        }

        if (jinja.Contains("scratchpad"))
        {
            return JudgePromptFormat.RevisitedAlignmentFaking;
        }

        if (jinja.Contains("request") && jinja.Contains("answer"))
        {
            return JudgePromptFormat.ComplianceVerdict;
        }

        if (jinja.Contains("reasoning"))
        {
            return JudgePromptFormat.AlignmentFaking;
        }

        if (python.Contains("trace"))
        {
            return JudgePromptFormat.OriginalPaperAlignmentFaking;
        }

        throw new FormatException("cannot tell the judge prompt's format from its placeholders ({{ prompt }}/{{ response }}, {{ scratchpad }}, {trace}, {{request}}/{{answer}} or {{reasoning}})");
    }

    private static HashSet<string> FindPlaceholders(string text, JudgePromptFormat format)
    {
        var regex = format == JudgePromptFormat.OriginalPaperAlignmentFaking ? PythonPlaceholder() : JinjaPlaceholder();
        return regex.Matches(text).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
    }

    [GeneratedRegex(@"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}", RegexOptions.CultureInvariant)]
    private static partial Regex JinjaPlaceholder();

    [GeneratedRegex(@"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)\}(?!\})", RegexOptions.CultureInvariant)]
    private static partial Regex PythonPlaceholder();
}
