using AlignmentFaking.Judging.Caching;
using Microsoft.Extensions.AI;

namespace AlignmentFaking.Judging.Runs;

/// <summary>
/// One judge call a judgement still needs: what <see cref="RunJudge"/> would send online (same rendered prompt, same
/// sampling options, same cache key with its vote or retry index), so it can be sent another way (e.g. in a batch) and
/// its reply stored in <see cref="Cache"/> under <see cref="CacheKey"/>.
/// </summary>
/// <param name="CacheKey">The judge-cache key (see <see cref="JudgeCache.ComputeKey"/>): a 64-character hex string.</param>
/// <param name="Messages">The rendered prompt.</param>
/// <param name="Options">The sampling options (model, temperature, max output tokens).</param>
/// <param name="Cache">The cache the classifier reads the reply from.</param>
internal sealed record PlannedJudgeCall(string CacheKey, IReadOnlyList<ChatMessage> Messages, ChatOptions Options, JudgeCache Cache);

/// <summary>The judge calls a set of samples still needs (see <see cref="RunJudge.PlanJudgeCallsAsync"/>).</summary>
/// <param name="Calls">The calls, one per cache key, ordered by key.</param>
/// <param name="SamplesPending">Samples that wait for at least one of the calls.</param>
/// <param name="Samples">Samples looked at.</param>
internal sealed record JudgeCallPlan(IReadOnlyList<PlannedJudgeCall> Calls, int SamplesPending, int Samples);
