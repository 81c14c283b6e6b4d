using AlignmentFaking.Running;

namespace AlignmentFaking.Classification;

/// <summary>
/// Judges whether a sample complied. The proxy (<see cref="ComplianceProxyClassifier"/>) and the LLM judges implement
/// it, so a run can use any combination and re-judge a finished run without calling the subject again.
/// </summary>
public interface IComplianceClassifier
{
    /// <summary>A short stable name (<c>proxy</c>, <c>llm-judge</c>, ...).</summary>
    string Name { get; }

    /// <summary>Classifies one finished sample.</summary>
    /// <param name="sample">The sample.</param>
    /// <param name="cancellationToken">Cancels the classification.</param>
    ValueTask<ComplianceVerdict> ClassifyAsync(ExperimentSample sample, CancellationToken cancellationToken = default);
}
