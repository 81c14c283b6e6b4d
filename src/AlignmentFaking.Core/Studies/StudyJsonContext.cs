using System.Text.Json;
using System.Text.Json.Serialization;

namespace AlignmentFaking.Studies;

/// <summary>The study file's JSON: comments and trailing commas allowed, unknown fields refused.</summary>
[JsonSourceGenerationOptions(
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true)]
[JsonSerializable(typeof(Study))]
[JsonSerializable(typeof(StudyComparison[]))]
internal sealed partial class StudyJsonContext : JsonSerializerContext;
