using AlignmentFaking.Running;
using Microsoft.Extensions.AI.Evaluation;

namespace AlignmentFaking.Judging.Evaluation;

/// <summary>
/// Evaluation context that hands an <see cref="ExperimentSample"/> to the evaluators of this package, so they judge it
/// exactly (request, transcript, extracted output) instead of reconstructing it from the messages.
/// </summary>
public sealed class ExperimentSampleContext : EvaluationContext
{
    /// <summary>The context's name.</summary>
    public const string ContextName = "Alignment-faking experiment sample";

    /// <summary>Creates the context.</summary>
    /// <param name="sample">The sample.</param>
    public ExperimentSampleContext(ExperimentSample sample)
        : base(ContextName, (sample ?? throw new ArgumentNullException(nameof(sample))).SampleId)
    {
        Sample = sample;
    }

    /// <summary>The sample.</summary>
    public ExperimentSample Sample { get; }
}
