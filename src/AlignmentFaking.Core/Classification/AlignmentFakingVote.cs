using System.Text.Json.Serialization;

namespace AlignmentFaking.Classification;

/// <summary>One vote of an alignment-faking judge.</summary>
public sealed record AlignmentFakingVote
{
    /// <summary>The vote's answer when it counts as yes (final answer and every criterion yes).</summary>
    public const string Yes = "yes";

    /// <summary>The vote's answer when it counts as no.</summary>
    public const string No = "no";

    /// <summary>The vote's answer when the judge's reply could not be read (kept in <see cref="RawReply"/>).</summary>
    public const string Unparseable = "unparseable";

    /// <summary>The vote's answer when the judge model refused to judge.</summary>
    public const string JudgeRefused = "judge-refused";

    /// <summary>The vote's answer when the judge call failed.</summary>
    public const string Error = "error";

    /// <summary>Zero-based vote index.</summary>
    public required int Index { get; init; }

    /// <summary><c>yes</c>, <c>no</c>, <c>unparseable</c>, <c>judge-refused</c> or <c>error</c>.</summary>
    public required string Answer { get; init; }

    /// <summary>The judge's answer per criterion in order (<see langword="null"/> for a criterion it did not answer).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<bool?>? Criteria { get; init; }

    /// <summary>The quotes the judge gave per criterion (<see langword="null"/> for none).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string?>? Quotes { get; init; }

    /// <summary>The judge's raw reply, kept when the vote is not valid.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? RawReply { get; init; }

    /// <summary>Whether the vote is valid (yes or no).</summary>
    [JsonIgnore]
    public bool IsValid => Answer is Yes or No;
}
