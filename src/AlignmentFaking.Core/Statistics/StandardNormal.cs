namespace AlignmentFaking.Statistics;

/// <summary>
/// The standard normal distribution: cumulative distribution function and quantile function, both to
/// about 1e-15 relative accuracy.
/// </summary>
internal static class StandardNormal
{
    private const double SqrtTwoPi = 2.5066282746310005024157652;
    private const double OneOverSqrtTwo = 0.7071067811865475244008444;

    // Acklam's rational approximation (relative error about 1.15e-9), refined by one Halley step below.
    private static readonly double[] A =
    [
        -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
        1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00,
    ];

    private static readonly double[] B =
    [
        -5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
        6.680131188771972e+01, -1.328068155288572e+01,
    ];

    private static readonly double[] C =
    [
        -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
        -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00,
    ];

    private static readonly double[] D =
    [
        7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00,
    ];

    /// <summary>
    /// P(Z ≤ <paramref name="x"/>) for a standard normal Z, computed as erfc(-x/√2)/2 so that the lower tail
    /// keeps full relative precision.
    /// </summary>
    /// <param name="x">The point; NaN gives NaN, ±∞ give 1 or 0.</param>
    /// <returns>The lower-tail probability.</returns>
    public static double Cdf(double x) => 0.5 * SpecialFunctions.Erfc(-x * OneOverSqrtTwo);

    /// <summary>
    /// The quantile (inverse CDF) of the standard normal distribution: Acklam's algorithm refined by one
    /// Halley step on the accurate <see cref="Cdf"/>, giving about 1e-15 relative accuracy.
    /// </summary>
    /// <param name="p">A probability in [0, 1]; 0 gives -∞, 1 gives +∞, outside or NaN gives NaN.</param>
    /// <returns>The x with Cdf(x) = p.</returns>
    public static double Quantile(double p)
    {
        if (double.IsNaN(p) || p < 0.0 || p > 1.0)
        {
            return double.NaN;
        }

        if (p == 0.0)
        {
            return double.NegativeInfinity;
        }

        if (p == 1.0)
        {
            return double.PositiveInfinity;
        }

        if (p > 0.5)
        {
            return -Quantile(1.0 - p); // 1 - p is exact for p in [0.5, 1].
        }

        if (p == 0.5)
        {
            return 0.0;
        }

        double x;
        if (p < 0.02425)
        {
            double q = Math.Sqrt(-2.0 * Math.Log(p));
            x = (((((((((C[0] * q) + C[1]) * q) + C[2]) * q) + C[3]) * q) + C[4]) * q) + C[5];
            x /= (((((((D[0] * q) + D[1]) * q) + D[2]) * q) + D[3]) * q) + 1.0;
        }
        else
        {
            double q = p - 0.5;
            double r = q * q;
            x = ((((((((((A[0] * r) + A[1]) * r) + A[2]) * r) + A[3]) * r) + A[4]) * r) + A[5]) * q;
            x /= (((((((((B[0] * r) + B[1]) * r) + B[2]) * r) + B[3]) * r) + B[4]) * r) + 1.0;
        }

        // One Halley step: f(x) = Cdf(x) - p, f' = pdf, f'' = -x pdf. In the central region the residual is
        // formed as erf(x/√2)/2 - (p - 1/2) (p - 1/2 is exact there), which keeps its relative precision near 0.
        double e = p < 0.02425 ? Cdf(x) - p : (0.5 * SpecialFunctions.Erf(x * OneOverSqrtTwo)) - (p - 0.5);
        double u = e * SqrtTwoPi * Math.Exp(0.5 * x * x);
        if (double.IsFinite(u))
        {
            x -= u / (1.0 + (0.5 * x * u));
        }

        return x;
    }

    /// <summary>The two-sided critical value z with P(|Z| ≤ z) = <paramref name="level"/>.</summary>
    internal static double TwoSidedCritical(double level) => -Quantile(0.5 * (1.0 - level));
}
