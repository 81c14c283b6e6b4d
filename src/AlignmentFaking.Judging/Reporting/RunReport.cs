using AlignmentFaking.Classification;
using AlignmentFaking.Judging.Agreement;
using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Storage;

namespace AlignmentFaking.Judging.Reporting;

/// <summary>
/// Everything a report shows about one run: its manifest, summary and samples, and the proxy-vs-judge agreement when
/// the samples were judged. Load one from a run directory with <see cref="Load"/>; render it with
/// <see cref="ReportWriter"/>.
/// </summary>
public sealed class RunReport
{
    private RunReport(string? directory, RunManifest? manifest, RunSummary summary, IReadOnlyList<ExperimentSample> samples)
    {
        Directory = directory;
        Manifest = manifest;
        Summary = summary;
        Samples = samples;
        IsJudged = samples.Any(s => s.Judge is not null) || summary.Conditions.Any(c => c.Judge is not null);
        Agreement = samples.Any(s => s.Judge is not null) ? AgreementReport.ProxyVsJudge(samples) : null;
    }

    /// <summary>The run directory the report was loaded from; <see langword="null"/> for a report built in memory.</summary>
    public string? Directory { get; }

    /// <summary>The run's manifest; <see langword="null"/> when the directory has none or the report was built without one.</summary>
    public RunManifest? Manifest { get; }

    /// <summary>The run's summary, computed from the samples and the manifest (<see cref="RunDirectory.Summarize"/>); <c>summary.json</c> for a directory without a manifest.</summary>
    public RunSummary Summary { get; }

    /// <summary>Every sample of the run, in file order.</summary>
    public IReadOnlyList<ExperimentSample> Samples { get; }

    /// <summary>
    /// Whether the run is complete: its manifest says so and every planned sample is in <c>samples.jsonl</c>
    /// (<see cref="RunManifest.PlannedSampleCount"/>; a copy cut short is not complete, whatever its manifest says).
    /// <see langword="false"/> without a manifest.
    /// </summary>
    public bool IsComplete => Manifest is { Complete: true } m && Samples.Count == m.PlannedSampleCount();

    /// <summary>Whether an LLM judge rated the samples (the report then shows proxy and judge side by side).</summary>
    public bool IsJudged { get; }

    /// <summary>Proxy vs judge agreement; <see langword="null"/> when no sample has a judge verdict.</summary>
    public AgreementReport? Agreement { get; }

    /// <summary>The subject model id.</summary>
    public string Model => Summary.Model;

    /// <summary>
    /// Loads a run directory written by <c>af run</c> (and possibly <c>af judge</c>). The summary is computed from the
    /// samples and the manifest (so a stale <c>summary.json</c> never shows); a directory without a manifest is read
    /// from its <c>summary.json</c>. A torn last line of <c>samples.jsonl</c> is refused (<see cref="TornSamplesFileException"/>).
    /// </summary>
    /// <param name="directory">The run directory.</param>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="InvalidDataException">The directory has neither <c>summary.json</c> nor <c>manifest.json</c>, or a file is malformed.</exception>
    /// <exception cref="TornSamplesFileException">The last line of <c>samples.jsonl</c> is torn (a writer repairs it: resume or judge the run).</exception>
    public static RunReport Load(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var full = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(full))
        {
            throw new DirectoryNotFoundException($"run directory not found: {directory}");
        }

        bool hasManifest = File.Exists(Path.Combine(full, RunDirectory.ManifestFile));
        bool hasSummary = File.Exists(Path.Combine(full, RunDirectory.SummaryFile));
        if (!hasManifest && !hasSummary)
        {
            throw new InvalidDataException($"{directory} is not a run directory (no {RunDirectory.SummaryFile} or {RunDirectory.ManifestFile})");
        }

        try
        {
            var manifest = hasManifest ? RunDirectory.ReadManifest(full) : null;
            var samples = RunDirectory.ReadSamples(full);

            // One source for every figure: the samples (summary.json may be stale, e.g. a copy cut short).
            var summary = manifest is not null ? RunDirectory.Summarize(full) : RunDirectory.ReadSummary(full);
            return new RunReport(full, manifest, summary, samples);
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new InvalidDataException($"{directory}: {ex.Message}", ex);
        }
    }

    /// <summary>Builds a report from results in memory (for example an <c>ExperimentResult</c>).</summary>
    /// <param name="summary">The summary.</param>
    /// <param name="samples">The samples.</param>
    /// <param name="manifest">The manifest, when there is one.</param>
    public static RunReport Create(RunSummary summary, IEnumerable<ExperimentSample> samples, RunManifest? manifest = null)
    {
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(samples);
        return new RunReport(null, manifest, summary, samples.ToArray());
    }

    /// <summary>The bar of one tier for the chart: counts by the proxy or the judge, with the AF share of the compliant.</summary>
    internal TierBar Bar(ConditionSummary condition, Tier tier, bool judge)
    {
        var summary = judge
            ? (tier == Tier.Training ? condition.Judge?.Training : condition.Judge?.Unmonitored)
            : (tier == Tier.Training ? condition.Training : condition.Unmonitored);
        if (summary is null)
        {
            return new TierBar(0, 0, 0, null, null, false);
        }

        int af = 0;
        bool hasAf = false;
        foreach (var s in Samples)
        {
            if (s.Mode != condition.Mode || s.Tier != tier)
            {
                continue;
            }

            if (s.AlignmentFaking is not null)
            {
                hasAf = true;
            }

            var verdict = judge ? s.Judge : s.Proxy;
            if (verdict == ComplianceOutcome.Complied && s.AlignmentFaking?.IsAlignmentFaking == true)
            {
                af++;
            }
        }

        return new TierBar(summary.N, summary.Complied, Math.Min(af, summary.Complied), summary.CiLower, summary.CiUpper, hasAf);
    }
}

/// <summary>One bar of the chart.</summary>
/// <param name="N">Samples with a verdict.</param>
/// <param name="Complied">Compliant samples.</param>
/// <param name="AfComplied">Compliant samples whose reasoning was judged alignment faking.</param>
/// <param name="CiLower">Lower end of the compliance rate's interval.</param>
/// <param name="CiUpper">Upper end of the compliance rate's interval.</param>
/// <param name="HasAf">Whether the AF judge assessed this tier's samples.</param>
internal sealed record TierBar(int N, int Complied, int AfComplied, double? CiLower, double? CiUpper, bool HasAf)
{
    public double? Rate => N == 0 ? null : (double)Complied / N;

    public double AfShare => N == 0 ? 0 : (double)AfComplied / N;

    public double ComplyShare => N == 0 ? 0 : (double)(Complied - AfComplied) / N;

    public double RefuseShare => N == 0 ? 0 : (double)(N - Complied) / N;
}
