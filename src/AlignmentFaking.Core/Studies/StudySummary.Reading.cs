using System.Text.Json;
using System.Text.Json.Serialization;

namespace AlignmentFaking.Studies;

/// <summary>Reading <c>study-summary.json</c> back (what <c>af study report</c> reads).</summary>
public sealed partial class StudySummary
{
    /// <summary>Reads <c>study-summary.json</c> from a study directory.</summary>
    /// <param name="directory">The study directory.</param>
    /// <returns>The summary.</returns>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="FileNotFoundException">The directory has no <c>study-summary.json</c>.</exception>
    /// <exception cref="InvalidDataException">The file is not a study summary (its message names the file and the problem).</exception>
    public static StudySummary Load(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var full = Path.GetFullPath(directory);
        if (!Directory.Exists(full))
        {
            throw new DirectoryNotFoundException($"study directory not found: {directory}");
        }

        var path = Path.Combine(full, FileName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{directory} has no {FileName} (not a study directory, or its study has not been summarized yet)", path);
        }

        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses the JSON of <c>study-summary.json</c>.</summary>
    /// <param name="json">The JSON.</param>
    /// <param name="fileName">The name errors mention. Default: <c>study-summary.json</c>.</param>
    /// <returns>The summary.</returns>
    /// <exception cref="InvalidDataException">The JSON is not a study summary (the message names the file and the problem).</exception>
    public static StudySummary Parse(string json, string fileName = FileName)
    {
        ArgumentNullException.ThrowIfNull(json);
        StudySummary? summary;
        try
        {
            summary = JsonSerializer.Deserialize(json, StudySummaryReadJsonContext.Default.StudySummary);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{fileName}: not a study summary ({ex.Message})", ex);
        }

        if (summary is null || summary.Cells.Any(c => c is null) || summary.Comparisons.Any(c => c is null))
        {
            throw new InvalidDataException($"{fileName}: not a study summary (null where cells and comparisons are expected)");
        }

        return summary;
    }
}

/// <summary>The JSON of <c>study-summary.json</c> when read: a <c>null</c> where the format has a value is refused.</summary>
[JsonSourceGenerationOptions(RespectNullableAnnotations = true, RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(StudySummary))]
internal sealed partial class StudySummaryReadJsonContext : JsonSerializerContext;
