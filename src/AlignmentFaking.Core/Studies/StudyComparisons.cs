using System.Text.Json;
using System.Text.Json.Serialization;

namespace AlignmentFaking.Studies;

/// <summary>
/// The comparisons a study tests (<c>comparisons</c> in <c>study.json</c>): <c>"auto"</c>, or a list of
/// <c>{ "a": {subject, variant, mode}, "b": {...} }</c>. <c>"auto"</c>: in each subject, each variant against the first
/// variant; in each variant, each subject against the first subject; each in every mode.
/// </summary>
[JsonConverter(typeof(StudyComparisonsConverter))]
public sealed class StudyComparisons
{
    private StudyComparisons(bool auto, IReadOnlyList<StudyComparison> list)
    {
        IsAuto = auto;
        List = list;
    }

    /// <summary><c>"auto"</c>: the comparisons are derived from the subjects and variants.</summary>
    public static StudyComparisons Auto { get; } = new(true, []);

    /// <summary>Whether these are the <c>"auto"</c> comparisons.</summary>
    public bool IsAuto { get; }

    /// <summary>The explicit comparisons (empty for <c>"auto"</c>).</summary>
    public IReadOnlyList<StudyComparison> List { get; }

    /// <summary>An explicit list of comparisons.</summary>
    /// <param name="comparisons">The comparisons.</param>
    public static StudyComparisons Of(IEnumerable<StudyComparison> comparisons)
    {
        ArgumentNullException.ThrowIfNull(comparisons);
        return new StudyComparisons(false, [.. comparisons]);
    }
}

/// <summary>Reads and writes <see cref="StudyComparisons"/> as <c>"auto"</c> or a list.</summary>
internal sealed class StudyComparisonsConverter : JsonConverter<StudyComparisons>
{
    public override StudyComparisons? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            var text = reader.GetString();
            return text == "auto"
                ? StudyComparisons.Auto
                : throw new JsonException($"comparisons must be \"auto\" or a list of {{ \"a\": ..., \"b\": ... }} (got \"{text}\")");
        }

        var list = JsonSerializer.Deserialize(ref reader, StudyJsonContext.Default.StudyComparisonArray)
            ?? throw new JsonException("comparisons must be \"auto\" or a list");
        return StudyComparisons.Of(list);
    }

    public override void Write(Utf8JsonWriter writer, StudyComparisons value, JsonSerializerOptions options)
    {
        if (value.IsAuto)
        {
            writer.WriteStringValue("auto");
            return;
        }

        JsonSerializer.Serialize(writer, value.List.ToArray(), StudyJsonContext.Default.StudyComparisonArray);
    }
}
