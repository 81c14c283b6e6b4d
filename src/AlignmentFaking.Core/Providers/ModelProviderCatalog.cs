using System.Collections;

namespace AlignmentFaking.Providers;

/// <summary>
/// The providers a harness or command line can name, looked up by name or alias (ordinal, case-insensitive). An object
/// the caller owns (no static registry): <c>af</c> builds one from the provider packages' registrations.
/// </summary>
public sealed class ModelProviderCatalog : IReadOnlyList<ModelProvider>
{
    private readonly List<ModelProvider> _providers = [];
    private readonly Dictionary<string, ModelProvider> _byName = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Creates a catalogue of <paramref name="providers"/>.</summary>
    /// <param name="providers">The providers, in the order help texts list them.</param>
    /// <exception cref="ArgumentException">Two providers share a name or alias.</exception>
    public ModelProviderCatalog(IEnumerable<ModelProvider> providers)
    {
        ArgumentNullException.ThrowIfNull(providers);
        foreach (var provider in providers)
        {
            ArgumentNullException.ThrowIfNull(provider, nameof(providers));
            foreach (var name in (IEnumerable<string>)[provider.Name, .. provider.Aliases])
            {
                if (!_byName.TryAdd(name, provider))
                {
                    throw new ArgumentException($"two providers are named '{name}'", nameof(providers));
                }
            }

            _providers.Add(provider);
        }
    }

    /// <summary>The providers' names, in order.</summary>
    public IReadOnlyList<string> Names => _providers.ConvertAll(p => p.Name);

    /// <inheritdoc />
    public int Count => _providers.Count;

    /// <inheritdoc />
    public ModelProvider this[int index] => _providers[index];

    /// <summary>The provider of a name or alias.</summary>
    /// <param name="name">The name.</param>
    /// <exception cref="ArgumentException">No provider has that name; the message lists the names there are.</exception>
    public ModelProvider Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _byName.TryGetValue(name, out var provider)
            ? provider
            : throw new ArgumentException($"unknown provider '{name}' (known: {string.Join(", ", Names)})", nameof(name));
    }

    /// <summary>Finds the provider of a name or alias.</summary>
    /// <param name="name">The name.</param>
    /// <param name="provider">The provider, when found.</param>
    public bool TryGet(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ModelProvider? provider) =>
        _byName.TryGetValue(name ?? string.Empty, out provider);

    /// <inheritdoc />
    public IEnumerator<ModelProvider> GetEnumerator() => _providers.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
