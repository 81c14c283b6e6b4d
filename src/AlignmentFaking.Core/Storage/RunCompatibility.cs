using System.Globalization;

namespace AlignmentFaking.Storage;

/// <summary>
/// Decides whether a run directory can be resumed with a new manifest: everything that changes what a sample means
/// (model, options other than concurrency, dataset slice and bytes, prompts, user template) must be equal.
/// </summary>
internal static class RunCompatibility
{
    /// <summary>Lists the differences that forbid mixing samples of <paramref name="existing"/> and <paramref name="requested"/>.</summary>
    /// <param name="existing">The manifest in the run directory.</param>
    /// <param name="requested">The manifest of the run about to start.</param>
    /// <returns>One line per difference, <c>field: was X, now Y</c>; empty when compatible.</returns>
    /// <param name="ignoreShard">Compare everything but the shard (for merging shards).</param>
    public static IReadOnlyList<string> Differences(RunManifest existing, RunManifest requested, bool ignoreShard = false)
    {
        ArgumentNullException.ThrowIfNull(existing);
        ArgumentNullException.ThrowIfNull(requested);
        var differences = new List<string>();
        void Compare<T>(string field, T was, T now)
        {
            if (!EqualityComparer<T>.Default.Equals(was, now))
            {
                differences.Add(string.Create(CultureInfo.InvariantCulture, $"{field}: was {Show(was)}, now {Show(now)}"));
            }
        }

        Compare("schemaVersion", existing.SchemaVersion, requested.SchemaVersion);
        if (!ignoreShard)
        {
            Compare("shard", existing.Shard, requested.Shard);
        }
        Compare("model", existing.Model, requested.Model);
        Compare("subject", existing.Subject, requested.Subject);
        var a = existing.Options;
        var b = requested.Options;
        Compare("options.modes", string.Join(',', a.Modes), string.Join(',', b.Modes));
        Compare("options.tiers", string.Join(',', a.Tiers), string.Join(',', b.Tiers));
        Compare("options.epochs", a.Epochs, b.Epochs);
        Compare("options.temperature", a.Temperature, b.Temperature);
        Compare("options.maxOutputTokens", a.MaxOutputTokens, b.MaxOutputTokens);
        Compare("options.seed", a.Seed, b.Seed);
        Compare("options.maxTurns", a.MaxTurns, b.MaxTurns);
        Compare("options.extraction", a.Extraction, b.Extraction);
        Compare("options.prefillPolicy", a.PrefillPolicy, b.PrefillPolicy);
        Compare("options.prefillUsed", a.PrefillUsed, b.PrefillUsed);
        Compare("options.prefillText", PrefillTexts(a), PrefillTexts(b));
        Compare("options.reasoningEffort", a.ReasoningEffort, b.ReasoningEffort);
        Compare("options.thinkingBudget", a.ThinkingBudget, b.ThinkingBudget);
        Compare("options.userTemplateSha256", a.UserTemplateSha256, b.UserTemplateSha256);
        Compare("dataset.sha256", existing.Dataset.Sha256, requested.Dataset.Sha256);
        Compare("dataset.offset", existing.Dataset.Offset, requested.Dataset.Offset);
        Compare("dataset.limit", existing.Dataset.Limit, requested.Dataset.Limit);
        var promptsWas = string.Join(',', existing.Prompts.OrderBy(p => p.Mode).Select(p => $"{p.Mode}:{p.Sha256}"));
        var promptsNow = string.Join(',', requested.Prompts.OrderBy(p => p.Mode).Select(p => $"{p.Mode}:{p.Sha256}"));
        Compare("prompts", promptsWas, promptsNow);
        return differences;
    }

    private static string? PrefillTexts(RunOptionsRecord options) =>
        options.PrefillText is { Count: > 0 } texts ? string.Join(", ", texts.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}: \"{kv.Value}\"")) : null;

    private static string Show<T>(T value) => value switch
    {
        null => "(none)",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "(none)",
    };
}
