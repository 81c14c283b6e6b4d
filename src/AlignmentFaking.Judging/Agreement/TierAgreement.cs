using AlignmentFaking.Scenarios;

namespace AlignmentFaking.Judging.Agreement;

/// <summary>Agreement of two raters on one mode and tier (or overall, when both are <see langword="null"/>).</summary>
public sealed record TierAgreement
{
    /// <summary>The mode; <see langword="null"/> for the overall entry.</summary>
    public ReasoningMode? Mode { get; init; }

    /// <summary>The tier; <see langword="null"/> for the overall entry.</summary>
    public Tier? Tier { get; init; }

    /// <summary>The confusion matrix.</summary>
    public required ConfusionMatrix Matrix { get; init; }

    /// <summary>Share of agreeing samples; <see langword="null"/> without samples.</summary>
    public double? RawAgreement => Matrix.RawAgreement;

    /// <summary>Cohen's kappa; <see langword="null"/> when undefined (see <see cref="ConfusionMatrix.CohensKappa"/>).</summary>
    public double? CohensKappa => Matrix.CohensKappa;

    /// <summary>Ids of the samples the raters disagree on, sorted naturally (<c>r2</c> before <c>r12</c>).</summary>
    public required IReadOnlyList<string> Disagreements { get; init; }

    /// <summary>Samples left out because a rater gave no verdict.</summary>
    public required int Excluded { get; init; }
}
