namespace AlignmentFaking.Statistics;

/// <summary>
/// Special functions needed by the statistics module, written for full double precision.
/// </summary>
internal static class SpecialFunctions
{
    private const double TwoOverSqrtPi = 1.1283791670955125738961589;
    private const double OneOverSqrtPi = 0.5641895835477562869480795;

    /// <summary>
    /// The complementary error function erfc(x) = 1 - erf(x), accurate to a few ulps in relative terms,
    /// including far into the upper tail.
    /// </summary>
    /// <remarks>
    /// erfc(x) = Q(1/2, x²), the regularised upper incomplete gamma function. For x² &lt; 1.5 the lower
    /// function P(1/2, x²) = erf(x) is summed from its positive-term series (no cancellation) and
    /// subtracted from one (erfc ≥ 0.08 there, so at most one digit is lost); otherwise Q is evaluated by
    /// its continued fraction with the modified Lentz algorithm. exp(-x²) is computed with a split of x
    /// so that the rounding of x² does not cost relative accuracy for large x.
    /// </remarks>
    internal static double Erfc(double x)
    {
        if (double.IsNaN(x))
        {
            return double.NaN;
        }

        if (x < 0)
        {
            return 2.0 - Erfc(-x);
        }

        double y = x * x;
        if (y < 1.5)
        {
            return 1.0 - ErfSeries(x);
        }

        if (x > 27.3)
        {
            return 0.0; // exp(-x²) underflows.
        }

        // Continued fraction for Q(a, y), a = 1/2 (modified Lentz).
        const double a = 0.5;
        const double tiny = 1e-300;
        double b = y + 1.0 - a;
        double c = 1.0 / tiny;
        double d = 1.0 / b;
        double h = d;
        for (int i = 1; i < 1000; i++)
        {
            double an = -i * (i - a);
            b += 2.0;
            d = (an * d) + b;
            if (Math.Abs(d) < tiny)
            {
                d = tiny;
            }

            c = b + (an / c);
            if (Math.Abs(c) < tiny)
            {
                c = tiny;
            }

            d = 1.0 / d;
            double delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1.0) < 1e-16)
            {
                break;
            }
        }

        // Q = e^{-y} y^a / Γ(a) * h = e^{-x²} x / √π * h.
        return ExpMinusSquare(x) * x * OneOverSqrtPi * h;
    }

    /// <summary>The error function erf(x), with full relative precision near 0.</summary>
    internal static double Erf(double x)
    {
        if (double.IsNaN(x))
        {
            return double.NaN;
        }

        if (x * x < 1.5)
        {
            return ErfSeries(x);
        }

        return x > 0 ? 1.0 - Erfc(x) : Erfc(-x) - 1.0;
    }

    /// <summary>erf(x) for |x| up to about 1.3 from the series 2x/√π e^{-x²} Σ (2x²)^n / (2n+1)!!.</summary>
    private static double ErfSeries(double x)
    {
        double twoY = 2.0 * x * x;
        double term = 1.0;
        double sum = 1.0;
        for (int n = 1; n < 200; n++)
        {
            term *= twoY / ((2 * n) + 1);
            sum += term;
            if (term < sum * 1e-17)
            {
                break;
            }
        }

        return TwoOverSqrtPi * x * ExpMinusSquare(x) * sum;
    }

    /// <summary>exp(-x²) without the relative error that rounding x² would introduce for large x.</summary>
    private static double ExpMinusSquare(double x)
    {
        double s = Math.Round(x * 16.0) / 16.0; // s has few significant bits, so s*s is exact.
        return Math.Exp(-s * s) * Math.Exp(-(x - s) * (x + s));
    }
}
