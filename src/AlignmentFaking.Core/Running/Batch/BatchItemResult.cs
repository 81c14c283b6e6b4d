using Microsoft.Extensions.AI;

namespace AlignmentFaking.Running.Batch;

/// <summary>The result of one request of a finished batch.</summary>
/// <param name="CustomId">The request's custom id; empty for a line of the results that names no request af sent (its <see cref="Error"/> says why it could not be read).</param>
/// <param name="Response">The reply, when the request succeeded.</param>
/// <param name="Error">Why it failed (status, code, message; credentials removed), when it did.</param>
public sealed record BatchItemResult(string CustomId, ChatResponse? Response, string? Error);
