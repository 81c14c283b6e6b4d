using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using AlignmentFaking.Internal;
using AlignmentFaking.Running;

namespace AlignmentFaking.Storage;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ExperimentSample))]
[JsonSerializable(typeof(RunSummary))]
[JsonSerializable(typeof(RunManifest))]
internal sealed partial class RunJsonContext : JsonSerializerContext;

/// <summary>The JSON settings of run files: camelCase, enums as their documented words, <c>&lt;</c> and <c>&gt;</c> kept readable.</summary>
internal static class RunJson
{
    /// <summary>Settings for one-line records (<c>samples.jsonl</c>).</summary>
    public static JsonSerializerOptions Compact { get; } = Create(false);

    /// <summary>Settings for documents (<c>manifest.json</c>, <c>summary.json</c>).</summary>
    public static JsonSerializerOptions Indented { get; } = Create(true);

    private static JsonSerializerOptions Create(bool indented)
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            WriteIndented = indented,
            TypeInfoResolver = RunJsonContext.Default,
            Converters = { new RedactingStringConverter() }, // no registered API key is ever written (see SecretRedactor)
        };
        options.MakeReadOnly();
        return options;
    }
}
