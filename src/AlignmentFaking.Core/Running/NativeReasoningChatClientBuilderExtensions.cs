using Microsoft.Extensions.AI;

namespace AlignmentFaking.Running;

/// <summary>Adds a <see cref="NativeReasoningChatClient"/> to a <see cref="ChatClientBuilder"/> pipeline.</summary>
public static class NativeReasoningChatClientBuilderExtensions
{
    /// <summary>
    /// Splits a leading <c>&lt;think&gt;</c> block of each reply into <see cref="TextReasoningContent"/> as the next stage
    /// of the pipeline (see <see cref="NativeReasoningChatClient"/>). Compose it under a response cache, so the cache
    /// stores the split reply.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    public static ChatClientBuilder UseNativeReasoning(this ChatClientBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use(inner => new NativeReasoningChatClient(inner));
    }
}
