using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace AlignmentFaking.Running;

/// <summary>Adds a <see cref="CallTelemetryChatClient"/> to a <see cref="ChatClientBuilder"/> pipeline.</summary>
public static class CallTelemetryChatClientBuilderExtensions
{
    /// <summary>
    /// Adds per-call traces and metrics as the next stage of the pipeline (see <see cref="CallTelemetryChatClient"/>).
    /// Compose it first (outermost), so replayed replies are counted too.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="timeProvider">The clock of the call duration; when <see langword="null"/>, the <see cref="TimeProvider"/> of the builder's services, else <see cref="TimeProvider.System"/>.</param>
    /// <returns>The builder.</returns>
    public static ChatClientBuilder UseCallTelemetry(this ChatClientBuilder builder, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((inner, services) => new CallTelemetryChatClient(inner, timeProvider ?? services.GetService<TimeProvider>()));
    }
}
