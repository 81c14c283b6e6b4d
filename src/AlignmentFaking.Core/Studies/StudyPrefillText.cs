using System.Text.Json.Serialization;
using AlignmentFaking.Scenarios;

namespace AlignmentFaking.Studies;

/// <summary>
/// The prefill text of a cell (<c>prefillText</c>, <c>af run --prefill-text</c>): it replaces the original's
/// <c>&lt;</c> (CoT) or <c>&lt;OUTPUT&gt;</c> (no-CoT) where the prefill rule sends one
/// (<see cref="ScenarioBuilder.WithPrefillText"/>); in JSON one string for every mode or <c>{ "cot": ..., "no-cot": ... }</c>.
/// </summary>
[JsonConverter(typeof(StudyPrefillTextConverter))]
public sealed record StudyPrefillText
{
    /// <summary>The CoT prefill; <see langword="null"/> for the original's.</summary>
    public string? Cot { get; init; }

    /// <summary>The no-CoT prefill; <see langword="null"/> for the original's.</summary>
    public string? NoCot { get; init; }

    /// <summary>The text for a mode, or <see langword="null"/> for the original's.</summary>
    /// <param name="mode">The mode.</param>
    public string? For(ReasoningMode mode) => mode == ReasoningMode.Cot ? Cot : NoCot;
}

/// <summary>Reads and writes <see cref="StudyPrefillText"/> as a string or a <c>{cot, no-cot}</c> object.</summary>
internal sealed class StudyPrefillTextConverter : ModeTextConverter<StudyPrefillText>
{
    protected override string Field => "prefillText";

    protected override string Expected => "a string (the prefill of every mode)";

    protected override StudyPrefillText Create(string? cot, string? noCot) => new() { Cot = cot, NoCot = noCot };

    protected override (string? Cot, string? NoCot) Parts(StudyPrefillText value) => (value.Cot, value.NoCot);
}
