using System.Text.Json;
using System.Text.Json.Serialization;
using AlignmentFaking.Diagnostics;

namespace AlignmentFaking.Internal;

/// <summary>
/// (Source shared by AlignmentFaking.Core and AlignmentFaking.Judging, compiled into each.) Writes every string
/// through <see cref="SecretRedaction.RedactRegistered"/>: added to the JSON settings of every file a run writes
/// (samples, summary, manifest, judge cache, batch journals), so no registered key reaches the disk. Reading is
/// unchanged.
/// </summary>
internal sealed class RedactingStringConverter : JsonConverter<string>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetString();

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) =>
        writer.WriteStringValue(SecretRedaction.RedactRegistered(value));

    public override string ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetString()!;

    public override void WriteAsPropertyName(Utf8JsonWriter writer, string value, JsonSerializerOptions options) =>
        writer.WritePropertyName(SecretRedaction.RedactRegistered(value));
}
