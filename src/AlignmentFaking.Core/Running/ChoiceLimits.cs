using System.Collections.Concurrent;
using Microsoft.Extensions.AI;

namespace AlignmentFaking.Running;

/// <summary>
/// What is known of how many choices (<see cref="MultipleChoices"/>) each endpoint and model returns for one request:
/// learned when one returned fewer than asked (or refused a larger <c>n</c>), so the next requests ask for no more. The
/// caller owns it (no process-wide registry): share one instance between the classifiers that call the same judges.
/// Thread-safe.
/// </summary>
public sealed class ChoiceLimits
{
    private readonly ConcurrentDictionary<string, int> _limits = new(StringComparer.Ordinal);

    /// <summary>The most choices one request to <paramref name="client"/> and <paramref name="modelId"/> returned when it returned fewer than asked; <see langword="null"/> when none is known.</summary>
    /// <param name="client">The client (its endpoint, from <see cref="ChatClientMetadata"/>, names it).</param>
    /// <param name="modelId">The model.</param>
    public int? Get(IChatClient client, string? modelId) =>
        _limits.TryGetValue(Key(client, modelId), out var limit) ? limit : null;

    /// <summary>Records that a request to <paramref name="client"/> and <paramref name="modelId"/> returned only <paramref name="choices"/> choices (the lowest seen is kept).</summary>
    /// <param name="client">The client.</param>
    /// <param name="modelId">The model.</param>
    /// <param name="choices">The choices returned (at least 1).</param>
    public void Record(IChatClient client, string? modelId, int choices)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(choices, 1);
        _limits.AddOrUpdate(Key(client, modelId), choices, (_, old) => Math.Min(old, choices));
    }

    private static string Key(IChatClient client, string? modelId)
    {
        ArgumentNullException.ThrowIfNull(client);
        var metadata = client.GetService<ChatClientMetadata>();
        var endpoint = metadata?.ProviderUri is { } uri ? uri.GetLeftPart(UriPartial.Path)
            : "client#" + System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(client).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return endpoint + "\n" + (modelId ?? metadata?.DefaultModelId ?? string.Empty);
    }
}
