namespace AlignmentFaking.Internal;

internal static class Hashing
{
    /// <summary>FNV-1a 64-bit: a stable, runtime-independent hash for seeding deterministic choices.</summary>
    public static ulong Fnv1a64(string text, ulong seed = 0)
    {
        ulong hash = 14695981039346656037UL ^ seed;
        foreach (char c in text)
        {
            hash ^= (byte)c;
            hash *= 1099511628211UL;
            hash ^= (byte)(c >> 8);
            hash *= 1099511628211UL;
        }

        return hash;
    }
}
