using Microsoft.Extensions.AI;

namespace AlignmentFaking.Running.Batch;

/// <summary>One model call inside a batch.</summary>
/// <param name="CustomId">The id that ties the result back to its conversation turn (unique within the run).</param>
/// <param name="Messages">The messages, exactly as the online runner would send them (prefill included).</param>
/// <param name="Options">The sampling options (model, temperature, max output tokens, seed).</param>
public sealed record BatchRequest(string CustomId, IReadOnlyList<ChatMessage> Messages, ChatOptions Options);
