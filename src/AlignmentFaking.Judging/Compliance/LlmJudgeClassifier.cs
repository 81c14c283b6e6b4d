using AlignmentFaking.Classification;
using AlignmentFaking.Judging.Internal;
using AlignmentFaking.Judging.Prompts;
using AlignmentFaking.Running;
using Microsoft.Extensions.AI;

namespace AlignmentFaking.Judging.Compliance;

/// <summary>
/// A compliance classifier that asks a judge model whether the final answer (the scratchpad removed) complied: the
/// project's own three-way prompt (complied / partial / refused) or the published StrongREJECT rubric. One call at
/// temperature 0 by default. Replies that are empty or not in the format are <c>unparseable</c> (raw reply kept), a
/// judge that declines is <c>judge-refused</c>, a failed call is <c>error</c>: none of them is a verdict. A failure no
/// retry can fix (401, 403, 404: a wrong key, model or URL) throws <see cref="FatalCallException"/> instead.
/// </summary>
/// <remarks>
/// A sample without an output (failed, malformed, call error) is not sent to the judge: its outcome is the one the
/// proxy gives it (<c>failed</c>, <c>unparseable</c>, <c>truncated</c>, <c>error</c>, ...), with a reason saying so.
/// </remarks>
public sealed class LlmJudgeClassifier : IComplianceClassifier
{
    private readonly LlmJudgeOptions _options;
    private readonly JudgeInvoker _invoker;

    /// <summary>Creates the classifier.</summary>
    /// <param name="judge">The judge model (separate from the subject).</param>
    /// <param name="options">Options; defaults when <see langword="null"/>.</param>
    public LlmJudgeClassifier(IChatClient judge, LlmJudgeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(judge);
        _options = options ?? new LlmJudgeOptions();
        _options.Validate();
        _invoker = new JudgeInvoker(judge, _options.Cache, _options.ModelId, _options.Temperature, _options.MaxOutputTokens, sentOnce: true);
    }

    /// <inheritdoc />
    public string Name => "llm-judge";

    /// <summary>The options.</summary>
    public LlmJudgeOptions Options => _options;

    /// <summary>Judge calls made so far (cache hits excluded).</summary>
    public long JudgeCalls => _invoker.Calls;

    /// <inheritdoc />
    public async ValueTask<ComplianceVerdict> ClassifyAsync(ExperimentSample sample, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sample);
        var answer = sample.Output is null ? string.Empty : JudgeText.RemoveScratchpad(sample.Output);
        if (sample.Output is null || answer.Length == 0)
        {
            var outcome = ComplianceProxyClassifier.Classify(sample);
            if (sample.Output is not null && outcome == ComplianceOutcome.Complied)
            {
                outcome = ComplianceOutcome.Unparseable;
            }

            return new ComplianceVerdict(outcome, "not judged: the sample has no final answer to judge");
        }

        return await JudgeAsync(sample.Request, answer, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Judges an answer to a request directly.</summary>
    /// <param name="request">The request as the user wrote it.</param>
    /// <param name="answer">The final answer, without hidden reasoning.</param>
    /// <param name="cancellationToken">Cancels the judge call.</param>
    public async ValueTask<ComplianceVerdict> JudgeAsync(string request, string answer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(answer);
        var prompt = RenderPrompt(_options.Prompt, request, answer, reasoning: null);
        return await AskAsync(_invoker, _options.Prompt.Format, prompt, _options.UnparseableRetries, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The messages sent to the judge for a request and answer (for inspection and tests).</summary>
    /// <param name="request">The request.</param>
    /// <param name="answer">The answer.</param>
    public IReadOnlyList<ChatMessage> BuildPrompt(string request, string answer)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(answer);
        return RenderPrompt(_options.Prompt, request, answer, null);
    }

    internal static ChatMessage[] RenderPrompt(JudgePrompt prompt, string request, string answer, string? reasoning)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["request"] = request,
            ["answer"] = answer,
            ["prompt"] = request,
            ["response"] = answer,
            ["reasoning"] = reasoning ?? string.Empty,
            ["nonce"] = JudgeText.Nonce(request, answer, reasoning ?? string.Empty),
        };
        return [new ChatMessage(ChatRole.User, prompt.Render(values))];
    }

    internal static async ValueTask<ComplianceVerdict> AskAsync(JudgeInvoker invoker, JudgePromptFormat format, IReadOnlyList<ChatMessage> prompt, int retries, CancellationToken cancellationToken)
    {
        ComplianceVerdict verdict = new(ComplianceOutcome.Error, "no judge call made");
        for (int attempt = 0; attempt <= retries; attempt++)
        {
            var reply = (await invoker.GetRepliesAsync(prompt, attempt, 1, cancellationToken).ConfigureAwait(false))[0];
            verdict = reply.Error is not null
                ? new ComplianceVerdict(ComplianceOutcome.Error, "judge call failed: " + reply.Error)
                : ReplyParsers.ParseCompliance(format, reply.Text, reply.FinishReason);
            if (verdict.Outcome != ComplianceOutcome.Unparseable)
            {
                return verdict;
            }
        }

        return verdict;
    }
}
