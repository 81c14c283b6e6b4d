namespace AlignmentFaking.Statistics;

/// <summary>
/// The SplitMix64 generator (Steele, Lea and Flood 2014): tiny, fast, and fully specified, so resampling
/// results depend only on the seed and never on the .NET runtime's <see cref="Random"/> implementation.
/// </summary>
internal sealed class SplitMix64
{
    private ulong _state;

    /// <summary>Starts the generator from <paramref name="seed"/>.</summary>
    public SplitMix64(ulong seed) => _state = seed;

    /// <summary>The next 64 uniformly distributed bits.</summary>
    public ulong NextUInt64()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A uniform integer in [0, <paramref name="bound"/>), without modulo bias (Lemire's method).</summary>
    public int NextInt(int bound)
    {
        ulong n = (ulong)bound;
        ulong high = Math.BigMul(NextUInt64(), n, out ulong low);
        if (low < n)
        {
            ulong threshold = (0UL - n) % n;
            while (low < threshold)
            {
                high = Math.BigMul(NextUInt64(), n, out low);
            }
        }

        return (int)high;
    }

    /// <summary>One uniformly random bit.</summary>
    public bool NextBit() => (NextUInt64() >> 63) != 0;
}
