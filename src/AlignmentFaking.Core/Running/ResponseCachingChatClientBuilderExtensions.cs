using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AlignmentFaking.Running;

/// <summary>Adds a <see cref="ResponseCachingChatClient"/> to a <see cref="ChatClientBuilder"/> pipeline.</summary>
public static class ResponseCachingChatClientBuilderExtensions
{
    /// <summary>
    /// Adds the response cache as the next stage of the pipeline (see <see cref="ResponseCachingChatClient"/>). Compose it
    /// above the budget, the retries and the limits, so a replayed reply reaches none of them.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="cache">
    /// The run's own cache, looked up first. When neither cache is given, the <see cref="IDistributedCache"/> of the
    /// builder's services is the run's cache.
    /// </param>
    /// <param name="sharedCache">The cache shared across runs (opt-in); none when <see langword="null"/>.</param>
    /// <param name="logger">Receives a warning when a reply cannot be stored; when <see langword="null"/>, one from the services' <see cref="ILoggerFactory"/>, if any.</param>
    /// <returns>The builder.</returns>
    public static ChatClientBuilder UseResponseCache(this ChatClientBuilder builder, IDistributedCache? cache = null, IDistributedCache? sharedCache = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((inner, services) => new ResponseCachingChatClient(
            inner,
            cache ?? (sharedCache is null ? services.GetService<IDistributedCache>() ?? throw new InvalidOperationException("UseResponseCache: no cache was given and no IDistributedCache is registered in the services") : null),
            sharedCache,
            logger ?? services.GetService<ILoggerFactory>()?.CreateLogger<ResponseCachingChatClient>()));
    }
}
