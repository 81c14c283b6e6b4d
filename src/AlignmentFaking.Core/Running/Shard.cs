using System.Globalization;

namespace AlignmentFaking.Running;

/// <summary>
/// A deterministic slice of a run's work for one machine: shard <see cref="Index"/> of <see cref="Count"/> (1-based,
/// <c>--shard 1/4</c> to <c>--shard 4/4</c>) takes every Count-th request of the dataset slice, starting at the
/// Index-th, with all its tiers, modes and epochs, so each shard keeps the paired design.
/// </summary>
/// <param name="Index">The shard, from 1 to <paramref name="Count"/>.</param>
/// <param name="Count">The number of shards.</param>
public sealed record Shard(int Index, int Count)
{
    /// <summary>Parses <c>i/n</c>.</summary>
    /// <param name="text">The text, e.g. <c>2/8</c>.</param>
    /// <exception cref="FormatException">Not of the form i/n with 1 &lt;= i &lt;= n.</exception>
    public static Shard Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split('/');
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int index)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int count)
            && count >= 1 && index >= 1 && index <= count)
        {
            return new Shard(index, count);
        }

        throw new FormatException($"--shard must be i/n with 1 <= i <= n (got '{text}')");
    }

    /// <summary>Whether the request at <paramref name="position"/> (0-based, in the dataset slice) belongs to this shard.</summary>
    /// <param name="position">The request's position in the slice.</param>
    public bool Contains(int position) => position % Count == Index - 1;

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Index}/{Count}");
}
