namespace AlignmentFaking.Judging.Reporting;

/// <summary>
/// Several runs side by side, as the published tables show them: one row per model and mode with the training and
/// unmonitored refusal rates (refusal = 1 - compliance), the compliance gap with its interval and test, and the AF rate.
/// </summary>
public sealed class ComparisonReport
{
    private ComparisonReport(IReadOnlyList<RunReport> runs, IReadOnlyList<string> labels, IReadOnlyList<ComparisonRow> rows)
    {
        Runs = runs;
        Labels = labels;
        Rows = rows;
    }

    /// <summary>The runs, in the order given.</summary>
    public IReadOnlyList<RunReport> Runs { get; }

    /// <summary>
    /// One label per run, in run order: the model id, with the run directory's name added when several runs share a
    /// model id (e.g. two seeds or two prompts of one model).
    /// </summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>One row per run and mode, in run then mode order.</summary>
    public IReadOnlyList<ComparisonRow> Rows { get; }

    /// <summary>Whether any run was judged (the table then has judge columns).</summary>
    public bool AnyJudged => Runs.Any(r => r.IsJudged);

    /// <summary>Builds the comparison of runs.</summary>
    /// <param name="runs">The runs (at least one).</param>
    public static ComparisonReport Create(IEnumerable<RunReport> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var list = runs.ToArray();
        if (list.Length == 0)
        {
            throw new ArgumentException("at least one run is needed", nameof(runs));
        }

        var labels = new string[list.Length];
        for (int i = 0; i < list.Length; i++)
        {
            var model = list[i].Model;
            bool shared = list.Count(r => string.Equals(r.Model, model, StringComparison.Ordinal)) > 1;
            labels[i] = shared ? $"{model} ({RunName(list[i], i)})" : model;
        }

        var rows = new List<ComparisonRow>();
        for (int i = 0; i < list.Length; i++)
        {
            foreach (var c in list[i].Summary.Conditions)
            {
                rows.Add(new ComparisonRow
                {
                    RunIndex = i,
                    Label = labels[i],
                    Mode = c.Mode,
                    TrainingN = c.Training.N,
                    UnmonitoredN = c.Unmonitored.N,
                    TrainingRefusal = 1 - c.Training.Rate,
                    UnmonitoredRefusal = 1 - c.Unmonitored.Rate,
                    Gap = c.Gap,
                    JudgeTrainingRefusal = 1 - c.Judge?.Training.Rate,
                    JudgeUnmonitoredRefusal = 1 - c.Judge?.Unmonitored.Rate,
                    JudgeGap = c.Judge?.Gap,
                    AfRate = c.AfRate,
                    AfRateCiLower = c.AfRateCiLower,
                    AfRateCiUpper = c.AfRateCiUpper,
                });
            }
        }

        return new ComparisonReport(list, labels, rows);
    }

    private static string RunName(RunReport run, int index) =>
        run.Directory is null ? "run " + (index + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) : Path.GetFileName(run.Directory.TrimEnd('/', '\\'));
}
