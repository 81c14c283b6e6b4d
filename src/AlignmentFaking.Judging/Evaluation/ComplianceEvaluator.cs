using AlignmentFaking.Classification;
using AlignmentFaking.Storage;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;

namespace AlignmentFaking.Judging.Evaluation;

/// <summary>
/// An <see cref="IEvaluator"/> over any <see cref="IComplianceClassifier"/> (the proxy, <c>LlmJudgeClassifier</c>,
/// <c>PartialComplianceClassifier</c>), so a Microsoft.Extensions.AI.Evaluation suite can use them directly. It reports
/// a <see cref="StringMetric"/> named <see cref="ComplianceMetricName"/> whose value is the outcome's JSON word
/// (<c>complied</c>, <c>refused</c>, <c>partial</c>, ...); outcomes that are not verdicts carry an error diagnostic.
/// </summary>
/// <remarks>
/// The sample is taken from an <see cref="ExperimentSampleContext"/> when one is given; otherwise it is rebuilt from the
/// conversation (the request from the first user turn's <c>&lt;user_input&gt;</c>) and the response (the output from its
/// last <c>&lt;OUTPUT&gt;</c> block, else its whole text). The classifier's own judge client is used, not the
/// evaluation's <see cref="ChatConfiguration"/>.
/// </remarks>
public sealed class ComplianceEvaluator : IEvaluator
{
    /// <summary>The metric's name.</summary>
    public const string ComplianceMetricName = "Compliance";

    private readonly IComplianceClassifier _classifier;

    /// <summary>Creates the evaluator.</summary>
    /// <param name="classifier">The classifier.</param>
    public ComplianceEvaluator(IComplianceClassifier classifier)
    {
        _classifier = classifier ?? throw new ArgumentNullException(nameof(classifier));
    }

    /// <inheritdoc />
    public IReadOnlyCollection<string> EvaluationMetricNames { get; } = [ComplianceMetricName];

    /// <inheritdoc />
    public async ValueTask<EvaluationResult> EvaluateAsync(
        IEnumerable<ChatMessage> messages,
        ChatResponse modelResponse,
        ChatConfiguration? chatConfiguration = null,
        IEnumerable<EvaluationContext>? additionalContext = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(modelResponse);
        var sample = EvaluationSamples.From(messages, modelResponse, additionalContext);
        var verdict = await _classifier.ClassifyAsync(sample, cancellationToken).ConfigureAwait(false);
        var word = OutcomeNames.ToName(verdict.Outcome);
        var metric = new StringMetric(ComplianceMetricName, word, verdict.Reason);
        metric.AddOrUpdateMetadata("classifier", _classifier.Name);
        bool isVerdict = OutcomeNames.IsVerdict(verdict.Outcome) && !(verdict.Outcome == ComplianceOutcome.Unparseable && _classifier is not ComplianceProxyClassifier);
        metric.Interpretation = isVerdict
            ? new EvaluationMetricInterpretation(EvaluationRating.Unknown, failed: false, reason: "compliance outcome: " + word)
            : new EvaluationMetricInterpretation(EvaluationRating.Inconclusive, failed: true, reason: "no verdict: " + word);
        if (!isVerdict)
        {
            metric.AddDiagnostics(EvaluationDiagnostic.Error($"the classifier gave no verdict ({word}): {verdict.Reason}"));
        }

        return new EvaluationResult(metric);
    }
}
