using System.Globalization;
using System.Text;

namespace AlignmentFaking.Judging.Reporting;

/// <summary>
/// Renders reports: <c>report.md</c>, a self-contained <c>report.html</c> (inline CSS, SVG and JavaScript; no
/// external assets) and the chart as <c>chart.svg</c>. One run gets the full report; several runs get a comparison
/// table and chart, with each run's full report in <c>runs/NN-model/</c>.
/// </summary>
public static class ReportWriter
{
    /// <summary>File name of the Markdown report.</summary>
    public const string MarkdownFile = "report.md";

    /// <summary>File name of the HTML report.</summary>
    public const string HtmlFile = "report.html";

    /// <summary>File name of the chart.</summary>
    public const string ChartFile = "chart.svg";

    /// <summary>Folder of the per-run reports of a comparison.</summary>
    public const string RunsFolder = "runs";

    /// <summary>File name of the study's Markdown report, in the study directory.</summary>
    public const string StudyMarkdownFile = "study-report.md";

    /// <summary>File name of the study's HTML report, in the study directory.</summary>
    public const string StudyHtmlFile = "study-report.html";

    /// <summary>File name of the study's forest plot (the Markdown report shows it; the HTML report has it inline).</summary>
    public const string ForestPlotFile = "study-forest.svg";

    /// <summary>The Markdown report of one run; the chart is referenced as <see cref="ChartFile"/> next to it.</summary>
    /// <param name="run">The run.</param>
    /// <param name="options">Options; defaults when <see langword="null"/>.</param>
    public static string ToMarkdown(RunReport run, ReportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        return MarkdownRenderer.Run(run, Checked(options), ChartFile);
    }

    /// <summary>The self-contained HTML report of one run.</summary>
    /// <param name="run">The run.</param>
    /// <param name="options">Options; defaults when <see langword="null"/>.</param>
    public static string ToHtml(RunReport run, ReportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        return HtmlRenderer.Run(run, Checked(options));
    }

    /// <summary>The Markdown comparison of several runs; the chart is referenced as <see cref="ChartFile"/> next to it.</summary>
    /// <param name="comparison">The comparison.</param>
    public static string ToMarkdown(ComparisonReport comparison)
    {
        ArgumentNullException.ThrowIfNull(comparison);
        return MarkdownRenderer.Comparison(comparison, ChartFile, null);
    }

    /// <summary>The self-contained HTML comparison of several runs.</summary>
    /// <param name="comparison">The comparison.</param>
    public static string ToHtml(ComparisonReport comparison)
    {
        ArgumentNullException.ThrowIfNull(comparison);
        return HtmlRenderer.Comparison(comparison, null);
    }

    /// <summary>
    /// Writes the report files into a directory (created if missing): for one run <c>report.md</c>,
    /// <c>report.html</c> and <c>chart.svg</c>; for several runs the comparison under those names and each run's full
    /// report in <c>runs/NN-model/</c>. Existing report files are replaced.
    /// </summary>
    /// <param name="runs">The runs (at least one).</param>
    /// <param name="outputDirectory">The directory to write into.</param>
    /// <param name="options">Options; defaults when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the writes.</param>
    /// <returns>The full paths of the files written.</returns>
    public static async Task<IReadOnlyList<string>> WriteAsync(IReadOnlyList<RunReport> runs, string outputDirectory, ReportOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentException.ThrowIfNullOrEmpty(outputDirectory);
        if (runs.Count == 0)
        {
            throw new ArgumentException("at least one run is needed", nameof(runs));
        }

        options = Checked(options);
        var written = new List<string>();
        var dir = Path.GetFullPath(outputDirectory);
        if (runs.Count == 1)
        {
            await WriteRunAsync(runs[0], dir, options, written, cancellationToken).ConfigureAwait(false);
            return written;
        }

        var comparison = ComparisonReport.Create(runs);
        var links = new List<string>();
        for (int i = 0; i < runs.Count; i++)
        {
            var folder = string.Create(CultureInfo.InvariantCulture, $"{i + 1:00}-{Fmt.Slug(comparison.Labels[i])}");
            await WriteRunAsync(runs[i], Path.Combine(dir, RunsFolder, folder), options, written, cancellationToken).ConfigureAwait(false);
            links.Add($"{RunsFolder}/{folder}/{HtmlFile}");
        }

        await WriteFileAsync(Path.Combine(dir, ChartFile), StackedBarChart.ToSvg(comparison), written, cancellationToken).ConfigureAwait(false);
        await WriteFileAsync(Path.Combine(dir, MarkdownFile), MarkdownRenderer.Comparison(comparison, ChartFile, links.Select(l => l[..^HtmlFile.Length] + MarkdownFile).ToArray()), written, cancellationToken).ConfigureAwait(false);
        await WriteFileAsync(Path.Combine(dir, HtmlFile), HtmlRenderer.Comparison(comparison, links), written, cancellationToken).ConfigureAwait(false);
        return written;
    }

    /// <summary>The Markdown report of a study; the forest plot is referenced as <see cref="ForestPlotFile"/> next to it.</summary>
    /// <param name="study">The study.</param>
    public static string ToMarkdown(StudyReport study)
    {
        ArgumentNullException.ThrowIfNull(study);
        return StudyRenderer.Markdown(study, null, ForestPlotFile);
    }

    /// <summary>The self-contained HTML report of a study (the forest plot inline, no script).</summary>
    /// <param name="study">The study.</param>
    public static string ToHtml(StudyReport study)
    {
        ArgumentNullException.ThrowIfNull(study);
        return StudyRenderer.Html(study, null);
    }

    /// <summary>
    /// Writes a study's report into its directory: first each cell's own run report (<c>report.md</c>,
    /// <c>report.html</c>, <c>chart.svg</c> in the cell's run directory, as for one run) where it is missing or older
    /// than the cell's samples, then <c>study-report.md</c>, <c>study-report.html</c> and <c>study-forest.svg</c>,
    /// which link to them. A cell whose run directory is missing or unreadable is reported as such in the study report
    /// (no link); the study report is still written. Incomplete cells are marked INCOMPLETE.
    /// </summary>
    /// <param name="study">The study.</param>
    /// <param name="options">
    /// Options of the cells' reports: given, every cell's report is written with them; <see langword="null"/>, the
    /// defaults, and only missing or stale cell reports are written.
    /// </param>
    /// <param name="cancellationToken">Cancels the writes.</param>
    /// <returns>The full paths of the files written (the cells' reports first).</returns>
    public static async Task<IReadOnlyList<string>> WriteStudyAsync(StudyReport study, ReportOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(study);
        bool every = options is not null;
        options = Checked(options);
        var written = new List<string>();
        var problems = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var dir in study.Summary.Cells.Select(study.GetRunDirectory).OfType<string>().Distinct(StringComparer.Ordinal))
        {
            if (!every && !IsStale(dir))
            {
                continue;
            }

            RunReport run;
            try
            {
                run = RunReport.Load(dir);
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                problems[dir] = ex.Message;
                continue;
            }

            await WriteRunAsync(run, dir, options, written, cancellationToken).ConfigureAwait(false);
        }

        await WriteFileAsync(Path.Combine(study.Directory, ForestPlotFile), ForestPlot.ToSvg(study), written, cancellationToken).ConfigureAwait(false);
        await WriteFileAsync(Path.Combine(study.Directory, StudyMarkdownFile), StudyRenderer.Markdown(study, problems, ForestPlotFile), written, cancellationToken).ConfigureAwait(false);
        await WriteFileAsync(Path.Combine(study.Directory, StudyHtmlFile), StudyRenderer.Html(study, problems), written, cancellationToken).ConfigureAwait(false);
        return written;
    }

    /// <summary>Whether a run directory's report is missing or older than its samples, manifest or summary.</summary>
    private static bool IsStale(string dir)
    {
        var reports = new[] { HtmlFile, MarkdownFile, ChartFile }.Select(f => new FileInfo(Path.Combine(dir, f))).ToArray();
        if (reports.Any(f => !f.Exists))
        {
            return true;
        }

        var oldestReport = reports.Min(f => f.LastWriteTimeUtc);
        return new[] { Storage.RunDirectory.SamplesFile, Storage.RunDirectory.ManifestFile, Storage.RunDirectory.SummaryFile }
            .Select(f => new FileInfo(Path.Combine(dir, f)))
            .Any(f => f.Exists && f.LastWriteTimeUtc > oldestReport);
    }

    private static async Task WriteRunAsync(RunReport run, string dir, ReportOptions options, List<string> written, CancellationToken cancellationToken)
    {
        await WriteFileAsync(Path.Combine(dir, ChartFile), StackedBarChart.ToSvg(run), written, cancellationToken).ConfigureAwait(false);
        await WriteFileAsync(Path.Combine(dir, MarkdownFile), MarkdownRenderer.Run(run, options, ChartFile), written, cancellationToken).ConfigureAwait(false);
        await WriteFileAsync(Path.Combine(dir, HtmlFile), HtmlRenderer.Run(run, options), written, cancellationToken).ConfigureAwait(false);
    }

    private static async Task WriteFileAsync(string path, string content, List<string> written, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        await File.WriteAllTextAsync(temp, content, new UTF8Encoding(false), cancellationToken).ConfigureAwait(false);
        File.Move(temp, path, overwrite: true);
        written.Add(path);
    }

    private static ReportOptions Checked(ReportOptions? options)
    {
        options ??= new ReportOptions();
        options.Validate();
        return options;
    }
}
