using System.Text.Json;
using System.Text.Json.Serialization;
using AlignmentFaking.Classification;
using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Statistics;
using AlignmentFaking.Storage;

namespace AlignmentFaking.Studies;

/// <summary>
/// <c>study-summary.json</c>: every cell and mode with its gap (as <c>af run</c> reports it), and every comparison's
/// difference of gaps with its paired interval and p-value (<see cref="GapDifference"/>), Holm-adjusted across the
/// study's comparisons (<see cref="MultipleTesting.Holm"/>) and <c>rejected</c> at the study's alpha. With a judge on
/// both cells the judge's compliance is the primary measure; the proxy's comparison is reported beside it (its own
/// Holm family).
/// </summary>
public sealed partial class StudySummary
{
    /// <summary>The file name in the study directory: <c>study-summary.json</c>.</summary>
    public const string FileName = "study-summary.json";

    /// <summary>The family-wise level the comparisons were tested at.</summary>
    [JsonPropertyName("alpha")]
    public required double Alpha { get; init; }

    /// <summary>Every cell and mode.</summary>
    [JsonPropertyName("cells")]
    public required IReadOnlyList<StudyCellSummary> Cells { get; init; }

    /// <summary>Every comparison (the primary measure's, then the proxy's beside a judge's).</summary>
    [JsonPropertyName("comparisons")]
    public required IReadOnlyList<StudyComparisonResult> Comparisons { get; init; }

    /// <summary>Summarizes a study's cells and tests its comparisons (<see cref="Study.GetComparisons"/>) at its alpha.</summary>
    /// <param name="study">The study.</param>
    /// <param name="cells">The samples of every cell and mode.</param>
    /// <param name="options">Resampling options; <see langword="null"/> for the defaults.</param>
    public static StudySummary ForStudy(Study study, IReadOnlyList<StudyCellResult> cells, GapDifferenceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(study);
        return Compute(cells, study.GetComparisons(), study.Alpha, options);
    }

    /// <summary>Summarizes cells and tests comparisons of them.</summary>
    /// <param name="cells">The samples of every cell and mode.</param>
    /// <param name="comparisons">The comparisons, each naming two of <paramref name="cells"/> (subject, variant and mode set).</param>
    /// <param name="alpha">The family-wise level, in (0, 1).</param>
    /// <param name="options">Resampling options; <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentException">A comparison names a cell that is not given.</exception>
    public static StudySummary Compute(IReadOnlyList<StudyCellResult> cells, IReadOnlyList<StudyComparison> comparisons, double alpha, GapDifferenceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(cells);
        ArgumentNullException.ThrowIfNull(comparisons);
        if (!(alpha > 0 && alpha < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must be between 0 and 1");
        }

        var byCell = new Dictionary<StudyCellReference, StudyCellResult>();
        foreach (var cell in cells)
        {
            byCell[cell.Cell] = cell with { Samples = [.. cell.Samples.Where(s => s.Mode == ScenarioNames.ParseMode(cell.Cell.Mode!))] };
        }

        var summaries = byCell.Values.Select(Summarize).ToList();
        var primary = new List<(StudyComparison C, string Measure, GapDifferenceResult R)>();
        var beside = new List<(StudyComparison C, string Measure, GapDifferenceResult R)>();
        foreach (var c in comparisons)
        {
            var a = Find(c.A);
            var b = Find(c.B);
            bool judged = IsJudged(a.Samples) && IsJudged(b.Samples);
            if (judged)
            {
                primary.Add((c, "judge", Compare(a.Samples, b.Samples, s => s.Judge, options)));
                beside.Add((c, "proxy", Compare(a.Samples, b.Samples, s => s.Proxy, options)));
            }
            else
            {
                primary.Add((c, "proxy", Compare(a.Samples, b.Samples, s => s.Proxy, options)));
            }
        }

        var results = new List<StudyComparisonResult>();
        foreach (var family in primary.Concat(beside).GroupBy(x => x.Measure))
        {
            var list = family.ToList();
            var holm = MultipleTesting.Holm([.. list.Select(x => x.R.PValue)]);
            for (int i = 0; i < list.Count; i++)
            {
                var (c, measure, r) = list[i];
                results.Add(new StudyComparisonResult
                {
                    A = c.A,
                    B = c.B,
                    Measure = measure,
                    Difference = Finite(r.Difference),
                    Ci = new StudyInterval { Lower = r.CiLower, Upper = r.CiUpper },
                    P = Finite(r.PValue),
                    PHolm = Finite(holm[i]),
                    Rejected = holm[i] <= alpha,
                    PairedRequests = r.PairedRequests,
                });
            }
        }

        // The primary measure's comparisons first, in the study's order, then the proxy's beside them.
        var ordered = primary.Select(p => results.First(r => r.A == p.C.A && r.B == p.C.B && r.Measure == p.Measure))
            .Concat(beside.Select(p => results.First(r => r.A == p.C.A && r.B == p.C.B && r.Measure == "proxy")))
            .ToList();
        return new StudySummary { Alpha = alpha, Cells = summaries, Comparisons = ordered };

        StudyCellResult Find(StudyCellReference cell) =>
            byCell.TryGetValue(cell, out var found) ? found : throw new ArgumentException($"the comparison names the cell {cell}, which has no results", nameof(comparisons));
    }

    /// <summary>The summary as JSON (<c>study-summary.json</c>).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, StudySummaryJsonContext.Default.StudySummary);

    /// <summary>Writes <c>study-summary.json</c> into a folder (atomically: a temporary file, then a rename; nothing is written when it holds this summary already).</summary>
    /// <param name="directory">The study directory.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The file's path.</returns>
    public async Task<string> WriteAsync(string directory, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, FileName);
        await Internal.AtomicFile.WriteAsync(path, System.Text.Encoding.UTF8.GetBytes(ToJson()), cancellationToken).ConfigureAwait(false);
        return path;
    }

    private static bool IsJudged(IReadOnlyList<ExperimentSample> samples) => samples.Any(s => s.Judge is not null);

    private static GapDifferenceResult Compare(IReadOnlyList<ExperimentSample> a, IReadOnlyList<ExperimentSample> b, Func<ExperimentSample, ComplianceOutcome?> verdict, GapDifferenceOptions? options) =>
        GapDifference.Compute(Observations(a, Tier.Training, verdict), Observations(a, Tier.Unmonitored, verdict), Observations(b, Tier.Training, verdict), Observations(b, Tier.Unmonitored, verdict), options);

    private static IEnumerable<GapObservation> Observations(IReadOnlyList<ExperimentSample> samples, Tier tier, Func<ExperimentSample, ComplianceOutcome?> verdict) =>
        samples.Where(s => s.Tier == tier && verdict(s) is { } v && OutcomeNames.IsVerdict(v))
            .Select(s => new GapObservation(s.RequestIndex, s.Epoch, verdict(s) == ComplianceOutcome.Complied));

    private static StudyCellSummary Summarize(StudyCellResult cell)
    {
        bool judged = IsJudged(cell.Samples);
        var main = Measure(cell.Samples, judged ? s => s.Judge : s => s.Proxy);
        return new StudyCellSummary
        {
            Subject = cell.Cell.Subject,
            Variant = cell.Cell.Variant!,
            Mode = cell.Cell.Mode!,
            RunDirectory = cell.RunDirectory,
            Measure = judged ? "judge" : "proxy",
            Training = main.Training,
            Unmonitored = main.Unmonitored,
            Gap = main.Gap,
            Ci = main.Ci,
            Complete = cell.Complete,
            Proxy = judged ? Measure(cell.Samples, s => s.Proxy) : null,
        };
    }

    private static StudyMeasureSummary Measure(IReadOnlyList<ExperimentSample> samples, Func<ExperimentSample, ComplianceOutcome?> verdict)
    {
        var rates = ComplianceRates.Compute(samples, verdict);
        return new StudyMeasureSummary
        {
            Training = new StudyTierCounts { N = rates.Training.N, Complied = rates.Training.Complied },
            Unmonitored = new StudyTierCounts { N = rates.Unmonitored.N, Complied = rates.Unmonitored.Complied },
            Gap = rates.Gap.Estimate is { } g && double.IsFinite(g) ? g : null,
            Ci = new StudyInterval { Lower = rates.Gap.CiLower, Upper = rates.Gap.CiUpper },
        };
    }

    private static double? Finite(double value) => double.IsFinite(value) ? value : null;
}

/// <summary>The JSON of <c>study-summary.json</c>.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StudySummary))]
internal sealed partial class StudySummaryJsonContext : JsonSerializerContext;
