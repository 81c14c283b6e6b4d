using System.Text.Json;
using System.Text.Json.Serialization;
using AlignmentFaking.Scenarios;

namespace AlignmentFaking.Studies;

/// <summary>
/// A system prompt choice as <c>af run</c>'s <c>--system-prompt</c>: <c>original</c> (the pinned download),
/// <c>paraphrase</c> (the project's own) or a file path (relative to the study file); in JSON either one string for
/// every mode or <c>{ "cot": ..., "no-cot": ... }</c>.
/// </summary>
[JsonConverter(typeof(StudySystemPromptConverter))]
public sealed record StudySystemPrompt
{
    /// <summary>The value for CoT; <see langword="null"/> when not set (the default applies).</summary>
    public string? Cot { get; init; }

    /// <summary>The value for no-CoT; <see langword="null"/> when not set (the default applies).</summary>
    public string? NoCot { get; init; }

    /// <summary>One value for every mode.</summary>
    /// <param name="value"><c>original</c>, <c>paraphrase</c> or a path.</param>
    public static StudySystemPrompt ForAll(string value) => new() { Cot = value, NoCot = value };

    /// <summary>The value for a mode, or <see langword="null"/>.</summary>
    /// <param name="mode">The mode.</param>
    public string? For(ReasoningMode mode) => mode == ReasoningMode.Cot ? Cot : NoCot;
}

/// <summary>Reads and writes <see cref="StudySystemPrompt"/> as a string or a <c>{cot, no-cot}</c> object.</summary>
internal sealed class StudySystemPromptConverter : JsonConverter<StudySystemPrompt>
{
    public override StudySystemPrompt? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return StudySystemPrompt.ForAll(reader.GetString()!);
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("systemPrompt must be a string (original, paraphrase or a path) or an object { \"cot\": ..., \"no-cot\": ... }");
        }

        string? cot = null, noCot = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString();
            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
            {
                throw new JsonException($"systemPrompt.{name} must be a string");
            }

            switch (name)
            {
                case "cot":
                    cot = reader.GetString();
                    break;
                case "no-cot":
                    noCot = reader.GetString();
                    break;
                default:
                    throw new JsonException($"systemPrompt has no field '{name}' (allowed: cot, no-cot)");
            }
        }

        return new StudySystemPrompt { Cot = cot, NoCot = noCot };
    }

    public override void Write(Utf8JsonWriter writer, StudySystemPrompt value, JsonSerializerOptions options)
    {
        if (value.Cot is not null && value.Cot == value.NoCot)
        {
            writer.WriteStringValue(value.Cot);
            return;
        }

        writer.WriteStartObject();
        if (value.Cot is not null)
        {
            writer.WriteString("cot", value.Cot);
        }

        if (value.NoCot is not null)
        {
            writer.WriteString("no-cot", value.NoCot);
        }

        writer.WriteEndObject();
    }
}
