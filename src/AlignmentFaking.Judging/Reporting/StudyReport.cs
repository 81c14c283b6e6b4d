using AlignmentFaking.Studies;

namespace AlignmentFaking.Judging.Reporting;

/// <summary>
/// Everything the study report shows about a study directory (<c>af study run</c>'s): its <c>study-summary.json</c>
/// (every cell and mode with its gap, every comparison with its Holm-adjusted p-value), the study file pinned beside it
/// when there is one, and where each cell's run directory is. Load one with <see cref="Load"/>; render it with
/// <see cref="ReportWriter.ToHtml(StudyReport)"/>, <see cref="ReportWriter.ToMarkdown(StudyReport)"/> or write the
/// files with <see cref="ReportWriter.WriteStudyAsync"/>.
/// </summary>
public sealed class StudyReport
{
    private StudyReport(string directory, StudySummary summary, Study? study, string? studyProblem)
    {
        Directory = directory;
        Summary = summary;
        Study = study;
        StudyFileProblem = studyProblem;
    }

    /// <summary>The study directory (full path).</summary>
    public string Directory { get; }

    /// <summary>The study's <c>study-summary.json</c>.</summary>
    public StudySummary Summary { get; }

    /// <summary>The study file pinned in the directory (<c>study.json</c>); <see langword="null"/> when there is none or it is unreadable (see <see cref="StudyFileProblem"/>).</summary>
    public Study? Study { get; }

    /// <summary>Why the directory's <c>study.json</c> could not be read, when it could not; otherwise <see langword="null"/>.</summary>
    public string? StudyFileProblem { get; }

    /// <summary>The study's name (from <c>study.json</c>), else the directory's name.</summary>
    public string Name => Study?.Name is { Length: > 0 } name ? name : Path.GetFileName(Directory.TrimEnd('/', '\\'));

    /// <summary>Whether every cell of the summary is complete (every planned sample was run).</summary>
    public bool IsComplete => Summary.Cells.All(c => c.Complete);

    /// <summary>
    /// Loads a study directory: <c>study-summary.json</c> (required) and <c>study.json</c> (optional: a study file
    /// that does not load is named in <see cref="StudyFileProblem"/>, and the report is written without it).
    /// </summary>
    /// <param name="directory">The study directory.</param>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="FileNotFoundException">The directory has no <c>study-summary.json</c>.</exception>
    /// <exception cref="InvalidDataException"><c>study-summary.json</c> is malformed.</exception>
    public static StudyReport Load(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var full = Path.GetFullPath(directory);
        var summary = StudySummary.Load(full);
        Study? study = null;
        string? problem = null;
        var studyFile = Path.Combine(full, Studies.Study.FileName);
        if (File.Exists(studyFile))
        {
            try
            {
                study = Studies.Study.Load(studyFile);
            }
            catch (Exception ex) when (ex is StudyValidationException or IOException or UnauthorizedAccessException)
            {
                problem = ex.Message;
            }
        }

        return new StudyReport(full, summary, study, problem);
    }

    /// <summary>Builds a report from a summary in memory (links to the cells' reports resolve against <paramref name="directory"/>).</summary>
    /// <param name="directory">The study directory the cells' relative run directories resolve against.</param>
    /// <param name="summary">The summary.</param>
    /// <param name="study">The study, when there is one.</param>
    public static StudyReport Create(string directory, StudySummary summary, Study? study = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(summary);
        return new StudyReport(Path.GetFullPath(directory), summary, study, null);
    }

    /// <summary>
    /// The full path of a cell's run directory: its <c>runDirectory</c> (absolute, or relative to the study directory),
    /// else the study layout's <c>cells/subject/variant</c>; <see langword="null"/> when that directory does not exist.
    /// </summary>
    /// <param name="cell">A cell of <see cref="Summary"/>.</param>
    public string? GetRunDirectory(StudyCellSummary cell)
    {
        ArgumentNullException.ThrowIfNull(cell);
        string path;
        if (!string.IsNullOrEmpty(cell.RunDirectory))
        {
            path = Path.GetFullPath(cell.RunDirectory, Directory);
        }
        else if (IsSafeSegment(cell.Subject) && IsSafeSegment(cell.Variant))
        {
            path = Path.Combine(Directory, "cells", cell.Subject, cell.Variant);
        }
        else
        {
            return null;
        }

        return System.IO.Directory.Exists(path) ? path : null;
    }

    private static bool IsSafeSegment(string? id) =>
        !string.IsNullOrEmpty(id) && id is not ("." or "..") && id.IndexOfAny(['/', '\\', '\0']) < 0;
}
