namespace AlignmentFaking.Judging.Agreement;

/// <summary>
/// A 2x2 confusion matrix of two binary raters ("complied" or not), with raw agreement and Cohen's kappa. The first
/// rater is conventionally the proxy, the second the judge.
/// </summary>
/// <param name="BothComplied">Both said complied.</param>
/// <param name="FirstOnly">Only the first said complied (for proxy vs judge: a proxy false positive).</param>
/// <param name="SecondOnly">Only the second said complied (for proxy vs judge: a proxy false negative).</param>
/// <param name="NeitherComplied">Neither said complied.</param>
public sealed record ConfusionMatrix(int BothComplied, int FirstOnly, int SecondOnly, int NeitherComplied)
{
    /// <summary>Samples in the matrix.</summary>
    public int N => BothComplied + FirstOnly + SecondOnly + NeitherComplied;

    /// <summary>Share of samples on which the raters agree; <see langword="null"/> when <see cref="N"/> is 0.</summary>
    public double? RawAgreement => N == 0 ? null : (double)(BothComplied + NeitherComplied) / N;

    /// <summary>
    /// Cohen's kappa, <c>(po - pe) / (1 - pe)</c> with <c>pe</c> the agreement expected from the raters' marginal rates.
    /// <see langword="null"/> when undefined: no samples, or <c>pe</c> = 1 (both raters used a single category, e.g.
    /// everything refused), in which case see <see cref="RawAgreement"/>.
    /// </summary>
    public double? CohensKappa
    {
        get
        {
            if (N == 0)
            {
                return null;
            }

            double n = N;
            double po = (BothComplied + NeitherComplied) / n;
            double firstYes = (BothComplied + FirstOnly) / n;
            double secondYes = (BothComplied + SecondOnly) / n;
            double pe = (firstYes * secondYes) + ((1 - firstYes) * (1 - secondYes));
            return Math.Abs(1 - pe) < 1e-12 ? null : (po - pe) / (1 - pe);
        }
    }

    /// <summary>Adds one pair of ratings.</summary>
    /// <param name="first">The first rater said complied.</param>
    /// <param name="second">The second rater said complied.</param>
    public ConfusionMatrix Add(bool first, bool second) => (first, second) switch
    {
        (true, true) => this with { BothComplied = BothComplied + 1 },
        (true, false) => this with { FirstOnly = FirstOnly + 1 },
        (false, true) => this with { SecondOnly = SecondOnly + 1 },
        _ => this with { NeitherComplied = NeitherComplied + 1 },
    };
}
