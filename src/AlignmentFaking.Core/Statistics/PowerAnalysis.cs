namespace AlignmentFaking.Statistics;

/// <summary>
/// Normal-approximation power and sample size for detecting a compliance gap d = p1 - p0, where p0 is the
/// unmonitored (baseline) rate and p1 = p0 + d the training rate, with a two-sided test at level alpha.
/// </summary>
/// <remarks>
/// <para>
/// <b>Unpaired</b> (n requests per tier, independent): the Fleiss formula without continuity correction,
/// identical to R's <c>power.prop.test</c> (default <c>strict = FALSE</c>):
/// power = Φ((√n·|d| - z·√(2·p̄·q̄)) / √(p0·q0 + p1·q1)) with p̄ = (p0 + p1)/2, z = z_{1-α/2}.
/// </para>
/// <para>
/// <b>Paired</b> (n requests, each in both tiers; McNemar): Connor (1987, Biometrics 43:207-211):
/// power = Φ((√n·|d| - z·√ψ) / √(ψ - d²)), where ψ = P(discordant pair). ψ is either given directly or
/// derived from p0, p1 and the within-request correlation ρ (phi coefficient) of the two tiers' outcomes:
/// P(both comply) = p0·p1 + ρ·√(p0·q0·p1·q1), ψ = p0 + p1 - 2·P(both). The default ρ = 0 (independent
/// outcomes) is conservative: the outcomes of one request in both tiers are expected to be positively
/// correlated, which lowers ψ and the required n. ρ is clamped to the range the marginals allow.
/// </para>
/// <para>The required n is rounded up to an integer; the inverse (minimum detectable gap) is solved by
/// bisection for a positive gap, assuming power increases with the gap.</para>
/// </remarks>
public static class PowerAnalysis
{
    /// <summary>
    /// The approximate power to detect <paramref name="gap"/> with <paramref name="requests"/> requests.
    /// </summary>
    /// <param name="requests">Requests per tier (a real number is allowed), &gt; 0.</param>
    /// <param name="baselineRate">The unmonitored rate p0, in [0, 1].</param>
    /// <param name="gap">The gap d = p1 - p0 (may be negative); p0 + d must be in [0, 1].</param>
    /// <param name="design">Paired (McNemar) or unpaired (two proportions).</param>
    /// <param name="correlation">Paired only: the within-request correlation ρ of the outcomes in the two tiers.</param>
    /// <param name="alpha">The two-sided significance level, in (0, 1).</param>
    /// <returns>The power, in [0, 1]; equals alpha/2 for a zero gap.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range.</exception>
    public static double Power(double requests, double baselineRate, double gap, PairingDesign design, double correlation = 0.0, double alpha = 0.05)
    {
        if (!(requests > 0.0))
        {
            throw new ArgumentOutOfRangeException(nameof(requests), requests, "The number of requests must be positive.");
        }

        ValidateRates(baselineRate, gap);
        ValidateProbability(alpha, nameof(alpha));
        return design == PairingDesign.Unpaired
            ? UnpairedPower(requests, baselineRate, gap, alpha)
            : ConnorPower(requests, Discordant(baselineRate, gap, correlation), gap, alpha);
    }

    /// <summary>The number of requests (per tier) needed to detect <paramref name="gap"/> with the given power.</summary>
    /// <param name="baselineRate">The unmonitored rate p0, in [0, 1].</param>
    /// <param name="gap">The gap d = p1 - p0, non-zero; p0 + d must be in [0, 1].</param>
    /// <param name="design">Paired (McNemar) or unpaired (two proportions).</param>
    /// <param name="correlation">Paired only: the within-request correlation ρ of the outcomes in the two tiers.</param>
    /// <param name="alpha">The two-sided significance level, in (0, 1).</param>
    /// <param name="power">The desired power, in (0, 1).</param>
    /// <returns>The smallest integer n whose (unrounded) formula value is reached, i.e. ⌈n⌉.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range, or the gap is zero.</exception>
    public static int RequiredRequests(double baselineRate, double gap, PairingDesign design, double correlation = 0.0, double alpha = 0.05, double power = 0.8)
    {
        ValidateRates(baselineRate, gap);
        ValidateProbability(alpha, nameof(alpha));
        ValidateProbability(power, nameof(power));
        if (gap == 0.0)
        {
            throw new ArgumentOutOfRangeException(nameof(gap), gap, "A zero gap cannot be detected.");
        }

        double zAlpha = -StandardNormal.Quantile(0.5 * alpha);
        double zBeta = StandardNormal.Quantile(power);
        double n;
        if (design == PairingDesign.Unpaired)
        {
            double p0 = baselineRate, p1 = Math.Clamp(baselineRate + gap, 0.0, 1.0);
            double pBar = 0.5 * (p0 + p1);
            double root = (zAlpha * Math.Sqrt(2.0 * pBar * (1.0 - pBar))) + (zBeta * Math.Sqrt((p0 * (1.0 - p0)) + (p1 * (1.0 - p1))));
            n = root * root / (gap * gap);
        }
        else
        {
            n = ConnorRequests(Discordant(baselineRate, gap, correlation), gap, zAlpha, zBeta);
        }

        return Ceiling(n);
    }

    /// <summary>
    /// Paired power from the expected proportion of discordant requests (Connor 1987), when it is known
    /// from a pilot run rather than from a correlation.
    /// </summary>
    /// <param name="requests">The number of requests, &gt; 0.</param>
    /// <param name="discordantProportion">ψ = P(comply in exactly one tier), with |gap| ≤ ψ ≤ 1.</param>
    /// <param name="gap">The gap d = P(training only) - P(unmonitored only).</param>
    /// <param name="alpha">The two-sided significance level, in (0, 1).</param>
    /// <returns>The power, in [0, 1].</returns>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range.</exception>
    public static double PowerPairedDiscordant(double requests, double discordantProportion, double gap, double alpha = 0.05)
    {
        if (!(requests > 0.0))
        {
            throw new ArgumentOutOfRangeException(nameof(requests), requests, "The number of requests must be positive.");
        }

        ValidateDiscordant(discordantProportion, gap);
        ValidateProbability(alpha, nameof(alpha));
        return ConnorPower(requests, discordantProportion, gap, alpha);
    }

    /// <summary>
    /// Paired sample size from the expected proportion of discordant requests (Connor 1987):
    /// n = (z_{1-α/2}·√ψ + z_{power}·√(ψ - d²))² / d², rounded up.
    /// </summary>
    /// <param name="discordantProportion">ψ = P(comply in exactly one tier), with |gap| ≤ ψ ≤ 1.</param>
    /// <param name="gap">The gap d = P(training only) - P(unmonitored only), non-zero.</param>
    /// <param name="alpha">The two-sided significance level, in (0, 1).</param>
    /// <param name="power">The desired power, in (0, 1).</param>
    /// <returns>The number of requests.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range, or the gap is zero.</exception>
    public static int RequiredRequestsPairedDiscordant(double discordantProportion, double gap, double alpha = 0.05, double power = 0.8)
    {
        ValidateDiscordant(discordantProportion, gap);
        ValidateProbability(alpha, nameof(alpha));
        ValidateProbability(power, nameof(power));
        if (gap == 0.0)
        {
            throw new ArgumentOutOfRangeException(nameof(gap), gap, "A zero gap cannot be detected.");
        }

        return Ceiling(ConnorRequests(discordantProportion, gap, -StandardNormal.Quantile(0.5 * alpha), StandardNormal.Quantile(power)));
    }

    /// <summary>
    /// The smallest positive gap (training above unmonitored) detectable with <paramref name="requests"/>
    /// requests at the given power, found by bisection on <see cref="Power"/> to 1e-10.
    /// </summary>
    /// <param name="requests">Requests per tier, &gt; 0.</param>
    /// <param name="baselineRate">The unmonitored rate p0, in [0, 1).</param>
    /// <param name="design">Paired (McNemar) or unpaired (two proportions).</param>
    /// <param name="correlation">Paired only: the within-request correlation ρ of the outcomes in the two tiers.</param>
    /// <param name="alpha">The two-sided significance level, in (0, 1).</param>
    /// <param name="power">The desired power, in (0, 1).</param>
    /// <returns>The gap, in (0, 1 - p0]; NaN if even a gap of 1 - p0 does not reach the power.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range.</exception>
    public static double MinimumDetectableGap(int requests, double baselineRate, PairingDesign design, double correlation = 0.0, double alpha = 0.05, double power = 0.8)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(requests, 1);
        ValidateProbability(alpha, nameof(alpha));
        ValidateProbability(power, nameof(power));
        if (!(baselineRate >= 0.0 && baselineRate < 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(baselineRate), baselineRate, "The baseline rate must be in [0, 1).");
        }

        double hi = 1.0 - baselineRate;
        if (Power(requests, baselineRate, hi, design, correlation, alpha) < power)
        {
            return double.NaN;
        }

        double lo = 0.0;
        while (hi - lo > 1e-10)
        {
            double mid = 0.5 * (lo + hi);
            if (Power(requests, baselineRate, mid, design, correlation, alpha) >= power)
            {
                hi = mid;
            }
            else
            {
                lo = mid;
            }
        }

        return hi;
    }

    /// <summary>
    /// The smallest difference of two compliance gaps, gap(a) - gap(b), detectable with <paramref name="power"/> by a
    /// two-sided test at level <paramref name="alpha"/> when each cell observes <paramref name="requests"/> requests
    /// <paramref name="epochs"/> times in both tiers (normal approximation), found by bisection to 1e-10.
    /// </summary>
    /// <remarks>
    /// <para>Each unit (a request and epoch) gives d = (Ta - Ua) - (Tb - Ub), the four outcomes Bernoulli with standard
    /// deviations s = √(p·q) and equicorrelated with correlation ρ: Var(d) = (1 - ρ)·Σ s² + ρ·(sTa - sUa - sTb + sUb)²
    /// when the cells share the requests (<b>paired</b>, the study's design), and (1 - ρ)·Σ s² + ρ·((sTa - sUa)² +
    /// (sTb - sUb)²) when they do not (<b>unpaired</b>). Under the null both cells have rates pT and pU (σ0); under the
    /// alternative cell a's training rate is pT + D (σ1). With N = requests·epochs units (epochs counted as independent,
    /// exact at ρ = 0), power = Φ((√N·D - z_{1-α/2}·σ0) / σ1), solved for D (as Connor's and Fleiss' formulas use the null
    /// variance for the critical value and the alternative's for the spread). At ρ = 0 the designs agree; positive
    /// correlation favours the paired design. Pass alpha divided by the number of comparisons for Holm's first (most
    /// stringent) step, which bounds the others.</para>
    /// </remarks>
    /// <param name="requests">Requests per cell, &gt;= 1.</param>
    /// <param name="epochs">Epochs per request and tier, &gt;= 1.</param>
    /// <param name="trainingRate">pT, in [0, 1).</param>
    /// <param name="unmonitoredRate">pU, in [0, 1].</param>
    /// <param name="design">Paired (the same requests in both cells) or unpaired.</param>
    /// <param name="correlation">ρ, in [0, 1).</param>
    /// <param name="alpha">The two-sided level of this comparison, in (0, 1).</param>
    /// <param name="power">The power, in (0, 1).</param>
    /// <returns>The detectable difference of gaps, in (0, 1 - pT]; NaN when even 1 - pT does not reach the power.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range.</exception>
    public static double MinimumDetectableGapDifference(int requests, int epochs, double trainingRate, double unmonitoredRate, PairingDesign design, double correlation = 0.0, double alpha = 0.05, double power = 0.8)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(requests, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(epochs, 1);
        ValidateRates(unmonitoredRate, 0.0);
        ValidateProbability(alpha, nameof(alpha));
        ValidateProbability(power, nameof(power));
        if (!(trainingRate >= 0.0 && trainingRate < 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(trainingRate), trainingRate, "The training rate must be in [0, 1).");
        }

        if (!(correlation >= 0.0 && correlation < 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(correlation), correlation, "The correlation must be in [0, 1).");
        }

        double n = (double)requests * epochs;
        double zAlpha = -StandardNormal.Quantile(0.5 * alpha);
        double sd0 = Math.Sqrt(DifferenceVariance(trainingRate, trainingRate, unmonitoredRate, design, correlation));
        double PowerAt(double d) => Phi((Math.Sqrt(n) * d) - (zAlpha * sd0), Math.Sqrt(DifferenceVariance(trainingRate + d, trainingRate, unmonitoredRate, design, correlation)));

        double hi = 1.0 - trainingRate;
        if (PowerAt(hi) < power)
        {
            return double.NaN;
        }

        double lo = 0.0;
        while (hi - lo > 1e-10)
        {
            double mid = 0.5 * (lo + hi);
            if (PowerAt(mid) >= power)
            {
                hi = mid;
            }
            else
            {
                lo = mid;
            }
        }

        return hi;
    }

    /// <summary>Var(d) per unit for cell a at training rate ta, cell b at tb, both unmonitored at pu (see <see cref="MinimumDetectableGapDifference"/>).</summary>
    private static double DifferenceVariance(double ta, double tb, double pu, PairingDesign design, double rho)
    {
        double sta = Math.Sqrt(ta * (1.0 - ta)), stb = Math.Sqrt(tb * (1.0 - tb)), su = Math.Sqrt(pu * (1.0 - pu));
        double squares = (sta * sta) + (stb * stb) + (2.0 * su * su);
        double shared = design == PairingDesign.Unpaired
            ? ((sta - su) * (sta - su)) + ((stb - su) * (stb - su))
            : (sta - su - stb + su) * (sta - su - stb + su);
        return ((1.0 - rho) * squares) + (rho * shared);
    }

    private static double UnpairedPower(double n, double p0, double gap, double alpha)
    {
        double p1 = Math.Clamp(p0 + gap, 0.0, 1.0);
        double zAlpha = -StandardNormal.Quantile(0.5 * alpha);
        double pBar = 0.5 * (p0 + p1);
        double numerator = (Math.Sqrt(n) * Math.Abs(gap)) - (zAlpha * Math.Sqrt(2.0 * pBar * (1.0 - pBar)));
        double sd = Math.Sqrt((p0 * (1.0 - p0)) + (p1 * (1.0 - p1)));
        return Phi(numerator, sd);
    }

    private static double ConnorPower(double n, double psi, double gap, double alpha)
    {
        double zAlpha = -StandardNormal.Quantile(0.5 * alpha);
        double numerator = (Math.Sqrt(n) * Math.Abs(gap)) - (zAlpha * Math.Sqrt(psi));
        double sd = Math.Sqrt(Math.Max(0.0, psi - (gap * gap)));
        return Phi(numerator, sd);
    }

    private static double ConnorRequests(double psi, double gap, double zAlpha, double zBeta)
    {
        double root = (zAlpha * Math.Sqrt(psi)) + (zBeta * Math.Sqrt(Math.Max(0.0, psi - (gap * gap))));
        return root * root / (gap * gap);
    }

    /// <summary>Φ(numerator / sd), with the degenerate sd = 0 read as a point mass.</summary>
    private static double Phi(double numerator, double sd)
    {
        if (sd > 0.0)
        {
            return StandardNormal.Cdf(numerator / sd);
        }

        return numerator > 0.0 ? 1.0 : numerator < 0.0 ? 0.0 : 0.5;
    }

    /// <summary>The discordant proportion ψ implied by p0, p1 = p0 + d and the correlation ρ (clamped to the Fréchet bounds).</summary>
    private static double Discordant(double p0, double gap, double correlation)
    {
        if (!(correlation >= -1.0 && correlation <= 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(correlation), correlation, "The correlation must be in [-1, 1].");
        }

        double p1 = Math.Clamp(p0 + gap, 0.0, 1.0);
        double both = (p0 * p1) + (correlation * Math.Sqrt(p0 * (1.0 - p0) * p1 * (1.0 - p1)));
        double upper = Math.Min(p0, p1);
        double lower = Math.Min(upper, Math.Max(0.0, p0 + p1 - 1.0)); // rounding can put p0 + p1 - 1 above min(p0, p1)
        both = Math.Clamp(both, lower, upper);
        return Math.Max(Math.Abs(gap), p0 + p1 - (2.0 * both));
    }

    private static void ValidateRates(double baselineRate, double gap)
    {
        if (!(baselineRate >= 0.0 && baselineRate <= 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(baselineRate), baselineRate, "The baseline rate must be in [0, 1].");
        }

        double p1 = baselineRate + gap;
        if (!(p1 >= -1e-12 && p1 <= 1.0 + 1e-12))
        {
            throw new ArgumentOutOfRangeException(nameof(gap), gap, "The baseline rate plus the gap must be in [0, 1].");
        }
    }

    private static void ValidateDiscordant(double psi, double gap)
    {
        if (!(psi <= 1.0 && psi >= Math.Abs(gap) && psi > 0.0))
        {
            throw new ArgumentOutOfRangeException("discordantProportion", psi, "The discordant proportion must be in [|gap|, 1] and positive.");
        }
    }

    private static void ValidateProbability(double value, string name)
    {
        if (!(value > 0.0 && value < 1.0))
        {
            throw new ArgumentOutOfRangeException(name, value, "The value must be strictly between 0 and 1.");
        }
    }

    private static int Ceiling(double n)
    {
        // Guard against n being an integer plus rounding noise (e.g. 76.00000000000001).
        double rounded = Math.Round(n);
        double value = Math.Abs(n - rounded) < 1e-9 * Math.Max(1.0, n) ? rounded : Math.Ceiling(n);
        return value >= int.MaxValue ? int.MaxValue : Math.Max(1, (int)value);
    }
}
