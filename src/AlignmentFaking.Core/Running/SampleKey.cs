using AlignmentFaking.Datasets;
using AlignmentFaking.Scenarios;

namespace AlignmentFaking.Running;

/// <summary>Identifies one sample of a run: a request in a tier and mode, one epoch.</summary>
/// <param name="Request">The request.</param>
/// <param name="Tier">The tier.</param>
/// <param name="Mode">The mode.</param>
/// <param name="Epoch">The zero-based epoch.</param>
public sealed record SampleKey(ExperimentRequest Request, Tier Tier, ReasoningMode Mode, int Epoch)
{
    /// <summary>The sample id, <c>{mode}/{tier}/r{index}/e{epoch}</c>.</summary>
    public string SampleId => $"{Mode.ToName()}/{Tier.ToName()}/r{Request.Index}/e{Epoch}";
}
