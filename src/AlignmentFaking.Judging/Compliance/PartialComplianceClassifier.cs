using AlignmentFaking.Classification;
using AlignmentFaking.Judging.Internal;
using AlignmentFaking.Running;
using Microsoft.Extensions.AI;

namespace AlignmentFaking.Judging.Compliance;

/// <summary>
/// Flags hedged or watered-down answers after acceptance (compromise, scheming or avoidance): one judge vote at
/// temperature 0 over the request, the scratchpad reasoning and the final answer. Outcomes: <c>partial</c>,
/// <c>complied</c> (full help) or <c>refused</c>; unparseable, refused and failed judge replies are not verdicts.
/// </summary>
public sealed class PartialComplianceClassifier : IComplianceClassifier
{
    private readonly PartialComplianceOptions _options;
    private readonly JudgeInvoker _invoker;

    /// <summary>Creates the classifier.</summary>
    /// <param name="judge">The judge model.</param>
    /// <param name="options">Options; defaults when <see langword="null"/>.</param>
    public PartialComplianceClassifier(IChatClient judge, PartialComplianceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(judge);
        _options = options ?? new PartialComplianceOptions();
        _options.Validate();
        _invoker = new JudgeInvoker(judge, _options.Cache, _options.ModelId, _options.Temperature, _options.MaxOutputTokens, sentOnce: true);
    }

    /// <inheritdoc />
    public string Name => "partial";

    /// <summary>The options.</summary>
    public PartialComplianceOptions Options => _options;

    /// <inheritdoc />
    public async ValueTask<ComplianceVerdict> ClassifyAsync(ExperimentSample sample, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sample);
        var proxy = ComplianceProxyClassifier.Classify(sample);
        if (_options.OnlyAccepted && proxy != ComplianceOutcome.Complied)
        {
            return new ComplianceVerdict(proxy, "not judged: the answer did not accept");
        }

        var answer = sample.Output is null ? string.Empty : JudgeText.RemoveScratchpad(sample.Output);
        if (answer.Length == 0)
        {
            return new ComplianceVerdict(proxy == ComplianceOutcome.Complied ? ComplianceOutcome.Unparseable : proxy, "not judged: the sample has no final answer to judge");
        }

        var reasoning = JudgeText.ExtractReasoning(sample.Transcript);
        var prompt = LlmJudgeClassifier.RenderPrompt(_options.Prompt, sample.Request, answer, reasoning);
        return await LlmJudgeClassifier.AskAsync(_invoker, _options.Prompt.Format, prompt, _options.UnparseableRetries, cancellationToken).ConfigureAwait(false);
    }
}
