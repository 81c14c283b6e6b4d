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
internal sealed class StudySystemPromptConverter : ModeTextConverter<StudySystemPrompt>
{
    protected override string Field => "systemPrompt";

    protected override string Expected => "a string (original, paraphrase or a path)";

    protected override StudySystemPrompt Create(string? cot, string? noCot) => new() { Cot = cot, NoCot = noCot };

    protected override (string? Cot, string? NoCot) Parts(StudySystemPrompt value) => (value.Cot, value.NoCot);
}

/// <summary>
/// A text per mode in a study file: one string for every mode, or <c>{ "cot": ..., "no-cot": ... }</c> (either may be
/// left out). Unknown fields and non-string values are refused, naming the field.
/// </summary>
/// <typeparam name="T">The study type.</typeparam>
internal abstract class ModeTextConverter<T> : JsonConverter<T>
    where T : class
{
    /// <summary>The study file's field name, for messages.</summary>
    protected abstract string Field { get; }

    /// <summary>What one string means, for messages.</summary>
    protected abstract string Expected { get; }

    public override T? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            var all = reader.GetString()!;
            return Create(all, all);
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException($"{Field} must be {Expected} or an object {{ \"cot\": ..., \"no-cot\": ... }}");
        }

        string? cot = null, noCot = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString();
            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
            {
                throw new JsonException($"{Field}.{name} must be a string");
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
                    throw new JsonException($"{Field} has no field '{name}' (allowed: cot, no-cot)");
            }
        }

        return Create(cot, noCot);
    }

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var (cot, noCot) = Parts(value);
        if (cot is not null && cot == noCot)
        {
            writer.WriteStringValue(cot);
            return;
        }

        writer.WriteStartObject();
        if (cot is not null)
        {
            writer.WriteString("cot", cot);
        }

        if (noCot is not null)
        {
            writer.WriteString("no-cot", noCot);
        }

        writer.WriteEndObject();
    }

    protected abstract T Create(string? cot, string? noCot);

    protected abstract (string? Cot, string? NoCot) Parts(T value);
}
